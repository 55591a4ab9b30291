"""Welcome emails: queued in the transaction that confirms a subscription, sent through the
list-mail path (listmail.py) by the sender, like any outbox row (a refused one:
sending.record_refused, as its declaration in builtin_kinds.py says).

A preference link never expires and travels with every forwarded list email, and a
confirmed reader's ticked list is confirmed at once: alternating saves must not flood the
inbox. So a list's welcome goes once a day per subscription, and every welcome email counts
against the inbox's daily cap (ADDRESS_DAILY_CAP), as confirmations do. Over the cap, a list
added in the preference center is still added, without its welcome; the welcomes of a
reader's own confirmation are always sent, as the answer to one email the cap already let
through, whose link confirms once.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..app_settings import app_settings
from ..models import Subscriber, Subscription, WelcomeEmail, emails_per_inbox
from .sending import queue

logger = logging.getLogger("subscriptions")

DAY = timedelta(days=1)


def queue_welcome_emails(
    *, subscriptions: Sequence[Subscription], language: str, now: datetime, capped: bool
) -> list[WelcomeEmail]:
    """One welcome email per newly confirmed subscription whose list has one, unless it had
    one within a day or (`capped`) its inbox reached its daily cap. The caller's transaction
    holds them, so a confirmation never commits without its welcome emails, and holds the
    inbox's row lock (signup_plan.locked_subscriber), so the cap is counted as sign-ups
    count it."""
    wanted = [s for s in subscriptions if s.newsletter.has_welcome]
    if not wanted:
        return []
    since = now - DAY
    welcomed = set(
        WelcomeEmail.objects.filter(subscription__in=[s.pk for s in wanted])
        .created_since(since)
        .values_list("subscription", flat=True)
    )
    inboxes = dict(
        Subscriber.objects.filter(pk__in={s.subscriber_id for s in wanted}).values_list(
            "pk", "inbox_key"
        )
    )
    sent_today = emails_per_inbox(set(inboxes.values()), since=since)
    welcoming = []
    for subscription in wanted:
        inbox = inboxes[subscription.subscriber_id]
        if subscription.pk in welcomed:
            continue  # left and added again within a day: welcomed once
        if capped and sent_today[inbox] >= app_settings.ADDRESS_DAILY_CAP:
            logger.info(
                "event=welcome.blocked reason=address_cap subscription=%s", subscription.pk
            )
            continue
        sent_today[inbox] += 1
        welcoming.append(subscription)
    emails = queue(
        WelcomeEmail,
        (WelcomeEmail(subscription=s, created_at=now, language=language) for s in welcoming),
    )
    for email in emails:
        logger.info("event=welcome.queued id=%s subscription=%s", email.pk, email.subscription_id)
    return emails
