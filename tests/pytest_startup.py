"""Start-up of the test processes, loaded before any other plugin by the Makefile's pytest
commands (``-p tests.pytest_startup``; issue 19, ``make test`` time).

- ``jsonschema`` (imported by nbformat, which nbval imports in every pytest process) builds
  38 lark grammars at import when the optional ``rfc3987_syntax`` is installed: about 2 CPU s
  per process, before the first test. It only serves jsonschema's ``iri`` and
  ``iri-reference`` format checks, which nothing here uses: nbformat's notebook schemas name
  no ``format`` (``tests/test_foundation.py`` checks it) and sle_car does not use jsonschema.
  The test processes therefore import jsonschema without it. Notebook kernels, the ``sle-car``
  command and ``make report`` are not affected.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # import raises ImportError: jsonschema skips it
