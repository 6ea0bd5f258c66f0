# The two commands: `make run` (the whole system on embedded defaults) and
# `make test` (installs what is missing, starts what the tests need, runs every test).
# The virtualenv's interpreter: the distribution's Python 3.11 where it can make a virtualenv (Debian's
# build ran Loa's tests ~9% faster in CPU than a default pyenv build of 3.11 on the same machine), else
# python3.11 or python3 from PATH. `make PYTHON=/path/to/python` chooses another.
PYTHON ?= $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' 2>/dev/null && echo /usr/bin/python3.11 || command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# command:debian-package pairs installed with apt-get when the command is missing
# (pango1.0-tools brings the Pango libraries WeasyPrint needs for the printed bulletin)
SYSTEM_DEPS := mosquitto:mosquitto mosquitto_passwd:mosquitto espeak-ng:espeak-ng ffmpeg:ffmpeg ffprobe:ffmpeg pango-view:pango1.0-tools
# for the tests: a real browser, PDF rendering, a real player for the radio playlists
TEST_DEPS := chromium:chromium pdftoppm:poppler-utils mpv:mpv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Python may write its bytecode caches: some machines set PYTHONDONTWRITEBYTECODE=1, and then every
# `loa` process, Prefect worker and pytest worker compiles Loa's modules (and pytest rewrites the tests)
# again from source: ~4 s more per pytest worker and ~0.1 s per command.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint system-deps test-deps apt-install services venv bench clean

run: system-deps venv
	$(BIN)/loa run

test: system-deps test-deps services venv lint
	$(BIN)/pytest

# The quality gate, before any test: lint rules, formatting and types (configured in pyproject.toml;
# mypy checks loa, channels and flows, the files named there).
lint: venv
	$(BIN)/ruff check loa channels flows tests bench scripts
	$(BIN)/ruff format --check loa channels flows tests bench scripts
	$(BIN)/mypy --cache-dir "$(MYPY_CACHE)"

# mypy's incremental cache lives with the user's other caches (as uv's does), not in the checkout: a new
# clone is checked in ~2 s instead of ~12-30 s. mypy trusts a cached module only while the hash of its
# source matches, so a cache from another clone or branch cannot hide an error. MYPY_CACHE=.mypy_cache
# keeps it in the checkout.
MYPY_CACHE ?= $(if $(HOME),$(HOME)/.cache/loa/mypy,.mypy_cache)

system-deps:
	@$(MAKE) --no-print-directory apt-install PAIRS="$(SYSTEM_DEPS)"

test-deps:
	@$(MAKE) --no-print-directory apt-install PAIRS="$(TEST_DEPS)"

apt-install:
	@missing=""; for pair in $(PAIRS); do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# PostgreSQL backs the at-scale store tests; start the local cluster if it is installed but down.
services:
	@if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  echo "starting PostgreSQL"; $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
	fi

venv: $(VENV)/.installed

# The install runs uv (pinned below, installed into the venv by pip): it downloads in parallel and
# installs from its cache: ~20 s on a fresh machine where pip took 50-70 s. Without a uv wheel for this
# platform it falls back to pip. Each step prints what it does: a silent minute reads as a hang.
# No --compile-bytecode: compiling every installed module took 15 s of the 19 s; Python compiles (and
# keeps) only what Loa imports, on first import (a fresh clone's make test: 263 -> 244 s).
UV_PIN := uv>=0.9,<0.14

$(VENV)/.installed: pyproject.toml
	@echo "[1/3] creating the virtualenv $(VENV) with $(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[2/3] installing the installer ($(UV_PIN); pip if it cannot)"
	@$(BIN)/pip install --quiet "$(UV_PIN)" || echo "      uv unavailable: installing with pip (about a minute)"
	@echo "[3/3] installing Loa and its pinned dependencies (Prefect, FastAPI, SQLAlchemy, WeasyPrint, paho-mqtt, ...)"
	@echo "      from pyproject.toml: 5-20 s with uv (downloads on a new machine), about a minute with pip; each package is listed below"
	@if [ -x $(BIN)/uv ] && $(BIN)/uv pip install --python $(BIN)/python -e '.[test]'; then :; \
	else \
	  echo "      installing with pip (uv is missing or could not install: uv reads no pip.conf index settings)"; \
	  $(BIN)/pip install --progress-bar on -e '.[test]'; \
	fi
	@touch $@
	@echo "installed: $(VENV) (remove $@ to reinstall)"

bench: system-deps venv
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .loa .pytest_cache
