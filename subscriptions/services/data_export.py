"""A reader's request for their own data (GDPR Art. 15 and 20), from the preference center.

The data never travels in the email: the email carries a link, valid for a day
(DATA_EXPORT_LINK_MAX_AGE), to a page that offers the JSON document. The email goes only to the
subscriber's own address, and at most once per DATA_EXPORT_INTERVAL, so the button can't be
used to flood an inbox.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..app_settings import app_settings
from ..models import DataExportEmail, Subscriber
from .sending import queue

logger = logging.getLogger("subscriptions")


@transaction.atomic
def request_data_export(*, subscriber_id: int, now: datetime | None = None) -> bool:
    """Queue the email with the link to the reader's data; False, and nothing queued, when
    one was queued within DATA_EXPORT_INTERVAL or the subscriber is gone."""
    # Locked, so two presses at once can't both find no recent email and both queue one.
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    now = now or timezone.now()
    since = now - timedelta(seconds=app_settings.DATA_EXPORT_INTERVAL)
    if subscriber.data_export_emails.created_since(since).exists():
        logger.info("event=data_export.not_again subscriber=%s", subscriber.pk)
        return False
    row = DataExportEmail(subscriber=subscriber, created_at=now, language=subscriber.language)
    [email] = queue(DataExportEmail, [row])
    logger.info("event=data_export.queued id=%s subscriber=%s", email.pk, subscriber.pk)
    return True
