"""The reader's data (GDPR Art. 15 and 20): one JSON document per subscriber, for editors with
the permission in the admin, and for readers through an emailed link that works for a day, at
most one such email a day, never to a suppressed inbox, and nothing left after an erasure."""

import base64
import json
import re
import time
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail, signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.test import Client

from subscriptions import services
from subscriptions.app_settings import app_settings
from subscriptions.core import consent, tokens
from subscriptions.models import DataExportEmail, Subscriber, Subscription
from subscriptions.privacy import personal_data
from subscriptions.tasks import send_due

from .support.helpers import confirmed, found, latest_confirmation, sign_up
from .support.provider_payloads import webhook_call
from .support.webhooks import post_tracking

pytestmark = pytest.mark.django_db

READER = "reader@example.com"
OTHER = "other.reader@example.com"
ADMIN = "/admin/subscriptions/subscriber/"
DAY = 24 * 3600
encode = DjangoJSONEncoder().default  # how a time reads in the document


@pytest.fixture
def reader(client, newsletters) -> Subscriber:
    """Signed up to two lists in Ukrainian from a page, confirmed, and the emails sent."""
    headers = {"HTTP_USER_AGENT": "Firefox/128", "HTTP_ACCEPT_LANGUAGE": "uk"}
    sign_up(
        client, READER, "daily", "weekly-review", ip="203.0.113.9", page="/u/", headers=headers
    )
    send_due.apply()  # the confirmation
    services.confirm(email_id=latest_confirmation().pk)
    send_due.apply()  # the welcome emails
    mail.outbox.clear()
    return Subscriber.objects.get(email=READER)


def webhook(client: Client, case: str, recipient: str, event_id: str) -> None:
    """A Postmark tracking event about `recipient`, as Postmark posts it."""
    call = webhook_call(
        "postmark",
        case,
        recipient=recipient,
        metadata={"kind": "welcome", "list": "daily"},
        event_id=event_id,
        message_id=f"message-{event_id}",
    )
    assert not call.headers  # Postmark's need none beyond its Basic auth
    assert post_tracking(client, call).status_code == 200


def preferences_link(subscriber: Subscriber) -> str:
    return f"/preferences/{tokens.make_preferences_token(subscriber.pk)}/"


def press_send_me_my_data(browser: Client, subscriber: Subscriber) -> str:
    """Open the preference center from the link and press the button; what the page says."""
    assert browser.get(preferences_link(subscriber), follow=True).status_code == 200
    page = browser.post("/preferences/", {"action": "export"})
    assert page.status_code == 200
    return found(r'(?s)<div class="result" role="status">(.*?)</div>', page.content.decode())


def export_emails() -> list:
    return [m for m in mail.outbox if "data_export" in getattr(m, "tags", [])]


def link_in(message) -> str:
    """The data link's path, which must be in both the text and the HTML body."""
    path = found(r"http://testserver(/your-data/[^/\s\"]+/)", message.body)
    assert f"http://testserver{path}" in message.alternatives[0][0]
    return path


def emailed_link(browser: Client, subscriber: Subscriber) -> str:
    press_send_me_my_data(browser, subscriber)
    send_due.apply()
    [message] = export_emails()
    return link_in(message)


def without_time(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "exported_at"}


