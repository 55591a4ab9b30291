"""The Celery app. Configuration lives in settings (CELERY_* names), but for what is made from
the app's settings, which the settings module can't read (their defaults are the app's): beat's
schedule and Redis's visibility timeout, added here once Celery has read the settings. The tasks,
and the base class that decides their retries, live in the app (subscriptions/tasks.py,
delivery.py)."""

import logging
import os
from collections.abc import Sequence

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging
from django.conf import settings
from django.utils.log import configure_logging

from subscriptions.app_settings import app_settings

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


def beat_schedule() -> dict[str, dict[str, object]]:
    sweep, sign_ups = float(app_settings.OUTBOX_SWEEP_INTERVAL), app_settings.SIGNUP_SWEEP_INTERVAL
    return {
        # Wakes every kind's sender on its own queue. A sweep the next one replaces expires, so
        # a confirmation worker that was down finds one, not a pile.
        "send-due": {
            "task": "subscriptions.tasks.sweep_outbox",
            "schedule": sweep,
            "options": {"expires": sweep},
        },
        # Editors' tests whose task the broker lost (editions.tasks).
        "sweep-edition-tests": {
            "task": "editions.tasks.sweep_tests",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
        # Sending editions: a lost fixing queued again, a finished send marked sent.
        "sweep-edition-sends": {
            "task": "editions.tasks.sweep_sends",
            "schedule": sweep,
            "options": {"expires": sweep},
        },
        "drop-expired-rate-counters": {
            "task": "subscriptions.tasks.drop_expired_rate_counters",
            "schedule": 300.0,
        },
        "process-sign-ups": {
            "task": "subscriptions.tasks.process_sign_ups",
            "schedule": float(sign_ups),
        },
        "apply-provider-events": {
            "task": "subscriptions.tasks.apply_provider_events",
            "schedule": sweep,
        },
        # Daily at a quiet hour (Celery takes TIME_ZONE for it): deletes what the retention
        # settings (PENDING_RETENTION_DAYS, EVENT_RETENTION_DAYS) no longer keep.
        "apply-retention": {
            "task": "subscriptions.tasks.apply_retention",
            "schedule": crontab(hour=3, minute=30),
        },
    }


@app.on_after_configure.connect
def _add_what_the_app_settings_make(sender: Celery, **kwargs: object) -> None:
    sender.conf.beat_schedule = beat_schedule()
    if str(sender.conf.broker_url or "").startswith(("redis://", "rediss://")):
        # Must outlast the longest retry countdown: Redis re-delivers an unacked message after
        # this, and a countdown task sits unacked in the worker until its ETA.
        options = dict(sender.conf.broker_transport_options or {})
        options.setdefault("visibility_timeout", app_settings.SEND_BACKOFF_MAX * 2 + 3600)
        sender.conf.broker_transport_options = options


@setup_logging.connect
def _log_as_the_app_does(loglevel: int, **kwargs: object) -> None:
    """Celery's lines in the one format of every process (settings.LOGGING): with a receiver
    here, Celery configures no logging of its own. Its own handlers stamp each line in the
    process's local time, which Django sets to TIME_ZONE, and quote nothing."""
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    # `--loglevel` keeps its meaning for Celery's own lines; the app's follow LOG_LEVEL.
    logging.getLogger("celery").setLevel(loglevel)
