# Two entry points for a fresh checkout: `make demo` and `make test` (`make test-fast`: the
# tests that need no service, in minutes).
# Both create the virtual environment .venv/ on first use (stamp files below): `make demo`
# (and serve, worker, migrate) installs the service only; `make test` and `make lint` add the
# development tools (pytest, ruff, playwright, ...: the `dev` extra).

PYTHON ?= python3
VENV := .venv
RUNTIME_STAMP := $(VENV)/.runtime-installed
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast fuzz lint serve worker migrate services clean

$(RUNTIME_STAMP): pyproject.toml client/pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --progress-bar off -e ./client -e .
	touch $(RUNTIME_STAMP)

# Everything the tests need: the service and the development tools.
$(STAMP): $(RUNTIME_STAMP)
	$(VENV)/bin/pip install --progress-bar off -e ./client -e '.[dev]'
	touch $(STAMP)

## Certify 100 digits test images on the embedded service and print NP vs DSRS.
demo: $(RUNTIME_STAMP)
	$(VENV)/bin/dsrs demo

## Start PostgreSQL and Redis if needed, then run the whole test suite.
test: $(STAMP) services
	$(VENV)/bin/pytest

## The tests that need no service: no PostgreSQL, Redis, Celery worker or browser (tests
## marked integration or slow, and those tests/conftest.py marks `services` from the fixtures
## they use, are left out). Nothing is started; embedded servers run in-process on SQLite.
test-fast: $(STAMP)
	$(VENV)/bin/pytest -m "not integration and not slow and not services"

## The property tests (hypothesis) with fresh random examples each run, not CI's fixed
## ones; a failing example goes into its test as an @example.
fuzz: $(STAMP)
	$(VENV)/bin/pytest --hypothesis-profile=fuzz $$(grep -rl --include='test_*.py' '^from hypothesis import' tests)

services:
	.ci/start-services

## The habits CI enforces: ruff's rules, ruff's format and mypy on dsrs_core and dsrs_client
## (configured in pyproject.toml). mypy finds dsrs_client (the folder client/) through a link.
lint: $(STAMP)
	$(VENV)/bin/python -m ruff check .
	$(VENV)/bin/python -m ruff format --check .
	mkdir -p $(VENV)/mypy-path && ln -sfn ../../client $(VENV)/mypy-path/dsrs_client
	$(VENV)/bin/python -m mypy

serve: $(RUNTIME_STAMP)
	$(VENV)/bin/dsrs serve

worker: $(RUNTIME_STAMP)
	$(VENV)/bin/dsrs worker

migrate: $(RUNTIME_STAMP)
	$(VENV)/bin/dsrs migrate

clean:
	rm -rf var/demo .pytest_cache
