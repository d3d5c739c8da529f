# The project's verbs: run, test, test-faults, bench, lint, format, lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCKS := requirements.lock requirements-dev.lock
# The locks pin every package, with hashes, for the interpreter and platform we ship on.
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
LOCK_FLAGS ?=

.PHONY: run test test-all-cases test-faults test-soak bench lint format install lock chromium clean

# The locked versions (hashes checked), then the project itself without resolving again;
# redone whenever a lock file or pyproject.toml changes.
$(STAMP): $(LOCKS) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Refresh both lock files from pyproject.toml: requirements.lock (what production runs) and
## requirements-dev.lock (that plus the tools), which keeps the same pins. Pins stay unless
## pyproject.toml needs others; `make lock LOCK_FLAGS=--upgrade` takes the newest releases.
lock:
	test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
		$(BIN)/python -m pip install --quiet uv; }
	$(BIN)/uv pip compile pyproject.toml $(LOCK_TARGET) $(LOCK_FLAGS) --quiet \
		--generate-hashes --custom-compile-command 'make lock' -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_TARGET) \
		$(LOCK_FLAGS) --quiet --generate-hashes --custom-compile-command 'make lock' \
		-o requirements-dev.lock

## Chromium for the browser tests: installed when missing (as root), else the command to run.
chromium:
	@bash ops/ensure_chromium.sh

## Start Redis (embedded unless REDIS_URL is set), migrate, load the demo clinic, and run the
## web server on http://127.0.0.1:5000 with a Celery worker and beat. Ctrl-C stops them all.
run: $(STAMP)
	$(BIN)/python -m ops.devstack

## Everything: Chromium when missing, lint, types, import contracts, then unit, contract,
## integration (SQLite and PostgreSQL), browser, hostile input in parallel processes (each with
## its own Redis and PostgreSQL), then the end-to-end stack and the fault scenarios apart from
## them, four at a time (each starts its own processes and mostly waits on their timers).
TEST_WORKERS ?= 3
test: chromium $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --ignore=tests/e2e --ignore=tests/faults \
		--ignore=tests/soak --durations=15
	$(BIN)/pytest -n 4 --dist worksteal tests/e2e tests/faults --durations=15

## As `make test`, with every input case of a parametrised test on PostgreSQL too (by
## default the further cases run on SQLite only: they differ in Python's checks, not the
## database's behaviour).
test-all-cases:
	TEST_ALL_CASES_ON_POSTGRES=1 $(MAKE) test

## The fault scenarios at full size (10,000 messages each); `make test` runs them with 1,000.
test-faults: $(STAMP)
	FAULT_MESSAGES=10000 FAULT_SECONDS=30 $(BIN)/pytest tests/faults -v -s

## A chaos soak (never in `make test`): SOAK_MINUTES (10) of bookings over HTTP and 21,000
## texts falling due while web and Celery workers, pool children, beat, Redis and PostgreSQL
## are killed at random; then nothing lost, repeated or double-booked, no 500s. Prints a table
## and writes test-artifacts/soak.json.
SOAK_MINUTES ?= 10
test-soak: $(STAMP)
	SOAK_MINUTES=$(SOAK_MINUTES) $(BIN)/pytest tests/soak -v -s -p no:randomly

## Benchmarks on their own data and services (SQLite and an embedded PostgreSQL); never in
## `make test`. Prints a table and writes bench/results.json.
bench: $(STAMP)
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .mypy_cache .ruff_cache \
		.import_linter_cache
