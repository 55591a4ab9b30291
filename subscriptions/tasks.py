"""Celery tasks. They take ids, stay thin, and are idempotent: the outbox claim in
services.claim_confirmation makes a redelivered or duplicated task a no-op."""

import logging
import random
from datetime import timedelta

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from celery import shared_task
from django.conf import settings
from django.utils import timezone, translation

from . import emails, services
from .models import ConfirmationRequest

logger = logging.getLogger("subscriptions.tasks")


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter, so retries after an outage don't arrive in lockstep."""
    ceiling = min(settings.SEND_BACKOFF_MAX, settings.SEND_BACKOFF_BASE * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_confirmation(self, request_id: int) -> str:
    if not services.claim_confirmation(request_id=request_id):
        return "not claimable"  # sent, closed, gone, or held by another delivery
    request = ConfirmationRequest.objects.select_related("subscriber").get(pk=request_id)
    subscriptions = list(
        request.subscriptions.pending()
        .select_related("newsletter")
        .order_by("newsletter__sort_order")
    )
    if not subscriptions:
        services.record_skipped(request_id=request_id)
        return "nothing to confirm"
    if _past_retry_window(request):
        return _give_up(request, services.SYSTEM, request.last_error)
    _log("attempt", request)
    try:
        # In the reader's language, not the worker's.
        with translation.override(request.language or settings.LANGUAGE_CODE):
            message = emails.confirmation_message(request, subscriptions)
        message_id = emails.send(message)
    except AnymailError as exc:
        return _handle_provider_error(self, request, exc)
    services.record_sent(request_id=request_id, message_id=message_id)
    _log("sent", request)
    return "sent"


def _log(outcome: str, request: ConfirmationRequest, level: int = logging.INFO, **extra) -> None:
    # logfmt, one line per send attempt and outcome: ids and numbers, never the address.
    fields = "".join(f" {key}={value}" for key, value in extra.items())
    logger.log(
        level,
        "event=confirmation.%s request=%s attempt=%s%s",
        outcome,
        request.pk,
        request.attempts,
        fields,
    )


def _give_up(request: ConfirmationRequest, actor: str, reason: str) -> str:
    _log("gave_up", request, logging.WARNING)
    services.record_undeliverable(request_id=request.pk, actor=actor, reason=f"gave up: {reason}")
    return "gave up"


def _past_retry_window(request: ConfirmationRequest) -> bool:
    window = timedelta(seconds=settings.SEND_RETRY_WINDOW)
    return (
        request.first_attempt_at is not None and timezone.now() - request.first_attempt_at > window
    )


def _handle_provider_error(task, request: ConfirmationRequest, exc: AnymailError) -> str:
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]
    actor = f"provider:{emails.provider_name(exc)}"
    status = getattr(exc, "status_code", None) or "none"
    if isinstance(exc, AnymailRecipientsRefused):
        _log("refused", request, logging.WARNING, status=status, error=type(exc).__name__)
        services.record_undeliverable(request_id=request.pk, actor=actor, reason=reason)
        return "refused"
    if not emails.is_transient(exc):
        # Our fault, not the reader's (a bad API token, an unsupported feature): never
        # retried by itself; `manage.py requeue_confirmations` sends them once it's fixed.
        _log("failed", request, logging.ERROR, status=status, error=type(exc).__name__)
        services.record_failed(request_id=request.pk, reason=reason)
        return "failed"
    if _past_retry_window(request):
        return _give_up(request, actor, reason)
    countdown = backoff(request.attempts)
    _log("retry", request, logging.WARNING, status=status, retry_in=f"{countdown:.1f}")
    services.record_retry(request_id=request.pk, countdown=countdown, error=reason)
    raise task.retry(countdown=countdown, exc=exc)


@shared_task
def sweep_outbox() -> int:
    """Re-queue confirmations the broker lost (down at sign-up, or a worker died mid-send)."""
    due = list(
        ConfirmationRequest.objects.due_for_dispatch(
            now=timezone.now(), grace=settings.OUTBOX_GRACE, requeue_after=settings.SEND_LEASE
        ).values_list("pk", flat=True)[:1000]
    )
    if not due:
        return 0
    # Recorded first: a row is queued again at most once per lease, however long the backlog.
    services.mark_requeued(request_ids=due)
    for request_id in due:
        send_confirmation.delay(request_id)
    logger.info("event=outbox.sweep requeued=%s", len(due))
    return len(due)
