"""Retention: the daily task deletes sign-ups nobody confirmed, the readers they leave with
nothing, and old provider events. What readers chose, the suppressions and the running counts
stay."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from newsroom.celery import app
from subscriptions import services, tasks
from subscriptions.models import (
    ConfirmationEmail,
    Consent,
    Inbox,
    ProviderEvent,
    RecordedSignUp,
    Status,
    Subscriber,
    Subscription,
    Suppression,
)
from subscriptions.services import retention

from .support.helpers import confirmed, latest_confirmation, sign_up
from .support.provider_payloads import webhook_call
from .support.webhooks import post_tracking

pytestmark = pytest.mark.django_db


def age(rows: QuerySet, days: int, *fields: str) -> None:
    """Make `rows` look as if those fields were set `days` ago."""
    then = timezone.now() - timedelta(days=days)
    rows.update(**dict.fromkeys(fields, then))


def signed_up(client, email: str, *slugs: str, days_ago: int = 0) -> Subscriber:
    """A reader who signed up to `slugs` `days_ago` and never confirmed."""
    sign_up(client, email, *slugs)
    subscriber = Subscriber.objects.get(email=email)
    pending = Subscription.objects.filter(subscriber=subscriber, newsletter__slug__in=slugs)
    age(pending, days_ago, "pending_at", "created_at")
    age(Subscriber.objects.filter(pk=subscriber.pk), days_ago, "created_at")
    age(ConfirmationEmail.objects.filter(pk=latest_confirmation().pk), days_ago, "created_at")
    return subscriber


def lists_of(subscriber: Subscriber) -> dict[str, str]:
    rows = Subscription.objects.filter(subscriber=subscriber)
    return dict(rows.values_list("newsletter__slug", "status"))


def bounce(client, case: str, recipient: str, event_id: str) -> None:
    """Postmark reports `case` for a message to `recipient`, through its webhook."""
    call = webhook_call("postmark", case, recipient=recipient, metadata={}, event_id=event_id)
    assert post_tracking(client, call).status_code == 200


def test_a_sign_up_nobody_confirmed_for_a_month_is_deleted_and_a_recent_one_kept(
    client, newsletters
):
    old = signed_up(client, "old@example.com", "daily", days_ago=31)
    recent = signed_up(client, "recent@example.com", "daily", days_ago=29)
    # A row from before pending_at was kept: its sign-up is when it was created.
    undated = signed_up(client, "undated@example.com", "weekly-review", days_ago=31)
    Subscription.objects.filter(subscriber=undated).update(pending_at=None)

    result = services.apply_retention()

    assert result.pending == 2
    assert lists_of(old) == {} and lists_of(undated) == {}
    assert lists_of(recent) == {"daily": Status.PENDING}


def test_a_pending_sign_up_is_kept_while_its_confirmation_link_still_works(
    client, newsletters, settings
):
    settings.PENDING_RETENTION_DAYS = 1  # shorter than the link's 7 days
    reader = signed_up(client, "slow@example.com", "daily", days_ago=3)
    assert services.apply_retention().pending == 0
    services.confirm(email_id=latest_confirmation().pk)
    assert lists_of(reader) == {"daily": Status.CONFIRMED}


def test_confirmed_and_unsubscribed_readers_are_kept_however_long_ago_they_signed_up(
    client, newsletters
):
    reader = confirmed(client, "loyal@example.com", "daily", "weekly-review")
    services.unsubscribe(subscription_id=Subscription.objects.get(newsletter__slug="daily").pk)
    fields = ("created_at", "pending_at", "confirmed_at", "unsubscribed_at", "status_changed_at")
    age(Subscription.objects.all(), 3000, *fields)
    age(Subscriber.objects.all(), 3000, "created_at")
    consents = list(Consent.objects.filter(subscriber=reader).values_list("pk", flat=True))

    result = services.apply_retention()

    assert (result.pending, result.subscribers) == (0, 0)
    assert lists_of(reader) == {"daily": Status.UNSUBSCRIBED, "weekly-review": Status.CONFIRMED}
    assert list(Consent.objects.filter(subscriber=reader).values_list("pk", flat=True)) == consents
    assert Inbox.objects.filter(key="loyal@example.com").exists()


def test_a_reader_left_with_nothing_is_deleted_with_their_consents_and_inbox(client, newsletters):
    gone = signed_up(client, "gone@example.com", "daily", "weekly-review", days_ago=45)
    kept = confirmed(client, "kept@example.com", "explaining-ukraine")
    signed_up(client, "kept@example.com", "daily", days_ago=45)
    assert Consent.objects.filter(subscriber=gone).exists()

    result = services.apply_retention()

    assert (result.pending, result.subscribers) == (3, 1)
    assert not Subscriber.objects.filter(pk=gone.pk).exists()
    assert not Consent.objects.filter(subscriber_id=gone.pk).exists()
    assert not ConfirmationEmail.objects.filter(subscriber_id=gone.pk).exists()
    assert not Inbox.objects.filter(key="gone@example.com").exists()
    # The other reader keeps the list they confirmed, their consents and their inbox row.
    assert lists_of(kept) == {"explaining-ukraine": Status.CONFIRMED}
    assert Consent.objects.filter(subscriber=kept).count() == 2
    assert Inbox.objects.filter(key="kept@example.com").exists()


def test_the_admin_log_of_a_deleted_reader_keeps_the_entries_without_the_address(
    client, newsletters
):
    gone = signed_up(client, "opened@example.com", "daily", days_ago=45)
    editor = User.objects.create_superuser("kate", "kate@example.com", "pw")
    # What the admin writes when an editor saves the reader, and one of their subscriptions.
    LogEntry.objects.log_actions(editor.pk, [gone], CHANGE, change_message="[]")
    LogEntry.objects.log_actions(editor.pk, list(gone.subscriptions.all()), CHANGE, "[]")

    assert services.apply_retention().subscribers == 1

    entries = list(LogEntry.objects.order_by("pk"))
    assert [e.user_id for e in entries] == [editor.pk, editor.pk]  # who did what is kept
    assert [e.object_repr.split(" →")[0] for e in entries] == [f"subscriber #{gone.pk}"] * 2
    assert not any("opened@" in e.object_repr + e.change_message for e in entries)


def test_an_inbox_another_spelling_of_the_address_still_uses_is_kept(client, newsletters):
    signed_up(client, "reader+old@example.com", "daily", days_ago=45)
    other = confirmed(client, "reader@example.com", "weekly-review")

    assert services.apply_retention().subscribers == 1

    assert list(Subscriber.objects.values_list("pk", flat=True)) == [other.pk]
    assert Inbox.objects.filter(key="reader@example.com").exists()


def test_a_sign_up_arriving_again_is_not_lost_to_retention(client, newsletters):
    reader = signed_up(client, "back@example.com", "daily", days_ago=45)
    sign_up(client, "back@example.com", "daily")  # made pending anew: a fresh sign-up

    result = services.apply_retention()

    assert (result.pending, result.subscribers) == (0, 0)
    assert lists_of(reader) == {"daily": Status.PENDING}
    services.confirm(email_id=latest_confirmation().pk)
    assert lists_of(reader) == {"daily": Status.CONFIRMED}


def test_provider_events_over_400_days_old_go_and_the_suppressions_they_caused_hold(
    client, newsletters, scrape
):
    confirmed(client, "bounced@example.com", "daily")
    confirmed(client, "busy@example.com", "daily")
    bounce(client, "hard_bounce", "bounced@example.com", "old-1")
    bounce(client, "soft_bounce", "busy@example.com", "new-1")
    age(ProviderEvent.objects.filter(recipient="bounced@example.com"), 401, "received_at")
    age(ProviderEvent.objects.filter(recipient="busy@example.com"), 399, "received_at")
    before = scrape()

    assert services.apply_retention().provider_events == 1

    assert list(ProviderEvent.objects.values_list("recipient", flat=True)) == ["busy@example.com"]
    suppression = Suppression.objects.active().get()
    assert (suppression.inbox_key, suppression.event) == ("bounced@example.com", None)
    # The inbox still gets nothing: a new sign-up queues no confirmation.
    emails = ConfirmationEmail.objects.count()
    sign_up(client, "bounced@example.com", "weekly-review")
    assert ConfirmationEmail.objects.count() == emails
    after = scrape()
    for key, value in before.items():
        if key.startswith(("newsroom_provider_events_total{", "newsroom_suppressed_inboxes{")):
            assert after[key] == value, key
    assert after['newsroom_provider_events_total{kind="hard_bounce",provider="postmark"}'] == 1


def test_the_subscription_counts_in_metrics_match_a_recount_after_retention(
    client, newsletters, scrape
):
    signed_up(client, "old1@example.com", "daily", "weekly-review", days_ago=60)
    signed_up(client, "old2@example.com", "daily", days_ago=60)
    signed_up(client, "new@example.com", "daily", days_ago=2)
    # Signed up 60 days ago, then today: today's confirmation and two welcomes reach the
    # inbox's daily cap, which a sign-up after them would meet.
    signed_up(client, "both@example.com", "explaining-ukraine", days_ago=60)
    confirmed(client, "both@example.com", "daily", "weekly-review")

    assert services.apply_retention().pending == 4
    kept = scrape()
    assert kept['newsroom_subscriptions{list="daily",status="pending"}'] == 1
    assert kept['newsroom_subscriptions{list="weekly-review",status="pending"}'] == 0
    assert kept['newsroom_subscriptions{list="explaining-ukraine",status="pending"}'] == 0
    services.recount_tallies()
    recounted = scrape()
    counts = [key for key in kept if key.startswith("newsroom_subscriptions{")]
    assert counts
    assert {key: recounted[key] for key in counts} == {key: kept[key] for key in counts}


def test_running_retention_twice_deletes_nothing_more(client, newsletters, caplog):
    signed_up(client, "old@example.com", "daily", days_ago=31)
    confirmed(client, "bounced@example.com", "weekly-review")
    bounce(client, "complaint", "bounced@example.com", "spam-1")
    age(ProviderEvent.objects.all(), 500, "received_at")

    first = services.apply_retention()
    second = services.apply_retention()

    assert (first.pending, first.subscribers, first.provider_events) == (1, 1, 1)
    assert second == services.RetentionResult(
        pending=0, subscribers=0, recorded_sign_ups=0, provider_events=0
    )
    assert (
        "event=retention.applied pending=1 subscribers=1 recorded_sign_ups=0 "
        "provider_events=1 actor=system"
    ) in caplog.text
    assert "@example.com" not in caplog.text.split("event=retention.applied", 1)[1]


def test_a_sign_up_waiting_for_a_worker_is_never_deleted(newsletters):
    # One that kept failing for two months: still waiting, with its backoff.
    then = timezone.now() - timedelta(days=60)
    waiting = RecordedSignUp.objects.create(
        email="waiting@example.com",
        newsletter_ids=[newsletters["daily"].pk],
        wording="W",
        version="1",
        created_at=then,
        due_at=timezone.now() + timedelta(hours=1),
        attempts=12,
    )
    assert services.apply_retention().recorded_sign_ups == 0
    assert RecordedSignUp.objects.filter(pk=waiting.pk).exists()
    RecordedSignUp.objects.update(due_at=timezone.now())  # its turn comes
    services.process_recorded_sign_ups()
    assert lists_of(Subscriber.objects.get(email="waiting@example.com")) == {
        "daily": Status.PENDING
    }


def test_beat_runs_the_retention_task_daily():
    entry = app.conf.beat_schedule["apply-retention"]
    assert entry["task"] == "subscriptions.tasks.apply_retention" == tasks.apply_retention.name
    assert entry["schedule"] == crontab(hour=3, minute=30)
    assert "subscriptions.tasks.apply_retention" in app.tasks


def test_the_retention_task_runs_the_flow_and_reports_its_counts(client, newsletters):
    signed_up(client, "old@example.com", "daily", days_ago=31)
    counts = tasks.apply_retention.apply().get()
    assert counts == {
        "pending": 1,
        "subscribers": 1,
        "recorded_sign_ups": 0,
        "provider_events": 0,
    }


def test_a_reader_who_signs_up_again_while_retention_runs_is_kept(
    client, newsletters, monkeypatch
):
    reader = signed_up(client, "again@example.com", "daily", days_ago=45)
    delete_subscribers = retention._delete_subscribers

    def sign_up_first(chunk, **kwargs):
        # The reader signs up to another list after the run listed them as left with nothing.
        sign_up(client, "again@example.com", "weekly-review")
        return delete_subscribers(chunk, **kwargs)

    monkeypatch.setattr(retention, "_delete_subscribers", sign_up_first)
    result = services.apply_retention()

    assert (result.pending, result.subscribers) == (1, 0)
    assert lists_of(reader) == {"weekly-review": Status.PENDING}
