# SoulSeer: two commands. `make run` serves the site with everything it needs; `make test` runs the
# quality gates and the test suite. Both work with nothing but python3.11 installed.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Extra options for both pytest runs, e.g. make test PYTEST_ARGS="-x -k wallet"
PYTEST_ARGS ?=

.PHONY: run test test-gates css clean-devstack

# `exec` so make's child is the launcher itself: a SIGTERM that make forwards reaches it.
run: $(VENV)/.installed
	exec env PORT=$(PORT) DJANGO_SETTINGS_MODULE=soulseer.settings.dev $(PY) -m soulseer.devstack run

test: $(VENV)/.installed-dev
	exec $(PY) -m soulseer.devstack exec -- $(MAKE) --no-print-directory test-gates

# The gates themselves; `make test` runs them with DATABASE_URL/REDIS_URL set. The first pytest run
# builds a fresh test database (migrations take minutes) and keeps it for the browser run.
test-gates:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=soulseer.settings.dev $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=soulseer.settings.production \
	DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	ALLOWED_HOSTS=soulseer.example DATABASE_URL="$$DATABASE_URL" REDIS_URL="$$REDIS_URL" \
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) -m pytest -m "not browser" --create-db --reuse-db $(PYTEST_ARGS)
	$(PY) -m pytest -m browser --reuse-db $(PYTEST_ARGS) || test $$? -eq 5

css:
	cd site/frontend && npm ci && npm run build

# Forget the embedded database, Redis data, localstripe state and the dev admin password.
clean-devstack:
	rm -rf .devstack

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -r requirements-dev.txt
	touch $@ $(VENV)/.installed
