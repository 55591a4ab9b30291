"""Retention: once a day (tasks.apply_retention), what nobody needs any more is deleted.

- A subscription still pending PENDING_RETENTION_DAYS after its sign-up, with no confirmation
  email asking for it since, was never confirmed: it goes, with its history and its place in
  confirmation emails, and leaves the running counts as an erased subscriber's subscriptions
  do, so /metrics stays right.
- Then a subscriber with no subscription at all goes, with their consents and emails, and
  their inbox row when no other spelling of the address shares it; the admin log keeps its
  entries about them, which name them by number, never by address (models.subscriber_label).
- Provider events received EVENT_RETENTION_DAYS ago go. The suppressions they caused stay
  (Suppression.event is SET_NULL), and so do their running counts in Tally, which the
  complaint rate is computed from.
- Recorded sign-ups: none. A worker deletes each one in the transaction that processes it
  (services/intake.py), so every row still in the table is waiting for a worker, due or
  backing off after a failure; none is finished. The count stays in the result and the log
  line so an operator sees that this was looked at.

Unlike the other flows this is not one transaction: it deletes in chunks of RETENTION_BATCH,
each in its own, so a backlog of a million rows never holds a lock for long, and a run cut off
halfway keeps what it did (the next one carries on).
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from ..app_settings import app_settings
from ..core import lifecycle, tally
from ..models import Inbox, ProviderEvent, Status, Subscriber, Subscription

logger = logging.getLogger("subscriptions")

RETENTION_BATCH = 1000

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class RetentionResult:
    """How many rows of each kind one run deleted."""

    pending: int  # pending subscriptions
    subscribers: int  # subscribers left with no subscription
    recorded_sign_ups: int  # always 0: processing deletes them (see above)
    provider_events: int


def apply_retention(*, now: datetime | None = None) -> RetentionResult:
    """Delete what the retention settings no longer keep. Safe to repeat, and to run while
    readers sign up: nothing a sign-up or a confirmation is changing is deleted."""
    now = now or timezone.now()
    # Never sooner than the limits other rules read these rows within: a confirmation link
    # must find its subscriptions, and the soft-bounce count its events.
    pending_before = now - max(
        timedelta(days=app_settings.PENDING_RETENTION_DAYS),
        timedelta(seconds=app_settings.CONFIRMATION_MAX_AGE),
    )
    events_before = now - max(
        timedelta(days=app_settings.EVENT_RETENTION_DAYS),
        timedelta(seconds=app_settings.SOFT_BOUNCE_WINDOW),
    )
    result = RetentionResult(
        pending=_in_chunks(_old_pending(pending_before), _delete_pending),
        subscribers=_in_chunks(_left_with_nothing(pending_before), _delete_subscribers),
        recorded_sign_ups=0,
        provider_events=_in_chunks(_old_events(events_before), _delete_events),
    )
    logger.info(
        "event=retention.applied pending=%s subscribers=%s recorded_sign_ups=%s "
        "provider_events=%s actor=%s",
        result.pending,
        result.subscribers,
        result.recorded_sign_ups,
        result.provider_events,
        lifecycle.SYSTEM,
    )
    return result


def _in_chunks(rows: QuerySet[_M], delete: Callable[[QuerySet[_M]], int]) -> int:
    """Walk `rows` by primary key, RETENTION_BATCH at a time, each chunk deleted by `delete`
    in its own transaction. `delete` gets the chunk with `rows`' conditions, to check them
    again under its locks; a row it leaves is not looked at again in this run."""
    deleted, after = 0, 0
    while ids := list(
        rows.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:RETENTION_BATCH]
    ):
        with transaction.atomic():
            deleted += delete(rows.filter(pk__in=ids))
        after = ids[-1]
    return deleted


def _old_pending(before: datetime) -> QuerySet[Subscription]:
    # pending_at is null on rows made pending before the column was kept: their sign-up is
    # when they were created. A sign-up again to a list still pending leaves pending_at as it
    # was and sends a new confirmation email, whose link must find the subscription.
    since = Q(pending_at__lt=before) | Q(pending_at__isnull=True, created_at__lt=before)
    return Subscription.objects.pending().filter(since).not_asked_since(before)


def _delete_pending(chunk: QuerySet[Subscription]) -> int:
    # Locked, then the conditions checked again in a statement of their own, which sees what
    # committed while the rows were being locked (a sign-up again, its new email). Rows a
    # sign-up or a confirmation holds right now are skipped, not waited for: they are being
    # changed, and the next run sees how that ended.
    locked = set(chunk.select_for_update(skip_locked=True).values_list("pk", flat=True))
    gone = [(pk, n) for pk, n in chunk.values_list("pk", "newsletter_id") if pk in locked]
    Subscription.objects.filter(pk__in=[pk for pk, _ in gone]).delete()
    counts = Counter(tally.subscriptions(n, Status.PENDING.value) for _, n in gone)
    tally.add({key: -n for key, n in counts.items()})
    return len(gone)


def _left_with_nothing(before: datetime) -> QuerySet[Subscriber]:
    # Only those created before the pending cutoff: every subscriber the step above empties
    # is, and one an editor has just added gets time to be given a list.
    any_subscription = Exists(Subscription.objects.filter(subscriber=OuterRef("pk")))
    return Subscriber.objects.filter(created_at__lt=before).exclude(any_subscription)


def _delete_subscribers(chunk: QuerySet[Subscriber]) -> int:
    # Locked in the order sign-ups lock (signup_plan.locked_subscribers): the inboxes by key,
    # then their subscribers. A sign-up of one of these addresses either commits first, and
    # the check below sees its subscription, or waits for this transaction and then creates
    # the subscriber afresh: it is never lost.
    keys = sorted(set(chunk.values_list("inbox_key", flat=True)))
    list(Inbox.objects.select_for_update().filter(key__in=keys).order_by("key"))
    locked = set(chunk.select_for_update().order_by("pk").values_list("pk", flat=True))
    # Checked again in a statement of its own, which sees whatever committed while this one
    # waited for the locks.
    gone = {pk: key for pk, key in chunk.values_list("pk", "inbox_key") if pk in locked}
    Subscriber.objects.filter(pk__in=list(gone)).delete()
    # The inbox row names the address too; as erasure does, it goes unless another spelling
    # of the address still needs it.
    Inbox.objects.unused(set(gone.values())).delete()
    return len(gone)


def _old_events(before: datetime) -> QuerySet[ProviderEvent]:
    # Only applied ones: an event still waiting (set aside after a failure) is kept until a
    # worker applies it, so no suppression it carries is lost.
    return ProviderEvent.objects.filter(received_at__lt=before, applied_at__isnull=False)


def _delete_events(chunk: QuerySet[ProviderEvent]) -> int:
    # Their counts in Tally stay: those are totals over all time, not a view of these rows.
    _, deleted = chunk.delete()
    return deleted.get(ProviderEvent._meta.label, 0)
