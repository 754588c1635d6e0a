# The MSP agent ecosystem. `make demo` runs it; `make test` proves it (what CI runs).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PY        := .venv/bin/python
UV        := python3 -m uv
# The agents are the service folders (the same set the msp.agents entry points name; a test checks it).
SERVICES  := $(sort $(patsubst services/%/pyproject.toml,%,$(wildcard services/*/pyproject.toml)))
INFRA_ENV := .infra/env
# Test processes (pytest-xdist): the suite waits on Kafka and PostgreSQL as much as it computes, so one
# more worker than cores keeps both busy. Files stay whole on one worker (--dist loadfile): their
# module fixtures (simulated MSPs) are built once. The fault tests (SIGKILL, private broker and
# database restarts) run afterwards on their own, where their timings mean something.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:9092
export DATABASE_URL ?= postgresql+psycopg://msp:msp@127.0.0.1:5432/msp

.PHONY: help install browser ocr infra-up infra-down lint typecheck contracts test test-unit test-faults demo bench-runtime bench-data-in bench-cpi bench-sli bench-dsa bench-ram bench-vcm bench-spo bench-ecosystem clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: ## install uv and the workspace (.venv) from uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	$(UV) sync --all-packages --locked --compile-bytecode
	tools/deploy/install-checkov.sh >/dev/null

browser: ## Debian chromium for the demo report's headless browser test (installs it if needed)
	tools/demo/install-chromium.sh >/dev/null

ocr: ## Debian tesseract-ocr for VCM's scanned-contract test (installs it if needed)
	services/vcm/install-tesseract.sh >/dev/null

infra-up: ## start Kafka (KRaft, Maven jars) and PostgreSQL on 127.0.0.1 (installs them if needed)
	PYTHON=$(PY) tools/infra/infra-up.sh

infra-down: ## stop Kafka and PostgreSQL
	tools/infra/infra-down.sh

lint: install ## ruff (lint + format check)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install ## mypy strict on libs/, every service's domain/ and the data-in tools
	$(PY) -m mypy --strict libs/events/src/msp_events $(foreach s,$(SERVICES),services/$(s)/src/$(s)/domain) \
		tools/sim/src tools/ingest/src tools/replay/src tools/demo/src tools/ecosystem/src

contracts: install ## schema snapshots, catalog and AsyncAPI documents agree with the registry
	.venv/bin/msp-events schemas check
	.venv/bin/msp-events catalog --check

test: install infra-up browser ocr lint typecheck contracts ## everything CI checks, against real Kafka and PostgreSQL
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not faults"
	$(PY) -m pytest -m faults -p no:randomly

test-unit: install browser ocr ## the fast tests only (no Kafka, no PostgreSQL)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not integration"

test-faults: install infra-up ## fault tests alone (SIGKILL, a private PostgreSQL or Kafka restarted under the services); `make test` runs them too
	$(PY) -m pytest -m faults -p no:randomly

demo: install ## a simulated MSP (40 clients x 12 months) through the six agents in one process: briefing, out/demo/report.html (ARGS="--clients 8 --months 4", or "--kafka HOST:PORT --database-url URL")
	.venv/bin/msp-demo $(ARGS)

bench-runtime: install infra-up ## raw aiokafka vs the runtime (inbox + outbox + PostgreSQL)
	$(PY) bench/runtime.py

bench-data-in: install infra-up ## simulator, play and capture rates vs baselines; 1,000-client memory peak
	$(PY) bench/data_in.py --big

bench-cpi: install infra-up ## CPI ledger: events/s vs bare runtime, full recompute 1,000 x 24 (ARGS="--clients 50 --months 6")
	$(PY) bench/cpi_ledger.py $(ARGS)

bench-sli: install infra-up ## SLI: full reconciliation 500 clients x 40 SKUs, 100,000 users; events/s vs bare runtime (ARGS="--clients 50 --users 10000")
	$(PY) bench/sli_reconcile.py $(ARGS)

bench-spo: install infra-up ## SPO: train on 50,000 opportunities (CV AUC), score 100,000 rows, events/s vs bare runtime (ARGS="--history 5000 --score 20000 --events 500")
	$(PY) bench/spo_bench.py $(ARGS)

bench-dsa: install ## DSA: detection 10,000 x 730 days and 2,000 monthly forecasts vs seasonal naive, Hampel and river (ARGS="--series 1000 --monthly 50")
	$(PY) bench/dsa_bench.py $(ARGS)

bench-ecosystem: install infra-up ## six agent processes on Kafka: reaction latency per rule (quiet, 1,000 facts/s), settle time vs embedded (ARGS="--clients 40 --months 12")
	$(PY) bench/ecosystem.py $(ARGS)

bench-ram: install ## RAM: PyVRP vs OR-Tools on 25/100/400 visits (gap after 1/2/5/30 s); CP-SAT vs greedy, 2,000 tickets x 50 (ARGS="--sizes 25 100 --limits 1 2 5")
	$(PY) bench/ram_bench.py $(ARGS)

bench-vcm: install ## VCM: extraction pages/s on 500 PDFs, search over 10,000 contracts, held-out accuracy (ARGS="--contracts 50 --search 1000")
	$(PY) bench/vcm_bench.py $(ARGS)

clean: ## remove local state (databases of the embedded default, caches)
	rm -rf .tools .data .demo out/demo .pytest_cache .mypy_cache .ruff_cache .hypothesis
