"""Celery tasks: entry points, like views. They take ids, stay thin and are idempotent: the
outbox claim makes a redelivered or duplicated send a no-op. The names are part of the queued
messages, so they never change."""

from anymail.message import AnymailMessage
from celery import shared_task

from . import emails, services
from .delivery import OutboxTask
from .models import ConfirmationEmail, Subscription


@shared_task(
    bind=True,
    base=OutboxTask,
    name="subscriptions.tasks.send_confirmation",
    log_event="confirmation",
)
def send_confirmation(self: OutboxTask, email_id: int) -> str:
    return self.deliver(ConfirmationEmail, email_id, _confirmation_message, _refused_confirmation)


@shared_task(
    bind=True,
    base=OutboxTask,
    name="subscriptions.tasks.send_confirmations",
    log_event="confirmation",
    retries_itself=False,
)
def send_confirmations(self: OutboxTask, email_ids: list[int]) -> list[str]:
    """Several confirmation emails, one after the other: what a batch of sign-ups queues."""
    return [
        self.deliver(ConfirmationEmail, email_id, _confirmation_message, _refused_confirmation)
        for email_id in email_ids
    ]


def _confirmation_message(confirmation: ConfirmationEmail) -> AnymailMessage | None:
    """Nothing when every list was confirmed, or left, since the sign-up."""
    pending = list(
        Subscription.objects.of_confirmation_email(confirmation.pk).pending().in_list_order()
    )
    return emails.confirmation_message(confirmation, pending) if pending else None


def _refused_confirmation(email_id: int, actor: str, reason: str) -> None:
    services.record_undeliverable(email_id=email_id, actor=actor, reason=reason)


@shared_task(name="subscriptions.tasks.process_sign_ups")
def process_sign_ups() -> int:
    """Turn recorded sign-ups into subscriptions and confirmation emails, in batches. Woken
    by the requests that record them, and run by beat for any no wake-up announced."""
    return services.process_recorded_sign_ups()


@shared_task(name="subscriptions.tasks.sweep_outbox")
def sweep_outbox() -> int:
    """Queue again what the broker lost, of every kind (down at sign-up, a worker died)."""
    return services.sweep_outbox()
