"""The decisions of a batch of sign-ups: who is over the daily cap, which lists are cooling
down or already confirmed, and what to write. Read in a few set-based queries under the
subscribers' row locks; decided in order in memory, so two sign-ups of one address in a batch
see each other as they would one after the other."""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from django.db.models import Count

from ..app_settings import app_settings
from ..models import ConfirmationEmail, Consent, Newsletter, Status, Subscriber, Subscription

logger = logging.getLogger("subscriptions")

Key = tuple[int, int]  # (subscriber id, newsletter id)


class Entry(Protocol):
    @property
    def newsletter_ids(self) -> Sequence[int]: ...


def locked_subscribers(emails: Sequence[str]) -> dict[str, Subscriber]:
    """The subscriber of each address, created where missing, every row locked.

    Inserted in one sorted order, so two workers inserting the same new addresses wait for
    each other instead of deadlocking. The match is the database's own LOWER() (the one its
    unique index uses); an address typed in another case than the stored one is looked up on
    its own.
    """
    unique = sorted(set(emails), key=str.lower)
    Subscriber.objects.bulk_create((Subscriber(email=e) for e in unique), ignore_conflicts=True)
    rows = Subscriber.objects.select_for_update().filter(
        email__lower__in=[e.lower() for e in unique]
    )
    found = {row.email: row for row in rows.order_by("pk")}
    return {
        e: found.get(e) or Subscriber.objects.select_for_update().with_email(e).get()
        for e in unique
    }


@dataclass
class State:
    sent_today: Counter[int]  # confirmation emails per subscriber in the last 24 h
    existing: dict[Key, Subscription]
    cooling: set[Key]  # lists asked for within the cooldown
    lists: set[int]  # the lists that still exist and are active


def load_state(subscribers: list[Subscriber], entries: Sequence[Entry], now: datetime) -> State:
    ids = [s.pk for s in subscribers]
    sent = (
        ConfirmationEmail.objects.filter(subscriber__in=ids)
        .created_since(now - timedelta(days=1))
        .values_list("subscriber")
        .annotate(n=Count("pk"))
    )
    # Locked, so a confirmation committing meanwhile can't be undone by this sign-up.
    existing = Subscription.objects.select_for_update(of=("self",)).filter(subscriber__in=ids)
    cooling = (
        Subscription.objects.filter(subscriber__in=ids)
        .recently_requested(since=now - timedelta(seconds=app_settings.CONFIRMATION_COOLDOWN))
        .values_list("subscriber", "newsletter")
    )
    wanted = {n for e in entries for n in e.newsletter_ids}
    return State(
        sent_today=Counter(dict(sent)),
        existing={(s.subscriber_id, s.newsletter_id): s for s in existing},
        cooling=set(cooling),
        lists=set(
            Newsletter.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
        ),
    )


@dataclass
class Planned:
    subscriber: Subscriber
    email: ConfirmationEmail | None = None  # None: nothing to send for this sign-up
    lists: list[Subscription] = field(default_factory=list)


class Plan:
    def __init__(self, state: State, now: datetime) -> None:
        self.state, self.now = state, now
        self.to_pending: list[Subscription] = []  # status changes, and new rows
        self.consent_changed: list[Subscription] = []  # saved rows given a new consent

    def decide(
        self, subscriber: Subscriber, newsletter_ids: Sequence[int], language: str
    ) -> Planned:
        if self.state.sent_today[subscriber.pk] >= app_settings.ADDRESS_DAILY_CAP:
            # The inbox is the victim of subscription bombing: the cap is per address, across
            # all lists and IPs, and one email counts once however many lists it names.
            logger.info("event=signup.blocked reason=address_cap subscriber=%s", subscriber.pk)
            return Planned(subscriber)
        # Each list once, however often a (forged) form repeats it.
        keys = [(subscriber.pk, n) for n in dict.fromkeys(newsletter_ids)]
        lists = [self._pending(k) for k in keys if self._needs_confirmation(k)]
        if not lists:
            return Planned(subscriber)
        self.state.sent_today[subscriber.pk] += 1
        if app_settings.CONFIRMATION_COOLDOWN > 0:
            self.state.cooling.update((subscriber.pk, s.newsletter_id) for s in lists)
        email = ConfirmationEmail(subscriber=subscriber, created_at=self.now, language=language)
        return Planned(subscriber, email, lists)

    def give_consent(self, planned: Planned, consent: Consent) -> None:
        for subscription in planned.lists:
            subscription.consent = consent
            if subscription.pk:
                self.consent_changed.append(subscription)

    def _needs_confirmation(self, key: Key) -> bool:
        if key[1] not in self.state.lists or key in self.state.cooling:
            return False
        known = self.state.existing.get(key)
        return known is None or known.status != Status.CONFIRMED

    def _pending(self, key: Key) -> Subscription:
        """The subscription of `key`, pending once this batch is written."""
        subscription = self.state.existing.get(key)
        if subscription is None:
            subscription = Subscription(subscriber_id=key[0], newsletter_id=key[1])
            self.state.existing[key] = subscription
            self.to_pending.append(subscription)
        elif subscription.status != Status.PENDING and subscription not in self.to_pending:
            self.to_pending.append(subscription)
        return subscription
