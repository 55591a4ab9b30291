"""The preference center's changes: which lists a reader gets, in which language, or none.

The reader reaches it only through a link we emailed them, so a reader with a confirmed
subscription has already proved the inbox is theirs: a list they add here is confirmed at
once, with a consent of its own. A reader with no confirmed list (they left them all, or never
confirmed) gets a confirmation email instead, as any sign-up does.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from ..core import lifecycle
from ..models import (
    RECEIVING,
    Newsletter,
    Status,
    Subscriber,
    Subscription,
    Suppression,
)
from .signup import ConsentInput, sign_up
from .signup_plan import locked_subscriber
from .welcome import queue_welcome_emails

FROM_PREFERENCES = "preference center"
# The statuses a reader gets mail in (or will, once confirmed): what "subscribed" means here.


@dataclass(frozen=True)
class PreferencesSaved:
    added: list[str]  # lists confirmed at once
    to_confirm: list[str]  # lists a confirmation email asks about
    removed: list[str]
    language_changed: bool
    # Lists no confirmation email could be sent for (one was asked for within the cooldown,
    # the address's daily limit is reached, or the inbox is suppressed): not added.
    not_sent: list[str] = field(default_factory=list)


@transaction.atomic
def update_preferences(
    *,
    subscriber_id: int,
    newsletter_ids: Collection[int],
    language: str,
    consent: ConsentInput,
    now: datetime | None = None,
) -> PreferencesSaved | None:
    """Make the reader's lists the ones ticked, and their emails' language the one chosen.
    Only lists offered on public forms can be added; any list they get can be left. None
    when the subscriber is gone (erased)."""
    subscriber = locked_subscriber(subscriber_id)
    if subscriber is None:
        return None
    now = now or timezone.now()
    # The language first: a confirmation email below is written in the one just chosen.
    changed = _set_language(subscriber, language, now)
    current = _current_subscriptions(subscriber)
    # Decided before anything is left: a reader who swaps one list for another is as
    # confirmed as when they opened the page.
    confirmed = any(s.status == Status.CONFIRMED for s in current.values())
    unticked = [
        s
        for s in current.values()
        if s.status in RECEIVING and s.newsletter_id not in newsletter_ids
    ]
    removed = _leave(unticked, actor=lifecycle.READER, detail=FROM_PREFERENCES, now=now)
    added, to_confirm, not_sent = _add(
        subscriber, current, newsletter_ids, consent, now, confirmed=confirmed
    )
    return PreferencesSaved(
        added=added,
        to_confirm=to_confirm,
        removed=removed,
        language_changed=changed,
        not_sent=not_sent,
    )


@transaction.atomic
def unsubscribe_all(
    *, subscriber_id: int, actor: str = lifecycle.READER, now: datetime | None = None
) -> list[str]:
    """Leave every list at once (GDPR Art. 7(3): as easy as joining); the names of those left."""
    subscriber = locked_subscriber(subscriber_id)
    if subscriber is None:
        return []
    leaving = [s for s in _current_subscriptions(subscriber).values() if s.status in RECEIVING]
    detail = f"{FROM_PREFERENCES}: unsubscribe from all"
    return _leave(leaving, actor=actor, detail=detail, now=now or timezone.now())


def _leave(
    subscriptions: list[Subscription], *, actor: str, detail: str, now: datetime
) -> list[str]:
    """Unsubscribe these, on the record; the names of their lists."""
    lifecycle.transition_many(
        subscriptions=subscriptions, to=Status.UNSUBSCRIBED, actor=actor, detail=detail, now=now
    )
    return [s.newsletter.name for s in subscriptions]


def _current_subscriptions(subscriber: Subscriber) -> dict[int, Subscription]:
    rows = Subscription.objects.select_for_update(of=("self",)).filter(subscriber=subscriber)
    return {s.newsletter_id: s for s in rows.in_list_order()}


def _add(
    subscriber: Subscriber,
    current: dict[int, Subscription],
    newsletter_ids: Collection[int],
    consent: ConsentInput,
    now: datetime,
    *,
    confirmed: bool,
) -> tuple[list[str], list[str], list[str]]:
    """Add the ticked lists they don't get yet: confirmed at once for a confirmed reader,
    else through a confirmation email. The names of each, and of those that could not be
    added now (no confirmation email may be sent, or the inbox is suppressed)."""
    wanted = [
        n
        for n in Newsletter.objects.offered().filter(pk__in=newsletter_ids)
        if n.pk not in current or current[n.pk].status not in RECEIVING
    ]
    # A pending list they tick again stays as it is; its confirmation is on its way.
    if not wanted:
        return [], [], []
    if not confirmed:
        return _add_by_confirmation(subscriber, wanted, consent, now)
    if Suppression.objects.of_addresses([(subscriber.inbox_key, subscriber.email_key)]):
        # It bounced for good or complained: nothing would reach it, as a sign-up's wouldn't.
        return [], [], [n.name for n in wanted]
    _add_at_once(subscriber, [current.get(n.pk) for n in wanted], wanted, consent, now)
    return [n.name for n in wanted], [], []


def _add_by_confirmation(
    subscriber: Subscriber, wanted: list[Newsletter], consent: ConsentInput, now: datetime
) -> tuple[list[str], list[str], list[str]]:
    with translation.override(subscriber.language or None):
        result = sign_up(email=subscriber.email, newsletters=wanted, consent=consent, now=now)
    # The sign-up's cooldown and daily cap may send nothing, or leave some lists out.
    email_id = result.confirmation_email_id
    asked = set(
        Subscription.objects.of_confirmation_email(email_id).values_list("newsletter", flat=True)
        if email_id is not None
        else []
    )
    return (
        [],
        [n.name for n in wanted if n.pk in asked],
        [n.name for n in wanted if n.pk not in asked],
    )


def _add_at_once(
    subscriber: Subscriber,
    existing: list[Subscription | None],
    wanted: list[Newsletter],
    consent: ConsentInput,
    now: datetime,
) -> None:
    adding = lifecycle.confirm_on_consent(
        subscriber=subscriber,
        lists=list(zip(wanted, existing, strict=True)),
        consent=vars(consent),
        actor=lifecycle.READER,
        detail=f"{FROM_PREFERENCES}: added by a confirmed reader",
        now=now,
    )
    # The preference link never expires and is forwarded with list mail: held to the cap.
    queue_welcome_emails(subscriptions=adding, language=subscriber.language, now=now, capped=True)


def _set_language(subscriber: Subscriber, language: str, now: datetime) -> bool:
    if language == subscriber.language or language not in dict(settings.LANGUAGES):
        return False
    subscriber.language, subscriber.changed_at, subscriber.changed_by = (
        language,
        now,
        lifecycle.READER,
    )
    subscriber.save(update_fields=["language", "changed_at", "changed_by"])
    return True
