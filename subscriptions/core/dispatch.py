"""Queue a task by name, after commit: the one way the flows start work in a worker.

By name, so nothing below the entry points imports the tasks module (the tasks call the flows).
After commit, so a task never looks for a row its transaction has not committed yet. A publish
that fails (the broker is down) is logged and dropped instead of reaching the reader: the row
it was about is committed, and a sweeper queues it again.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger("subscriptions.dispatch")

# (task name, args) -> when this process last published that wake-up: each kind's sender is
# woken on its own, so a wake-up of one kind never stands in for another's.
_woken: dict[tuple[str, tuple[int | str, ...]], float] = {}
_woken_lock = threading.Lock()


def enqueue(task_name: str, *args: int | str) -> None:
    """Publish `task_name(*args)` when the current transaction commits (at once outside one)."""
    transaction.on_commit(functools.partial(publish, task_name, args))


def wake(task_name: str, *args: int | str, within: float) -> None:
    """Have `task_name(*args)` run within `within` seconds, with at most one publish per
    `within` seconds from this process, however many requests ask.

    Each wake-up is published to run `within` seconds later, so the task also sees every row
    committed by the requests that skipped their own publish meanwhile: those come after the
    publish, and before the task runs.
    """
    transaction.on_commit(functools.partial(_wake_now, task_name, args, within))


def _wake_now(task_name: str, args: tuple[int | str, ...], within: float) -> None:
    now, key = time.monotonic(), (task_name, args)
    with _woken_lock:
        if now - _woken.get(key, -within) < within:
            return
        _woken[key] = now
    if not publish(task_name, args, countdown=within):
        with _woken_lock:
            _woken.pop(key, None)  # the next request tries again


def drain(step: Callable[[], int], *, task_name: str, budget: float) -> int:
    """Run `step` (one batch; how many rows it took) until it takes none; the total.

    Past `budget` seconds it queues `task_name` for the rest and stops, so a drain under
    sustained traffic stays inside the task's time limit.
    """
    taken, started = 0, time.monotonic()
    while batch := step():
        taken += batch
        if time.monotonic() - started > budget:
            enqueue(task_name)
            break
    return taken


# (task name, args) -> its lock (held while this process runs it) and whether a wake-up asked
# for it meanwhile.
_alone: dict[tuple[str, tuple[int | str, ...]], tuple[threading.Lock, threading.Event]] = {}


def run_alone(
    task_name: str,
    args: tuple[int | str, ...],
    run: Callable[[], int],
    *,
    budget: float = 20.0,
) -> int:
    """Run a wake-up's `run` (a drain: how many rows it took), one at a time per process.

    Every web process wakes the task a few times a second, and each wake-up ran its own drain
    beside the others: many small batches fighting over one CPU and one GIL, where their
    fixed cost (some 20 queries a batch) was most of a sign-up's. Now a wake-up that finds the
    drain running here leaves a note and returns; the running drain takes another turn
    once it is done, so it sees every row committed before the note. No pause before that
    turn: the wake-up waited out its countdown, which gathered its rows, before it ran; and the
    longer a turn takes, the more rows the next one takes at once. Past `budget` seconds it
    queues the task for what is left, inside the time limit.
    """
    with _woken_lock:
        lock, asked = _alone.setdefault((task_name, args), (threading.Lock(), threading.Event()))
    asked.set()
    taken, started, over = 0, time.monotonic(), False
    # The outer loop: a note left just as the drain let go of the lock is not missed.
    while not over and asked.is_set() and lock.acquire(blocking=False):
        try:
            while asked.is_set() and not over:
                over = time.monotonic() - started > budget
                if not over:
                    asked.clear()
                    taken += run()
        finally:
            lock.release()
    if over:
        # Queued once the lock is let go: a follow-up that reached another thread of this
        # process while the lock was still held would leave its note and return, and no one
        # would take the turn it asked for.
        enqueue(task_name, *args)
    return taken


def forget_wake_ups() -> None:
    """As a new process starts (tests): the next wake-up of each task is published."""
    with _woken_lock:
        _woken.clear()


def publish(task_name: str, args: tuple[Any, ...], *, countdown: float | None = None) -> bool:
    """Send one task message now; False, and a warning, if the broker can't take it."""
    try:
        if current_app.conf.task_always_eager:
            # send_task ignores eager mode; run it here, as .delay() would have.
            current_app.tasks[task_name].apply(args=args)
        else:
            current_app.send_task(task_name, args=args, countdown=countdown)
    except Exception as exc:  # kombu raises many types; the sweepers cover them all
        logger.warning(
            "event=publish.failed task=%s args=%s error=%s (a sweeper will queue it)",
            task_name,
            ",".join(map(str, args)),
            type(exc).__name__,
        )
        return False
    return True
