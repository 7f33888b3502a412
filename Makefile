# sifenflow — one command each: make install | run | test | lint | bench
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=

.PHONY: install test test-unit test-integration test-e2e lint bench run chaos kude-samples console-shots clean

$(VENV)/.installed: pyproject.toml
	python3.11 -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## .venv/ with everything installed; console script .venv/bin/sifenflow

test: install ## every test tier (unit, contract, integration, e2e) against the real local services
	scripts/setup-test-env.sh
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-unit: install
	scripts/setup-test-env.sh
	$(PY) -m pytest -q -m unit $(PYTEST_ARGS)

test-integration: install
	scripts/setup-test-env.sh
	$(PY) -m pytest -q -m "integration or contract" $(PYTEST_ARGS)

test-e2e: install
	scripts/setup-test-env.sh
	$(PY) -m pytest -q -m e2e $(PYTEST_ARGS)

lint: install ## ruff + mypy + import contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy libs/common/src services
	$(VENV)/bin/lint-imports

bench: install ## every stage benchmark in bench/ (prints docs/s and latency percentiles)
	@set -e; for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b; done

run: install ## all services in one process: embedded Postgres, in-process bus, simulator, demo tenant
	$(VENV)/bin/sifenflow run

console-shots: install ## PNG of every console screen (desktop 1280, phone 390) into build/console-shots/ (chromium)
	CONSOLE_SHOTS_DIR=$(CURDIR)/build/console-shots $(PY) -m pytest -q -p no:cacheprovider tests/e2e/console/test_console_shots.py

CHAOS_ARGS ?= --documents 2000
chaos: install ## fault drill on its own PostgreSQL and RabbitMQ: kill -9 everything, SIFEN faults, report
	PYTHONPATH=. $(PY) scripts/chaos.py $(CHAOS_ARGS)

kude-samples: install ## PNG of page 1 of an A4 FE and of a ticket, into build/kude-samples/
	$(PY) scripts/kude_samples.py build/kude-samples

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
