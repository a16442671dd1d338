# The two commands: `make run` (start the app with demo data) and `make test` (run every check).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint typecheck clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# Embedded defaults: SQLite in var/, jobs run in-process unless REDIS_URL is set.
# PORT reaches the app too: until an operator sets a public URL, links in emails, feeds and the
# widget use the address a request came in on, else http://127.0.0.1:$PORT.
run: export DEBUG ?= true
run: export PORT := $(PORT)
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Status page: http://$(HOST):$(PORT)/"
	@echo "Dashboard:   http://$(HOST):$(PORT)/dashboard/  (demo sign-in: admin / admin)"
	@echo "Another operator, from a second terminal in this folder:"
	@echo "  DEBUG=true $(BIN)/python manage.py create_operator alice --role admin --email alice@example.com"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The public site's catalogs (docs/public.md, "Languages"): extract with Babel's Jinja2 and
# Python extractors (babel.cfg), merge into each locale/<ll>/LC_MESSAGES/django.po (the layout
# Django's makemessages and compilemessages use), then compile the .mo files, which are
# committed so a fresh clone serves translations without gettext installed.
LOCALES := de fr es pt_BR it nl pl tr ja zh_Hans ar he
messages: install
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k gettext_noop -k gettext_lazy -k pgettext:1c,2 -o locale/django.pot .
	for l in $(LOCALES); do msgmerge --quiet --update --no-fuzzy-matching --backup=none locale/$$l/LC_MESSAGES/django.po locale/django.pot; done
	$(BIN)/python manage.py compilemessages --ignore=.venv

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

# Strict on incidents/ and notifications/, checked bodies elsewhere ([tool.mypy] in pyproject).
typecheck: export SECRET_KEY ?= test-only-insecure-secret-key
typecheck: install
	$(BIN)/mypy

# Uses DATABASE_URL / REDIS_URL when set (CI sets them to PostgreSQL and Redis).
# pytest runs on TEST_WORKERS processes (pytest-xdist; `auto` is one per core, `0` runs it in
# this process) under coverage (branches; [tool.coverage.*] in pyproject, collected from every
# worker by pytest-cov); the last step prints the summary and fails below the floors
# (tests/coverage_floor.py, README.md, "Coverage").
TEST_WORKERS ?= auto
# The 30 slowest tests are listed after each run, so a slow newcomer shows up in CI's log.
PYTEST_ARGS ?= --durations=30
test: export SECRET_KEY ?= test-only-insecure-secret-key
test: lint typecheck
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --cov --cov-report= $(PYTEST_ARGS)
	$(BIN)/python tests/coverage_floor.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
