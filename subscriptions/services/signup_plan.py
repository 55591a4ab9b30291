"""The decisions of a batch of sign-ups: which inboxes are over the daily cap, which lists are
cooling down or already confirmed, and what to write. Read in a few set-based queries under
the inboxes' and subscribers' row locks; decided in order in memory, so two sign-ups of one
inbox in a batch see each other as they would one after the other."""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ..app_settings import app_settings
from ..core import lifecycle
from ..guards.validation import address_key, inbox_key
from ..models import (
    ConfirmationEmail,
    Consent,
    Inbox,
    Newsletter,
    Status,
    Subscriber,
    Subscription,
    Suppression,
    emails_per_inbox,
)

logger = logging.getLogger("subscriptions")

Key = tuple[int, int]  # (subscriber id, newsletter id)


class Entry(Protocol):
    @property
    def newsletter_ids(self) -> Sequence[int]: ...


def locked_subscriber(subscriber_id: int) -> Subscriber | None:
    """One existing subscriber, locked as a sign-up locks: the inbox first, then the
    subscriber, so a flow changing them (preferences, erasure) and a sign-up of the address
    wait for each other instead of deadlocking."""
    key = Subscriber.objects.filter(pk=subscriber_id).values_list("inbox_key", flat=True).first()
    if key is None:
        return None
    list(Inbox.objects.select_for_update().filter(key=key))
    return Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()


def locked_subscribers(emails: Sequence[str]) -> dict[str, Subscriber]:
    """The subscriber of each address, created where missing, every row locked.

    First the inboxes the addresses reach are locked (created where missing): two sign-ups of
    two spellings of one inbox (`victim+1@`, `vic.tim@gmail.com`) are separate subscribers,
    and only a lock on their shared inbox makes the second wait for the first's cap and
    cooldown. Rows are inserted and locked in sorted order, so two workers wait for each other
    instead of deadlocking.
    """
    keys = {e: address_key(e) for e in emails}
    inboxes = sorted({inbox_key(e) for e in emails})
    Inbox.objects.bulk_create((Inbox(key=k) for k in inboxes), ignore_conflicts=True)
    list(Inbox.objects.select_for_update().filter(key__in=inboxes).order_by("key"))
    # A new subscriber is stored as the batch's first spelling of the address, as if the
    # sign-ups had come one after the other.
    first_spelling: dict[str, str] = {}
    for e, key in keys.items():
        first_spelling.setdefault(key, e)
    Subscriber.objects.bulk_create(
        (
            Subscriber(email=e, email_key=key, inbox_key=inbox_key(e))
            for key, e in sorted(first_spelling.items())
        ),
        ignore_conflicts=True,
    )
    rows = Subscriber.objects.select_for_update().filter(email_key__in=set(keys.values()))
    by_key = {row.email_key: row for row in rows.order_by("pk")}
    return {e: by_key[key] for e, key in keys.items()}


@dataclass
class State:
    sent_today: Counter[str]  # confirmation and welcome emails per inbox key in the last 24 h
    existing: dict[Key, Subscription]
    cooling: set[tuple[str, int]]  # (inbox key, list) asked for within the cooldown
    lists: set[int]  # the lists that still exist and are active
    suppressed: set[tuple[str, str]]  # (inbox, address) keys that bounced for good or complained


def load_state(subscribers: list[Subscriber], entries: Sequence[Entry], now: datetime) -> State:
    ids = [s.pk for s in subscribers]
    # Counted per inbox, over every spelling of it: the inbox is what a bomber floods.
    inboxes = {s.inbox_key for s in subscribers}
    # Locked, so a confirmation committing meanwhile can't be undone by this sign-up.
    existing = Subscription.objects.select_for_update(of=("self",)).filter(subscriber__in=ids)
    cooling = (
        Subscription.objects.filter(subscriber__inbox_key__in=inboxes)
        .recently_requested(since=now - timedelta(seconds=app_settings.CONFIRMATION_COOLDOWN))
        .values_list("subscriber__inbox_key", "newsletter")
    )
    wanted = {n for e in entries for n in e.newsletter_ids}
    return State(
        # Welcome emails count too: a preference link re-adding lists mustn't flood the inbox.
        sent_today=emails_per_inbox(inboxes, since=now - timedelta(days=1)),
        existing={(s.subscriber_id, s.newsletter_id): s for s in existing},
        cooling=set(cooling),
        lists=set(
            Newsletter.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
        ),
        suppressed=Suppression.objects.of_addresses(
            (s.inbox_key, s.email_key) for s in subscribers
        ),
    )


@dataclass
class Planned:
    subscriber: Subscriber
    email: ConfirmationEmail | None = None  # None: nothing to send for this sign-up
    lists: list[Subscription] = field(default_factory=list)


class Plan:
    def __init__(self, state: State, now: datetime, *, actor: str = lifecycle.READER) -> None:
        self.state, self.now, self.actor = state, now, actor
        self.to_pending: list[Subscription] = []  # status changes, and new rows
        self.consent_changed: list[Subscription] = []  # saved rows given a new consent
        self.language_changed: dict[int, Subscriber] = {}  # by id
        # Anyone may type an address into a form: a sign-up speaks for the reader's language
        # only until they have confirmed a list; then only their own confirmation or their
        # preference center does.
        self.confirmed_readers = {
            s.subscriber_id for s in state.existing.values() if s.status == Status.CONFIRMED
        }

    def decide(
        self, subscriber: Subscriber, newsletter_ids: Sequence[int], language: str
    ) -> Planned:
        inbox = subscriber.inbox_key
        if (inbox, subscriber.email_key) in self.state.suppressed:
            # The normal answer was given; nothing is written to an inbox that bounced for
            # good or complained.
            logger.info("event=signup.blocked reason=suppressed subscriber=%s", subscriber.pk)
            return Planned(subscriber)
        if self.state.sent_today[inbox] >= app_settings.ADDRESS_DAILY_CAP:
            # The inbox is the victim of subscription bombing: the cap is per inbox, across
            # all its spellings, lists and IPs, and one email counts once however many lists
            # it names.
            logger.info("event=signup.blocked reason=address_cap subscriber=%s", subscriber.pk)
            return Planned(subscriber)
        self._remember_language(subscriber, language)
        # Each list once, however often a (forged) form repeats it.
        keys = [(subscriber.pk, n) for n in dict.fromkeys(newsletter_ids)]
        lists = [self._pending(k) for k in keys if self._needs_confirmation(k, inbox)]
        if not lists:
            return Planned(subscriber)
        self.state.sent_today[inbox] += 1
        if app_settings.CONFIRMATION_COOLDOWN > 0:
            self.state.cooling.update((inbox, s.newsletter_id) for s in lists)
        email = ConfirmationEmail(subscriber=subscriber, created_at=self.now, language=language)
        return Planned(subscriber, email, lists)

    def _remember_language(self, subscriber: Subscriber, language: str) -> None:
        """A new or pending subscriber's emails are in the language of their latest sign-up."""
        if not language or subscriber.pk in self.confirmed_readers:
            return
        if subscriber.language != language:
            subscriber.language, subscriber.changed_at = language, self.now
            subscriber.changed_by = self.actor
            self.language_changed[subscriber.pk] = subscriber

    def give_consent(self, planned: Planned, consent: Consent) -> None:
        for subscription in planned.lists:
            subscription.consent = consent
            if subscription.pk:
                self.consent_changed.append(subscription)

    def _needs_confirmation(self, key: Key, inbox: str) -> bool:
        if key[1] not in self.state.lists or (inbox, key[1]) in self.state.cooling:
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
