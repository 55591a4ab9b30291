"""Welcome emails: queued in the transaction that confirms a subscription, sent through the
list-mail path (listmail.py) by the sender, like any outbox row (a refused one:
sending.record_welcome_undeliverable)."""

import logging
from collections.abc import Sequence
from datetime import datetime

from ..models import Subscription, WelcomeEmail
from .sending import queue

logger = logging.getLogger("subscriptions")


def queue_welcome_emails(
    *, subscriptions: Sequence[Subscription], language: str, now: datetime
) -> list[WelcomeEmail]:
    """One welcome email per newly confirmed subscription whose list has one; the caller's
    transaction holds them, so a confirmation never commits without its welcome emails."""
    emails = queue(
        WelcomeEmail,
        (
            WelcomeEmail(subscription=s, created_at=now, language=language)
            for s in subscriptions
            if s.newsletter.has_welcome
        ),
    )
    for email in emails:
        logger.info("event=welcome.queued id=%s subscription=%s", email.pk, email.subscription_id)
    return emails
