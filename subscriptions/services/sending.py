"""The outbox's flows: claim a row for sending, record how the send ended, queue again what
the broker lost. The same for every kind of queued email (models.OutboxItem); what a refusal
means is particular to a kind, so each kind has its own flow for that."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .. import dispatch, lifecycle, outbox
from ..models import ConfirmationEmail, OutboxItem, OutboxState, Status, Subscription

logger = logging.getLogger("subscriptions")

SWEEP_BATCH = 1000  # per kind and sweep; the next sweep takes the rest


def claim(*, kind: type[OutboxItem], item_id: int, now: datetime | None = None) -> bool:
    """Take one queued row for sending; False if someone else holds it (or it is done)."""
    return outbox.claim(kind, item_id, now or timezone.now())


@transaction.atomic
def record_sent(
    *, kind: type[OutboxItem], item_id: int, message_id: str, now: datetime | None = None
) -> None:
    outbox.record_sent(kind, item_id, message_id, now or timezone.now())


@transaction.atomic
def record_skipped(*, kind: type[OutboxItem], item_id: int, now: datetime | None = None) -> None:
    """Nothing left to send (confirmed or left meanwhile): close the row without sending."""
    outbox.close(kind, item_id, OutboxState.SKIPPED, "", now or timezone.now())


@transaction.atomic
def record_retry(
    *,
    kind: type[OutboxItem],
    item_id: int,
    countdown: float,
    error: str,
    now: datetime | None = None,
) -> None:
    """A transient provider error: hold the claim through the backoff before the retry."""
    until = (now or timezone.now()) + timedelta(seconds=countdown)
    outbox.hold_for_retry(kind, item_id, until, error)


@transaction.atomic
def record_failed(
    *, kind: type[OutboxItem], item_id: int, reason: str, now: datetime | None = None
) -> None:
    """Our side is at fault (bad provider token, unsupported feature): not the reader's.

    The row closes as failed and what it was for stays as it is; once the configuration is
    fixed, requeue_failed_confirmations sends confirmation emails again.
    """
    outbox.close(kind, item_id, OutboxState.FAILED, reason, now or timezone.now())


@transaction.atomic
def record_undeliverable(
    *, email_id: int, actor: str, reason: str, now: datetime | None = None
) -> None:
    """The provider refused a confirmation email's address, or we gave up on it: close the
    row, and mark its lists undeliverable so editors see why.

    Subscriptions a newer confirmation email also covers are left to that email.
    """
    now = now or timezone.now()
    confirmation = ConfirmationEmail.objects.get(pk=email_id)
    outbox.close(ConfirmationEmail, email_id, OutboxState.FAILED, reason, now)
    refused = (
        Subscription.objects.select_for_update(of=("self",))
        .of_confirmation_email(email_id)
        .pending()
        .not_asked_since(confirmation.created_at)
    )
    lifecycle.transition_many(
        subscriptions=list(refused), to=Status.UNDELIVERABLE, actor=actor, detail=reason, now=now
    )


@transaction.atomic
def requeue_failed_confirmations(*, since: datetime) -> list[int]:
    """Reopen failed confirmation emails created after `since` that still have something to
    confirm, and queue them. For operators, after fixing the provider configuration."""
    ids = list(
        ConfirmationEmail.objects.failed_with_pending(since=since).values_list("pk", flat=True)
    )
    outbox.reopen(ConfirmationEmail, ids)
    for email_id in ids:
        dispatch.enqueue(ConfirmationEmail.send_task, email_id)
    return ids


def sweep_outbox(*, now: datetime | None = None) -> int:
    """Queue again every kind's rows the broker lost (down at sign-up, or a worker died
    mid-send). Returns how many it queued."""
    now = now or timezone.now()
    queued = 0
    for kind in outbox.kinds():
        with transaction.atomic():
            due = outbox.take_due(kind, now, SWEEP_BATCH)
            for item_id in due:
                dispatch.enqueue(kind.send_task, item_id)
        queued += len(due)
    if queued:
        logger.info("event=outbox.sweep requeued=%s", queued)
    return queued
