"""A provider's webhook call waits only for its event to be stored; a worker applies it. What
can't be applied yet is kept and tried again, and an event whose wake-up the broker lost is
applied by beat's sweep."""

import base64
import threading
import time
from datetime import timedelta

import pytest
import requests
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subscriptions import services
from subscriptions.core import bounces
from subscriptions.models import ConfirmationEmail, ProviderEvent, Subscription, Suppression
from subscriptions.privacy import erasure
from subscriptions.services import provider_events, provider_intake
from subscriptions.tasks import apply_provider_events, apply_retention

from .support.helpers import sign_up
from .support.provider_payloads import webhook_call
from .support.redis_server import RedisServer
from .support.stack import require_binary
from .support.wait import wait_until
from .support.webhooks import SECRET, apply_event, record_event

READER = "reader@example.com"
DAY = timedelta(days=1)
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()


def hard_bounce(recipient: str, event_id: str):
    return webhook_call(
        "postmark", "hard_bounce", recipient=recipient, metadata={}, event_id=event_id
    )


def post(client, call):
    return client.generic(
        "POST", call.path, call.body, content_type=call.content_type, HTTP_AUTHORIZATION=AUTH
    )


@pytest.mark.django_db
def test_the_webhook_call_only_stores_the_event_and_the_worker_applies_it(client, newsletters):
    with CaptureQueriesContext(connection) as queries:
        assert post(client, hard_bounce(READER, "ev-1")).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPD"))]
    assert len(writes) == 1 and ProviderEvent._meta.db_table in writes[0]
    stored = ProviderEvent.objects.get()
    assert stored.applied_at is None and not Suppression.objects.exists()
    assert apply_provider_events.apply().get() == 1
    stored.refresh_from_db()
    assert stored.applied_at is not None and stored.effect == "suppressed (hard_bounce)"
    assert Suppression.objects.active().get().event == stored
    assert apply_provider_events.apply().get() == 0  # applied once


@pytest.mark.django_db
def test_an_event_that_fails_to_apply_is_kept_and_tried_later_and_the_others_go_through(
    client, newsletters, monkeypatch, caplog
):
    applying = provider_events.apply_effect

    def broken_for_one(row, now):
        if row.recipient == "broken@example.com":
            raise RuntimeError("a bug")
        return applying(row, now)

    monkeypatch.setattr(provider_intake, "apply_effect", broken_for_one)
    for recipient, event_id in (("broken@example.com", "b-1"), (READER, "ev-1")):
        assert post(client, hard_bounce(recipient, event_id)).status_code == 200
    assert apply_provider_events.apply().get() == 2
    assert Suppression.objects.active().get().inbox_key == READER
    kept = ProviderEvent.objects.get(recipient="broken@example.com")
    assert kept.applied_at is None and kept.attempts == 1 and "a bug" in kept.last_error
    assert (
        kept.due_at is not None and kept.due_at > timezone.now()
    )  # not again at once, nor in a tight loop
    assert "event=provider_event.failed" in caplog.text
    assert apply_provider_events.apply().get() == 0
    monkeypatch.setattr(provider_intake, "apply_effect", applying)  # the fix is deployed
    ProviderEvent.objects.filter(pk=kept.pk).update(due_at=timezone.now())  # its time came
    assert apply_provider_events.apply().get() == 1
    assert Suppression.objects.active().filter(inbox_key="broken@example.com").exists()


@pytest.mark.django_db
def test_retention_keeps_an_old_event_that_was_never_applied(client, newsletters):
    assert post(client, hard_bounce(READER, "applied")).status_code == 200
    apply_provider_events.apply()
    assert post(client, hard_bounce("waiting@example.com", "waiting")).status_code == 200
    ProviderEvent.objects.update(received_at=timezone.now() - timedelta(days=500))
    apply_retention.apply()
    assert list(ProviderEvent.objects.values_list("recipient", flat=True)) == [
        "waiting@example.com"
    ]


@pytest.mark.worker
def test_a_bounce_reported_while_the_broker_is_down_is_applied_when_it_returns(
    make_stack, tmp_path
):
    redis = RedisServer(require_binary("redis-server"), tmp_path).start()
    stack = make_stack(REDIS_URL=redis.url, OUTBOX_SWEEP_INTERVAL="2")
    url = stack.start_web()
    stack.start_worker()
    stack.start_beat()
    try:
        send(url, hard_bounce(READER, "ev-1"))
        wait_until(lambda: Suppression.objects.filter(inbox_key=READER).exists(), timeout=30)
        redis.stop()
        started = time.monotonic()
        send(url, hard_bounce("later@example.com", "ev-2"))
        answered_in = time.monotonic() - started
        redis.start()
        wait_until(
            lambda: Suppression.objects.filter(inbox_key="later@example.com").exists(),
            timeout=60,
            what="the bounce from the outage applied by beat's sweep",
        )
    finally:
        redis.stop()
    assert answered_in < 5  # the provider isn't kept waiting by our broker
    assert not ProviderEvent.objects.filter(applied_at__isnull=True).exists()


def send(url: str, call) -> None:
    answer = requests.post(
        url + call.path,
        data=call.body,
        headers={"Content-Type": call.content_type, "Authorization": AUTH},
        timeout=10,
    )
    assert answer.status_code == 200


