"""`make run` keeps its processes alive: supervisord restarts a worker that dies, and the new
worker sends the email. (A Celery worker can exit when its broker vanishes.)"""

import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from .support.helpers import sign_up_over_http
from .support.stack import BIN, ROOT, free_port, subprocess_database_url
from .support.wait import wait_until

pytestmark = pytest.mark.worker

SLOW = {"timeout": 60, "interval": 0.2}  # processes start slowly; /proc is read at each try


def children(pid: int) -> dict[int, str]:
    """Direct children of a process, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            if entry.name.isdigit() and int(stat.rpartition(")")[2].split()[1]) == pid:
                found[int(entry.name)] = (entry / "cmdline").read_text().replace("\0", " ")
        except (OSError, ValueError, IndexError):
            continue
    return found


def worker_pid(supervisor: int) -> int | None:
    """The confirmations' worker: the one that sends a sign-up's confirmation."""
    found = children(supervisor).items()
    return next((p for p, cmd in found if " worker -Q confirmation " in cmd), None)


def test_supervisor_restarts_a_killed_worker_which_then_sends(
    transactional_db, newsletters, tmp_path, static_root
):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "PORT": str(port),
        "DATABASE_URL": subprocess_database_url(),
        "SECRET_KEY": "tests-only-not-secret",
        "REDIS_KEY_PREFIX": f"sup-{port}:",
        "EMAIL_BACKEND": "newsroom.devmail.EmailBackend",
        "ANYMAIL_WEBHOOK_SECRET": "dev:tests-only-webhook-secret",  # make run's
    }
    with open(tmp_path / "supervisor.out", "wb") as out:
        supervisor = subprocess.Popen(
            [str(BIN / "supervisord"), "-c", "deploy/supervisord.conf"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        first = wait_until(lambda: worker_pid(supervisor.pid), **SLOW, what="a worker")
        os.kill(first, signal.SIGKILL)
        second = wait_until(
            lambda: (p := worker_pid(supervisor.pid)) and p != first and p,
            **SLOW,
            what="a new worker after the kill",
        )
        assert second != first
        wait_until(lambda: _up(url), **SLOW, what="the web server's health check")
        answer = sign_up_over_http(url, "after@example.com", timeout=10)
        assert answer.json()["ok"]
        mail = wait_until(
            lambda: list((tmp_path / "mail").glob("*.eml")), **SLOW, what="the confirmation"
        )
        assert "after@example.com" in mail[0].read_text()
        started = set(children(supervisor.pid))
        assert len(started) == 4  # web, the two workers, beat
    finally:
        supervisor.send_signal(signal.SIGINT)  # Ctrl-C: supervisord stops every child
        supervisor.wait(timeout=60)
    assert not [pid for pid in started if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
