"""Sign-up: pending subscriptions, the consent shown, and one confirmation email per sign-up
that needs one, for many sign-ups at once.

A worker calls sign_up_many with a batch of recorded sign-ups; sign_up and
resend_confirmation are the same flow for one. Each batch is one transaction that reads what it
needs in a few set-based queries, decides every sign-up in order, and writes in bulk. The
per-inbox daily cap and the per-list cooldown are decided here, under the inboxes' and the
subscribers' row locks, so they hold across any number of workers.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation

from ..core import lifecycle
from ..models import ConfirmationEmail, Consent, Newsletter, Status, Subscriber, Subscription
from .sending import queue
from .signup_plan import Plan, Planned, load_state, locked_subscribers

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
class SignUpEntry:
    """What one reader asked for. `email` is normalised; `consent` is None for a resend,
    where the consent on record still stands."""

    email: str
    newsletter_ids: Sequence[int]
    consent: ConsentInput | None
    language: str = ""


@dataclass(frozen=True)
class SignUpResult:
    subscriber_id: int
    confirmation_email_id: int | None  # None: nothing to confirm, capped, or cooling down


@transaction.atomic
def sign_up_many(
    *,
    entries: Sequence[SignUpEntry],
    now: datetime | None = None,
    actor: str = lifecycle.READER,
) -> list[SignUpResult]:
    """Record each reader's sign-up, in order, and queue one confirmation email for every one
    that needs it. The answer the reader got did not depend on any of this. `actor`: who
    asked, when not the reader (an editor adding a reader, with a confirmation email)."""
    if not entries:
        return []
    now = now or timezone.now()
    subscribers = locked_subscribers([e.email for e in entries])
    plan = Plan(load_state(list(subscribers.values()), entries, now), now, actor=actor)
    planned = [plan.decide(subscribers[e.email], e.newsletter_ids, e.language) for e in entries]
    _save_languages(plan.language_changed.values(), now, actor)
    _give_consents(entries, planned, plan, now)
    if plan.consent_changed:
        Subscription.objects.bulk_update(plan.consent_changed, ["consent"])
    lifecycle.transition_many(
        subscriptions=plan.to_pending, to=Status.PENDING, actor=actor, now=now
    )
    _queue_confirmations([p for p in planned if p.email], now)
    return [SignUpResult(p.subscriber.pk, p.email.pk if p.email else None) for p in planned]


def _save_languages(changed: Iterable[Subscriber], now: datetime, actor: str) -> None:
    """One UPDATE per language, not bulk_update's CASE per row: every new reader's language
    is set here, so this runs for nearly every sign-up."""
    by_language: dict[str, list[int]] = {}
    for subscriber in changed:
        by_language.setdefault(subscriber.language, []).append(subscriber.pk)
    for language, ids in by_language.items():
        Subscriber.objects.filter(pk__in=ids).update(
            language=language, changed_at=now, changed_by=actor
        )


def _give_consents(
    entries: Sequence[SignUpEntry], planned: list[Planned], plan: Plan, now: datetime
) -> None:
    """One Consent row per sign-up that asks for something, given to the lists it asks for."""
    asking = [
        (e.consent, p) for e, p in zip(entries, planned, strict=True) if p.email and e.consent
    ]
    consents = Consent.objects.bulk_create(
        Consent(subscriber=p.subscriber, given_at=now, **vars(c)) for c, p in asking
    )
    for consent, (_, p) in zip(consents, asking, strict=True):
        plan.give_consent(p, consent)


def _queue_confirmations(planned: list[Planned], now: datetime) -> None:
    emails = queue(ConfirmationEmail, (p.email for p in planned if p.email))
    through = ConfirmationEmail.subscriptions.through
    through.objects.bulk_create(
        through(confirmationemail=p.email, subscription=s) for p in planned for s in p.lists
    )
    for email, p in zip(emails, planned, strict=True):
        logger.info(
            "event=confirmation.queued request=%s subscriber=%s newsletters=%s",
            email.pk,
            p.subscriber.pk,
            ",".join(str(s.newsletter_id) for s in p.lists),
        )


def sign_up(
    *,
    email: str,
    newsletters: Sequence[Newsletter],
    consent: ConsentInput | None,
    now: datetime | None = None,
) -> SignUpResult:
    """One sign-up, through the same flow as a batch (in the current language)."""
    entry = SignUpEntry(
        email=email,
        newsletter_ids=[n.pk for n in newsletters],
        consent=consent,
        language=translation.get_language() or "",
    )
    return sign_up_many(entries=[entry], now=now)[0]


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
