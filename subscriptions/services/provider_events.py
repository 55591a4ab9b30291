"""What a provider event (a bounce, a complaint, an unsubscribe at the provider) does, once a
worker applies it (provider_intake.py stores and drains them):

- a complaint suppresses the inbox (it comes from the mailbox's owner);
- a hard bounce suppresses the spelling that bounced; the whole inbox only where the provider
  delivers every spelling to one mailbox (validation.delivers_every_spelling) and the
  spelling is one we send to. Elsewhere bob+nosuchbox@example.com can be a mailbox of its
  own, and anyone could sign it up to silence Bob;
- soft bounces and deferrals are counted per spelling (or inbox, as a hard bounce), and it is
  suppressed after SOFT_BOUNCE_LIMIT of them within SOFT_BOUNCE_WINDOW;
- an unsubscribe at the provider takes the subscription the message named off its list, or
  all of the address's when it named none;
- a rejection makes the subscriptions the message was for undeliverable, with the reason.

Every change names its actor, `provider:<esp>`.
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from ..app_settings import app_settings
from ..core import bounces, lifecycle
from ..guards.validation import address_key, delivers_every_spelling
from ..models import RECEIVING, ProviderEvent, Status, Subscriber, Subscription, Suppression

logger = logging.getLogger("subscriptions")


def apply_effect(row: ProviderEvent, now: datetime) -> str:
    """What the event does, done; call inside the worker's transaction. Returns what it did,
    in words, for the admin."""
    if not row.inbox_key:
        return "no recipient"
    if row.kind == bounces.COMPLAINT:
        return _suppress(row, "", Suppression.Reason.COMPLAINT, _actor(row), now)
    if row.kind == bounces.HARD_BOUNCE:
        return _suppress(row, _spelling(row), Suppression.Reason.HARD_BOUNCE, _actor(row), now)
    if row.kind == bounces.SOFT_BOUNCE:
        return _count_soft(row, _spelling(row), _actor(row), now)
    if row.kind == bounces.UNSUBSCRIBE:
        left = _move(_named_or_all(row), Status.UNSUBSCRIBED, _actor(row), "at the provider", now)
        return f"unsubscribed {left}"
    if row.kind == bounces.REJECTED:
        refused = _move(_named_or_all(row), Status.UNDELIVERABLE, _actor(row), row.reason, now)
        return f"undeliverable {refused}"
    return "none"


def _actor(row: ProviderEvent) -> str:
    return lifecycle.provider(row.provider)


def _spelling(row: ProviderEvent) -> str:
    """What a bounce reaches: "" for every spelling of the inbox, where the provider delivers
    them all to one mailbox and we send to this spelling (a subscriber's address); else this
    spelling's address key alone."""
    key = address_key(row.recipient)
    if (
        delivers_every_spelling(row.recipient)
        and Subscriber.objects.filter(email_key=key).exists()
    ):
        return ""
    return key


def _suppress(row: ProviderEvent, spelling: str, reason: str, actor: str, now: datetime) -> str:
    # Applied late (a backlog, a retry), an event from before an editor's lift must not
    # undo it: when it came, the inbox was already suppressed.
    if _last_lift(row.inbox_key, spelling, after=row.received_at):
        return "lifted since it came"
    try:
        # A savepoint: two events about one inbox at once meet at the one-active-suppression
        # constraint, and the second is "already suppressed", not a failed webhook.
        with transaction.atomic():
            Suppression.objects.create(
                inbox_key=row.inbox_key,
                address_key=spelling,
                reason=reason,
                actor=actor,
                event=row,
                created_at=now,
            )
    except IntegrityError:
        return "already suppressed"
    logger.info("event=inbox.suppressed reason=%s provider_event=%s", reason, row.pk)
    return f"suppressed ({reason})"


def _count_soft(row: ProviderEvent, spelling: str, actor: str, now: datetime) -> str:
    # The window ends when this bounce came, not when a worker got to it: the soft bounces
    # of the SOFT_BOUNCE_WINDOW before it, and none that came after it.
    since = row.received_at - timedelta(seconds=app_settings.SOFT_BOUNCE_WINDOW)
    # Counted from the last lift, if later: an editor who lifted a suppression gave the inbox
    # a fresh start, not one bounce from the next.
    since = _last_lift(row.inbox_key, spelling, after=since) or since
    about = ProviderEvent.objects.filter(inbox_key=row.inbox_key)
    if spelling:  # another spelling's bounces are another mailbox's
        about = ProviderEvent.objects.about_address(inbox_key=row.inbox_key, email_key=spelling)
    count = about.filter(
        kind=bounces.SOFT_BOUNCE, received_at__gte=since, received_at__lte=row.received_at
    ).count()
    if count >= app_settings.SOFT_BOUNCE_LIMIT:
        return _suppress(row, spelling, Suppression.Reason.SOFT_BOUNCES, actor, now)
    return f"counted ({count} of {app_settings.SOFT_BOUNCE_LIMIT})"


def _last_lift(inbox: str, spelling: str, *, after: datetime) -> datetime | None:
    """When an editor last lifted a suppression of `inbox` (or of that spelling of it, for a
    bounce that reaches only it), if that was after `after`."""
    lifted = Suppression.objects.filter(
        inbox_key=inbox, address_key__in={"", spelling}, lifted_at__gt=after
    )
    return lifted.aggregate(last=Max("lifted_at"))["last"]


def _named_or_all(row: ProviderEvent) -> list[Subscription]:
    """The subscriptions the message was for, from the metadata we sent it with. Every one of
    the recipient's address only when it carries none (a message sent before metadata was
    kept); a message whose metadata names no subscription (a reader's data link, and any
    later kind with no list) touches none."""
    meta = row.metadata if isinstance(row.metadata, dict) else {}
    named = Q()
    if str(meta.get("subscription", "")).isdigit():
        named |= Q(pk=int(meta["subscription"]))
    if str(meta.get("confirmation_request", "")).isdigit():
        named |= Q(confirmation_emails=int(meta["confirmation_request"]))
    mine = Subscription.objects.filter(subscriber__email_key=address_key(row.recipient))
    if meta and not named:
        return []
    ids = set((mine.filter(named) if named else mine).values_list("pk", flat=True))
    # Locked apart from the lookup: PostgreSQL allows no FOR UPDATE over a join's DISTINCT.
    locked = Subscription.objects.select_for_update(of=("self",)).filter(pk__in=ids)
    return list(locked.order_by("pk"))


def _move(
    subscriptions: list[Subscription], to: Status, actor: str, detail: str, now: datetime
) -> int:
    moving = [s for s in subscriptions if s.status in RECEIVING and s.status != to]
    lifecycle.transition_many(
        subscriptions=moving, to=to, actor=actor, detail=detail[:500], now=now
    )
    return len(moving)


@transaction.atomic
def lift_suppressions(*, ids: list[int], actor: str, now: datetime | None = None) -> int:
    """An editor lifts suppressions: the inboxes get mail again, and who did it is kept."""
    now = now or timezone.now()
    lifted = Suppression.objects.active().filter(pk__in=ids).update(lifted_at=now, lifted_by=actor)
    logger.info("event=suppression.lifted count=%s actor=%s", lifted, actor)
    return lifted
