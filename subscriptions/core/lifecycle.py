"""Every status change of a subscription, and the names of who made it.

Below the flows: they call these inside their own transaction. Each change sets the status and
its timestamp and appends an Event naming the actor, so the history is never bypassed.
"""

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from ..models import Consent, Event, Newsletter, Status, Subscriber, Subscription
from . import bounces, tally

logger = logging.getLogger("subscriptions")

# Actors, as the history records them.
READER = "reader"
SYSTEM = "system"


def editor(username: str) -> str:
    return f"editor:{username}"


def provider(esp: str) -> str:
    """provider:postmark, provider:amazon_ses...: anymail's esp_name, lower case, no spaces."""
    return f"provider:{bounces.provider_slug(esp)}"


_TIMESTAMP_FIELD = {
    Status.PENDING: "pending_at",
    Status.CONFIRMED: "confirmed_at",
    Status.UNSUBSCRIBED: "unsubscribed_at",
    Status.UNDELIVERABLE: "undeliverable_at",
}


def transition(
    *, subscription: Subscription, to: Status, actor: str, detail: str = "", now: datetime
) -> None:
    """Change one subscription's status and append its Event."""
    transition_many(subscriptions=[subscription], to=to, actor=actor, detail=detail, now=now)


def transition_many(
    *,
    subscriptions: Sequence[Subscription],
    to: Status,
    actor: str,
    detail: str = "",
    now: datetime,
) -> None:
    """Move many subscriptions to one status in one UPDATE, and their Events in one INSERT.

    Rows not saved yet are created in that status (their history starts with this change).
    """
    if not subscriptions:
        return
    before = [s.status if s.pk else "" for s in subscriptions]
    values = _changes(to, detail, now)
    for subscription in subscriptions:
        for field, value in values.items():
            setattr(subscription, field, value)
    if saved := [s.pk for s in subscriptions if s.pk]:
        # Every row gets the same values: one plain UPDATE. bulk_update would build a CASE per
        # field and row, which took a third of a sign-up batch's time in the worker.
        Subscription.objects.filter(pk__in=saved).update(**values)
    if new := [s for s in subscriptions if not s.pk]:
        Subscription.objects.bulk_create(new)
    Event.objects.bulk_create(
        Event(subscription=s, from_status=b, to_status=to, at=now, actor=actor, detail=detail)
        for s, b in zip(subscriptions, before, strict=True)
    )
    tally.add(_moves(subscriptions, before, to))
    for subscription, from_status in zip(subscriptions, before, strict=True):
        _log(subscription, from_status, to, actor)


def confirm_on_consent(
    *,
    subscriber: Subscriber,
    lists: Sequence[tuple[Newsletter, Subscription | None]],
    consent: dict[str, object],
    actor: str,
    detail: str,
    now: datetime,
) -> list[Subscription]:
    """Within the caller's transaction: `subscriber` confirmed at once on each list (its row,
    or a new one), every row given the one Consent recorded from `consent`'s facts. For a
    consent that needs no email to prove it: a confirmed reader's preference center, an
    editor's note of consent given elsewhere."""
    given = Consent.objects.create(subscriber=subscriber, given_at=now, **consent)
    rows = [row or Subscription(subscriber=subscriber, newsletter=n) for n, row in lists]
    for row in rows:
        row.consent = given
    Subscription.objects.filter(pk__in=[s.pk for s in rows if s.pk]).update(consent=given)
    transition_many(subscriptions=rows, to=Status.CONFIRMED, actor=actor, detail=detail, now=now)
    return rows


def _moves(subscriptions: Sequence[Subscription], before: list[str], to: Status) -> Counter[str]:
    """The running counts these changes move: out of each old status, into the new one."""
    moves: Counter[str] = Counter()
    for subscription, old in zip(subscriptions, before, strict=True):
        if old:
            moves[tally.subscriptions(subscription.newsletter_id, old)] -= 1
        moves[tally.subscriptions(subscription.newsletter_id, to)] += 1
        if to == Status.UNSUBSCRIBED:
            moves[tally.unsubscribes(subscription.newsletter_id)] += 1
    return moves


def _changes(to: Status, detail: str, now: datetime) -> dict[str, object]:
    """The fields a move to `to` sets, the same on every row it moves."""
    values: dict[str, object] = {
        "status": to,
        "status_changed_at": now,
        _TIMESTAMP_FIELD[to]: now,
    }
    if to == Status.UNDELIVERABLE:
        values["undeliverable_reason"] = detail
    return values


def _log(subscription: Subscription, from_status: str, to: Status, actor: str) -> None:
    # logfmt, one line per state change; ids only, never the address.
    logger.info(
        "event=subscription.transition subscription=%s newsletter=%s from=%s to=%s actor=%s",
        subscription.pk,
        subscription.newsletter_id,
        from_status or "new",
        to,
        actor,
    )
