"""Start-up of the test processes, loaded before any other plugin by the Makefile's pytest
commands (``-p tests.pytest_startup``; issue 19, ``make test`` time).

- ``jsonschema`` (imported by nbformat, which nbval imports in every pytest process) builds
  38 lark grammars at import when the optional ``rfc3987_syntax`` is installed: about 2 CPU s
  per process, before the first test. It only serves jsonschema's ``iri`` and
  ``iri-reference`` format checks, which nothing here uses: nbformat's notebook schemas name
  no ``format`` (``tests/test_foundation.py`` checks it) and sle_car does not use jsonschema.
  The test processes therefore import jsonschema without it. Notebook kernels, the ``sle-car``
  command and ``make report`` are not affected.
- Each pytest-xdist worker (one per core) runs polars with one thread: the unit tests run
  thousands of queries on tiny frames, where a second thread per worker only contends with
  the other worker for the same cores (``validate_study`` on the bundled cohort: 0.58 -> 0.45
  CPU s, same wall time, measured alone). ``POLARS_MAX_THREADS`` is set only while polars
  creates its thread pool and removed right after, so nothing the tests start (notebook
  kernels, worker processes, ``sle-car``) and no key of the notebook cache (which includes
  ``POLARS_*`` variables) sees it. Outputs do not depend on the thread count. Not in a run
  without xdist (``JOBS=1``), nor when the variable is already set.
"""

from __future__ import annotations

import os
import sys

sys.modules.setdefault("rfc3987_syntax", None)  # import raises ImportError: jsonschema skips it

if os.environ.get("PYTEST_XDIST_WORKER") and "POLARS_MAX_THREADS" not in os.environ:
    os.environ["POLARS_MAX_THREADS"] = "1"
    import polars

    polars.thread_pool_size()  # creates the pool now, with one thread
    del os.environ["POLARS_MAX_THREADS"]
