"""Real processes for end-to-end tests: gunicorn, celery worker and beat, as operators run them.

They run the production settings module against the test database, with the broker given by
REDIS_URL (a per-test key prefix keeps runs apart on a shared Redis) or, without it, kombu's
filesystem transport in a private folder.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from celery import Celery
from django.db import connection

from .wait import wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI") == "true"
# The queues of the two workers `make run` and the systemd units start (docs/operations.md
# "Workers").
CONFIRMATION_QUEUES = "confirmation"
GENERAL_QUEUES = "welcome,data_export,edition,default,email"
EVERY_QUEUE = f"{CONFIRMATION_QUEUES},{GENERAL_QUEUES}"


def require_binary(name: str) -> str:
    """The path of a system binary a test needs; skip without it, except in CI."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required in CI")
        pytest.skip(f"{name} is not installed")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


class Stack:
    def __init__(self, workdir: Path, static_root: Path, email_api_url: str, **env: str):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        # Like supervisord in `make run` and Restart=always in production: whatever exits is
        # started again (a Celery worker may exit when its broker disappears).
        self.supervised: dict[str, list[str]] = {}
        self.restarts: dict[str, int] = {}
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._supervise, daemon=True)
        # What an operator's environment file would hold (the systemd units' EnvironmentFile);
        # the processes started here also inherit this test run's own environment.
        self.app_env = {
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "0",
            "SECRET_KEY": "tests-only-not-secret",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SITE_URL": self.url,
            "VAR_DIR": str(workdir),
            "STATIC_ROOT": str(static_root),
            "DATABASE_URL": subprocess_database_url(),
            "DB_CONN_MAX_AGE": "0",
            "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "fake-token",
            "ANYMAIL_WEBHOOK_SECRET": "anymail:webhook-secret",
            "ERASURE_HASH_KEY": "tests-only-erasure-key",
            "ANYMAIL_POSTMARK_API_URL": email_api_url,
            "DEFAULT_FROM_EMAIL": "Newsroom <newsletters@example.com>",
            "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
            # Every request here comes from 127.0.0.1; per-IP limits have their own tests.
            "SIGNUP_IP_LIMITS": "100000/minute",
            "SEND_BACKOFF_BASE": "1",
            "SEND_BACKOFF_MAX": "2",
            **({"REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else {}),
            **env,
        }
        self.env = {**os.environ, **self.app_env}

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def start_web(self, workers: int = 2, *options: str) -> str:
        """gunicorn as the systemd unit starts it, with these options added (`make run` adds
        "--access-logfile", "-")."""
        self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "newsroom.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                *options,
            ],
        )

        def serving() -> bool:
            try:
                return requests.get(self.url + "/", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        try:
            wait_until(serving, timeout=30, interval=0.2, what="gunicorn to serve the article")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its log:\n{self.log('web')}") from None
        return self.url

    def start_worker(
        self, name: str = "worker", concurrency: int = 2, queues: str = EVERY_QUEUE
    ) -> subprocess.Popen:
        """A worker on `queues`: by default one that takes every queue (a test that kills
        "the worker" kills all of the sending); GENERAL_QUEUES and CONFIRMATION_QUEUES are the
        two workers of `make run` and the systemd units."""
        args = [
            "worker",
            "-Q",
            queues,
            "--pool",
            "threads",  # as make run and the systemd units run it
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        return self._supervised_spawn(name, args)

    def start_beat(self) -> subprocess.Popen:
        return self._supervised_spawn("beat", ["beat", "--schedule", str(self.workdir / "beat")])

    def _supervised_spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        args = [str(BIN / "celery"), "-A", "newsroom", *args, "--loglevel", "INFO"]
        self.supervised[name] = args
        proc = self._spawn(name, args)
        if not self._watcher.is_alive():
            self._watcher.start()
        return proc

    def _supervise(self) -> None:
        while not self._stopping.wait(0.3):
            for name, args in list(self.supervised.items()):
                proc = self.procs.get(name)
                if proc is None or proc.poll() is None or self._stopping.is_set():
                    continue
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self._spawn(name, args)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill a process group; a supervised one is started again, as in production."""
        proc = self.procs[name]
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def wait_restarted(self, name: str, timeout: float = 30, *, after: int = 0) -> None:
        """Wait until `name` has been restarted more than `after` times (a stack shared by
        several tests counts every restart since it started)."""
        wait_until(
            lambda: self.restarts.get(name, 0) > after, timeout, what=f"{name} to be restarted"
        )

    def retire(self, name: str) -> None:
        """Stop one process for good (no restart), as an operator scaling down would."""
        self.supervised.pop(name, None)
        proc = self.procs.pop(name)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def publisher(self):
        """A Celery client on this stack's broker, to deliver tasks by hand."""
        client = Celery("test-publisher", set_as_current=False)
        if self.env.get("REDIS_URL"):
            client.conf.update(
                broker_url=self.env["REDIS_URL"],
                broker_transport_options={"global_keyprefix": self.env["REDIS_KEY_PREFIX"]},
            )
        else:
            folder = str(self.workdir / "broker" / "queue")
            control = str(self.workdir / "broker" / "control")
            # As newsroom/celery.py does: kombu fails on a missing folder instead of creating it.
            for path in (folder, control):
                os.makedirs(path, exist_ok=True)
            client.conf.update(broker_url="filesystem://")
            client.conf.broker_transport_options = {
                "data_folder_in": folder,
                "data_folder_out": folder,
                "control_folder": control,
            }
        return client

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join(timeout=5)
        for name in list(self.procs):
            proc = self.procs.pop(name)
            try:
                # TERM to the main process only: signalling a worker's whole group at once can
                # leave celery's main process hung in its warm shutdown.
                proc.terminate()
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever children are left
            proc.wait(timeout=10)
