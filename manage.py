#!/usr/bin/env python
import os
import sys
from pathlib import Path

# `make run` records its settings here (DEBUG=1, VAR_DIR, PORT, the webhook secret), so that
# manage.py commands in a dev checkout act on the same database without DEBUG=1. Only manage.py
# reads it: never the WSGI app, gunicorn or Celery.
DEV_ENV = Path(__file__).resolve().parent / "var" / "dev.env"
# Only what `make run` writes. var/ is the app's to write, and manage.py may run as root: a
# line such as DJANGO_SETTINGS_MODULE=var.x (or PYTHONPATH) would have it run code from there.
DEV_ENV_NAMES = frozenset({"DEBUG", "VAR_DIR", "PORT", "ANYMAIL_WEBHOOK_SECRET"})


def read_dev_env(path: Path) -> None:
    """Fill variables the environment leaves unset from KEY=VALUE lines (# comments, blanks);
    a name other than DEV_ENV_NAMES stops the command.

    The whole file is ignored when the environment sets DEBUG or SECRET_KEY: a build directory
    that once ran `make run` must not turn a production command into a dev one.
    """
    if "DEBUG" in os.environ or "SECRET_KEY" in os.environ or not path.is_file():
        return
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            sys.exit(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        if key.strip() not in DEV_ENV_NAMES:
            names = ", ".join(sorted(DEV_ENV_NAMES))
            sys.exit(f"{path}:{number}: {key.strip()} is not read from this file (only {names})")
        os.environ.setdefault(key.strip(), value.strip())


if __name__ == "__main__":
    read_dev_env(DEV_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
