"""The Celery app. Configuration lives in settings (CELERY_* names); the tasks, and the base
class that decides their retries, live in the app (subscriptions/tasks.py, delivery.py)."""

import logging
import os
from collections.abc import Sequence

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings
from django.utils.log import configure_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

# DjangoTask (Celery's own) gives every task delay_on_commit; by name, so this module imports
# nothing of Django's before the settings are configured.
app = Celery("newsroom", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def route_by_kind(name: str, args: Sequence[object], *_: object, **__: object) -> dict | None:
    """A kind's sender goes to the queue named by its kind (settings.CELERY_TASK_ROUTES), so
    the kind another app declares gets a queue of its own without a route written here."""
    if name == "subscriptions.tasks.send_due_of" and args:
        return {"queue": str(args[0])}
    return None


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport fails on a missing folder instead of creating it.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@setup_logging.connect
def _log_as_the_app_does(loglevel: int, **kwargs: object) -> None:
    """Celery's lines in the one format of every process (settings.LOGGING): with a receiver
    here, Celery configures no logging of its own. Its own handlers stamp each line in the
    process's local time, which Django sets to TIME_ZONE, and quote nothing."""
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    # `--loglevel` keeps its meaning for Celery's own lines; the app's follow LOG_LEVEL.
    logging.getLogger("celery").setLevel(loglevel)
