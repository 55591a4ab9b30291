"""The base of every Celery task that sends one outbox row, and the rules that decide retries.

A task built on OutboxTask takes a row id and calls `deliver`. It claims the row (a redelivered
or duplicated task then finds nothing to do), composes the message in the reader's language,
sends it, and records the outcome through the flows. Transient provider errors (5xx, 429, no
answer) are retried with exponential backoff and jitter for SEND_RETRY_WINDOW; a refused
address and our own misconfiguration are never retried.
"""

import logging
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from anymail.message import AnymailMessage
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.utils import timezone, translation

from . import dispatch, emails, lifecycle, services
from .app_settings import app_settings
from .models import OutboxItem

logger = logging.getLogger("subscriptions.tasks")

# Builds the message for a claimed row; None when nothing is left to send.
Compose = Callable[[Any], AnymailMessage | None]
# What a refusal of the address means for the kind: (row id, actor, reason).
Refuse = Callable[[int, str, str], None]


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter, so retries after an outage don't arrive in lockstep."""
    base, cap = app_settings.SEND_BACKOFF_BASE, app_settings.SEND_BACKOFF_MAX
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


class OutboxTask(DjangoTask):
    # Late acks + reject_on_worker_lost: a worker killed mid-send leaves the message on the
    # broker for another worker; the claim stops that redelivery from sending twice.
    acks_late = True
    reject_on_worker_lost = True
    max_retries = None  # the retry window decides, not a count
    log_event = "outbox"  # log lines read event=<log_event>.<outcome>
    # A task that sends several rows hands a row's retry to the kind's single-row task instead
    # of retrying itself, which would send the whole batch again.
    retries_itself = True

    def deliver(
        self, kind: type[OutboxItem], item_id: int, compose: Compose, refuse: Refuse
    ) -> str:
        if not services.claim(kind=kind, item_id=item_id):
            return "not claimable"  # sent, closed, gone, or held by another delivery
        item = kind.objects.get(pk=item_id)
        # In the reader's language, not the worker's.
        with translation.override(item.language or settings.LANGUAGE_CODE):
            message = compose(item)
        if message is None:
            services.record_skipped(kind=kind, item_id=item_id)
            return "nothing to send"
        if _past_retry_window(item):
            return self._give_up(item, refuse, lifecycle.SYSTEM, item.last_error)
        self._log("attempt", item)
        try:
            message_id = emails.send(message)
        except AnymailError as exc:
            return self._provider_error(item, exc, refuse)
        services.record_sent(kind=kind, item_id=item_id, message_id=message_id)
        self._log("sent", item)
        return "sent"

    def _provider_error(self, item: OutboxItem, exc: AnymailError, refuse: Refuse) -> str:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]
        actor = lifecycle.provider(emails.provider_name(exc))
        status = getattr(exc, "status_code", None) or "none"
        if isinstance(exc, AnymailRecipientsRefused):
            self._log("refused", item, logging.WARNING, status=status, error=type(exc).__name__)
            refuse(item.pk, actor, reason)
            return "refused"
        if not emails.is_transient(exc):
            # Our fault, not the reader's (a bad API token, an unsupported feature): never
            # retried by itself; `manage.py requeue_confirmations` sends them once it's fixed.
            self._log("failed", item, logging.ERROR, status=status, error=type(exc).__name__)
            services.record_failed(kind=type(item), item_id=item.pk, reason=reason)
            return "failed"
        if _past_retry_window(item):
            return self._give_up(item, refuse, actor, reason)
        countdown = backoff(item.attempts)
        self._log("retry", item, logging.WARNING, status=status, retry_in=f"{countdown:.1f}")
        services.record_retry(kind=type(item), item_id=item.pk, countdown=countdown, error=reason)
        if self.retries_itself:
            raise self.retry(countdown=countdown, exc=exc)
        # If this publish fails too, the claim lapses after the countdown and the sweeper
        # queues the row.
        dispatch.publish(item.send_task, (item.pk,), countdown=countdown)
        return "retry"

    def _give_up(self, item: OutboxItem, refuse: Refuse, actor: str, reason: str) -> str:
        self._log("gave_up", item, logging.WARNING)
        refuse(item.pk, actor, f"gave up: {reason}")
        return "gave up"

    def _log(
        self, outcome: str, item: OutboxItem, level: int = logging.INFO, **extra: Any
    ) -> None:
        # logfmt, one line per send attempt and outcome: ids and numbers, never the address.
        fields = "".join(f" {key}={value}" for key, value in extra.items())
        logger.log(
            level,
            "event=%s.%s id=%s attempt=%s%s",
            self.log_event,
            outcome,
            item.pk,
            item.attempts,
            fields,
        )


def _past_retry_window(item: OutboxItem) -> bool:
    window = timedelta(seconds=app_settings.SEND_RETRY_WINDOW)
    return item.first_attempt_at is not None and timezone.now() - item.first_attempt_at > window
