"""The confirmation task against anymail's Postmark backend and a fake provider on loopback."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from unittest import mock

import pytest
from celery import current_app
from celery.exceptions import Retry
from django.core.management import call_command
from django.utils import timezone

from subscriptions import dispatch, services
from subscriptions.delivery import backoff
from subscriptions.models import ConfirmationEmail, Event, Subscription
from subscriptions.tasks import send_confirmation, send_confirmations, sweep_outbox

from .support.helpers import latest_confirmation, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_id(client, newsletters, postmark_settings):
    sign_up(client, "reader@example.com", "daily", "explaining-ukraine")
    return latest_confirmation().pk


@dataclass
class Outcome:
    """How one run of the task ended, and the countdown of the retry it asked for."""

    state: str
    value: object
    countdown: float | None

    def get(self) -> object:
        return self.value


def run(email_id: int) -> Outcome:
    """Run the task as a worker would. Eager apply() would re-run a retry at once, ignoring
    its countdown, so a retry here stops at the Retry the worker would schedule."""
    retry = Retry("scheduled")
    with mock.patch.object(send_confirmation, "retry", return_value=retry) as scheduled:
        result = send_confirmation.apply(args=(email_id,))
    countdown = scheduled.call_args.kwargs["countdown"] if scheduled.called else None
    return Outcome(result.state, result.get(), countdown)


def test_sends_one_email_naming_the_lists_with_an_absolute_link(email_id, fake_postmark):
    assert run(email_id).get() == "sent"
    [message] = fake_postmark.accepted
    assert message["To"] == "reader@example.com"
    assert "\n" not in message["Subject"]
    for body in (message["TextBody"], message["HtmlBody"]):
        assert "The Daily Brief" in body and "Explaining Ukraine with Kate Tsurkan" in body
        assert "http://testserver/confirm/" in body
    assert message["Tag"] == "confirmation"
    assert message["Metadata"] == {"confirmation_request": str(email_id)}
    assert message["TrackLinks"] == "None"
    request = ConfirmationEmail.objects.get(pk=email_id)
    assert request.state == "sent" and request.message_id


def test_email_has_no_marketing_and_nothing_typed_but_the_address(email_id, fake_postmark):
    run(email_id)
    body = fake_postmark.accepted[0]["TextBody"]
    assert "reader@example.com" in body
    assert "unsubscribe" not in body.lower()  # not a newsletter: nothing to leave yet
    assert body.count("http") == 1  # the confirm link and nothing else


def test_redelivered_task_sends_nothing_twice(email_id, fake_postmark):
    run(email_id)
    assert run(email_id).get() == "not claimable"
    assert len(fake_postmark.accepted) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_transient_provider_error_retries_with_backoff(email_id, fake_postmark, status):
    fake_postmark.faults.fail_statuses = [status]
    result = run(email_id)
    assert result.state == "RETRY"
    assert result.countdown is not None
    assert 15 <= result.countdown <= 30  # first backoff step: base 30 s, jittered
    request = ConfirmationEmail.objects.get(pk=email_id)
    assert request.state == "queued" and request.attempts == 1
    assert request.claimed_until and request.claimed_until > timezone.now()  # left to the retry
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    services.record_retry(  # the backoff has elapsed
        kind=ConfirmationEmail, item_id=email_id, countdown=0, error=""
    )
    assert run(email_id).get() == "sent"
    assert len(fake_postmark.accepted) == 1


def test_dropped_connection_counts_as_transient(email_id, fake_postmark):
    fake_postmark.faults.drop_calls = 1
    assert run(email_id).state == "RETRY"
    assert not fake_postmark.accepted


@pytest.mark.parametrize("fault", ["inactive", "invalid"])
def test_permanent_rejection_is_not_retried_and_marks_undeliverable(
    email_id, fake_postmark, fault
):
    getattr(fake_postmark.faults, fault).add("reader@example.com")
    assert run(email_id).get() == "refused"
    assert fake_postmark.calls == 1
    assert set(Subscription.objects.values_list("status", flat=True)) == {"undeliverable"}
    events = Event.objects.filter(to_status="undeliverable")
    assert {e.actor for e in events} == {"provider:postmark"}
    assert all("Refused" in s.undeliverable_reason for s in Subscription.objects.all())
    assert ConfirmationEmail.objects.get(pk=email_id).state == "failed"


def test_our_own_configuration_error_fails_the_email_but_not_the_reader(
    email_id, fake_postmark, django_capture_on_commit_callbacks
):
    fake_postmark.faults.fail_statuses = [401]  # e.g. a revoked server token
    assert run(email_id).get() == "failed"
    assert fake_postmark.calls == 1  # not retried by itself
    assert ConfirmationEmail.objects.get(pk=email_id).state == "failed"
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    with (
        mock.patch.object(dispatch, "publish") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("requeue_confirmations", stdout=io.StringIO())
    queued.assert_called_once_with("subscriptions.tasks.send_confirmation", (email_id,))
    assert run(email_id).get() == "sent"  # once the token is fixed
    assert len(fake_postmark.accepted) == 1


def test_refusal_leaves_lists_a_newer_email_covers_to_that_email(
    client, email_id, fake_postmark, settings
):
    settings.CONFIRMATION_COOLDOWN = 0
    sign_up(client, "reader@example.com", "daily")  # a newer email for one of the lists
    fake_postmark.faults.inactive.add("reader@example.com")
    run(email_id)
    statuses = dict(Subscription.objects.values_list("newsletter__slug", "status"))
    assert statuses == {"daily": "pending", "explaining-ukraine": "undeliverable"}


def test_email_is_written_in_the_language_the_reader_signed_up_in(client, newsletters):
    sign_up(client, "reader@example.com", headers={"HTTP_ACCEPT_LANGUAGE": "uk"})
    assert latest_confirmation().language == "uk"


def test_gives_up_after_the_retry_window(email_id, fake_postmark, settings):
    fake_postmark.faults.fail_statuses = [500, 500]
    run(email_id)
    ConfirmationEmail.objects.filter(pk=email_id).update(
        first_attempt_at=timezone.now() - timedelta(seconds=settings.SEND_RETRY_WINDOW + 1),
        claimed_until=None,
    )
    assert run(email_id).get() == "gave up"
    assert set(Subscription.objects.values_list("status", flat=True)) == {"undeliverable"}


def test_nothing_is_sent_when_everything_was_confirmed_meanwhile(email_id, fake_postmark):
    services.confirm(email_id=email_id)
    assert run(email_id).get() == "nothing to send"
    assert not fake_postmark.accepted


def test_missing_request_is_a_no_op(postmark_settings):
    assert run(999999).get() == "not claimable"


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(settings):
    settings.SEND_BACKOFF_BASE, settings.SEND_BACKOFF_MAX = 30, 1800
    first = [backoff(1) for _ in range(50)]
    assert all(15 <= x <= 30 for x in first) and len(set(first)) > 1
    assert all(60 <= backoff(3) <= 120 for _ in range(20))
    assert all(900 <= backoff(20) <= 1800 for _ in range(20))


@dataclass
class Sweeper:
    """Runs the sweeper as beat does; `published` records the task messages it sent."""

    capture: Callable
    published: mock.Mock

    def __call__(self) -> int:
        with self.capture(execute=True):
            return sweep_outbox()


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    with mock.patch.object(dispatch, "publish") as published:
        yield Sweeper(django_capture_on_commit_callbacks, published)


def test_sweeper_requeues_only_old_unclaimed_requests(email_id, sweep):
    assert sweep() == 0  # younger than the grace period
    ConfirmationEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert sweep() == 1
    sweep.published.assert_called_once_with("subscriptions.tasks.send_confirmation", (email_id,))
    assert sweep() == 0  # just queued again: not again before a lease has passed
    ConfirmationEmail.objects.update(last_queued_at=None)
    services.claim(kind=ConfirmationEmail, item_id=email_id)
    assert sweep() == 0  # claimed by a live send: left alone
    ConfirmationEmail.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert sweep() == 1  # the claim lapsed: its worker died, so send again
    assert sweep.published.call_count == 2


def test_sweeper_queues_the_oldest_first(client, newsletters, settings, sweep):
    settings.CONFIRMATION_COOLDOWN = 0
    for address in ("first@example.com", "second@example.com"):
        sign_up(client, address)
    old = timezone.now() - timedelta(minutes=5)
    ConfirmationEmail.objects.filter(subscriber__email="first@example.com").update(
        created_at=old - timedelta(minutes=1)
    )
    ConfirmationEmail.objects.filter(subscriber__email="second@example.com").update(created_at=old)
    sweep()
    first = ConfirmationEmail.objects.get(subscriber__email="first@example.com").pk
    assert sweep.published.call_args_list[0].args == (
        "subscriptions.tasks.send_confirmation",
        (first,),
    )


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("subscriptions.tasks.send_confirmation", "email"),
        ("subscriptions.tasks.sweep_outbox", "default"),
    ],
)
def test_sending_tasks_go_to_the_email_queue_that_operators_scale_apart(task, queue):
    routed = current_app.amqp.router.route({}, task, args=(), kwargs={})
    assert routed["queue"].name == queue


def test_a_batch_task_sends_each_email_and_hands_a_transient_failure_to_its_own_task(
    client, newsletters, postmark_settings, fake_postmark
):
    for address in ("one@example.com", "two@example.com", "three@example.com"):
        sign_up(client, address)
    ids = list(ConfirmationEmail.objects.order_by("pk").values_list("pk", flat=True))
    fake_postmark.faults.fail_statuses = [503]  # the first call fails, the others go through
    with mock.patch.object(dispatch, "publish") as handed_over:
        outcome = send_confirmations.apply(args=([ids[1], ids[0], ids[2]],)).get()
    assert outcome == ["retry", "sent", "sent"]
    [call] = handed_over.call_args_list
    assert call.args == ("subscriptions.tasks.send_confirmation", (ids[1],))
    assert 15 <= call.kwargs["countdown"] <= 30
    assert {m["To"] for m in fake_postmark.accepted} == {"one@example.com", "three@example.com"}
    held = ConfirmationEmail.objects.get(pk=ids[1]).claimed_until
    assert held and held > timezone.now()  # the sweeper leaves it to the retry
