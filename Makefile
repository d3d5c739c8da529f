# The project's verbs: run, test, test-faults, bench, lint, format.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-faults bench lint format install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start Redis (embedded unless REDIS_URL is set), migrate, load the demo clinic, and run the
## web server on http://127.0.0.1:5000 with a Celery worker and beat. Ctrl-C stops them all.
run: $(STAMP)
	$(BIN)/python -m ops.devstack

## Everything: lint, types, unit, contract, integration (SQLite and PostgreSQL), browser, hostile
## input in parallel processes (each with its own Redis and PostgreSQL), then the end-to-end
## stack and the fault scenarios on their own, as they time real processes.
TEST_WORKERS ?= 3
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) --ignore=tests/e2e --ignore=tests/faults
	$(BIN)/pytest tests/e2e tests/faults

## The fault scenarios at full size (10,000 messages each); `make test` runs them with 1,000.
test-faults: $(STAMP)
	FAULT_MESSAGES=10000 FAULT_SECONDS=30 $(BIN)/pytest tests/faults -v -s

## Benchmarks on their own data and services (SQLite and an embedded PostgreSQL); never in
## `make test`. Prints a table and writes bench/results.json.
bench: $(STAMP)
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .mypy_cache .ruff_cache
