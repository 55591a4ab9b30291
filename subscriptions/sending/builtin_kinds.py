"""This app's kinds of queued email, each declared once (kinds.Kind), and registered from
SubscriptionsConfig.ready() in the order every kind is sent in: confirmations first."""

from collections.abc import Callable
from typing import TypeVar

from anymail.message import AnymailMessage
from django.conf import settings
from django.db.models import QuerySet, prefetch_related_objects
from django.utils import translation

from ..core import kinds
from ..models import ConfirmationEmail, DataExportEmail, Status, Subscription, WelcomeEmail
from . import emails, listmail


def _confirmation_messages(
    confirmations: list[ConfirmationEmail],
) -> dict[int, AnymailMessage | None]:
    """Each email's message; nothing where every list was confirmed, or left, since the
    sign-up."""
    ids = [c.pk for c in confirmations]
    pending: dict[int, list[Subscription]] = {pk: [] for pk in ids}
    for subscription in Subscription.objects.pending_of_confirmation_emails(ids):
        pending[subscription.confirmation_email_id].append(subscription)

    def compose(confirmation: ConfirmationEmail) -> AnymailMessage | None:
        lists = pending[confirmation.pk]
        return emails.confirmation_message(confirmation, lists) if lists else None

    return _to_readers(confirmations, compose)


_Row = TypeVar("_Row", ConfirmationEmail, DataExportEmail)


def _to_readers(
    rows: list[_Row], compose: Callable[[_Row], AnymailMessage | None]
) -> dict[int, AnymailMessage | None]:
    """Each row's message, composed in its reader's language."""
    prefetch_related_objects(rows, "subscriber")
    messages: dict[int, AnymailMessage | None] = {}
    for row in rows:
        with translation.override(row.language or settings.LANGUAGE_CODE):
            messages[row.pk] = compose(row)
    return messages


def _confirmation_refused(confirmation: ConfirmationEmail) -> QuerySet[Subscription]:
    """Its lists, so editors see why; those a newer confirmation email also covers are left
    to that email."""
    return (
        Subscription.objects.of_confirmation_email(confirmation.pk)
        .pending()
        .not_asked_since(confirmation.created_at)
    )


CONFIRMATIONS = kinds.Kind(
    model=ConfirmationEmail,
    reader="subscriber",
    compose=_confirmation_messages,
    refused=_confirmation_refused,
)


def _welcome_messages(welcomes: list[WelcomeEmail]) -> dict[int, AnymailMessage | None]:
    """Each welcome email through the list-mail path; nothing for a subscription that is no
    longer confirmed."""
    prefetch_related_objects(welcomes, "subscription__newsletter", "subscription__subscriber")
    return listmail.messages(
        [(w.pk, w.subscription, listmail.welcome_content(w.subscription, w.pk)) for w in welcomes]
    )


def _welcome_refused(welcome: WelcomeEmail) -> QuerySet[Subscription]:
    """The one subscription it was for, if it is still confirmed."""
    return Subscription.objects.filter(pk=welcome.subscription_id, status=Status.CONFIRMED)


WELCOMES = kinds.Kind(
    model=WelcomeEmail,
    reader="subscription__subscriber",
    compose=_welcome_messages,
    refused=_welcome_refused,
    admin_related=("subscription__subscriber", "subscription__newsletter"),
)


def _data_export_messages(exports: list[DataExportEmail]) -> dict[int, AnymailMessage | None]:
    """Each reader's link to their data."""
    return _to_readers(exports, emails.data_export_message)


def _data_export_refused(export: DataExportEmail) -> QuerySet[Subscription]:
    """No subscription hangs on it: the reader may ask again, and a bounce event suppresses
    the inbox."""
    return Subscription.objects.none()


DATA_EXPORTS = kinds.Kind(
    model=DataExportEmail,
    reader="subscriber",
    compose=_data_export_messages,
    refused=_data_export_refused,
)

KINDS = (CONFIRMATIONS, WELCOMES, DATA_EXPORTS)
