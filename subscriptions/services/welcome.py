"""Welcome emails: queued in the transaction that confirms a subscription, sent through the
list-mail path (listmail.py) by the sender, like any outbox row (a refused one:
sending.record_welcome_undeliverable)."""

import logging
from collections.abc import Sequence
from datetime import datetime

from .. import dispatch, tally
from ..app_settings import app_settings
from ..models import Subscription, WelcomeEmail
from .sending import SEND_DUE_TASK

logger = logging.getLogger("subscriptions")


def queue_welcome_emails(
    *, subscriptions: Sequence[Subscription], language: str, now: datetime
) -> list[WelcomeEmail]:
    """One welcome email per newly confirmed subscription whose list has one; the caller's
    transaction holds them, so a confirmation never commits without its welcome emails."""
    emails = WelcomeEmail.objects.bulk_create(
        WelcomeEmail(subscription=s, created_at=now, language=language)
        for s in subscriptions
        if s.newsletter.has_welcome
    )
    if emails:
        tally.add({tally.emails(WelcomeEmail.metric_kind, "queued"): len(emails)})
        for email in emails:
            logger.info(
                "event=welcome.queued id=%s subscription=%s", email.pk, email.subscription_id
            )
        dispatch.wake(SEND_DUE_TASK, within=app_settings.SEND_WAKE_WITHIN)
    return emails