@pytest.mark.django_db
def test_metrics_show_the_events_waiting_for_a_worker_and_the_oldest_ones_age(
    client, newsletters, scrape
):
    assert post(client, hard_bounce(READER, "ev-1")).status_code == 200
    ProviderEvent.objects.update(received_at=timezone.now() - timedelta(seconds=90))
    seen = scrape()
    assert seen["newsroom_provider_events_waiting{}"] == 1
    assert 90 <= seen["newsroom_provider_events_oldest_waiting_seconds{}"] < 120
    apply_provider_events.apply()
    seen = scrape()
    assert seen["newsroom_provider_events_waiting{}"] == 0
    assert seen["newsroom_provider_events_oldest_waiting_seconds{}"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_reader_confirming_while_a_worker_applies_events_about_the_same_list_both_succeed(
    client, newsletters, monkeypatch
):
    # The worker once held every event's counter locks until its batch ended; a reader
    # confirming the list meanwhile locked the same counters in the other order: deadlock.
    for address in ("left@example.com", "refused@example.com", "reader@example.com"):
        sign_up(client, address, "daily")
    services.confirm(email_id=confirmation_of("left@example.com"))
    record_event("refused@example.com", bounces.REJECTED, event_id="r")  # pending → undeliverable
    record_event("left@example.com", bounces.UNSUBSCRIBE, event_id="u")  # confirmed → unsubscribed
    reader_may_confirm, applying = threading.Event(), provider_events.apply_effect

    def unsubscribe_slowly(row, now):
        if row.kind == bounces.UNSUBSCRIBE:
            reader_may_confirm.set()
            time.sleep(0.5)  # the reader confirms now
        return applying(row, now)

    monkeypatch.setattr(provider_intake, "apply_effect", unsubscribe_slowly)
    failures: list[str] = []
    confirming = confirmation_of("reader@example.com")

    def reader() -> None:
        reader_may_confirm.wait(10)
        try:
            services.confirm(email_id=confirming)
        except Exception as error:  # a deadlock gives the reader the 503 page
            failures.append(repr(error))
        finally:
            connections.close_all()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert services.apply_recorded_provider_events() == 2
    finally:
        thread.join()
    assert failures == []
    assert not ProviderEvent.objects.waiting().exists()
    statuses = dict(Subscription.objects.values_list("subscriber__email", "status"))
    assert statuses == {
        "left@example.com": "unsubscribed",
        "refused@example.com": "undeliverable",
        "reader@example.com": "confirmed",
    }


def confirmation_of(address: str) -> int:
    return ConfirmationEmail.objects.filter(subscriber__email=address).latest("pk").pk


@pytest.mark.django_db
def test_erasing_a_reader_a_moment_after_their_complaint_still_suppresses_the_inbox(
    client, newsletters
):
    sign_up(client, READER, "daily")
    services.confirm(email_id=confirmation_of(READER))
    record_event(READER, bounces.COMPLAINT)  # a worker hasn't got to it yet
    subscriber_id = Subscription.objects.get().subscriber_id
    services.erase_subscriber(subscriber_id=subscriber_id, actor="editor:kate")
    # Under the inbox's keyed hash, which an erasure leaves in place of the address.
    assert Suppression.objects.active().get().inbox_key == erasure.inbox_hash(READER)
    assert Suppression.objects.of_addresses([(READER, READER)]) == {(READER, READER)}
    assert not ProviderEvent.objects.exists()  # erased with the reader, once applied


@pytest.mark.django_db
def test_a_bounce_from_before_an_editor_lifted_the_suppression_does_not_undo_the_lift(
    newsletters,
):
    apply_event(READER, bounces.HARD_BOUNCE, event_id="first")
    record_event(READER, bounces.HARD_BOUNCE, event_id="late")  # came, then a backlog
    services.lift_suppressions(ids=[Suppression.objects.get().pk], actor="editor:kate")
    assert apply_provider_events.apply().get() == 1
    assert ProviderEvent.objects.get(dedupe_key__endswith="late").effect == "lifted since it came"
    assert not Suppression.objects.active().exists()


@pytest.mark.django_db
def test_soft_bounces_are_counted_over_the_window_before_each_came_not_before_it_was_applied(
    newsletters, settings
):
    settings.SOFT_BOUNCE_LIMIT, settings.SOFT_BOUNCE_WINDOW = 3, 7 * 86400
    for event_id in ("s1", "s2", "s3"):
        record_event(READER, bounces.SOFT_BOUNCE, event_id=event_id)
    came = timezone.now() - timedelta(minutes=10)  # the third; a worker gets to it now
    for event_id, before in (("s1", timedelta(days=7) - timedelta(minutes=5)), ("s2", DAY)):
        ProviderEvent.objects.filter(dedupe_key__endswith=event_id).update(
            received_at=came - before
        )
    ProviderEvent.objects.filter(dedupe_key__endswith="s3").update(received_at=came)
    apply_provider_events.apply()
    effects = ProviderEvent.objects.order_by("pk").values_list("effect", flat=True)
    assert list(effects) == ["counted (1 of 3)", "counted (2 of 3)", "suppressed (soft_bounces)"]
