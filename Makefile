# sle-car — every command of the README is a target here.
#
#   make report   build everything from the bundled synthetic data (the main job)
#   make test     fast feedback: lint, notebooks (nbval) and every test but the slow ones
#   make test-all everything, the slow tests included (what CI runs)
#
# Both create the virtual environment .venv on first use (locked versions from
# requirements.lock, installed with uv) and reuse it afterwards.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.sle-car-installed
UV_VERSION := $(shell sed -n 's/^uv==\([0-9.]*\).*/\1/p' requirements.lock)
# Compile bytecode at install time: otherwise every kernel start pays ~8 s of imports.
export UV_COMPILE_BYTECODE := 1
export UV_NO_PROGRESS := 1
# Fixed display and numeric settings so notebook outputs are stable (see sle_car/display.py).
export PYTHONHASHSEED := 0

DATA    ?= data/synthetic
DERIVED ?= data/derived

.PHONY: help venv report release report-real data validate test test-slow test-all test-fast lint format lab bench lock clean distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "sle-car needs Python >= 3.11"'
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(PY) --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(PY) --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name sle-car --display-name "Python 3 (sle-car)" >/dev/null
	@touch $@

venv: $(STAMP)  ## create or update the virtual environment (locked versions)

report: $(STAMP)  ## validate and derive the bundled data, execute notebooks, export figures, render the site
	$(BIN)/sle-car report --data $(DATA)$(if $(ACCEPT_QUARANTINE), --accept-quarantine)$(if $(OPTIONS), --options "$(OPTIONS)")$(if $(FRESH), --no-cache)

data: $(STAMP)  ## regenerate the bundled synthetic cohort (after a simulator change)
	$(BIN)/sle-car simulate --patients 5 --seed 20250101 --out data/synthetic --force --quiet

release: report  ## render this release into reports/releases/v<version>/ and update the versions index
	$(BIN)/sle-car release

report-real: $(STAMP)  ## analyse a real data cut: make report-real DATA=/secure/export OUT=/secure/output (both outside git)
	@test -n "$(DATA)" -a -n "$(OUT)" || { echo "usage: make report-real DATA=/path/outside/git OUT=/path/outside/git"; exit 2; }
	$(BIN)/sle-car report-real --data "$(DATA)" --out "$(OUT)"$(if $(ACCEPT_QUARANTINE), --accept-quarantine)$(if $(OPTIONS), --options "$(OPTIONS)")$(if $(FRESH), --no-cache)

validate: $(STAMP)  ## validate the bundled raw data (report in reports/data-issues/)
	$(BIN)/sle-car validate $(DATA)

# tests/pytest_startup.py, loaded first: the test processes skip a 2 s import nothing uses.
PYTEST := $(BIN)/python -m pytest -p tests.pytest_startup
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# pytest-xdist: one worker per core (JOBS=1 runs in one process). --dist loadfile keeps each
# file on one worker in order: a notebook's cells share its kernel, a module's fixtures run once.
JOBS   ?= auto
XDIST  := $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)

# A notebook whose execution under its current inputs is in the notebook cache of `make report`
# is compared with that execution instead of being executed again (conftest.py, issue 19);
# FRESH=1 executes every notebook (as CI's cold cache does).
test: $(STAMP)  ## fast feedback, as CI does: lint, notebooks (nbval), every test but the slow ones (FRESH=1: execute every notebook)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PYTEST) $(XDIST) $(NBVAL)$(if $(FRESH), --no-notebook-cache) -m "not slow" notebooks tests

test-slow: $(STAMP)  ## only the slow tests (large cohorts, the whole pipeline on a foreign cut)
	$(PYTEST) $(XDIST) -m slow tests

# TEST_DONE=1 (set by .ci/run right after `make test` passed): only the slow tests are left.
test-all: $(if $(TEST_DONE),,test) test-slow  ## everything: `make test`, then the slow tests (CI)

test-fast: $(STAMP)  ## the unit tests without the slow ones and without notebooks
	$(PYTEST) $(XDIST) -m "not slow" tests

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(STAMP)  ## open JupyterLab with the "Python 3 (sle-car)" kernel
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)  ## benchmarks into benchmarks/results.md (numbers, not pass/fail; SIZES="1000 10000")
	$(PY) benchmarks/run.py$(if $(SIZES), --sizes $(SIZES))

lock:  ## re-resolve requirements.lock from pyproject.toml (needs the index)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -q -o requirements.lock

clean:  ## remove derived data and caches (keeps the environment)
	rm -rf $(DERIVED) .pytest_cache .ruff_cache reports/data-issues

distclean: clean  ## also remove the virtual environment
	rm -rf $(VENV)
