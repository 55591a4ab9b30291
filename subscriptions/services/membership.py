"""Confirming, leaving and erasure: the reader's (or an editor's) changes to what they get."""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..app_settings import app_settings
from ..core import lifecycle, tally
from ..models import (
    ConfirmationEmail,
    ErasedInbox,
    Inbox,
    ProviderEvent,
    RecordedSignUp,
    Status,
    Subscriber,
    Subscription,
    Suppression,
)
from ..privacy import erasure
from .provider_intake import apply_now
from .signup import ConsentInput, sign_up
from .signup_plan import locked_subscriber
from .welcome import queue_welcome_emails

logger = logging.getLogger("subscriptions")


@dataclass(frozen=True)
class ConfirmResult:
    confirmed: list[str]  # names of lists confirmed by this call
    already: list[str]  # names of lists that were confirmed before


@transaction.atomic
def confirm(
    *, email_id: int, actor: str = lifecycle.READER, now: datetime | None = None
) -> ConfirmResult:
    """Confirm the subscriptions one confirmation email still can (those pending since it was
    queued, not ones a later sign-up made pending again). Safe to repeat."""
    subscriber_id = ConfirmationEmail.objects.subscriber_of(email_id)
    if subscriber_id is not None:
        # Its inbox first, as a sign-up locks: the welcome emails count against the inbox's
        # daily cap, which a sign-up of another spelling decides at the same moment.
        locked_subscriber(subscriber_id)
    subscriptions = list(
        # of=self: lock these rows only, not the newsletter rows every confirmation shares.
        Subscription.objects.select_for_update(of=("self",))
        .of_confirmation_email(email_id)
        .in_list_order()
    )
    awaiting = set(
        Subscription.objects.awaiting_confirmation_email(email_id).values_list("pk", flat=True)
    )
    already = [s.newsletter.name for s in subscriptions if s.status == Status.CONFIRMED]
    pending = [s for s in subscriptions if s.pk in awaiting]
    now = now or timezone.now()
    lifecycle.transition_many(subscriptions=pending, to=Status.CONFIRMED, actor=actor, now=now)
    email = ConfirmationEmail.objects.filter(pk=email_id).select_related("subscriber").first()
    if pending and email is not None:
        # They signed up and confirmed themselves: a new consent, so an erasure of theirs no
        # longer stands in an import's way.
        _forget_erasure(inbox_key=email.subscriber.inbox_key)
        _take_language(email.subscriber, email.language, actor=actor, now=now)
    language = email.language if email is not None else ""
    queue_welcome_emails(subscriptions=pending, language=language, now=now, capped=False)
    return ConfirmResult(confirmed=[s.newsletter.name for s in pending], already=already)


@dataclass(frozen=True)
class Resubscribed:
    confirmed: bool  # subscribed again at once; False: a confirmation email is on its way
    newsletter: str


@transaction.atomic
def resubscribe(
    *, subscription_id: int, consent: ConsentInput, now: datetime | None = None
) -> Resubscribed | None:
    """ "Subscribe again" after leaving by mistake: within RESUBSCRIBE_WITHIN_DAYS the list is
    confirmed again at once (the reader's consent stands, and the Event says so); later, it
    takes a new double opt-in, as any sign-up does. None when there is nothing to undo."""
    now = now or timezone.now()
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .with_list()
        .filter(pk=subscription_id, status=Status.UNSUBSCRIBED)
        .first()
    )
    if subscription is None:
        return None
    left = subscription.unsubscribed_at or now
    name = subscription.newsletter.name
    if now - left <= timedelta(days=app_settings.RESUBSCRIBE_WITHIN_DAYS):
        lifecycle.transition(
            subscription=subscription,
            to=Status.CONFIRMED,
            actor=lifecycle.READER,
            detail="subscribed again from the unsubscribe page",
            now=now,
        )
        return Resubscribed(confirmed=True, newsletter=name)
    email = Subscriber.objects.values_list("email", flat=True).get(pk=subscription.subscriber_id)
    sign_up(email=email, newsletters=[subscription.newsletter], consent=consent, now=now)
    return Resubscribed(confirmed=False, newsletter=name)


