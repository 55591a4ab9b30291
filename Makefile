# Two commands: `make run` and `make test`. Everything else here serves them, but for
# `make install-runtime`, which production runs instead of `make install` (docs/operations.md
# "Production deployment"): the runtime lock alone, so pytest, Playwright, mypy and ruff never
# reach the servers. requirements-dev.lock is that lock plus the dev extra, at the same versions
# (it is compiled with requirements.lock as constraints; the header of each says how).
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
LOCKS := requirements.lock requirements-dev.lock
# Named after the lock contents, so that a changed lock reinstalls.
STAMP := $(VENV)/.installed-dev-$(shell cat $(LOCKS) | cksum | cut -d' ' -f1)
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(shell cksum < requirements.lock | cut -d' ' -f1)

VAR_DIR ?= $(CURDIR)/var
# What `make run` used, for manage.py alone (see read_dev_env in manage.py). Not in $(VAR_DIR):
# manage.py must find it without knowing VAR_DIR.
DEV_ENV ?= var/dev.env
# The provider webhooks' basic auth ("user:password") under `make run` too: without it any page
# the developer opens could POST a forged bounce to 127.0.0.1 and suppress an address. Made once
# and kept, so a provider's test webhook (through a tunnel) keeps working across runs.
WEBHOOK_SECRET_FILE := $(VAR_DIR)/webhook-secret
WEBHOOK_SECRET = $(shell cat $(WEBHOOK_SECRET_FILE))

export PORT

.PHONY: run dev-env test install install-runtime lint format bench bench-smoke clean

define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
endef

$(STAMP): $(LOCKS)
	$(make_venv)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	@rm -f $(VENV)/.installed-* && touch $@

# pip only adds: on a .venv that once held the dev tools (any other stamp, this one's older
# names included) they would stay, so it must start afresh.
$(RUNTIME_STAMP): requirements.lock
	@! ls $(VENV)/.installed-* 2>/dev/null | grep -qv '/\.installed-runtime-' || { \
		echo "$(VENV) holds the dev tools (make install); remove it first: rm -rf $(VENV)" >&2; exit 1; }
	$(make_venv)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Production's install: the runtime lock only, into .venv (what deploy/systemd's units run).
install-runtime: $(RUNTIME_STAMP)

# Runs the web server, two Celery workers (confirmations on their own, everything else on the
# other: docs/operations.md "Workers") and beat under supervisord, which restarts any of them
# that exits (a Celery worker can die when its broker does). Ctrl-C stops them all.
run: install dev-env
	@mkdir -p $(VAR_DIR)
	@rm -rf $(VAR_DIR)/prometheus  # per-process metric files of an earlier run
	DEBUG=1 VAR_DIR=$(VAR_DIR) $(BIN)/python manage.py migrate --no-input -v 0
	DEBUG=1 VAR_DIR=$(VAR_DIR) $(BIN)/python manage.py load_demo
	DEBUG=1 VAR_DIR=$(VAR_DIR) $(BIN)/python manage.py load_demo_editions
	@echo ""
	@echo "  Article page:  http://127.0.0.1:$(PORT)/"
	@echo "  Dev mailbox:   http://127.0.0.1:$(PORT)/dev/mailbox/"
	@echo "  Admin:         http://127.0.0.1:$(PORT)/admin/  (create a user: $(BIN)/python manage.py createsuperuser)"
	@echo "  Webhooks:      http://$(WEBHOOK_SECRET)@127.0.0.1:$(PORT)/anymail/<esp>/tracking/  (secret kept in $(WEBHOOK_SECRET_FILE))"
	@echo "  Ctrl-C stops everything."
	@echo ""
	DEBUG=1 VAR_DIR=$(VAR_DIR) ANYMAIL_WEBHOOK_SECRET=$(WEBHOOK_SECRET) exec $(BIN)/supervisord -c deploy/supervisord.conf

$(WEBHOOK_SECRET_FILE):
	@mkdir -p $(dir $@)
	@umask 077 && $(PYTHON) -c 'import secrets; print("dev:" + secrets.token_urlsafe(32))' > $@

# After it, `.venv/bin/python manage.py <command>` runs as `make run` did, with no DEBUG=1.
dev-env: $(WEBHOOK_SECRET_FILE)
	@mkdir -p $(dir $(DEV_ENV))
	@printf '%s\n' '# Written by `make run` for manage.py only; ignored when DEBUG or SECRET_KEY is set.' \
		'DEBUG=1' 'VAR_DIR=$(abspath $(VAR_DIR))' 'PORT=$(PORT)' \
		'ANYMAIL_WEBHOOK_SECRET=$(WEBHOOK_SECRET)' > $(DEV_ENV)

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

# Targets and the latest figures: bench/README.md. wrk (Debian's package) makes the load.
bench: install
	$(BIN)/python bench/run.py

# A few seconds of every part, figures only: keeps the harness from rotting (.ci/run runs it).
bench-smoke: install
	$(BIN)/python bench/run.py --smoke

clean:
	rm -rf var $(VENV)
