# make test  — create .venv/, install the pinned dependencies, run the test suite
# make test-boundscheck — the registry tests of the Numba algorithms with every array access
#   bounds-checked (NUMBA_BOUNDSCHECK=1), compiled afresh into a new temporary cache directory
# make bench — the same environment, then the benchmark (quick suite) into results/latest/
# make lint  — ruff over the repository (the rules are in pyproject.toml)
#
# .venv/ gets the library (kernels, editable, with the extras torch, harness and dev) at the
# versions of constraints.txt, and a .pth file that puts this repository on its path, so
# that the repository's tools `reference` and `harness` import too (they are not in the wheel).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test test-boundscheck bench lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[torch,harness,dev]'
	$(PY) -c 'import os, sysconfig; open(os.path.join(sysconfig.get_path("purelib"), "convbench-repo.pth"), "w").write(os.getcwd() + "\n")'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-boundscheck: $(STAMP)
	cache=$$(mktemp -d) && trap 'rm -rf "$$cache"' EXIT && \
	NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR="$$cache" \
	$(PY) -m pytest -q tests/boundscheck_registry.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) run_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
	find . -name __pycache__ -prune -exec rm -rf {} +
