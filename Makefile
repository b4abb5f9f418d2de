# Tuyến: `make run` starts the product on embedded defaults, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test pytest lint format bench lock schema messages clean

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m config.launch run

test: install lint pytest

pytest: install
	$(PY) -m config.launch test $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_ENV=test DATABASE_URL=postgresql://lint@localhost/lint $(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) -m config.launch bench $(BENCH_ARGS)

# Regenerate the lock file after editing pyproject.toml (needs network access to PyPI).
lock:
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

schema: install
	DJANGO_ENV=test DATABASE_URL=postgresql://schema@localhost/schema $(PY) manage.py graphql_schema --schema config.schema.schema --out schema.graphql

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: install
	DJANGO_ENV=test DATABASE_URL=postgresql://messages@localhost/messages $(PY) manage.py makemessages -l vi -l en --ignore=.venv --ignore=var
	DJANGO_ENV=test DATABASE_URL=postgresql://messages@localhost/messages $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
