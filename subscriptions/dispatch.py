"""Queue a task by name, after commit: the one way the flows start work in a worker.

By name, so nothing below the entry points imports the tasks module (the tasks call the flows).
After commit, so a task never looks for a row its transaction has not committed yet. A publish
that fails (the broker is down) is logged and dropped instead of reaching the reader: the row
it was about is committed, and the outbox sweeper queues it again.
"""

import functools
import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger("subscriptions.dispatch")


def enqueue(task_name: str, *args: int) -> None:
    """Publish `task_name(*args)` when the current transaction commits (at once outside one)."""
    transaction.on_commit(functools.partial(publish, task_name, args))


def publish(task_name: str, args: tuple[int, ...]) -> bool:
    """Send one task message now; False, and a warning, if the broker can't take it."""
    try:
        if current_app.conf.task_always_eager:
            # send_task ignores eager mode; run it here, as .delay() would have.
            current_app.tasks[task_name].apply(args=args)
        else:
            current_app.send_task(task_name, args=args)
    except Exception as exc:  # kombu raises many types; the sweeper covers them all
        logger.warning(
            "event=publish.failed task=%s args=%s error=%s (the outbox sweeper will queue it)",
            task_name,
            ",".join(map(str, args)),
            type(exc).__name__,
        )
        return False
    return True
