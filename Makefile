# Dealer Service — the two commands are `make run` and `make test`.
#
#   make run    set up .venv, system packages (Debian, as root), migrate, load
#               the demo data on an empty database, start the web server and a
#               Celery worker with beat; prints the URL and the demo logins.
#   make test   install the test requirements and run the whole suite.
#
# With no DATABASE_URL / REDIS_URL everything runs embedded (SQLite and a
# file-system broker); set them to run on PostgreSQL and Redis.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?= -n auto

# `make bench` measures these two PostgreSQL databases (`make bench-data` loads them).
BENCH_DATABASE_URL       ?= postgres://postgres@127.0.0.1:5432/dealer_bench
BENCH_SMALL_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dealer_bench_small

.PHONY: run test lint fmt messages system-deps bench bench-data clean-var

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-test: requirements-test.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.requirements

system-deps:
	@bin/system-deps

run: system-deps $(VENV)/.requirements
	@bin/run

test: $(VENV)/.requirements-test
	$(BIN)/pytest $(PYTEST_ARGS) $(ARGS)

lint: $(VENV)/.requirements-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	find templates -name '*.html' -print0 | xargs -0 $(BIN)/djhtml --check

fmt: $(VENV)/.requirements-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	find templates -name '*.html' -print0 | xargs -0 $(BIN)/djhtml

messages: $(VENV)/.requirements-test
	DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete \
		--ignore=.venv --ignore=static --ignore=var --ignore=tests --ignore=artifacts
	DEBUG=1 $(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

bench-data: $(VENV)/.requirements-test
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_SMALL_DATABASE_URL=$(BENCH_SMALL_DATABASE_URL) bin/bench-data

bench: $(VENV)/.requirements-test
	@bin/system-deps --bench
	DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_SMALL_DATABASE_URL=$(BENCH_SMALL_DATABASE_URL) DEBUG=0 \
		SECRET_KEY=$${SECRET_KEY:-bench-only-key-never-used-to-serve-anything-0123456789} \
		$(BIN)/python manage.py bench $(ARGS)

clean-var:
	rm -rf var/
