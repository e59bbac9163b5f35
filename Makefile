# One command to set up and run the tour, one to set up and run every test.
# Each creates .venv (from pyproject.toml) when missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hsnb-installed
BENCH  := $(VENV)/.hsnb-bench-installed
LAB_STAMP := $(VENV)/.hsnb-lab-installed
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup demo test lint notebooks bench bench-large lab clean

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
# kernel's responsiveness while its listener takes 500 callbacks/s; then simulated workloads.
bench: $(BENCH)
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.simulation
	$(BIN)/python -m benchmarks.logs

# The sizes of issue 13: a 1,000,000-event store and a 10,000,000-event Parquet log, three runs
# (about an hour on 2 cores, most of it building the store once; kept in benchmarks/.data/).
bench-large: $(BENCH)
	$(BIN)/python -m benchmarks.logs --events 1000000 --scale-events 10000000 --runs 3

$(BENCH): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $(BENCH)

# The notebooks need hsnb, JupyterLab (the lab extra) and Dask (the cluster extra, for notebook
# 07), not the test tools. JupyterLab's settings (127.0.0.1, root allowed, opens 00-Start-Here)
# are in notebooks/_build/lab_config.py.
$(LAB_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[lab,cluster]"
	@touch $(LAB_STAMP)

lab: $(LAB_STAMP)
	cd notebooks && ../$(BIN)/jupyter lab --config=_build/lab_config.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
