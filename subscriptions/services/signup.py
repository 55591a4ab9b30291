"""Sign-up and the resend of an expired confirmation: pending subscriptions, the consent shown,
and one confirmation email, in one transaction."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone, translation

from .. import dispatch, lifecycle
from ..app_settings import app_settings
from ..models import ConfirmationEmail, Consent, Newsletter, Status, Subscriber, Subscription

logger = logging.getLogger("subscriptions")


@dataclass(frozen=True)
class ConsentInput:
    page_url: str
    form_id: str
    ip_address: str | None
    user_agent: str
    wording: str
    version: str


@dataclass(frozen=True)
class SignUpResult:
    subscriber_id: int
    confirmation_email_id: int | None  # None: nothing to confirm, or within the cooldown


@transaction.atomic
def sign_up(
    *,
    email: str,
    newsletters: Sequence[Newsletter],
    consent: ConsentInput | None,
    now: datetime | None = None,
) -> SignUpResult:
    """Record a reader's sign-up and queue one confirmation email for every list it needs.

    `email` must already be normalised. The answer to the reader is the same whatever happens
    here, so that nobody learns whether an address is known.
    """
    now = now or timezone.now()
    subscriber = _locked_subscriber(email)
    if _address_capped(subscriber, now):
        return SignUpResult(subscriber.pk, None)
    # Locked, so a confirmation committing meanwhile can't be undone by this sign-up.
    existing = {
        s.newsletter_id: s
        for s in subscriber.subscriptions.select_for_update().filter(newsletter__in=newsletters)
    }
    wanted = _lists_needing_confirmation(subscriber, newsletters, existing, now)
    if not wanted:
        return SignUpResult(subscriber.pk, None)
    # None: a resend, where the consent on record still stands.
    consent_row = (
        Consent.objects.create(subscriber=subscriber, given_at=now, **vars(consent))
        if consent
        else None
    )
    subscriptions = _pending_subscriptions(subscriber, wanted, existing, consent_row, now)
    confirmation = _queue_confirmation(subscriber, subscriptions, now)
    logger.info(
        "event=confirmation.queued request=%s subscriber=%s newsletters=%s",
        confirmation.pk,
        subscriber.pk,
        ",".join(str(n.pk) for n in wanted),
    )
    return SignUpResult(subscriber.pk, confirmation.pk)


def _locked_subscriber(email: str) -> Subscriber:
    # The row lock serialises concurrent sign-ups of one address, so a double submit sees the
    # first one's confirmation email and falls inside its cooldown instead of sending twice.
    subscriber, _ = (
        Subscriber.objects.select_for_update()
        .with_email(email)
        .get_or_create(defaults={"email": email})
    )
    return subscriber


def _address_capped(subscriber: Subscriber, now: datetime) -> bool:
    # The inbox is the victim of subscription bombing, so the cap is per address, across all
    # lists and IPs, and lives in the database (under the subscriber's row lock) so that it
    # holds with any number of web processes and when Redis is down. One email counts once.
    sent = subscriber.confirmation_emails.created_since(now - timedelta(days=1)).count()
    if sent < app_settings.ADDRESS_DAILY_CAP:
        return False
    logger.info("event=signup.blocked reason=address_cap subscriber=%s", subscriber.pk)
    return True


def _lists_needing_confirmation(
    subscriber: Subscriber,
    newsletters: Sequence[Newsletter],
    existing: dict[int, Subscription],
    now: datetime,
) -> list[Newsletter]:
    """Lists not yet confirmed and not inside the cooldown of an earlier confirmation.

    Each list once, however often a (forged) form repeats it.
    """
    cooling = set(
        subscriber.subscriptions.recently_requested(
            since=now - timedelta(seconds=app_settings.CONFIRMATION_COOLDOWN)
        ).values_list("newsletter_id", flat=True)
    )
    unique = {n.pk: n for n in newsletters}.values()
    return [
        n
        for n in unique
        if n.pk not in cooling
        and (n.pk not in existing or existing[n.pk].status != Status.CONFIRMED)
    ]


def _pending_subscriptions(
    subscriber: Subscriber,
    wanted: list[Newsletter],
    existing: dict[int, Subscription],
    consent: Consent | None,
    now: datetime,
) -> list[Subscription]:
    again = [existing[n.pk] for n in wanted if n.pk in existing]
    lifecycle.transition_many(
        subscriptions=[s for s in again if s.status != Status.PENDING],
        to=Status.PENDING,
        actor=lifecycle.READER,
        now=now,
    )
    if consent is not None and again:
        Subscription.objects.filter(pk__in=[s.pk for s in again]).update(consent=consent)
    # The subscriber's row lock is held, so no concurrent sign-up can add these rows.
    new = [
        Subscription(subscriber=subscriber, newsletter=n, consent=consent)
        for n in wanted
        if n.pk not in existing
    ]
    lifecycle.transition_many(
        subscriptions=new, to=Status.PENDING, actor=lifecycle.READER, now=now
    )
    return again + new


def _queue_confirmation(
    subscriber: Subscriber, subscriptions: list[Subscription], now: datetime
) -> ConfirmationEmail:
    confirmation = ConfirmationEmail.objects.create(
        subscriber=subscriber, created_at=now, language=translation.get_language() or ""
    )
    through = ConfirmationEmail.subscriptions.through
    through.objects.bulk_create(
        through(confirmationemail=confirmation, subscription=s) for s in subscriptions
    )
    dispatch.enqueue(ConfirmationEmail.send_task, confirmation.pk)
    return confirmation


@transaction.atomic
def resend_confirmation(*, email_id: int, now: datetime | None = None) -> int | None:
    """Queue a fresh confirmation for the still-pending lists of an expired link.

    Goes through the same cooldown as a sign-up, so an old link can't be used to flood a box.
    """
    old = ConfirmationEmail.objects.filter(pk=email_id).select_related("subscriber").first()
    if old is None:
        return None
    pending = Subscription.objects.of_confirmation_email(email_id).pending().in_list_order()
    newsletters = [s.newsletter for s in pending]
    if not newsletters:
        return None
    return sign_up(
        email=old.subscriber.email, newsletters=newsletters, consent=None, now=now
    ).confirmation_email_id
