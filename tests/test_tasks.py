"""The confirmation task against anymail's Postmark backend and a fake provider on loopback."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.utils import timezone

from subscriptions import services
from subscriptions.models import ConfirmationRequest, Event, Subscription
from subscriptions.tasks import backoff, send_confirmation, sweep_outbox

from .support.helpers import latest_request, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_id(client, newsletters, postmark_settings):
    sign_up(client, "reader@example.com", "daily", "explaining-ukraine")
    return latest_request().pk


def run(request_id: int):
    """Run the task as a worker would. Eager apply() would re-run a retry at once, ignoring
    its countdown, so a retry here stops at the Retry the worker would schedule."""
    retry = Retry("scheduled", when=0)
    with mock.patch.object(send_confirmation, "retry", return_value=retry) as scheduled:
        result = send_confirmation.apply(args=[request_id])
    result.countdown = scheduled.call_args.kwargs["countdown"] if scheduled.called else None
    return result


def test_sends_one_email_naming_the_lists_with_an_absolute_link(request_id, fake_postmark):
    assert run(request_id).get() == "sent"
    [message] = fake_postmark.accepted
    assert message["To"] == "reader@example.com"
    assert "\n" not in message["Subject"]
    for body in (message["TextBody"], message["HtmlBody"]):
        assert "The Daily Brief" in body and "Explaining Ukraine with Kate Tsurkan" in body
        assert "http://testserver/confirm/" in body
    assert message["Tag"] == "confirmation"
    assert message["Metadata"] == {"confirmation_request": str(request_id)}
    assert message["TrackLinks"] == "None"
    request = ConfirmationRequest.objects.get(pk=request_id)
    assert request.state == "sent" and request.message_id


def test_email_has_no_marketing_and_nothing_typed_but_the_address(request_id, fake_postmark):
    run(request_id)
    body = fake_postmark.accepted[0]["TextBody"]
    assert "reader@example.com" in body
    assert "unsubscribe" not in body.lower()  # not a newsletter: nothing to leave yet
    assert body.count("http") == 1  # the confirm link and nothing else


def test_redelivered_task_sends_nothing_twice(request_id, fake_postmark):
    run(request_id)
    assert run(request_id).get() == "not claimable"
    assert len(fake_postmark.accepted) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_transient_provider_error_retries_with_backoff(request_id, fake_postmark, status):
    fake_postmark.faults.fail_statuses = [status]
    result = run(request_id)
    assert result.state == "RETRY"
    assert 15 <= result.countdown <= 30  # first backoff step: base 30 s, jittered
    request = ConfirmationRequest.objects.get(pk=request_id)
    assert request.state == "queued" and request.attempts == 1
    assert request.claimed_until > timezone.now()  # the sweeper leaves it to the retry
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    services.record_retry(request_id=request_id, countdown=0, error="")  # backoff elapsed
    assert run(request_id).get() == "sent"
    assert len(fake_postmark.accepted) == 1


def test_dropped_connection_counts_as_transient(request_id, fake_postmark):
    fake_postmark.faults.drop_calls = 1
    assert run(request_id).state == "RETRY"
    assert not fake_postmark.accepted


@pytest.mark.parametrize("fault", ["inactive", "invalid"])
def test_permanent_rejection_is_not_retried_and_marks_undeliverable(
    request_id, fake_postmark, fault
):
    getattr(fake_postmark.faults, fault).add("reader@example.com")
    assert run(request_id).get() == "refused"
    assert fake_postmark.calls == 1
    assert set(Subscription.objects.values_list("status", flat=True)) == {"undeliverable"}
    event = Event.objects.filter(to_status="undeliverable").first()
    assert event.actor == "provider:postmark"
    assert "Refused" in Subscription.objects.first().undeliverable_reason
    assert ConfirmationRequest.objects.get(pk=request_id).state == "failed"


def test_our_own_configuration_error_fails_the_email_but_not_the_reader(
    request_id, fake_postmark, django_capture_on_commit_callbacks
):
    fake_postmark.faults.fail_statuses = [401]  # e.g. a revoked server token
    assert run(request_id).get() == "failed"
    assert fake_postmark.calls == 1  # not retried by itself
    assert ConfirmationRequest.objects.get(pk=request_id).state == "failed"
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    with (
        mock.patch.object(send_confirmation, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("requeue_confirmations", stdout=io.StringIO())
    assert queued.call_args.args[0] == (request_id,)
    assert run(request_id).get() == "sent"  # once the token is fixed
    assert len(fake_postmark.accepted) == 1


def test_refusal_leaves_lists_a_newer_email_covers_to_that_email(
    client, request_id, fake_postmark, settings
):
    settings.CONFIRMATION_COOLDOWN = 0
    sign_up(client, "reader@example.com", "daily")  # a newer email for one of the lists
    fake_postmark.faults.inactive.add("reader@example.com")
    run(request_id)
    statuses = dict(Subscription.objects.values_list("newsletter__slug", "status"))
    assert statuses == {"daily": "pending", "explaining-ukraine": "undeliverable"}


def test_email_is_written_in_the_language_the_reader_signed_up_in(client, newsletters):
    sign_up(client, "reader@example.com", headers={"HTTP_ACCEPT_LANGUAGE": "uk"})
    assert latest_request().language == "uk"


def test_gives_up_after_the_retry_window(request_id, fake_postmark, settings):
    fake_postmark.faults.fail_statuses = [500, 500]
    run(request_id)
    ConfirmationRequest.objects.filter(pk=request_id).update(
        first_attempt_at=timezone.now() - timedelta(seconds=settings.SEND_RETRY_WINDOW + 1),
        claimed_until=None,
    )
    assert run(request_id).get() == "gave up"
    assert set(Subscription.objects.values_list("status", flat=True)) == {"undeliverable"}


def test_nothing_is_sent_when_everything_was_confirmed_meanwhile(request_id, fake_postmark):
    services.confirm(request_id=request_id)
    assert run(request_id).get() == "nothing to confirm"
    assert not fake_postmark.accepted


def test_missing_request_is_a_no_op(postmark_settings):
    assert run(999999).get() == "not claimable"


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(settings):
    settings.SEND_BACKOFF_BASE, settings.SEND_BACKOFF_MAX = 30, 1800
    first = [backoff(1) for _ in range(50)]
    assert all(15 <= x <= 30 for x in first) and len(set(first)) > 1
    assert all(60 <= backoff(3) <= 120 for _ in range(20))
    assert all(900 <= backoff(20) <= 1800 for _ in range(20))


def test_sweeper_requeues_only_old_unclaimed_requests(request_id):
    with mock.patch.object(send_confirmation, "delay") as delay:
        assert sweep_outbox() == 0  # younger than the grace period
        ConfirmationRequest.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        assert sweep_outbox() == 1
        delay.assert_called_once_with(request_id)
        assert sweep_outbox() == 0  # just queued again: not again before a lease has passed
        ConfirmationRequest.objects.update(last_queued_at=None)
        services.claim_confirmation(request_id=request_id)
        assert sweep_outbox() == 0  # claimed by a live send: left alone
        ConfirmationRequest.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
        assert sweep_outbox() == 1  # the claim lapsed: its worker died, so send again
        assert delay.call_count == 2


def test_sweeper_queues_the_oldest_first(client, newsletters, settings):
    settings.CONFIRMATION_COOLDOWN = 0
    for address in ("first@example.com", "second@example.com"):
        sign_up(client, address)
    old = timezone.now() - timedelta(minutes=5)
    ConfirmationRequest.objects.filter(subscriber__email="first@example.com").update(
        created_at=old - timedelta(minutes=1)
    )
    ConfirmationRequest.objects.filter(subscriber__email="second@example.com").update(
        created_at=old
    )
    with mock.patch.object(send_confirmation, "delay") as delay:
        sweep_outbox()
    first = ConfirmationRequest.objects.get(subscriber__email="first@example.com").pk
    assert delay.call_args_list[0].args == (first,)
