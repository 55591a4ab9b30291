"""The only functions that write. Each is keyword-only and runs in one transaction.

Views, admin actions and tasks call these; these queue work with `delay_on_commit`, so a task
never sees a row its transaction has not committed yet.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone, translation

from .models import (
    ConfirmationRequest,
    Consent,
    Event,
    Newsletter,
    OutboxState,
    Status,
    Subscriber,
    Subscription,
)

logger = logging.getLogger("subscriptions")

READER = "reader"
SYSTEM = "system"

_TIMESTAMP_FIELD = {
    Status.PENDING: "pending_at",
    Status.CONFIRMED: "confirmed_at",
    Status.UNSUBSCRIBED: "unsubscribed_at",
    Status.UNDELIVERABLE: "undeliverable_at",
}


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
    confirmation_request_id: int | None  # None: nothing to confirm, or within the cooldown


def transition(
    *, subscription: Subscription, to: str, actor: str, detail: str = "", now: datetime
) -> None:
    """Change one subscription's status and append its Event. Call inside a transaction."""
    from_status = subscription.status if subscription.pk else ""
    subscription.status = to
    subscription.status_changed_at = now
    setattr(subscription, _TIMESTAMP_FIELD[Status(to)], now)
    if to == Status.UNDELIVERABLE:
        subscription.undeliverable_reason = detail
    subscription.save()
    Event.objects.create(
        subscription=subscription,
        from_status=from_status,
        to_status=to,
        at=now,
        actor=actor,
        detail=detail,
    )
    _log_transition(subscription, from_status, to, actor)


def _log_transition(subscription: Subscription, from_status: str, to: str, actor: str) -> None:
    # logfmt, one line per state change; ids only, never the address.
    logger.info(
        "event=subscription.transition subscription=%s newsletter=%s from=%s to=%s actor=%s",
        subscription.pk,
        subscription.newsletter_id,
        from_status or "new",
        to,
        actor,
    )


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
    consent_row = consent and Consent.objects.create(
        subscriber=subscriber, given_at=now, **vars(consent)
    )
    subscriptions = _pending_subscriptions(subscriber, wanted, existing, consent_row, now)
    request = ConfirmationRequest.objects.create(
        subscriber=subscriber, created_at=now, language=translation.get_language() or ""
    )
    ConfirmationRequest.subscriptions.through.objects.bulk_create(
        ConfirmationRequest.subscriptions.through(confirmationrequest=request, subscription=sub)
        for sub in subscriptions
    )
    logger.info(
        "event=confirmation.queued request=%s subscriber=%s newsletters=%s",
        request.pk,
        subscriber.pk,
        ",".join(str(n.pk) for n in wanted),
    )
    from .tasks import send_confirmation

    send_confirmation.delay_on_commit(request.pk)
    return SignUpResult(subscriber.pk, request.pk)


def _locked_subscriber(email: str) -> Subscriber:
    # The row lock serialises concurrent sign-ups of one address, so a double submit sees the
    # first one's confirmation request and falls inside its cooldown instead of sending twice.
    # LOWER() on both sides, so the comparison is the database's own, the same function its
    # unique index uses (Python's str.lower differs for non-ASCII on SQLite).
    subscriber, _ = Subscriber.objects.select_for_update().get_or_create(
        email__lower=Lower(Value(email)), defaults={"email": email}
    )
    return subscriber


def _address_capped(subscriber: Subscriber, now: datetime) -> bool:
    # The inbox is the victim of subscription bombing, so the cap is per address, across all
    # lists and IPs, and lives in the database (under the subscriber's row lock) so that it
    # holds with any number of web processes and when Redis is down. One email counts once.
    sent = subscriber.confirmation_requests.created_since(now - timedelta(days=1)).count()
    if sent < settings.ADDRESS_DAILY_CAP:
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
            since=now - timedelta(seconds=settings.CONFIRMATION_COOLDOWN)
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
    for subscription in again:
        if subscription.status != Status.PENDING:
            transition(subscription=subscription, to=Status.PENDING, actor=READER, now=now)
    if consent is not None and again:
        Subscription.objects.filter(pk__in=[s.pk for s in again]).update(consent=consent)
    # The subscriber's row lock is held, so no concurrent sign-up can add these rows.
    fields = {"status": Status.PENDING, "status_changed_at": now, "pending_at": now}
    new = Subscription.objects.bulk_create(
        Subscription(subscriber=subscriber, newsletter=n, consent=consent, **fields)
        for n in wanted
        if n.pk not in existing
    )
    Event.objects.bulk_create(
        Event(subscription=s, to_status=Status.PENDING, at=now, actor=READER) for s in new
    )
    for subscription in new:
        _log_transition(subscription, "", Status.PENDING, READER)
    return again + new


@dataclass(frozen=True)
class ConfirmResult:
    confirmed: list[str]  # names of lists confirmed by this call
    already: list[str]  # names of lists that were confirmed before


@transaction.atomic
def confirm(*, request_id: int, actor: str = READER, now: datetime | None = None) -> ConfirmResult:
    """Confirm every still-pending subscription of one confirmation email. Safe to repeat."""
    now = now or timezone.now()
    subscriptions = (
        # of=self: lock these rows only, not the newsletter rows every confirmation shares.
        Subscription.objects.select_for_update(of=("self",))
        .select_related("newsletter")
        .filter(confirmation_requests=request_id)
        .order_by("newsletter__sort_order", "pk")
    )
    confirmed, already = [], []
    for subscription in subscriptions:
        if subscription.status == Status.PENDING:
            transition(subscription=subscription, to=Status.CONFIRMED, actor=actor, now=now)
            confirmed.append(subscription.newsletter.name)
        elif subscription.status == Status.CONFIRMED:
            already.append(subscription.newsletter.name)
    return ConfirmResult(confirmed, already)


