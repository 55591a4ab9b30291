"""The systemd units in deploy/systemd, run the way systemd runs them.

Each unit's ExecStart and WorkingDirectory get their specifiers expanded as systemd does, the
install paths are moved (/srv/newsroom to this checkout, /var/lib to a temporary folder, where
the unit's StateDirectory= folders are created as systemd creates them), and the test stack's
environment stands in for /etc/newsroom.env. Then the command runs, must do its job, and must
stop as `systemctl stop` stops it (KillMode=, KillSignal=, TimeoutStopSec=).

Not emulated: User= (the processes run as whoever runs the tests, so ownership isn't checked)
and cgroups (the process group stands in for the unit's control group).
"""

import functools
import os
import re
import shlex
import signal
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from kombu.simple import SimpleQueue

from newsroom.celery import app as celery_app

from .support.helpers import sign_up_over_http
from .support.stack import ROOT, Stack
from .support.wait import wait_until

pytestmark = pytest.mark.worker

T = TypeVar("T")

UNITS = ROOT / "deploy" / "systemd"
INSTALL = "/srv/newsroom"  # where the units expect the checkout, with its .venv
STATE = "/var/lib"  # where systemd creates StateDirectory= folders
ENVIRONMENT_FILE = "/etc/newsroom.env"
# The PATH systemd gives a service; nothing of this test run's own environment is passed on.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TESTED = [
    "newsroom-web.service",
    "newsroom-worker@1.service",
    "newsroom-confirmation-worker@1.service",
    "newsroom-beat.service",
]

Section = dict[str, list[str]]


