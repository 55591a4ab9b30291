"""Celery tasks: entry points, like views. They take ids, stay thin and are idempotent: the
test's claim (services.send_test) makes a redelivered or duplicated task a no-op. The task
names are part of queued messages, so they never change."""

from datetime import timedelta

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from subscriptions.api import enqueue

from . import services


class TestTask(DjangoTask):
    # Late acks: a worker killed mid-send leaves the message for another worker, whose claim
    # waits out the dead one's lease.
    acks_late = True
    reject_on_worker_lost = True


@shared_task(
    base=TestTask,
    name=services.SEND_TEST_TASK,
    autoretry_for=(services.TestNotSentYet,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_test(test_id: int) -> str:
    """An editor's test of an edition, to their own address. A transient provider error is
    retried with backoff; whatever the retries miss, the sweep finds."""
    return services.send_test(test_id=test_id)


@shared_task(name="editions.tasks.sweep_tests")
def sweep_tests() -> int:
    """Queue again the tests whose task the broker lost (a publish that failed, a worker
    gone with its retry): those still unsent a minute after they were asked for. After an
    hour a test is stale and left alone; the editor has sent another or moved on."""
    ids = services.unsent_tests(older_than=timedelta(minutes=1), within=timedelta(hours=1))
    for test_id in ids:
        enqueue(services.SEND_TEST_TASK, test_id)
    return len(ids)


@shared_task(name=services.FIX_RECIPIENTS_TASK)
def fix_recipients(edition_id: int) -> int:
    """Fix a sending edition's recipient list (services.fix_recipients: chunked, resumable,
    one writer at a time); its sender is woken as each chunk commits."""
    return services.fix_recipients(edition_id=edition_id)


@shared_task(name="editions.tasks.sweep_sends")
def sweep_sends() -> int:
    """Beat's look at every sending edition: one whose list isn't fixed yet gets its fixing
    queued again (a lost task, a worker gone mid-way: it goes on from its last chunk); one
    with nothing left to send is marked sent. Returns the editions marked sent."""
    finished = 0
    for edition_id, fixed in services.sending_editions():
        if not fixed:
            enqueue(services.FIX_RECIPIENTS_TASK, edition_id)
        elif services.finish_if_sent(edition_id=edition_id):
            finished += 1
    return finished
