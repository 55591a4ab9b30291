"""Celery tasks: entry points, like views. They take ids (or nothing), stay thin and are
idempotent: an outbox claim makes a redelivered or duplicated send a no-op. The names are part
of the queued messages, so they never change."""

from dataclasses import asdict

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from . import delivery, services
from .core import dispatch, kinds
from .guards import counters
from .models import ConfirmationEmail


class SendingTask(DjangoTask):
    # Late acks + reject_on_worker_lost: a worker killed mid-send leaves the message on the
    # broker for another worker; the claim stops that redelivery from sending twice.
    acks_late = True
    reject_on_worker_lost = True


@shared_task(base=SendingTask, name="subscriptions.tasks.send_confirmation")
def send_confirmation(email_id: int) -> str:
    """One confirmation email (the operators' requeue command, and messages queued before
    sending went by wake-ups)."""
    return delivery.send_rows(kinds.of(ConfirmationEmail), [email_id])[email_id]


@shared_task(base=SendingTask, name="subscriptions.tasks.send_due_of")
def send_due_of(kind: str) -> int:
    """Send every due email of one kind, on that kind's queue: woken after its rows are
    queued, at a retry's time, and by beat's sweep (sweep_outbox) for whatever no wake-up
    announced. A backlog of one kind waits on its own queue, never in front of another. The
    kinds are those declared (kinds.py), each sending on the queue its name routes to
    (newsroom/celery.py)."""
    return dispatch.run_alone(
        services.SEND_DUE_OF_TASK,
        (kind,),
        lambda: delivery.send_due(kinds.named(kind)),
    )


@shared_task(base=SendingTask, name="subscriptions.tasks.send_due")
def send_due() -> int:
    """Send every email that is due, every kind in turn, in this one task: for messages
    queued before each kind had its own queue (send_due_of), and for operators."""
    return sum(delivery.send_due(kind) for kind in kinds.declared())


@shared_task(name="subscriptions.tasks.process_sign_ups")
def process_sign_ups() -> int:
    """Turn recorded sign-ups into subscriptions and confirmation emails, in batches. Woken
    by the requests that record them, and run by beat for any no wake-up announced."""
    return dispatch.run_alone(
        services.PROCESS_TASK,
        (),
        services.process_recorded_sign_ups,
    )


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
    for kind in kinds.declared():
        dispatch.enqueue(services.SEND_DUE_OF_TASK, kind.name)


@shared_task(name="subscriptions.tasks.drop_expired_rate_counters")
def drop_expired_rate_counters() -> int:
    """Without Redis the per-IP counters live in the database (counters.py): windows that ran
    out are deleted here, every few minutes, not on a sign-up's path. Their keys hold client
    IPs, so nothing keeps them longer than their limit needs."""
    return counters.drop_expired()
