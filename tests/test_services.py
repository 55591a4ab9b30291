"""The flows, called directly as a worker, an admin action or a command calls them: what each
writes, what it queues (by task name, only after commit), and who it records as the actor."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from subscriptions import services
from subscriptions.app_settings import app_settings
from subscriptions.core import dispatch, lifecycle
from subscriptions.models import (
    ConfirmationEmail,
    Consent,
    Event,
    OutboxState,
    Subscriber,
    Subscription,
)

pytestmark = pytest.mark.django_db

SEND_CONFIRMATION = "subscriptions.tasks.send_confirmation"
# The confirmations' sender, woken once the emails are committed.
SEND_DUE_OF = "subscriptions.tasks.send_due_of"
CONSENT = services.ConsentInput(
    page_url="/",
    form_id="daily",
    ip_address="203.0.113.5",
    user_agent="UA",
    wording="W",
    version="1",
)


@pytest.fixture
def published():
    """The task messages the flows publish; the broker itself is not needed here."""
    with mock.patch.object(dispatch, "publish") as publish:
        yield publish


def sign_up(newsletters, *slugs: str, email: str = "reader@example.com", **kwargs):
    lists = [newsletters[slug] for slug in slugs or ("daily",)]
    return services.sign_up(email=email, newsletters=lists, consent=CONSENT, **kwargs)


def test_sign_up_records_pending_lists_and_consent_and_queues_one_email_after_commit(
    newsletters, published, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = sign_up(newsletters, "daily", "weekly-review")
        assert not published.called  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    published.assert_called_once_with(
        SEND_DUE_OF, ("confirmation",), countdown=app_settings.SEND_WAKE_WITHIN
    )
    email = ConfirmationEmail.objects.get(pk=result.confirmation_email_id)
    assert sorted(s.newsletter.slug for s in email.subscriptions.all()) == [
        "daily",
        "weekly-review",
    ]
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    consent = Consent.objects.get()
    assert (consent.ip_address, consent.form_id) == ("203.0.113.5", "daily")
    assert set(Event.objects.values_list("actor", "to_status")) == {("reader", "pending")}


def test_sign_up_that_rolls_back_queues_nothing(
    newsletters, published, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sign_up(newsletters)
        raise RuntimeError("the caller's transaction fails after the flow")
    assert not published.called
    assert not Subscriber.objects.exists()


def test_a_publish_the_broker_refuses_is_logged_for_the_sweeper_and_not_raised(
    newsletters, caplog, django_capture_on_commit_callbacks
):
    broker_down = mock.Mock(**{"conf.task_always_eager": False})
    broker_down.send_task.side_effect = ConnectionError("broker down")
    with (
        mock.patch.object(dispatch, "current_app", broker_down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = sign_up(newsletters)
    assert broker_down.send_task.called
    assert "event=publish.failed task=subscriptions.tasks.send_due" in caplog.text
    email = ConfirmationEmail.objects.get(pk=result.confirmation_email_id)
    assert email.state == OutboxState.QUEUED  # still there for the sweeper


def test_sign_up_for_a_confirmed_list_or_inside_the_cooldown_queues_nothing(
    newsletters, published
):
    first = sign_up(newsletters, "daily")
    services.confirm(email_id=first.confirmation_email_id)
    assert sign_up(newsletters, "daily").confirmation_email_id is None  # already confirmed
    second = sign_up(newsletters, "weekly-review")
    assert second.confirmation_email_id is not None
    assert sign_up(newsletters, "weekly-review").confirmation_email_id is None  # cooling down
    assert ConfirmationEmail.objects.count() == 2


def test_the_daily_cap_counts_emails_per_address_whatever_the_case(
    newsletters, settings, published
):
    settings.CONFIRMATION_COOLDOWN = 0
    for email in ("Reader@example.com", "reader@example.com", "READER@example.com"):
        assert sign_up(newsletters, email=email).confirmation_email_id is not None
    assert sign_up(newsletters, email="reader@example.com").confirmation_email_id is None
    assert Subscriber.objects.count() == 1


def test_confirm_by_another_actor_records_it_and_reports_what_was_confirmed_before(
    newsletters, published
):
    first = sign_up(newsletters, "daily")
    services.confirm(email_id=first.confirmation_email_id)
    both = sign_up(newsletters, "daily", "weekly-review")
    # daily is confirmed, so the second email asks for weekly-review alone.
    result = services.confirm(email_id=both.confirmation_email_id, actor=lifecycle.SYSTEM)
    assert result == services.ConfirmResult(confirmed=["Weekly Review"], already=[])
    again = services.confirm(email_id=both.confirmation_email_id)
    assert again == services.ConfirmResult(confirmed=[], already=["Weekly Review"])
    event = Event.objects.get(
        subscription__newsletter__slug="weekly-review", to_status="confirmed"
    )
    assert (event.from_status, event.actor) == ("pending", "system")


def test_unsubscribe_records_the_editor_and_a_second_call_changes_nothing(newsletters, published):
    result = sign_up(newsletters)
    services.confirm(email_id=result.confirmation_email_id)
    subscription = Subscription.objects.get()
    actor = lifecycle.editor("kate")
    assert services.unsubscribe(subscription_id=subscription.pk, actor=actor, detail="asked")
    assert not services.unsubscribe(subscription_id=subscription.pk, actor=actor)
    event = Event.objects.get(to_status="unsubscribed")
    assert (event.actor, event.detail) == ("editor:kate", "asked")
    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed" and subscription.unsubscribed_at


def test_resend_asks_again_only_for_the_lists_still_pending(newsletters, settings, published):
    settings.CONFIRMATION_COOLDOWN = 0
    old = sign_up(newsletters, "daily", "weekly-review").confirmation_email_id
    daily = Subscription.objects.get(newsletter__slug="daily")
    services.unsubscribe(subscription_id=daily.pk)
    new = services.resend_confirmation(email_id=old)
    assert new is not None and new != old
    fresh = ConfirmationEmail.objects.get(pk=new)
    assert [s.newsletter.slug for s in fresh.subscriptions.all()] == ["weekly-review"]
    assert services.resend_confirmation(email_id=999_999) is None


def test_erase_removes_the_address_and_everything_about_it_once(newsletters, published):
    result = sign_up(newsletters, "daily", "weekly-review")
    assert services.erase_subscriber(subscriber_id=result.subscriber_id, actor="editor:kate")
    assert not services.erase_subscriber(subscriber_id=result.subscriber_id, actor="editor:kate")
    for model in (Subscriber, Subscription, Consent, Event, ConfirmationEmail):
        assert not model.objects.exists(), model


def test_one_claim_wins_until_its_lease_lapses(newsletters, published, settings):
    email_id = sign_up(newsletters).confirmation_email_id
    now = timezone.now()
    assert services.claim(kind=ConfirmationEmail, item_id=email_id, now=now)
    assert not services.claim(kind=ConfirmationEmail, item_id=email_id, now=now)
    later = now + timedelta(seconds=app_settings.SEND_LEASE + 1)  # the first worker died
    assert services.claim(kind=ConfirmationEmail, item_id=email_id, now=later)
    assert ConfirmationEmail.objects.get(pk=email_id).attempts == 2
    services.record_sent(kind=ConfirmationEmail, item_id=email_id, message_id="m-1")
    assert not services.claim(
        kind=ConfirmationEmail, item_id=email_id, now=later + timedelta(days=1)
    )


def test_a_refused_address_marks_its_pending_lists_undeliverable_with_the_reason(
    newsletters, published
):
    email_id = sign_up(newsletters, "daily", "weekly-review").confirmation_email_id
    services.record_refused(
        kind=ConfirmationEmail, item_id=email_id, actor="provider:postmark", reason="inactive"
    )
    assert ConfirmationEmail.objects.get(pk=email_id).state == OutboxState.REFUSED
    for subscription in Subscription.objects.all():
        assert subscription.status == "undeliverable"
        assert subscription.undeliverable_reason == "inactive"
    assert set(
        Event.objects.filter(to_status="undeliverable").values_list("actor", flat=True)
    ) == {"provider:postmark"}


def test_senders_claim_queued_rows_oldest_first_and_never_twice(newsletters, published, settings):
    settings.CONFIRMATION_COOLDOWN = 0
    first = sign_up(newsletters, email="a@example.com").confirmation_email_id
    second = sign_up(newsletters, email="b@example.com").confirmation_email_id
    older = timezone.now() - timedelta(minutes=1)
    ConfirmationEmail.objects.filter(pk=second).update(created_at=older)
    assert services.claim_due(kind=ConfirmationEmail, limit=1) == [second]
    assert services.claim_due(kind=ConfirmationEmail, limit=5) == [first]
    assert services.claim_due(kind=ConfirmationEmail, limit=5) == []  # both held now
    services.record_sent_many(kind=ConfirmationEmail, message_ids={first: "m-1", second: "m-2"})
    sent = dict(ConfirmationEmail.objects.values_list("pk", "message_id"))
    assert sent == {first: "m-1", second: "m-2"}
    assert set(ConfirmationEmail.objects.values_list("state", flat=True)) == {"sent"}


def test_two_spellings_of_a_new_address_in_one_batch_keep_the_first_as_typed(
    newsletters, published
):
    daily = newsletters["daily"]
    entries = [
        services.SignUpEntry(email=e, newsletter_ids=[daily.pk], consent=None)
        for e in ("Kate.Smith@example.com", "kate.smith@example.com")
    ]
    services.sign_up_many(entries=entries)
    # As one after the other: the second spelling finds the first's subscriber.
    assert Subscriber.objects.get().email == "Kate.Smith@example.com"
