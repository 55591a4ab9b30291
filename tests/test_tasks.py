"""The confirmation task against anymail's Postmark backend and a fake provider on loopback."""

import io
from dataclasses import dataclass
from datetime import timedelta
from unittest import mock

import pytest
from celery import current_app
from django.core.management import call_command
from django.utils import timezone

from subscriptions import services
from subscriptions.app_settings import app_settings
from subscriptions.core import dispatch
from subscriptions.delivery import backoff
from subscriptions.models import ConfirmationEmail, Event, Subscription
from subscriptions.tasks import send_confirmation, send_due, sweep_outbox

from .support.helpers import latest_confirmation, sign_up
from .support.wait import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_id(client, newsletters, postmark_settings):
    sign_up(client, "reader@example.com", "daily", "explaining-ukraine")
    return latest_confirmation().pk


SEND_DUE_OF = "subscriptions.tasks.send_due_of"


@dataclass
class Outcome:
    """How one run of the task ended, and the countdown of the wake-up a retry asked for."""

    value: object
    countdown: float | None

    def get(self) -> object:
        return self.value


def run(email_id: int) -> Outcome:
    """Run the task as a worker would, catching the wake-ups it publishes."""
    with mock.patch.object(dispatch, "publish") as published:
        value = send_confirmation.apply(args=(email_id,)).get()
    wakes = [c for c in published.call_args_list if c.args == (SEND_DUE_OF, ("confirmation",))]
    return Outcome(value, wakes[0].kwargs["countdown"] if wakes else None)


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
    assert result.get() == "retry"
    assert result.countdown is not None  # the sender is woken when the backoff has passed
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
    assert run(email_id).get() == "retry"
    assert not fake_postmark.accepted


def test_a_call_that_timed_out_after_the_provider_kept_it_is_sent_again_not_lost(
    email_id, fake_postmark, settings
):
    # At least once: we can't tell a call the provider kept from one it never read, so the
    # retry sends it again, and the reader gets a second copy rather than no email.
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.3}
    fake_postmark.faults.latencies = [1.0]
    assert run(email_id).get() == "retry"
    wait_until(lambda: fake_postmark.in_flight == 0, timeout=5, what="the timed-out call")
    assert len(fake_postmark.accepted) == 1  # kept, though we never heard so
    services.record_retry(kind=ConfirmationEmail, item_id=email_id, countdown=0, error="")
    assert run(email_id).get() == "sent"
    assert len(fake_postmark.to("reader@example.com")) == 2  # one duplicate, nothing lost


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
    assert ConfirmationEmail.objects.get(pk=email_id).state == "refused"


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
    queued.assert_called_once_with(SEND_DUE_OF, ("confirmation",))
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
        first_attempt_at=timezone.now() - timedelta(seconds=app_settings.SEND_RETRY_WINDOW + 1),
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


def test_the_sender_sends_due_rows_and_leaves_rows_another_sender_holds(email_id, fake_postmark):
    services.claim(kind=ConfirmationEmail, item_id=email_id)  # another sender has it
    assert send_due.apply().get() == 0
    assert not fake_postmark.accepted
    ConfirmationEmail.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert send_due.apply().get() == 1  # the claim lapsed: that sender died, so send it
    assert send_due.apply().get() == 0
    assert len(fake_postmark.accepted) == 1


def test_the_sender_sends_the_oldest_first(client, newsletters, postmark_settings, settings):
    settings.CONFIRMATION_COOLDOWN = 0
    settings.SEND_BATCH = 1
    for address in ("second@example.com", "first@example.com"):
        sign_up(client, address)
    earlier = timezone.now() - timedelta(minutes=5)
    ConfirmationEmail.objects.filter(subscriber__email="first@example.com").update(
        created_at=earlier
    )
    # Pending since then too: an email confirms only what was pending when it was queued.
    Subscription.objects.filter(subscriber__email="first@example.com").update(pending_at=earlier)
    assert send_due.apply().get() == 2
    claimed = dict(ConfirmationEmail.objects.values_list("subscriber__email", "first_attempt_at"))
    first, second = claimed["first@example.com"], claimed["second@example.com"]
    assert first and second and first < second  # taken in that order
    assert len(postmark_settings.accepted) == 2


def test_the_sender_sends_a_batch_at_once_and_wakes_itself_for_a_retry(
    client, newsletters, postmark_settings
):
    for address in ("one@example.com", "two@example.com", "three@example.com"):
        sign_up(client, address)
    postmark_settings.faults.fail_statuses = [503]  # one call of the three fails
    with mock.patch.object(dispatch, "publish") as published:
        assert send_due.apply().get() == 3
    assert len(postmark_settings.accepted) == 2
    [retry] = ConfirmationEmail.objects.filter(state="queued")
    assert retry.claimed_until and retry.claimed_until > timezone.now()  # held for its retry
    [wake] = published.call_args_list
    assert wake.args == (SEND_DUE_OF, ("confirmation",)) and 15 <= wake.kwargs["countdown"] <= 30


@pytest.mark.parametrize(
    ("task", "args", "queue"),
    [
        (SEND_DUE_OF, ("confirmation",), "confirmation"),
        (SEND_DUE_OF, ("welcome",), "welcome"),
        (SEND_DUE_OF, ("data_export",), "data_export"),
        (SEND_DUE_OF, ("edition",), "edition"),  # a kind another app declares
        ("subscriptions.tasks.send_confirmation", (1,), "confirmation"),
        ("subscriptions.tasks.process_sign_ups", (), "confirmation"),
        ("subscriptions.tasks.sweep_outbox", (), "confirmation"),
        ("subscriptions.tasks.send_due", (), "email"),  # where older releases queued it
        ("subscriptions.tasks.apply_provider_events", (), "default"),
    ],
)
def test_each_kind_of_email_is_sent_from_a_queue_of_its_own(task, args, queue):
    routed = current_app.amqp.router.route({}, task, args=args, kwargs={})
    assert routed["queue"].name == queue


def test_queueing_a_welcome_wakes_the_welcome_sender_even_right_after_a_confirmation(
    client, newsletters, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(dispatch, "publish") as published,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sign_up(client, "reader@example.com")  # queues a confirmation: wakes its sender
        # Confirming queues a welcome, within SEND_WAKE_WITHIN of the confirmation's wake-up.
        services.confirm(email_id=latest_confirmation().pk)
    woken = [c.args for c in published.call_args_list if c.args[0] == SEND_DUE_OF]
    assert woken == [(SEND_DUE_OF, ("confirmation",)), (SEND_DUE_OF, ("welcome",))]


def test_beats_sweep_wakes_the_sender_of_every_kind(django_capture_on_commit_callbacks):
    with (
        mock.patch.object(dispatch, "publish") as published,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sweep_outbox.apply()
    assert [c.args for c in published.call_args_list] == [
        (SEND_DUE_OF, ("confirmation",)),
        (SEND_DUE_OF, ("welcome",)),
        (SEND_DUE_OF, ("data_export",)),
        (SEND_DUE_OF, ("edition",)),  # declared by the editions app, from its ready()
    ]
