"""/metrics: what operators graph and alert on, after a sign-up, a send and a failure; and
nobody else can read it."""

import io
import re

import pytest
from django.core.management import call_command

from subscriptions import services
from subscriptions.models import ConfirmationEmail, Tally
from subscriptions.tasks import send_confirmation, send_due

from .support.helpers import sign_up
from .support.metrics import TOKEN
from .support.webhooks import apply_event

pytestmark = pytest.mark.django_db


def test_metrics_count_a_sign_up_its_send_and_a_failure(
    client, newsletters, scrape, postmark_settings
):
    before = scrape()
    assert before["newsroom_signups_recorded_total{}"] == 0
    sign_up(client, "reader@example.com", "daily", "weekly-review")
    after = scrape()
    assert after["newsroom_signups_recorded_total{}"] == 1
    assert after["newsroom_signups_processed_total{}"] == 1
    assert after['newsroom_emails_total{kind="confirmation",outcome="queued"}'] == 1
    assert after['newsroom_subscriptions{list="daily",status="pending"}'] == 1
    assert after['newsroom_outbox_waiting{kind="confirmation"}'] == 1
    assert send_due.apply().get() == 1
    sent = scrape()
    assert sent['newsroom_emails_total{kind="confirmation",outcome="sent"}'] == 1
    assert sent['newsroom_outbox_waiting{kind="confirmation"}'] == 0
    assert sent['newsroom_provider_call_seconds_count{outcome="sent"}'] >= 1
    postmark_settings.faults.fail_statuses = [401]  # our provider token was revoked
    sign_up(client, "other@example.com", "daily")
    email_id = ConfirmationEmail.objects.latest("pk").pk
    assert send_confirmation.apply(args=(email_id,)).get() == "failed"
    failed = scrape()
    assert failed['newsroom_emails_total{kind="confirmation",outcome="failed"}'] == 1
    assert failed['newsroom_subscriptions{list="daily",status="pending"}'] == 2


def test_statuses_move_with_confirmations_and_unsubscribes(client, newsletters, scrape):
    sign_up(client, "reader@example.com", "daily")
    services.confirm(email_id=ConfirmationEmail.objects.get().pk)
    confirmed = scrape()
    assert confirmed['newsroom_subscriptions{list="daily",status="pending"}'] == 0
    assert confirmed['newsroom_subscriptions{list="daily",status="confirmed"}'] == 1
    services.unsubscribe(subscription_id=newsletters["daily"].subscriptions.get().pk)
    left = scrape()
    assert left['newsroom_subscriptions{list="daily",status="unsubscribed"}'] == 1
    assert left['newsroom_unsubscribes_total{list="daily"}'] == 1


def test_erasing_a_subscriber_takes_their_subscriptions_out_of_the_counts(
    client, newsletters, scrape
):
    sign_up(client, "gone@example.com", "daily", "weekly-review")
    subscriber_id = ConfirmationEmail.objects.get().subscriber_id
    services.erase_subscriber(subscriber_id=subscriber_id, actor="editor:kate")
    counts = scrape()
    assert counts['newsroom_subscriptions{list="daily",status="pending"}'] == 0
    assert counts['newsroom_subscriptions{list="weekly-review",status="pending"}'] == 0


def test_blocked_sign_ups_and_request_times_come_from_the_processes(client, newsletters, scrape):
    sign_up(client, "bot@example.com", website="http://spam.example")
    counts = scrape()
    assert counts['newsroom_signups_blocked_total{reason="honeypot"}'] >= 1
    assert counts['newsroom_request_seconds_count{view="subscriptions:subscribe"}'] >= 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": TOKEN}],
    ids=["no token", "wrong token", "not a bearer token"],
)
def test_metrics_are_a_404_without_the_token(client, settings, headers):
    settings.METRICS_TOKEN = TOKEN
    answer = client.get("/metrics", **headers)
    assert answer.status_code == 404
    assert "newsroom_" not in answer.content.decode()


def test_metrics_are_a_404_when_nothing_allows_anyone(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_an_allowed_network_reads_metrics_without_a_token(client, settings, db):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 404
    body = client.get("/metrics", REMOTE_ADDR="10.0.0.1").content.decode()
    assert re.search(r"^newsroom_signups_waiting 0\.0$", body, re.MULTILINE)


def test_recounting_from_the_rows_gives_the_counts_the_changes_kept(client, newsletters, scrape):
    sign_up(client, "one@example.com", "daily", "weekly-review")
    sign_up(client, "two@example.com", "daily")
    services.confirm(email_id=ConfirmationEmail.objects.earliest("pk").pk)
    kept = scrape()
    Tally.objects.filter(key__startswith="subscriptions:").update(value=999)  # drifted
    call_command("recount_tallies", stdout=io.StringIO())
    recounted = scrape()
    for key, value in kept.items():
        if key.startswith(("newsroom_subscriptions{", "newsroom_emails_total{")):
            assert recounted[key] == value, key


def test_provider_events_and_suppressed_inboxes_are_counted(newsletters, scrape):
    for event_id, kind in (("c1", "complaint"), ("s1", "soft_bounce"), ("h1", "hard_bounce")):
        apply_event(f"{event_id}@example.com", kind, event_id=event_id)
    seen = scrape()
    assert seen['newsroom_provider_events_total{kind="complaint",provider="postmark"}'] == 1
    assert seen['newsroom_provider_events_total{kind="soft_bounce",provider="postmark"}'] == 1
    assert seen['newsroom_suppressed_inboxes{reason="complaint"}'] == 1
    assert seen['newsroom_suppressed_inboxes{reason="hard_bounce"}'] == 1
    assert seen['newsroom_suppressed_inboxes{reason="soft_bounces"}'] == 0


def test_refused_and_suppressed_emails_stay_apart_from_our_failures_after_a_recount(
    client, newsletters, scrape, postmark_settings
):
    postmark_settings.faults.inactive.add("refused@example.com")  # the provider refuses it
    for address in ("refused@example.com", "bounced@example.com", "sent@example.com"):
        sign_up(client, address, "daily")
    apply_event("bounced@example.com", "hard_bounce")
    send_due.apply()
    kept = scrape()
    outcome = 'newsroom_emails_total{kind="confirmation",outcome="%s"}'
    counted = {
        o: kept[outcome % o] for o in ("sent", "refused", "suppressed", "failed", "skipped")
    }
    # "failed" pages an operator about our provider configuration: none of these is that.
    assert counted == {"sent": 1, "refused": 1, "suppressed": 1, "failed": 0, "skipped": 0}
    Tally.objects.filter(key__startswith="emails:").update(value=999)  # drifted
    services.recount_tallies()
    recounted = scrape()
    assert {key: recounted[key] for key in kept if key.startswith("newsroom_emails_total{")} == {
        key: value for key, value in kept.items() if key.startswith("newsroom_emails_total{")
    }


def test_behind_the_proxy_metrics_go_by_the_client_it_names_not_its_own_address(
    client, settings, db
):
    # The proxy on loopback: REMOTE_ADDR is 127.0.0.1 for everyone; the header is the client.
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.0.0.0/8"]
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", **via_proxy, HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 404
    assert client.get("/metrics", **via_proxy, HTTP_X_FORWARDED_FOR="10.9.8.7").status_code == 200
