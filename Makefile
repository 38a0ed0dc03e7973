# Portail partenaires — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test install install-dev lint format lock audit db-upgrade demo clean bench \
	translations-extract translations-init translations-update translations-compile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Every package, direct or not, is pinned with its hashes (`make lock` writes them).
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

db-upgrade: install
	$(BIN)/flask db upgrade

demo: db-upgrade
	$(BIN)/flask demo load --if-empty

## Serve the portal on http://127.0.0.1:$(PORT) with the demo data, and run its worker
## (e-mails, scheduled jobs) alongside; Ctrl-C stops both.
run: demo
	@$(BIN)/flask worker run & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## Run the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set), one worker
## per core (pytest-xdist; each worker has its own PostgreSQL database: see tests/conftest.py).
TEST_WORKERS ?= auto
test: install-dev
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## Benchmark: bare Flask, then the portal on the `territory` dataset (generated once under
## instance/), signed in as a CCAS social worker; PostgreSQL too when BENCH_DATABASE_URL is
## set. Writes bench/results.md.
bench: install-dev
	$(BIN)/python -m bench.run

## Lock files from requirements*.in: every package pinned with its hashes, for Python 3.11
## and later on any platform (uv's universal resolution).
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes
lock: install-dev
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in --constraint requirements.txt -o requirements-dev.txt

## Known vulnerabilities of the pinned packages (PyPI's advisory data, through pip-audit);
## fails on any that a newer release fixes.
audit: install-dev
	$(BIN)/pip-audit --strict --progress-spinner off --disable-pip --no-deps -r requirements.txt

## Ruff, then mypy on portal/ (its settings, and how strict each module is: pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Translations (Flask-Babel). French source strings are the msgids; each locale has
## translations/<locale>/LC_MESSAGES/messages.po. The .mo files are built, not committed.
translations-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
		--project "Portail partenaires" -o translations/messages.pot .

## A new locale: make translations-init LOCALE=xx (en is already there).
translations-init: translations-extract
	$(BIN)/pybabel init -i translations/messages.pot -d translations -l $(LOCALE)

translations-update: translations-extract
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete

translations-compile: install
	$(BIN)/pybabel compile -d translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
