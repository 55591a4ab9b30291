"""The system under test: a scratch database, migrated and seeded, and gunicorn serving the
production settings plus the baseline view (bench/settings.py), as the issue's figures were
taken: sync workers, one per half core."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_WORKERS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(workdir: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "ANYMAIL_WEBHOOK_SECRET": "bench:" + uuid.uuid4().hex,
        "ERASURE_HASH_KEY": "bench-" + uuid.uuid4().hex,
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "VAR_DIR": str(workdir),
        # Every request comes from a fresh address in X-Forwarded-For, so the per-IP limit runs
        # (its Redis calls included) without ever refusing one.
        "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
        "SIGNUP_MIN_FILL_SECONDS": "0",
        "REDIS_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:6]}:",
    }
    if "DATABASE_URL" not in os.environ:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A throwaway database beside the one DATABASE_URL names: the bench never touches data."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    server = dj_database_url.parse(url)
    conninfo: dict[str, Any] = {
        "host": server["HOST"],
        "port": server["PORT"] or 5432,
        "user": server["USER"],
        "password": server["PASSWORD"],
        "dbname": server["NAME"],
    }
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def analyze(env: dict[str, str]) -> None:
    """This machine's PostgreSQL runs without autovacuum: without fresh statistics, plans for
    the seeded tables would be guesses."""
    if env["DATABASE_URL"].startswith("postgres"):
        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
            conn.execute("ANALYZE")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    args = [str(BIN / "gunicorn"), "newsroom.wsgi", "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", str(GUNICORN_WORKERS), "--worker-class", "sync"]
    server = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/healthz", timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
