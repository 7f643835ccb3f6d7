# formline: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP_WORKER := $(VENV)/.installed-worker
STAMP_DEV := $(VENV)/.installed-dev
DEMO_MODELS ?= elo,market,dixon-coles,logistic,goals,lightgbm,ensemble
DEMO_RACE_MODELS ?= conditional-logit,ranking,benter,public
# test-lowest: a separate venv with the lowest versions pyproject.toml declares.
LOWEST_VENV ?= .venv-lowest
LOWEST_PYTEST_ARGS ?= -m 'not realdata and not slow' --ignore=tests/cli
UV := $(BIN)/uv

.PHONY: demo test test-lowest lint typecheck check bench bench-models bench-api bench-ingest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_WORKER): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[worker,postgres]"
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(STAMP_WORKER)

## demo: install, then run the whole pipeline on a fresh demo world (embedded store)
demo: $(STAMP_WORKER)
	$(BIN)/formline ingest:demo --force
	$(BIN)/formline daily:run --force-train --model-types $(DEMO_MODELS) --report
	$(BIN)/formline ingest:demo --domain races --force --world n_days=800 --world n_horses=1000
	$(BIN)/formline daily:run --domain races --force-train --model-types $(DEMO_RACE_MODELS) --report

## test: install the dev extras and run the test suite
test: $(STAMP_DEV)
	$(BIN)/python -m pytest -n 2 -q --durations=20

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv>=0.5"

## test-lowest: the suite against the lowest declared versions (proves pyproject.toml's floors)
test-lowest: $(UV)
	rm -rf $(LOWEST_VENV)
	UV_PYTHON_DOWNLOADS=never $(UV) venv --quiet --python "$$(command -v $(PYTHON))" $(LOWEST_VENV)
	$(UV) pip install --quiet --python $(LOWEST_VENV)/bin/python --resolution lowest-direct -e ".[dev]"
	$(LOWEST_VENV)/bin/python .ci/check_floors.py
	$(LOWEST_VENV)/bin/python -m pytest -n 2 -q $(LOWEST_PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP_DEV)
	$(BIN)/python benchmarks/features_build.py

## bench-models: every model against the market on the real data, then where the gap is
bench-models: $(STAMP_DEV)
	$(BIN)/python benchmarks/models_backtest.py --out-dir .formline/backtests
	$(BIN)/python benchmarks/gap_analysis.py --out-dir .formline/backtests

## bench-api: the read API under wrk (apt-get install wrk), SQLite and PostgreSQL + Redis
bench-api: $(STAMP_DEV)
	$(BIN)/python benchmarks/api_serve.py

## bench-ingest: loading the real football-data files, SQLite against PostgreSQL, one run
bench-ingest: $(STAMP_DEV)
	$(BIN)/python benchmarks/ingest_load.py

clean:
	rm -rf $(VENV) $(LOWEST_VENV) .formline .pytest_cache .mypy_cache .ruff_cache
