# One command to set up and run the tour, one to set up and run every test.
# Each creates .venv (from pyproject.toml) when missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hsnb-installed
BENCH  := $(VENV)/.hsnb-bench-installed
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup demo test lint notebooks bench lab clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hsnb tour

test: $(STAMP)
	$(BIN)/python -m pytest --nbval

lint: $(STAMP)
	$(BIN)/ruff check --exclude '*.md' hsnb tests benchmarks data notebooks notebooks/_build
	$(BIN)/ruff format --check --exclude '*.md' hsnb tests benchmarks data notebooks notebooks/_build

# Rebuild every notebooks/NN-*.ipynb from its Jupytext source NN-*.py: sync, run, check, save.
notebooks: $(STAMP)
	$(BIN)/python notebooks/_build/nbbuild.py all

# Throughput under wrk (install it: apt-get install wrk) beside bare Tornado and Flask, and a
# kernel's responsiveness while its listener takes 500 callbacks/s.
bench: $(BENCH)
	$(BIN)/python -m benchmarks

$(BENCH): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $(BENCH)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
