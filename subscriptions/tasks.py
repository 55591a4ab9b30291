"""Celery tasks: entry points, like views. They take ids (or nothing), stay thin and are
idempotent: an outbox claim makes a redelivered or duplicated send a no-op. The names are part
of the queued messages, so they never change."""

from collections.abc import Callable
from dataclasses import asdict
from typing import TypeVar

from anymail.message import AnymailMessage
from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.db.models import prefetch_related_objects
from django.utils import translation

from . import counters, delivery, dispatch, emails, listmail, services
from .models import (
    ConfirmationEmail,
    DataExportEmail,
    Subscription,
    WelcomeEmail,
)


class SendingTask(DjangoTask):
    # Late acks + reject_on_worker_lost: a worker killed mid-send leaves the message on the
    # broker for another worker; the claim stops that redelivery from sending twice.
    acks_late = True
    reject_on_worker_lost = True


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


def _readers_addresses(rows: list[_Row]) -> dict[int, tuple[str, str]]:
    prefetch_related_objects(rows, "subscriber")
    return {row.pk: (row.subscriber.inbox_key, row.subscriber.email_key) for row in rows}


def _welcome_addresses(welcomes: list[WelcomeEmail]) -> dict[int, tuple[str, str]]:
    prefetch_related_objects(welcomes, "subscription__subscriber")
    readers = {w.pk: w.subscription.subscriber for w in welcomes}
    return {pk: (reader.inbox_key, reader.email_key) for pk, reader in readers.items()}


CONFIRMATIONS = delivery.Delivery(
    kind=ConfirmationEmail,
    addresses=_readers_addresses,
    compose=_confirmation_messages,
    refuse=services.record_undeliverable,
)


def _welcome_messages(welcomes: list[WelcomeEmail]) -> dict[int, AnymailMessage | None]:
    """Each welcome email through the list-mail path; nothing for a subscription that is no
    longer confirmed."""
    prefetch_related_objects(welcomes, "subscription__newsletter", "subscription__subscriber")
    return listmail.messages(
        [(w.pk, w.subscription, listmail.welcome_content(w.subscription, w.pk)) for w in welcomes]
    )


WELCOMES = delivery.Delivery(
    kind=WelcomeEmail,
    addresses=_welcome_addresses,
    compose=_welcome_messages,
    refuse=services.record_welcome_undeliverable,
)


def _data_export_messages(exports: list[DataExportEmail]) -> dict[int, AnymailMessage | None]:
    """Each reader's link to their data."""
    return _to_readers(exports, emails.data_export_message)


DATA_EXPORTS = delivery.Delivery(
    kind=DataExportEmail,
    addresses=_readers_addresses,
    compose=_data_export_messages,
    refuse=services.record_data_export_undeliverable,
)


@shared_task(base=SendingTask, name="subscriptions.tasks.send_confirmation")
def send_confirmation(email_id: int) -> str:
    """One confirmation email (the operators' requeue command, and messages queued before
    sending went by wake-ups)."""
    return delivery.send_rows(CONFIRMATIONS, [email_id])[email_id]


# Every kind of queued email, confirmations first; each sends on its own queue, named by its
# metric_kind (newsroom/celery.py routes send_due_of there).
KINDS = (CONFIRMATIONS, WELCOMES, DATA_EXPORTS)
_BY_NAME = {kind.kind.metric_kind: kind for kind in KINDS}


@shared_task(base=SendingTask, name="subscriptions.tasks.send_due_of")
def send_due_of(kind: str) -> int:
    """Send every due email of one kind, on that kind's queue: woken after its rows are
    queued, at a retry's time, and by beat's sweep (sweep_outbox) for whatever no wake-up
    announced. A backlog of one kind waits on its own queue, never in front of another."""
    return delivery.send_due(_BY_NAME[kind])


@shared_task(base=SendingTask, name="subscriptions.tasks.send_due")
def send_due() -> int:
    """Send every email that is due, every kind in turn, in this one task: for messages
    queued before each kind had its own queue (send_due_of), and for operators."""
    return sum(delivery.send_due(kind) for kind in KINDS)


@shared_task(name="subscriptions.tasks.process_sign_ups")
def process_sign_ups() -> int:
    """Turn recorded sign-ups into subscriptions and confirmation emails, in batches. Woken
    by the requests that record them, and run by beat for any no wake-up announced."""
    return services.process_recorded_sign_ups()


@shared_task(name="subscriptions.tasks.apply_provider_events")
def apply_provider_events() -> int:
    """Apply the bounces, complaints and unsubscribes the provider webhooks stored: woken by
    the webhook calls, and run by beat for any no wake-up announced."""
    return services.apply_recorded_provider_events()


@shared_task(name="subscriptions.tasks.apply_retention")
def apply_retention() -> dict[str, int]:
    """Delete what the retention settings no longer keep (services/retention.py): run daily
    by beat; safe to repeat."""
    return asdict(services.apply_retention())


@shared_task(name="subscriptions.tasks.sweep_outbox")
def sweep_outbox() -> None:
    """Beat's poll for whatever no wake-up announced: wakes every kind's sender on its own
    queue, which finds what is due."""
    for kind in KINDS:
        dispatch.enqueue(services.SEND_DUE_OF_TASK, kind.kind.metric_kind)


@shared_task(name="subscriptions.tasks.drop_expired_rate_counters")
def drop_expired_rate_counters() -> int:
    """Without Redis the per-IP counters live in the database (counters.py): windows that ran
    out are deleted here, every few minutes, not on a sign-up's path. Their keys hold client
    IPs, so nothing keeps them longer than their limit needs."""
    return counters.drop_expired()