@transaction.atomic
def resend_confirmation(*, request_id: int, now: datetime | None = None) -> int | None:
    """Queue a fresh confirmation for the still-pending lists of an expired link.

    Goes through the same cooldown as a sign-up, so an old link can't be used to flood a box.
    """
    now = now or timezone.now()
    old = ConfirmationRequest.objects.filter(pk=request_id).select_related("subscriber").first()
    if old is None:
        return None
    newsletters = [s.newsletter for s in old.subscriptions.pending().select_related("newsletter")]
    if not newsletters:
        return None
    return sign_up(
        email=old.subscriber.email, newsletters=newsletters, consent=None, now=now
    ).confirmation_request_id


@transaction.atomic
def unsubscribe(
    *, subscription_id: int, actor: str = READER, detail: str = "", now: datetime | None = None
) -> bool:
    """Leave one list. Returns False when there was nothing to leave. Safe to repeat."""
    now = now or timezone.now()
    subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None or subscription.status == Status.UNSUBSCRIBED:
        return False
    transition(
        subscription=subscription, to=Status.UNSUBSCRIBED, actor=actor, detail=detail, now=now
    )
    return True


@transaction.atomic
def erase_subscriber(*, subscriber_id: int, actor: str) -> bool:
    """Right to erasure (GDPR Art. 17): the address, its subscriptions, consents, history and
    queued emails go. Only a log line with ids and the actor remains."""
    deleted, _ = Subscriber.objects.filter(pk=subscriber_id).delete()
    if deleted:
        logger.info("event=subscriber.erased subscriber=%s actor=%s", subscriber_id, actor)
    return bool(deleted)


# --- Outbox ------------------------------------------------------------------------------------


def claim_confirmation(*, request_id: int, now: datetime | None = None) -> bool:
    """Atomically take one queued confirmation for sending; False if someone else holds it.

    A single conditional UPDATE, so two deliveries of one task, or a task and the sweeper, can't
    both win. The claim lapses after SEND_LEASE, so a worker that died releases it by itself.
    """
    now = now or timezone.now()
    claimed = (
        ConfirmationRequest.objects.filter(pk=request_id, state=OutboxState.QUEUED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(
            claimed_until=now + timedelta(seconds=settings.SEND_LEASE),
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
        )
    )
    return claimed == 1


@transaction.atomic
def record_sent(*, request_id: int, message_id: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    ConfirmationRequest.objects.filter(pk=request_id).update(
        state=OutboxState.SENT, closed_at=now, claimed_until=None, message_id=message_id[:200]
    )


@transaction.atomic
def record_skipped(*, request_id: int, now: datetime | None = None) -> None:
    """Nothing left to confirm (confirmed or left meanwhile): close the row without sending."""
    _close(request_id, OutboxState.SKIPPED, "", now or timezone.now())


@transaction.atomic
def record_retry(
    *, request_id: int, countdown: float, error: str, now: datetime | None = None
) -> None:
    """Hold the claim through the backoff, so the sweeper leaves the row to the retry."""
    now = now or timezone.now()
    ConfirmationRequest.objects.filter(pk=request_id).update(
        claimed_until=now + timedelta(seconds=countdown), last_error=error[:2000]
    )


@transaction.atomic
def record_undeliverable(
    *, request_id: int, actor: str, reason: str, now: datetime | None = None
) -> None:
    """The provider refused the address, or we gave up: close the row, and tell editors why.

    Subscriptions a newer confirmation email also covers are left to that email.
    """
    now = now or timezone.now()
    request = ConfirmationRequest.objects.get(pk=request_id)
    _close(request_id, OutboxState.FAILED, reason, now)
    for subscription in (
        Subscription.objects.select_for_update(of=("self",))
        .filter(confirmation_requests=request_id, status=Status.PENDING)
        .exclude(confirmation_requests__created_at__gt=request.created_at)
    ):
        transition(
            subscription=subscription, to=Status.UNDELIVERABLE, actor=actor, detail=reason, now=now
        )


@transaction.atomic
def record_failed(*, request_id: int, reason: str, now: datetime | None = None) -> None:
    """Our side is at fault (bad provider token, unsupported feature): not the reader's.

    The row closes as failed and its subscriptions stay pending; once the configuration is
    fixed, requeue_failed_confirmations sends them.
    """
    _close(request_id, OutboxState.FAILED, reason, now or timezone.now())


def _close(request_id: int, state: str, error: str, now: datetime) -> None:
    ConfirmationRequest.objects.filter(pk=request_id).update(
        state=state, closed_at=now, claimed_until=None, last_error=error[:2000]
    )


@transaction.atomic
def requeue_failed_confirmations(*, since: datetime) -> list[int]:
    """Reopen failed confirmation emails created after `since` that still have something to
    confirm, and queue them. For operators, after fixing the provider configuration."""
    ids = list(
        ConfirmationRequest.objects.filter(state=OutboxState.FAILED, created_at__gte=since)
        .filter(subscriptions__status=Status.PENDING)
        .values_list("pk", flat=True)
        .distinct()
    )
    ConfirmationRequest.objects.filter(pk__in=ids).update(
        state=OutboxState.QUEUED, closed_at=None, attempts=0, first_attempt_at=None
    )
    from .tasks import send_confirmation

    for request_id in ids:
        send_confirmation.delay_on_commit(request_id)
    return ids


@transaction.atomic
def mark_requeued(*, request_ids: list[int], now: datetime | None = None) -> None:
    """The sweeper queued these again; it won't again before SEND_LEASE has passed."""
    ConfirmationRequest.objects.filter(pk__in=request_ids).update(
        last_queued_at=now or timezone.now()
    )
