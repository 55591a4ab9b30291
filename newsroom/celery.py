"""The Celery app. Configuration lives in settings (CELERY_* names); the tasks, and the base
class that decides their retries, live in the app (subscriptions/tasks.py, delivery.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

# DjangoTask (Celery's own) gives every task delay_on_commit; by name, so this module imports
# nothing of Django's before the settings are configured.
app = Celery("newsroom", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport fails on a missing folder instead of creating it.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