@transaction.atomic
def unsubscribe(
    *,
    subscription_id: int,
    actor: str = lifecycle.READER,
    detail: str = "",
    now: datetime | None = None,
) -> bool:
    """Leave one list. Returns False when there was nothing to leave. Safe to repeat."""
    subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None or subscription.status == Status.UNSUBSCRIBED:
        return False
    lifecycle.transition(
        subscription=subscription,
        to=Status.UNSUBSCRIBED,
        actor=actor,
        detail=detail,
        now=now or timezone.now(),
    )
    return True


def _take_language(subscriber: Subscriber, language: str, *, actor: str, now: datetime) -> None:
    """Their own confirmation speaks for them: their emails are in the language of the
    sign-up they confirmed (a stranger's sign-up of a confirmed reader never changes it)."""
    if language and language != subscriber.language:
        subscriber.language, subscriber.changed_at, subscriber.changed_by = language, now, actor
        subscriber.save(update_fields=["language", "changed_at", "changed_by"])


def _forget_erasure(*, inbox_key: str) -> None:
    """Within the caller's transaction: the inbox is no longer one an import must refuse."""
    ErasedInbox.objects.filter(key_hash=erasure.inbox_hash(inbox_key)).delete()


@transaction.atomic
def erase_subscriber(*, subscriber_id: int, actor: str, now: datetime | None = None) -> bool:
    """Right to erasure (GDPR Art. 17): the address, its subscriptions, consents, history,
    queued emails and sign-ups not yet processed go. A log line with ids and the actor
    remains, and a keyed hash of the inbox, so that no import puts the address back on a
    list (erasure.erased_addresses); only the person's own confirmed sign-up lifts that. The
    admin log keeps its entries about them as they are: they name the subscriber and their
    rows by number, never by address (models.subscriber_label; migration 0016 rewrote the
    entries written before), so nothing there needs finding."""
    subscriber = locked_subscriber(subscriber_id)
    if subscriber is not None:
        ErasedInbox.objects.update_or_create(
            key_hash=erasure.inbox_hash(subscriber.inbox_key),
            defaults={"erased_at": now or timezone.now(), "erased_by": actor},
        )
        RecordedSignUp.objects.of_address(subscriber.email).delete()
        # What providers reported about the address goes too; a suppression of the inbox
        # stays (by its key, without the event), so it still never gets mail after a hard
        # bounce or a complaint.
        about = ProviderEvent.objects.about_address(
            inbox_key=subscriber.inbox_key, email_key=subscriber.email_key
        )
        # One still waiting for a worker is applied first: a complaint must leave its
        # suppression even when the reader is erased a second after it came.
        for waiting in about.waiting().select_for_update().order_by("pk"):
            apply_now(waiting, now or timezone.now())
        about.delete()
        _hash_suppressions(subscriber.inbox_key)
        # Their subscriptions leave the running counts with them.
        gone = subscriber.subscriptions.values_list("newsletter_id", "status")
        tally.add(Counter({tally.subscriptions(n, status): -1 for n, status in gone}))
    deleted, _ = Subscriber.objects.filter(pk=subscriber_id).delete()
    if subscriber is not None:
        Inbox.objects.unused([subscriber.inbox_key]).delete()
    if deleted:
        logger.info("event=subscriber.erased subscriber=%s actor=%s", subscriber_id, actor)
    return bool(deleted)


def _hash_suppressions(inbox_key: str) -> None:
    """Within the erasure's transaction: the inbox's suppressions, whole or of one spelling,
    stay under the keyed hashes of their keys instead of the keys, so the inbox never gets mail
    again and the table keeps no address (the lookups check both). One active suppression per
    inbox and spelling: a plain one that an earlier erasure's hashed one already covers (a
    complaint that came after it) goes."""
    hashed = erasure.inbox_hash(inbox_key)
    for row in Suppression.objects.filter(inbox_key=inbox_key):
        spelling = erasure.inbox_hash(row.address_key) if row.address_key else ""
        covered = Suppression.objects.active().filter(inbox_key=hashed, address_key=spelling)
        if row.lifted_at is None and covered.exists():
            row.delete()
            continue
        row.inbox_key, row.address_key = hashed, spelling
        row.save(update_fields=["inbox_key", "address_key"])
