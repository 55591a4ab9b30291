"""Benchmarks: sign-up and article-page throughput through gunicorn, as production serves them.

    make bench                       # embedded defaults (SQLite, filesystem broker)
    DATABASE_URL=postgres://... REDIS_URL=redis://... make bench

Starts its own gunicorn (2 workers x 4 threads, for the 2-core reference machine) on a free
loopback port against a fresh database, fires concurrent requests, and prints throughput and
latency percentiles. Targets are checked here, never in the test suite.
"""

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Targets for the production stack (PostgreSQL + Redis) on the 2-core reference machine, with
# this load generator sharing those cores. SQLite, the embedded dev default, is reported only.
TARGETS = {"signup_rps": 100.0, "signup_p95_ms": 300.0, "article_rps": 200.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(workdir: Path, port: int) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",  # no worker runs here
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "VAR_DIR": str(workdir),
        "SIGNUP_IP_LIMITS": "",  # one client IP sends everything here
        "SIGNUP_MIN_FILL_SECONDS": "0",
        "REDIS_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:6]}:",
    }
    if "DATABASE_URL" not in os.environ:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def measure(label: str, count: int, threads: int, call) -> dict:
    latencies, statuses = [], []

    def one(i: int) -> None:
        start = time.perf_counter()
        statuses.append(call(i))
        latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    result = {
        "rps": count / elapsed,
        "p50": q[49],
        "p95": q[94],
        "p99": q[98],
        "errors": sum(s >= 500 for s in statuses),
    }
    print(
        f"{label:<28} {count:>5} req  {result['rps']:7.1f} req/s  p50 {result['p50']:6.1f} ms"
        f"  p95 {result['p95']:6.1f} ms  p99 {result['p99']:6.1f} ms  5xx {result['errors']}"
    )
    return result


def scratch_postgres(url: str) -> contextlib.AbstractContextManager[str]:
    """A throwaway database beside the one DATABASE_URL names: the bench never touches data."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    server = dj_database_url.parse(url)

    @contextlib.contextmanager
    def database() -> Iterator[str]:
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

    return database()


def main() -> int:
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="newsroom-bench-"))
        workdir, port = Path(tmp), free_port()
        env = environment(workdir, port)
        if env["DATABASE_URL"].startswith("postgres"):
            env["DATABASE_URL"] = stack.enter_context(scratch_postgres(env["DATABASE_URL"]))
        manage(env, "migrate", "--no-input")
        manage(env, "load_demo")
        manage(env, "collectstatic", "--no-input")
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "newsroom.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return run(url)
        finally:
            server.terminate()
            server.wait(timeout=20)


def run(url: str) -> int:
    session = requests.Session()
    for _ in range(100):
        try:
            session.get(url + "/", timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.2)
    backend = "PostgreSQL" if "postgres" in os.environ.get("DATABASE_URL", "") else "SQLite"
    broker = "Redis" if os.environ.get("REDIS_URL") else "filesystem"
    print(f"database {backend}, broker {broker}, gunicorn 2x4 threads, {os.cpu_count()} cores")
    measure("warm-up", 100, 8, lambda i: session.get(url + "/").status_code)
    article = measure(
        "GET / (article, 3 forms)", 2000, 16, lambda i: session.get(url + "/").status_code
    )
    token = session.get(url + "/subscribe/form-token").json()["token"]
    run_id = uuid.uuid4().hex[:6]

    def sign_up(i: int) -> int:
        data = {
            "email": f"bench-{run_id}-{i}@example.com",
            "newsletter": ["daily", "weekly-review"],
            "form_id": "footer",
            "page": "/",
            "form_token": token,
        }
        headers = {"Origin": url, "Accept": "application/json"}
        return session.post(url + "/subscribe/", data=data, headers=headers).status_code

    signup = measure("POST /subscribe/ (2 lists)", 2000, 16, sign_up)
    checks = {
        "signup_rps": signup["rps"] >= TARGETS["signup_rps"],
        "signup_p95_ms": signup["p95"] <= TARGETS["signup_p95_ms"],
        "article_rps": article["rps"] >= TARGETS["article_rps"],
    }
    if backend != "PostgreSQL":
        print("targets apply to PostgreSQL + Redis; SQLite figures are for information")
        return 0 if not signup["errors"] and not article["errors"] else 1
    for name, ok in checks.items():
        print(f"target {name} {TARGETS[name]:g}: {'met' if ok else 'MISSED'}")
    return 0 if all(checks.values()) and not signup["errors"] and not article["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
