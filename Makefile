# make test: create .venv, install iepd with its test extras, install the system packages the
# tests need when missing (Dovecot, Chromium, systemd-analyze), then ruff, mypy and pytest.
# Every step is skipped when already done, so a second run only runs the checks.
# VENV=/some/path uses another virtual environment.

VENV ?= .venv
PYTHON3 ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
# Debian packages the tests need, each with a file that shows it is installed: Dovecot for
# the IMAP tests, Chromium for the export page's screenshot, PDF and no-network checks,
# systemd's systemd-analyze for the unit checks, and Poppler's pdftotext and pdftoppm to read
# and render the printed letter's PDF.
SYSTEM_PACKAGES := dovecot-imapd:/usr/sbin/dovecot dovecot-imapd:/usr/lib/dovecot/imap \
  dovecot-lmtpd:/usr/lib/dovecot/lmtp chromium:/usr/bin/chromium \
  systemd:/usr/bin/systemd-analyze poppler-utils:/usr/bin/pdftotext

.PHONY: test demo lint typecheck unit pytest system-packages bench bench-smoke reliability-long \
  classification

test: $(STAMP) system-packages
	$(BIN)/ruff check daemon tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The whole flow in about 15 s against an embedded mail sandbox; no mail leaves the machine.
# In Spanish (the parent reads iepd in Spanish): make demo DEMO_ARGS="--language es"
demo: $(DEMO_STAMP)
	$(BIN)/iepd demo $(DEMO_ARGS)

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

pytest: $(STAMP) system-packages
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

# As root, apt-get installs what is missing; otherwise one line gives the exact command.
system-packages:
	@missing=$$(for entry in $(SYSTEM_PACKAGES); do \
	  [ -x "$${entry#*:}" ] || echo "$${entry%%:*}"; done | sort -u | tr '\n' ' '); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing what the tests need: $$missing"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	  else \
	    echo "the tests need Debian packages that are missing. Run:" >&2; \
	    echo "  sudo apt-get update && sudo apt-get install -y $$missing" >&2; \
	    exit 1; \
	  fi; \
	fi

# Measurements, not tests: they write docs/benchmarks.md. Needs Dovecot, like `make test`.
bench: $(STAMP) system-packages
	$(BIN)/python benchmarks/run_all.py

# How well the school's replies are read (tests/replies/, by author): figures for
# docs/classification.md, in seconds, no mail server needed.
classification: $(STAMP)
	$(BIN)/python benchmarks/classification.py

# A few minutes instead of twenty; writes to /tmp, not to docs/benchmarks.md.
bench-smoke: $(STAMP) system-packages
	IEPD_BENCH_SHORT=1 IEPD_BENCH_DOCS=/tmp/iepd-bench.md $(BIN)/python benchmarks/run_all.py

# The long fault runs (200 random SIGKILLs, every crash point of follow-ups): minutes, not CI.
reliability-long: $(STAMP) system-packages
	IEPD_LONG_RUN=1 $(BIN)/python -m pytest tests/reliability -s
