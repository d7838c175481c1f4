from sle_car.cli import main

raise SystemExit(main())
