# The two commands: `make run` (the whole network, embedded, with demo data) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-checks test-embedded test-fast lint format migrate demo clean cluster-demo \
	fuzz mutation restore-drill

# --no-compile: byte-compiling every installed file took half of pip's CPU; Python compiles the
# modules it imports when it first imports them.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-compile -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/run_embedded.py

# The whole suite on real PostgreSQL and Redis (throwaway instances unless DATABASE_URL and
# REDIS_URL are set), then the small part that keeps the embedded SQLite mode working.
# The PostgreSQL part runs on TEST_WORKERS pytest-xdist workers (2, one per core of the machine
# `make test` is timed on), each on a throwaway PostgreSQL, Redis and var folder of its own
# (tests/xdist_services.py), whole test files to a worker (the in-suite schemathesis file one
# role at a time); TEST_WORKERS=0 runs it in one process (needed to run it on given services).
# The checks and the embedded part each keep one core busy, so they run side by side first
# (each one's output printed whole when it ends); the PostgreSQL part then takes both cores.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(MAKE) --no-print-directory -j2 --output-sync=target test-checks test-embedded
	$(BIN)/python scripts/with_services.py -- $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile \
		$(PYTEST_ARGS)

test-checks: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	sh scripts/chromium_ensure.sh

test-embedded: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL AFFNET_VAR_DIR=$$(mktemp -d) \
		$(BIN)/pytest -q -m sqlite -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Two web nodes and six workers behind nginx on loopback; kills a web node and an ingester and
# restarts Redis mid-traffic, then checks that nothing redirected or accepted was lost and every
# money effect happened once (deploy/rehearse.py, about a minute). Options, e.g.:
#   make cluster-demo REHEARSE_ARGS=--hard            20,000 clicks, a worker SIGKILLed every 5 s,
#                                                     a web node every 15 s, Redis restarted
#                                                     twice, PostgreSQL once (several minutes)
#   make cluster-demo REHEARSE_ARGS=--redis-cluster   the click buffer on a 3-primary Redis Cluster
cluster-demo: $(STAMP)
	$(BIN)/python deploy/rehearse.py $(REHEARSE_ARGS)

# The API fuzzed for longer than `make test` does: fresh randomness, every schemathesis check,
# the coverage phase, up to FUZZ_SECONDS (then the remaining operations are skipped). Each
# failure prints a curl line to reproduce it; pin it in tests/api/test_bad_input_is_refused.py.
FUZZ_SECONDS ?= 600
FUZZ_EXAMPLES ?= 50
fuzz: $(STAMP)
	SCHEMATHESIS_FUZZ=1 FUZZ_SECONDS=$(FUZZ_SECONDS) SCHEMATHESIS_MAX_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(BIN)/python scripts/with_services.py -- $(BIN)/pytest -q -p no:cacheprovider \
		tests/api/test_schemathesis.py $(PYTEST_ARGS)

# Hand-picked mutants of the money modules (rounding, ledger, build, terms, caps, attribution),
# each applied to a snapshot of HEAD and run against its tests: prints the mutation score and the
# survivors (scripts/mutation_check.py; about 15 minutes). Not part of `make test`.
mutation: $(STAMP)
	$(BIN)/python scripts/with_services.py -- $(BIN)/python scripts/mutation_check.py $(MUTATION_ARGS)

# Backups proved: the demo network with traffic in a throwaway PostgreSQL archiving its WAL, a
# base backup, more traffic, then a restore (backup + WAL replay) into a fresh instance on
# loopback; ledger totals, batch totals and conversion counts must equal the source's
# (scripts/restore_drill.py, about a minute; docs/deploy.md "Backups"). Not part of `make test`.
restore-drill: $(STAMP)
	$(BIN)/python scripts/restore_drill.py

clean:
	rm -rf $(VENV) var
