# «Эффективный руководитель» — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run worker test load lint format messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

## Serve the portal with the demo district at http://127.0.0.1:$(PORT) (SQLite, no server needed)
run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## A Celery worker for background jobs (docs/jobs.md), with the same DATABASE_URL (PostgreSQL) and
## CELERY_BROKER_URL (redis://…) as the portal; without CELERY_BROKER_URL the portal needs none
worker: $(VENV)/.runtime
	$(BIN)/celery -A zelenchuk_portal worker --loglevel INFO

## Install what the tests need and run the whole suite (browser tests too, when Chromium is here)
test: $(VENV)/.dev
	sh scripts/ensure-browser.sh
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

## Load test (docs/PERFORMANCE.md): gunicorn on 127.0.0.1 with the demo district in a scratch
## database (PostgreSQL when DATABASE_URL points at one, else SQLite), 50 simulated people, 60 s
load: $(VENV)/.dev
	$(BIN)/python scripts/load_test.py $(LOAD_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Refresh the Russian catalogue after changing UI strings (needs gettext)
messages: $(VENV)/.dev
	$(BIN)/python manage.py makemessages -l ru --no-obsolete --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l ru --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache
