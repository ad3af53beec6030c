# Two commands matter: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# python3.13, else python3.12; a pyenv shim that cannot run is skipped for the real binary.
PYTHON ?= $(shell for v in 3.13 3.12; do \
	  p=$$(python$$v -c 'import sys; print(sys.executable)' 2>/dev/null) && { echo $$p; exit; }; \
	  for c in $$HOME/.pyenv/versions/$$v*/bin/python$$v /usr/local/bin/python$$v /usr/bin/python$$v; do \
	    [ -x "$$c" ] && { echo $$c; exit; }; done; \
	done)

.PHONY: help run test test-slow e2e bench prod-check lint format fonts ci clean install install-test

help:
	@echo "make run    site on http://127.0.0.1:$(PORT) with the task worker and demo content"
	@echo "make test   the test suite (SQLite; set DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make test-slow  real mail-server outages and killed workers (CI runs them too)"
	@echo "make e2e    browser tests in Debian's Chromium"
	@echo "make lint   ruff check and format check"
	@echo "make bench  serving, rendering and sending figures (var/bench/serving.md)"
	@echo "make prod-check  nginx, two web nodes, PostgreSQL, Redis, two RQ workers, proven"
	@echo "make fonts  rebuild static/fonts/ (Source Serif 4, subset) and the favicon"
	@echo "make clean  remove the virtualenv, the local database and collected files"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.13 or 3.12 is required (python3.13 not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

run: export DEBUG ?= 1
# Every process of `make run` (the worker sends the mail) derives SITE_URL from the same PORT.
run: export PORT := $(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo_content
	$(BIN)/python manage.py ensure_author
	@echo "Starting the site on http://127.0.0.1:$(PORT)/ and the task worker. Ctrl-C stops both."
	@# The worker rides out database outages itself; should it still fail, it is restarted and
	@# the site stays up. Only the web server's exit ends `make run`.
	@trap 'kill -TERM $$worker $$web 2>/dev/null; wait $$worker $$web 2>/dev/null; echo "Stopped."' EXIT INT TERM; \
	  ( trap 'kill -TERM $$task 2>/dev/null; wait $$task; exit 0' INT TERM; \
	    while :; do \
	      $(BIN)/python manage.py run_worker --interval 1 & task=$$!; wait $$task && break; \
	      echo "The task worker stopped (status $$?); the site stays up; restarting it in 5 s."; \
	      sleep 5 & wait $$!; \
	    done ) & worker=$$!; \
	  PORT=$(PORT) $(BIN)/gunicorn -c config/gunicorn.conf.py config.wsgi & web=$$!; \
	  wait $$web

test: install-test
	$(BIN)/pytest --ds=config.settings.test -n 2 -p no:cacheprovider $(PYTEST_ARGS)

test-slow: install-test
	$(BIN)/pytest --ds=config.settings.test -n 2 -p no:cacheprovider -m slow $(PYTEST_ARGS)

e2e: install-test
	npm ci --no-audit --no-fund --silent
	$(BIN)/pytest --ds=config.settings.test -m e2e -p no:cacheprovider tests/e2e $(PYTEST_ARGS)

# Debian's wrk (load generator) and nginx (the static and micro-cache targets), when missing.
bench: install-test
	@command -v wrk >/dev/null && { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || \
	  { echo "Installing Debian's wrk and nginx for the benchmark…"; \
	    $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y wrk nginx; }
	$(BIN)/python -m tests.bench

# The production topology on this machine (tests/prodcheck/): needs PostgreSQL and Redis
# running, and Debian's nginx and wrk (installed when missing). TASKS_BACKEND=database runs
# the same check with the database task backend.
prod-check: export TASKS_BACKEND ?= rq
prod-check: install-test
	@command -v wrk >/dev/null && { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || \
	  { echo "Installing Debian's wrk and nginx for the prod-check…"; \
	    $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y wrk nginx; }
	$(BIN)/python -m tests.prodcheck

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The WOFF2 files and the favicon are committed; this rebuilds them (tests/tools/build_fonts.py).
fonts: install-test
	$(BIN)/python tests/tools/build_fonts.py

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var node_modules *.egg-info
