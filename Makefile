# Two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)

VAR_DIR ?= $(CURDIR)/var

export PORT

.PHONY: run test install lint format bench clean

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Runs the web server, a Celery worker and beat under supervisord, which restarts any of
# them that exits (a Celery worker can die when its broker does). Ctrl-C stops them all.
run: install
	@mkdir -p $(VAR_DIR)
	DEBUG=1 VAR_DIR=$(VAR_DIR) $(BIN)/python manage.py migrate --no-input -v 0
	DEBUG=1 VAR_DIR=$(VAR_DIR) $(BIN)/python manage.py load_demo
	@echo ""
	@echo "  Article page:  http://127.0.0.1:$(PORT)/"
	@echo "  Dev mailbox:   http://127.0.0.1:$(PORT)/dev/mailbox/"
	@echo "  Admin:         http://127.0.0.1:$(PORT)/admin/  (create a user: DEBUG=1 $(BIN)/python manage.py createsuperuser)"
	@echo "  Ctrl-C stops everything."
	@echo ""
	DEBUG=1 VAR_DIR=$(VAR_DIR) exec $(BIN)/supervisord -c deploy/supervisord.conf

test: install
	$(BIN)/python -m pytest

# Formatting, lint, types (mypy with django-stubs) and the import contracts (import-linter:
# the layers call one way, and no two sibling modules import each other).
lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf var $(VENV)
