"""The outbox's flows: claim a row for sending, record how the send ended, queue again what
the broker lost. The same for every kind of queued email (models.OutboxItem); what a refusal
means is particular to a kind, which its declaration says (kinds.Kind.refused)."""

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from ..app_settings import app_settings
from ..core import dispatch, kinds, lifecycle, tally
from ..models import ConfirmationEmail, OutboxItem, OutboxState, Status, Subscription
from ..sending import outbox

logger = logging.getLogger("subscriptions")

# Sends every kind's due rows in turn, in one task: kept for messages queued before each kind
# had a queue of its own, and for operators.
SEND_DUE_TASK = "subscriptions.tasks.send_due"
# Sends one kind's due rows (its argument, the kind's metric_kind, is also the queue it goes to:
# newsroom/celery.py): woken after rows of that kind are queued, at a retry's time, and by beat.
SEND_DUE_OF_TASK = "subscriptions.tasks.send_due_of"


_Item = TypeVar("_Item", bound=OutboxItem)


def queue(kind: type[_Item], rows: Iterable[_Item]) -> list[_Item]:
    """Within the caller's transaction: store new rows of one kind, count them queued, and
    wake that kind's sender once they are committed. Every kind is queued through here."""
    items = kind.objects.bulk_create(rows)
    if items:
        _count(kind, "queued", len(items))
        dispatch.wake(SEND_DUE_OF_TASK, kind.metric_kind, within=app_settings.SEND_WAKE_WITHIN)
    return items


def queued_in_bulk(*, kind: type[OutboxItem], queued: int, skipped: int = 0) -> None:
    """Within the caller's transaction: count rows the caller wrote with SQL of its own (an
    edition's recipients, an INSERT … SELECT of thousands): `queued` to send and `skipped`
    closed at once, every one counted queued as recount_tallies counts them; and wake the
    kind's sender once they are committed, as queue() does for the rows it writes."""
    _count(kind, "queued", queued + skipped)
    if skipped:
        _count(kind, "skipped", skipped)
    if queued:
        dispatch.wake(SEND_DUE_OF_TASK, kind.metric_kind, within=app_settings.SEND_WAKE_WITHIN)


def claim(*, kind: type[OutboxItem], item_id: int, now: datetime | None = None) -> bool:
    """Take one queued row for sending; False if someone else holds it (or it is done)."""
    return outbox.claim(kind, item_id, now or timezone.now())


@transaction.atomic
def record_sent(
    *, kind: type[OutboxItem], item_id: int, message_id: str, now: datetime | None = None
) -> None:
    outbox.record_sent(kind, item_id, message_id, now or timezone.now())
    _count(kind, "sent")


@transaction.atomic
def record_skipped(*, kind: type[OutboxItem], item_id: int, now: datetime | None = None) -> None:
    """Nothing left to send (confirmed or left meanwhile): close the row without sending."""
    outbox.close(kind, item_id, OutboxState.SKIPPED, "", now or timezone.now())
    _count(kind, "skipped")


@transaction.atomic
def record_suppressed(
    *, kind: type[OutboxItem], item_id: int, now: datetime | None = None
) -> None:
    """The inbox bounced for good, complained or kept bouncing: close the row unsent, apart
    from the ones nobody needed any more, so operators can tell the two."""
    outbox.close(kind, item_id, OutboxState.SUPPRESSED, "", now or timezone.now())
    _count(kind, "suppressed")


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
    _count(kind, "retried")


@transaction.atomic
def record_failed(
    *, kind: type[OutboxItem], item_id: int, reason: str, now: datetime | None = None
) -> None:
    """Our side is at fault (bad provider token, unsupported feature): not the reader's.

    The row closes as failed and what it was for stays as it is; once the configuration is
    fixed, requeue_failed_confirmations sends confirmation emails again.
    """
    outbox.close(kind, item_id, OutboxState.FAILED, reason, now or timezone.now())
    _count(kind, "failed")


@transaction.atomic
def record_refused(
    *,
    kind: type[OutboxItem],
    item_id: int,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> None:
    """The provider refused a row's address, or we gave up on it: close the row as refused
    (not failed: the alert on failures means our configuration), and make what it was for
    undeliverable with the reason, so editors see why. What it was for is the kind's to say
    (kinds.Kind.refused): a confirmation's lists, a welcome's subscription, nothing for a
    data export."""
    now = now or timezone.now()
    refused = kinds.of(kind).refused(kind.objects.get(pk=item_id))
    outbox.close(kind, item_id, OutboxState.REFUSED, reason, now)
    _count(kind, "refused")
    locked = list(refused.select_for_update(of=("self",)))
    lifecycle.transition_many(
        subscriptions=locked, to=Status.UNDELIVERABLE, actor=actor, detail=reason, now=now
    )


@transaction.atomic
def requeue_failed_confirmations(*, since: datetime) -> list[int]:
    """Reopen failed confirmation emails created after `since` that still have something to
    confirm, and queue them. For operators, after fixing the provider configuration."""
    ids = list(
        ConfirmationEmail.objects.failed_with_pending(since=since).values_list("pk", flat=True)
    )
    outbox.reopen(ConfirmationEmail, ids)
    _count(ConfirmationEmail, "requeued", len(ids))
    if ids:
        dispatch.enqueue(SEND_DUE_OF_TASK, ConfirmationEmail.metric_kind)
    return ids


@transaction.atomic
def claim_due(*, kind: type[OutboxItem], limit: int, now: datetime | None = None) -> list[int]:
    """Take up to `limit` queued rows nobody holds, oldest first: what a sender sends next."""
    return outbox.claim_due(kind, now or timezone.now(), limit)


@transaction.atomic
def record_sent_many(
    *, kind: type[OutboxItem], message_ids: dict[int, str], now: datetime | None = None
) -> None:
    """Close the rows the provider accepted, with its message id for each, in one UPDATE.

    Until this commits, a row the provider already kept is still claimed, not sent: a sender
    that dies first leaves it to be sent again once the claim lapses (at least once;
    docs/architecture.md "Delivery guarantee")."""
    if message_ids:
        outbox.record_sent_many(kind, message_ids, now or timezone.now())
        _count(kind, "sent", len(message_ids))


def _count(kind: type[OutboxItem], outcome: str, n: int = 1) -> None:
    tally.add({tally.emails(kind.metric_kind, outcome): n})


@transaction.atomic
def recount_tallies() -> dict[str, int]:
    """Count the running counts again from the rows (after a restore, or hand edits in the
    database). Statuses are counted as they stand; emails by how their sending ended."""
    counts: Counter[str] = Counter()
    for (newsletter_id, status), n in Subscription.objects.count_by_list_and_status().items():
        counts[tally.subscriptions(newsletter_id, status)] = n
    for declared in kinds.declared():
        kind, model = declared.name, declared.model
        for state, n in model.objects.count_by_state().items():
            counts[tally.emails(kind, "queued")] += n  # every email was queued once
            if state != OutboxState.QUEUED:
                counts[tally.emails(kind, state)] = n  # sent, failed, refused, skipped...
    tally.replace_subscriptions_and_emails(counts)
    return dict(counts)