def test_the_export_holds_the_readers_record_and_nothing_about_anyone_else(client, reader):
    other = confirmed(client, OTHER, "daily")
    services.unsubscribe(subscription_id=other.subscriptions.get().pk, actor="editor:sam")
    webhook(client, "soft_bounce", READER, "about-reader")
    webhook(client, "hard_bounce", OTHER, "about-other")  # their inbox is suppressed
    weekly = Subscription.objects.get(subscriber=reader, newsletter__slug="weekly-review")
    services.unsubscribe(subscription_id=weekly.pk, actor="editor:kate")
    weekly.refresh_from_db()
    text = personal_data.as_json(reader)
    data = json.loads(text)
    assert OTHER not in text.lower() and "editor:sam" not in text
    assert data["format"] == personal_data.FORMAT and data["version"] == 1
    assert data["subscriber"]["email"] == READER and data["subscriber"]["language"] == "uk"
    lists = {s["list"]: s for s in data["subscriptions"]}
    assert set(lists) == {"daily", "weekly-review"}
    for row in Subscription.objects.filter(subscriber=reader):
        mine = lists[row.newsletter.slug]
        assert mine["status"] == row.status
        assert mine["created_at"] == encode(row.created_at)
        assert mine["confirmed_at"] == encode(row.confirmed_at)
    assert lists["weekly-review"]["unsubscribed_at"] == encode(weekly.unsubscribed_at)
    [given] = data["consents"]
    # The line the form showed, naming the two lists ticked, and how to read its version.
    assert given["wording"] == consent.wording(["The Daily Brief", "Weekly Review"])
    assert given["given_at"] and given["wording_version"] == app_settings.CONSENT_VERSION
    assert given["wording_version_meant"] == consent.meaning(app_settings.CONSENT_VERSION) != ""
    assert given["ip_address"] == "203.0.113.9" and given["page_url"] == "/u/"
    assert given["user_agent"] == "Firefox/128"
    history = sorted((e["list"], e["to_status"], e["actor"]) for e in data["events"])
    assert history == [
        ("daily", "confirmed", "reader"),
        ("daily", "pending", "reader"),
        ("weekly-review", "confirmed", "reader"),
        ("weekly-review", "pending", "reader"),
        ("weekly-review", "unsubscribed", "editor"),  # our staff's usernames stay ours
    ]
    assert all(e["at"] for e in data["events"])
    sent = sorted((e["kind"], e["state"]) for e in data["emails"])
    assert sent == [("confirmation", "sent"), ("welcome", "sent"), ("welcome", "sent")]
    [event] = data["provider_events"]
    assert event["recipient"] == READER and event["kind"] == "soft_bounce"
    assert event["raw"]["Email"] == READER and data["suppressions"] == []


def test_the_export_holds_provider_events_about_the_address_in_any_case(
    client, newsletters, settings
):
    settings.ALLOW_SMTPUTF8 = True  # a non-ASCII address, which SQLite's LIKE doesn't case-fold
    olga = confirmed(client, "Ölga@example.com")
    webhook(client, "soft_bounce", "ölga@example.com", "lower")
    webhook(client, "soft_bounce", "ÖLGA@EXAMPLE.COM", "upper")
    webhook(client, "soft_bounce", "olga@example.com", "someone-else")  # another address
    reported = [e["recipient"] for e in personal_data.document(olga)["provider_events"]]
    assert reported == ["ölga@example.com", "ÖLGA@EXAMPLE.COM"]


def test_send_me_my_data_emails_a_link_to_a_page_and_the_download(client, reader):
    answer = press_send_me_my_data(client, reader)
    assert "Check your inbox" in answer
    send_due.apply()
    [message] = export_emails()
    assert message.to == [READER]
    browser = Client()  # the link alone opens the page, in whatever browser reads the email
    page = browser.get(link_in(message), follow=True)
    text = page.content.decode()
    assert page.status_code == 200 and "/your-data/download/" in text
    assert "2 subscriptions" in text and "1 record of your consent" in text
    assert "4 emails we sent you" in text  # the confirmation, two welcomes, and this one
    download = browser.get("/your-data/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/json")
    # The date is the download's (a second now() could fall past midnight).
    assert re.fullmatch(
        rf'attachment; filename="newsroom-data-{reader.pk}-\d{{8}}\.json"',
        download["Content-Disposition"],
    )
    assert {"no-store", "private"} <= set(re.split(r",\s*", download["Cache-Control"]))
    document = json.loads(download.content)
    assert without_time(document) == without_time(json.loads(personal_data.as_json(reader)))
    assert len(document["subscriptions"]) == 2 and document["consents"]


def test_the_data_page_says_when_we_no_longer_send_to_the_inbox(client, reader):
    link = emailed_link(client, reader)
    webhook(client, "hard_bounce", READER, "hard")  # after the link was sent
    text = Client().get(link, follow=True).content.decode()
    assert "that we no longer send to your inbox, and why" in text


