"""An editor adds a reader by hand, having their consent from elsewhere (a paper form at an
event, a phone call): the only way into the lists that no reader's own form started. The CSV
import's "already consented" mode adds each row through the same flow.

The editor's note of where and when the reader consented is stored as the consent's wording
(version consent.EDITOR_NOTE), the editor as the actor of every change. By default the lists
are confirmed and nothing is sent; or they are pending and the same confirmation email as a
sign-up's goes out, through the same outbox, held to the same cooldown and daily cap.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..core import consent, lifecycle
from ..guards.validation import normalize_email
from ..models import Newsletter, Status, Subscriber, Subscription, Suppression
from ..privacy import erasure
from .signup import ConsentInput, SignUpEntry, sign_up_many
from .signup_plan import locked_subscribers

# The consent's form, as the admin's consent records show it.
FORM_ID = "admin: added by hand"


class AddRefused(Exception):
    """The address may not be added by hand; `reason` says why."""

    ERASED = "erased"  # erased at the reader's request: only their own sign-up brings it back
    SUPPRESSED = "suppressed"  # the inbox bounced for good or complained: nothing would reach it

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AddedByHand:
    subscriber_id: int
    confirmed: list[str]  # lists confirmed by this call
    to_confirm: list[str]  # lists a confirmation email now asks about
    already: list[str]  # lists confirmed before: left as they were
    not_sent: list[str]  # lists no confirmation could be sent for now (cooldown, daily cap)


@transaction.atomic
def add_by_editor(
    *,
    email: str,
    newsletter_ids: Sequence[int],
    language: str,
    consent_note: str,
    actor: str,
    send_confirmation: bool = False,
    now: datetime | None = None,
) -> AddedByHand:
    """Add one reader to these (active) lists on the editor's word. Raises AddRefused, with
    nothing written, for an erased address or a suppressed inbox; validation.InvalidEmail for
    an address that isn't one."""
    email, now = normalize_email(email), now or timezone.now()
    # Locked as a sign-up locks, so the checks hold until this commits; a refusal rolls back
    # the rows the lock created.
    subscriber = locked_subscribers([email])[email]
    _refuse_unreachable(subscriber)
    lists = list(Newsletter.objects.filter(pk__in=newsletter_ids, is_active=True))
    current = {
        s.newsletter_id: s
        for s in Subscription.objects.select_for_update(of=("self",)).filter(subscriber=subscriber)
    }
    already = [n for n in lists if _is_confirmed(current.get(n.pk))]
    adding = [n for n in lists if n not in already]
    given = ConsentInput(
        page_url="",
        form_id=FORM_ID,
        ip_address=None,
        user_agent="",
        wording=consent_note.strip(),
        version=consent.EDITOR_NOTE,
    )
    names = [n.name for n in already]
    if send_confirmation:
        asked = _ask(email, adding, language, given, actor, now)
        return AddedByHand(
            subscriber_id=subscriber.pk,
            confirmed=[],
            to_confirm=[n.name for n in adding if n.pk in asked],
            already=names,
            not_sent=[n.name for n in adding if n.pk not in asked],
        )
    if not any(_is_confirmed(s) for s in current.values()):
        _take_language(subscriber, language, actor, now)
    _confirm(subscriber, current, adding, given, actor, now)
    return AddedByHand(
        subscriber_id=subscriber.pk,
        confirmed=[n.name for n in adding],
        to_confirm=[],
        already=names,
        not_sent=[],
    )


def _refuse_unreachable(subscriber: Subscriber) -> None:
    if erasure.erased_addresses([subscriber.email]):
        raise AddRefused(AddRefused.ERASED)
    if Suppression.objects.of_addresses([(subscriber.inbox_key, subscriber.email_key)]):
        raise AddRefused(AddRefused.SUPPRESSED)


def _is_confirmed(subscription: Subscription | None) -> bool:
    return subscription is not None and subscription.status == Status.CONFIRMED


def _ask(
    email: str,
    adding: list[Newsletter],
    language: str,
    given: ConsentInput,
    actor: str,
    now: datetime,
) -> set[int]:
    """Pending, with a sign-up's confirmation email; the lists it asks about."""
    if not adding:
        return set()
    entry = SignUpEntry(
        email=email, newsletter_ids=[n.pk for n in adding], consent=given, language=language
    )
    [result] = sign_up_many(entries=[entry], now=now, actor=actor)
    if result.confirmation_email_id is None:
        return set()
    asked = Subscription.objects.of_confirmation_email(result.confirmation_email_id)
    return set(asked.values_list("newsletter", flat=True))


def _confirm(
    subscriber: Subscriber,
    current: dict[int, Subscription],
    adding: list[Newsletter],
    given: ConsentInput,
    actor: str,
    now: datetime,
) -> None:
    """Confirmed at once, on the consent the editor recorded; nothing is sent."""
    if not adding:
        return
    lifecycle.confirm_on_consent(
        subscriber=subscriber,
        lists=[(n, current.get(n.pk)) for n in adding],
        consent=vars(given),
        actor=actor,
        detail="added by hand, on the consent the editor recorded",
        now=now,
    )


def _take_language(subscriber: Subscriber, language: str, actor: str, now: datetime) -> None:
    """A reader who has confirmed a list keeps the language they chose; for anyone else, the
    one the editor was told."""
    if language and language != subscriber.language:
        subscriber.language, subscriber.changed_at, subscriber.changed_by = language, now, actor
        subscriber.save(update_fields=["language", "changed_at", "changed_by"])
