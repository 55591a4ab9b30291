"""The Celery app. Configuration lives in settings (CELERY_* names)."""

import functools
import logging
import os

from celery import Celery
from celery.contrib.django.task import DjangoTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

logger = logging.getLogger("newsroom.celery")


class OutboxTask(DjangoTask):
    """Queues work only after commit, and never lets a broker outage reach the reader.

    The row the task works on is already committed when we publish, so a failed publish loses
    nothing: the outbox sweeper finds the unsent row and queues it again.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        from django.db import transaction

        transaction.on_commit(functools.partial(self._publish_or_log, args, kwargs))

    def _publish_or_log(self, args: tuple, kwargs: dict) -> None:
        try:
            self.apply_async(args, kwargs)
        except Exception as exc:  # kombu raises many types; the sweeper covers them all
            logger.warning(
                "event=publish.failed task=%s args=%s error=%s (the outbox sweeper will queue it)",
                self.name,
                args,
                type(exc).__name__,
            )


app = Celery("newsroom", task_cls=OutboxTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs) -> None:
    # kombu's filesystem transport fails on a missing folder instead of creating it.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