def test_the_data_link_stops_working_after_24_hours(client, reader):
    link = emailed_link(client, reader)
    browser = Client()
    with patch("django.core.signing.time.time", return_value=time.time() + DAY - 1800):
        assert browser.get(link, follow=True).status_code == 200  # half an hour left
    with patch("django.core.signing.time.time", return_value=time.time() + DAY + 60):
        answers = [browser.get("/your-data/download/"), Client().get(link, follow=True)]
    for answer in answers:
        text = answer.content.decode()
        assert answer.status_code == 400 and "This link has expired" in text
        assert not answer.has_header("Content-Disposition")
        assert READER not in text and "subscription" not in text


def test_one_data_email_a_day_however_often_the_button_is_pressed(client, reader):
    answers = {press_send_me_my_data(client, reader) for _ in range(5)}
    send_due.apply()
    assert len(answers) == 1 and [m.to for m in export_emails()] == [[READER]]
    other_browser = Client()
    other = confirmed(other_browser, OTHER)
    assert press_send_me_my_data(other_browser, other) in answers
    send_due.apply()
    assert [m.to for m in export_emails()] == [[READER], [OTHER]]

    def a_while_later(hours: float) -> None:
        earlier = F("created_at") - timedelta(hours=hours)
        DataExportEmail.objects.filter(subscriber=reader).update(created_at=earlier)
        assert press_send_me_my_data(client, reader) in answers
        send_due.apply()

    a_while_later(23)
    assert [m.to for m in export_emails()] == [[READER], [OTHER]]
    a_while_later(1.05)
    assert [m.to for m in export_emails()] == [[READER], [OTHER], [READER]]


def test_a_suppressed_inbox_gets_no_data_email(client, reader):
    webhook(client, "hard_bounce", READER, "hard")
    press_send_me_my_data(client, reader)
    send_due.apply()
    assert export_emails() == [] and mail.outbox == []
    assert DataExportEmail.objects.get().state == "suppressed"
    [suppression] = personal_data.document(reader)["suppressions"]  # and it's on their record
    assert suppression["reason"] == "hard_bounce" and suppression["lifted_at"] is None


def test_after_an_erasure_the_readers_links_open_nothing(client, reader):
    link = emailed_link(client, reader)
    browser = Client()
    assert browser.get(link, follow=True).status_code == 200
    services.erase_subscriber(subscriber_id=reader.pk, actor="editor:x")
    assert not DataExportEmail.objects.exists()
    answers = [
        browser.get("/your-data/download/"),  # the cookie the link left
        Client().get(link, follow=True),
        Client().get(preferences_link(reader), follow=True),
        client.post("/preferences/", {"action": "export"}),
    ]
    for answer in answers:
        text = answer.content.decode()
        assert answer.status_code == 400 and "<h1>This link doesn't work</h1>" in text
        assert not answer.has_header("Content-Disposition") and READER not in text
    assert not DataExportEmail.objects.exists()


def test_metrics_count_the_data_email_sent(client, reader, scrape):
    key = 'newsroom_emails_total{kind="data_export",outcome="%s"}'
    assert scrape()[key % "sent"] == 0
    emailed_link(client, reader)
    press_send_me_my_data(client, reader)  # refused by the daily limit: not counted
    after = scrape()
    assert after[key % "queued"] == 1 and after[key % "sent"] == 1


def test_the_data_link_carries_an_id_not_the_address(client, reader):
    link = emailed_link(client, reader)
    token = link.removeprefix("/your-data/").rstrip("/")
    assert signing.loads(token, salt=tokens.DATA_EXPORT) == {"x": DataExportEmail.objects.get().pk}
    decoded = base64.urlsafe_b64decode(token.split(":")[0] + "==").decode()
    assert "reader" not in link.lower() and "reader" not in decoded.lower()


def test_a_refused_data_email_counts_as_refused_not_as_our_failure(
    client, reader, scrape, postmark_settings
):
    postmark_settings.faults.inactive.add(READER)  # the provider refuses the address
    press_send_me_my_data(client, reader)
    send_due.apply()
    assert DataExportEmail.objects.get().state == "refused"
    key = 'newsroom_emails_total{kind="data_export",outcome="%s"}'
    after = scrape()
    # A failure means our provider configuration is broken, and pages an operator.
    assert (after[key % "refused"], after[key % "failed"]) == (1, 0)
    assert set(reader.subscriptions.values_list("status", flat=True)) == {"confirmed"}