def parse_unit(text: str) -> dict[str, Section]:
    """A unit file's sections, each key with all its values in order (a key may repeat).

    As systemd does: lines starting with # or ; are comments, and a line ending in a backslash
    goes on with the next one. Quoting inside values is left to the caller.
    """
    sections: dict[str, Section] = {}
    section: Section = {}
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("#", ";")) or not (line or pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            section = sections.setdefault(line[1:-1], {})
        else:
            key, equals, value = line.partition("=")
            assert equals, f"not a key=value line: {line!r}"
            section.setdefault(key.strip(), []).append(value.strip())
    return sections


def expand(value: str, instance: str | None) -> str:
    """systemd's specifiers in `value`: %i (a template's instance name) and %% (a literal %).

    Any other specifier fails the test, so that none reaches a process unexpanded.
    """
    known = {"%": "%"} | ({"i": instance} if instance is not None else {})

    def one(match: re.Match[str]) -> str:
        if match[1] not in known:
            pytest.fail(f"specifier %{match[1]} in {value!r} is not emulated here: add it")
        return known[match[1]]

    return re.sub(r"%(.?)", one, value, flags=re.DOTALL)


@dataclass
class Running:
    name: str  # its log is <name>.log in the stack's folder
    proc: subprocess.Popen
    argv: list[str]
    service: Section


def unit_command(unit: str, state: Path) -> tuple[list[str], Path, Section]:
    """What systemd would run for `unit` ("name@instance.service" for a template's instance):
    the command line, the working directory, and the unit's [Service] section."""
    prefix, at, rest = unit.partition("@")
    instance, _, suffix = rest.rpartition(".") if at else ("", "", "")
    path = UNITS / (f"{prefix}@.{suffix}" if at else unit)
    service = parse_unit(path.read_text())["Service"]
    assert service.get("EnvironmentFile") == [ENVIRONMENT_FILE]  # replaced by the stack's
    [exec_start] = service["ExecStart"]
    [workdir] = service["WorkingDirectory"]
    # Not emulated: $VARIABLE substitution and the "-", "@", ":", "+", "!" prefixes.
    assert not re.search(r"^[-@:+!]|\$", exec_start), f"not emulated here: {exec_start}"
    for name in " ".join(service.get("StateDirectory", [])).split():
        (state / name).mkdir(parents=True)
    moves = {INSTALL: ROOT, STATE: state}

    def local(word: str) -> str:
        word = expand(word, instance if at else None)
        for there, here in moves.items():
            if word == there or word.startswith(there + "/"):
                return str(here) + word[len(there) :]
        assert not word.startswith("/"), f"{word} is outside {' and '.join(moves)}: add it"
        return word

    # systemd splits the line into words (quoting as in a shell), then expands each word.
    return [local(word) for word in shlex.split(exec_start)], Path(local(workdir)), service


def start(stack: Stack, unit: str) -> Running:
    state = stack.workdir / "var-lib"
    state.mkdir(exist_ok=True)
    argv, cwd, service = unit_command(unit, state)
    if "--bind" in argv:  # the web unit: a free port in place of its own
        host, _, _ = argv[argv.index("--bind") + 1].rpartition(":")
        argv[argv.index("--bind") + 1] = f"{host}:{stack.port}"
    # systemd sets PATH, and HOME for a service with User=; gunicorn puts a control socket there.
    env = {"PATH": SYSTEMD_PATH, "HOME": str(stack.workdir), **stack.app_env}
    del env["DJANGO_SETTINGS_MODULE"]  # not in the environment file: the code sets the default
    name = unit.removeprefix("newsroom-").removesuffix(".service").partition("@")[0]
    with open(stack.workdir / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    stack.procs[name] = proc  # the make_stack fixture kills its process group at the end
    return Running(name, proc, argv, service)


def wait_running(
    stack: Stack, unit: Running, predicate: Callable[[], T | None], what: str, timeout: float = 60
) -> T:
    """wait_until, failing at once if the unit's process exits; a failure shows its log."""

    def check() -> T | None:
        if unit.proc.poll() is not None:
            raise AssertionError(f"{unit.name} exited with status {unit.proc.returncode}")
        return predicate()

    try:
        return wait_until(check, timeout, interval=0.2, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- {unit.name} log ---\n{stack.log(unit.name)}") from None


def stop_as_systemd(stack: Stack, unit: Running) -> None:
    """`systemctl stop`: KillSignal= to the whole control group (the default KillMode), or only
    to the main process with KillMode=mixed; SIGKILL to what is left after TimeoutStopSec=. A
    unit whose main process doesn't exit by then fails."""
    [mode] = unit.service.get("KillMode", ["control-group"])
    sig = signal.Signals[unit.service.get("KillSignal", ["SIGTERM"])[-1]]
    timeout = unit.service.get("TimeoutStopSec", ["90"])[-1]  # systemd's default, in seconds
    assert timeout.isdigit(), f"TimeoutStopSec={timeout}: only plain seconds are emulated"
    if mode == "control-group":
        os.killpg(unit.proc.pid, sig)
    else:
        assert mode == "mixed", f"KillMode={mode} is not emulated"
        unit.proc.send_signal(sig)
    try:
        unit.proc.wait(timeout=int(timeout))
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"{unit.name} still runs {timeout}s after {sig.name} (KillMode={mode}): systemd "
            f"would SIGKILL it\n--- {unit.name} log ---\n{stack.log(unit.name)}"
        )


def healthy(url: str) -> requests.Response | None:
    try:
        answer = requests.get(url + "/healthz", timeout=5)
    except requests.RequestException:
        return None
    return answer if answer.status_code == 200 else None


def queued_task(stack: Stack) -> str | None:
    """The name of a task waiting in the stack's default queue, taken off the queue."""
    with stack.publisher().connection_for_read() as conn, SimpleQueue(conn, "default") as queue:
        try:
            message = queue.get(timeout=1)
        except queue.Empty:
            return None
        message.ack()
        return message.headers["task"]


def test_every_unit_is_tested():
    units = {re.sub(r"@[^.]+\.", "@.", unit) for unit in TESTED}
    assert units == {path.name for path in UNITS.glob("*.service")}


def test_the_parser_and_specifiers_behave_as_systemd():
    unit = parse_unit("# c\n[Service]\nExecStart=/a \\\n  b\nEnvironment=A=1\nEnvironment=B=2\n")
    assert unit == {"Service": {"ExecStart": ["/a  b"], "Environment": ["A=1", "B=2"]}}
    assert expand("worker%i@%%h", "1") == "worker1@%h"  # what Celery then expands itself
    for unknown in ("%H", "%h", "100%"):
        with pytest.raises(pytest.fail.Exception):
            expand(unknown, "1")
    with pytest.raises(pytest.fail.Exception):
        expand("%i", None)  # not a template


def test_web_unit_serves_the_health_check(make_stack):
    stack = make_stack()
    web = start(stack, "newsroom-web.service")
    answer = wait_running(stack, web, lambda: healthy(stack.url), "/healthz to answer 200")
    assert answer.json() == {"database": "ok", "broker": "ok"}
    stop_as_systemd(stack, web)


def test_confirmation_worker_unit_sends_a_confirmation_and_finishes_it_when_stopped(
    make_stack, fake_postmark
):
    stack = make_stack()
    # The two worker units side by side, as installed: the confirmation takes its own.
    worker = start(stack, "newsroom-worker@1.service")
    confirmations = start(stack, "newsroom-confirmation-worker@1.service")
    web = start(stack, "newsroom-web.service")
    for unit, prefix in ((worker, "worker1"), (confirmations, "confirmations1")):
        node = f"{prefix}@{socket.gethostname()}"  # from --hostname, as Celery prints it
        log = unit.name
        wait_running(stack, unit, functools.partial(_logged, stack, log, node), node)
    wait_running(stack, web, lambda: healthy(stack.url), "the web unit")

    fake_postmark.faults.latency = 3  # the provider call is under way when systemd stops it
    assert sign_up_over_http(stack.url, "unit@example.com").json()["ok"]
    wait_running(stack, confirmations, lambda: fake_postmark.calls, "a call to the provider")
    stop_as_systemd(stack, confirmations)
    # A warm shutdown: the call was answered, not cut off (the fake accepts only then).
    assert [message["To"] for message in fake_postmark.accepted] == ["unit@example.com"]
    sent_it = "event=outbox.send_due kind=confirmation taken=1"
    assert sent_it in stack.log("confirmation-worker")
    assert "event=outbox.send_due" not in stack.log("worker")  # it took none of it
    stop_as_systemd(stack, worker)


def _logged(stack: Stack, name: str, text: str) -> bool:
    return text in stack.log(name)


def test_beat_unit_keeps_its_schedule_and_sends_due_tasks(make_stack):
    stack = make_stack()
    beat = start(stack, "newsroom-beat.service")
    task = wait_running(stack, beat, lambda: queued_task(stack), "beat to send a due task")
    assert task in {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    schedule = Path(beat.argv[beat.argv.index("--schedule") + 1])
    assert list(schedule.parent.glob(schedule.name + "*"))  # the shelve files
    assert "celery beat" in stack.log("beat")  # its banner
    stop_as_systemd(stack, beat)
