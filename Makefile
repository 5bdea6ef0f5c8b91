# make test: create .venv, install iepd with its test extras, install Dovecot when missing,
# then ruff, mypy and pytest. Every step is skipped when already done, so a second run only
# runs the checks. VENV=/some/path uses another virtual environment.

VENV ?= .venv
PYTHON3 ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
DOVECOT := /usr/sbin/dovecot
DOVECOT_PACKAGES := dovecot-imapd dovecot-lmtpd
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y $(DOVECOT_PACKAGES)

.PHONY: test demo lint typecheck unit pytest dovecot bench bench-smoke reliability-long

test: $(STAMP) dovecot
	$(BIN)/ruff check daemon tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The whole flow in about 15 s against an embedded mail sandbox; no mail leaves the machine.
demo: $(DEMO_STAMP)
	$(BIN)/iepd demo

$(DEMO_STAMP): pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check daemon tests

typecheck: $(STAMP)
	$(BIN)/mypy

# Pure logic only: no mail server is started.
unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

pytest: $(STAMP) dovecot
	$(BIN)/python -m pytest

# bin/pip appears only when venv succeeded; a half-made venv is removed so the next run retries.
# Debian's python3 ships venv without ensurepip: as root, install python3-venv and retry.
$(BIN)/pip:
	$(PYTHON3) -m venv $(VENV) || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv && \
	    $(PYTHON3) -m venv $(VENV); \
	  else \
	    echo "python3 -m venv failed; on Debian/Ubuntu: sudo apt-get install -y python3-venv" >&2; \
	    exit 1; \
	  fi; }

# Reinstalled whenever pyproject.toml changes (new dependency, new extra).
$(STAMP): pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

dovecot:
	@if [ ! -x $(DOVECOT) ] || [ ! -x /usr/lib/dovecot/lmtp ] || [ ! -x /usr/lib/dovecot/imap ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Dovecot: $(DOVECOT_PACKAGES)"; \
	    apt-get update && $(APT_INSTALL); \
	  else \
	    echo "Dovecot is missing; the integration tests need it. Run:" >&2; \
	    echo "  sudo apt-get update && sudo $(APT_INSTALL)" >&2; \
	    exit 1; \
	  fi; \
	fi

# Measurements, not tests: they write docs/benchmarks.md. Needs Dovecot, like `make test`.
bench: $(STAMP) dovecot
	$(BIN)/python benchmarks/run_all.py

# A few minutes instead of twenty; writes to /tmp, not to docs/benchmarks.md.
bench-smoke: $(STAMP) dovecot
	IEPD_BENCH_SHORT=1 IEPD_BENCH_DOCS=/tmp/iepd-bench.md $(BIN)/python benchmarks/run_all.py

# The long fault runs (200 random SIGKILLs, every crash point of follow-ups): minutes, not CI.
reliability-long: $(STAMP) dovecot
	IEPD_LONG_RUN=1 $(BIN)/python -m pytest tests/reliability -s
