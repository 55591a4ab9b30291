"""List mail: the one send path (headers, sender, tags, metadata), welcome emails, and the
reader's language and list senders."""

import base64
import json
from urllib.parse import unquote

import pytest

from subscriptions import services
from subscriptions.core import tokens
from subscriptions.models import Event, Subscriber, Subscription, WelcomeEmail
from subscriptions.tasks import send_due

from .support.helpers import latest_confirmation, preferences_link_for, sign_up

pytestmark = pytest.mark.django_db

LISTS = ("daily", "explaining-ukraine", "weekly-review")


def headers_of(message: dict) -> dict[str, str]:
    return {h["Name"]: h["Value"] for h in message.get("Headers", [])}


@pytest.fixture
def confirmed_three(client, newsletters, postmark_settings):
    """A reader who confirmed three lists in one email; the confirmation already sent."""
    sign_up(client, "reader@example.com", *LISTS)
    send_due.apply()
    services.confirm(email_id=latest_confirmation().pk)
    return postmark_settings


def welcomes(fake) -> list[dict]:
    return [m for m in fake.accepted if m.get("Tag") == "welcome"]


def test_confirming_three_lists_sends_three_welcome_emails_each_with_its_list(
    confirmed_three, newsletters
):
    assert WelcomeEmail.objects.count() == 3
    send_due.apply()
    sent = welcomes(confirmed_three)
    assert sorted(m["Subject"] for m in sent) == sorted(
        newsletters[slug].welcome_subject for slug in LISTS
    )
    for message in sent:
        subscription = Subscription.objects.get(pk=int(message["Metadata"]["subscription"]))
        newsletter = subscription.newsletter
        header = headers_of(message)
        assert message["To"] == "reader@example.com"
        assert message["From"] == "Newsroom lists <lists@localhost>"
        assert header["List-Id"] == f'"{newsletter.name}" <{newsletter.slug}.lists.testserver>'
        assert header["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        [url] = [part.strip("<> ") for part in header["List-Unsubscribe"].split(",")]
        token = url.removeprefix("http://testserver/unsubscribe/").rstrip("/")
        assert tokens.check_unsubscribe_token(token).object_id == subscription.pk
        assert url in message["TextBody"] and url in message["HtmlBody"]
        assert message["Metadata"] == {
            "kind": "welcome",
            "list": newsletter.slug,
            "subscription": str(subscription.pk),
            "welcome_email": message["Metadata"]["welcome_email"],
        }
    assert set(WelcomeEmail.objects.values_list("state", flat=True)) == {"sent"}


def test_a_welcome_email_is_queued_once_however_often_the_link_is_pressed(confirmed_three):
    services.confirm(email_id=latest_confirmation().pk)
    assert WelcomeEmail.objects.count() == 3


def test_every_list_email_shows_how_to_leave_choose_and_where_the_sender_is(
    confirmed_three, settings
):
    settings.POSTAL_ADDRESS = "The Newsroom, 1 Example Street, Kyiv 01001"
    send_due.apply()
    for message in welcomes(confirmed_three):
        subscription = Subscription.objects.get(pk=int(message["Metadata"]["subscription"]))
        unsubscribe = headers_of(message)["List-Unsubscribe"].strip("<>")
        for body in (message["TextBody"], message["HtmlBody"]):
            assert unsubscribe in body
            assert preferences_link_for(body, "http://testserver") == subscription.subscriber_id
            assert "1 Example Street, Kyiv 01001" in body


def test_confirmations_keep_the_default_sender(confirmed_three):
    [confirmation] = [m for m in confirmed_three.accepted if m.get("Tag") == "confirmation"]
    assert confirmation["From"] == "Newsroom <newsletters@localhost>"
    assert "List-Unsubscribe" not in headers_of(confirmation)


def test_a_list_without_a_welcome_email_sends_none(client, newsletters, postmark_settings):
    newsletters["daily"].welcome_subject = ""
    newsletters["daily"].save()
    sign_up(client, "reader@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    assert not WelcomeEmail.objects.exists()


def test_nothing_goes_to_a_subscription_that_left_before_its_welcome_was_sent(confirmed_three):
    left = Subscription.objects.get(newsletter__slug="daily")
    services.unsubscribe(subscription_id=left.pk)
    send_due.apply()
    assert len(welcomes(confirmed_three)) == 2
    assert WelcomeEmail.objects.get(subscription=left).state == "skipped"


def test_a_lists_own_sender_reply_to_and_the_providers_stream(
    client, newsletters, postmark_settings, settings
):
    settings.LIST_FROM_DOMAINS = ("example.org",)
    settings.LIST_ESP_EXTRA = json.dumps({"MessageStream": "broadcast"})
    daily = newsletters["daily"]
    daily.sender_name, daily.sender_email = "Daily desk", "daily@example.org"
    daily.reply_to = "desk@example.org"
    daily.save()
    sign_up(client, "reader@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    send_due.apply()
    [welcome] = welcomes(postmark_settings)
    assert welcome["From"] == "Daily desk <daily@example.org>"
    assert welcome["ReplyTo"] == "desk@example.org"
    assert welcome["MessageStream"] == "broadcast"


def test_the_unsubscribe_mailbox_is_named_with_the_subscription_in_the_subject(
    confirmed_three, settings
):
    settings.UNSUBSCRIBE_MAILTO = "unsubscribe@lists.example.org"
    send_due.apply()
    message = welcomes(confirmed_three)[0]
    https, mailto = headers_of(message)["List-Unsubscribe"].split(", ")
    assert https.startswith("<http://testserver/unsubscribe/")
    assert mailto.startswith("<mailto:unsubscribe@lists.example.org?subject=unsubscribe%20")
    token = unquote(mailto.split("%20", 1)[1].rstrip(">"))
    subscription_id = int(message["Metadata"]["subscription"])
    assert tokens.check_unsubscribe_token(token).object_id == subscription_id


def test_the_editors_text_is_formatted_and_sanitised(client, newsletters, postmark_settings):
    daily = newsletters["daily"]
    daily.welcome_body = (
        "Hello **reader**.\n\n<script>alert(1)</script>\n\n"
        "[safe](https://example.org/) and [unsafe](javascript:alert(1))\n\n"
        '<img src="https://tracker.example/p.gif">'
    )
    daily.save()
    sign_up(client, "reader@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    send_due.apply()
    [welcome] = welcomes(postmark_settings)
    html = welcome["HtmlBody"]
    assert "<strong>reader</strong>" in html
    assert 'href="https://example.org/"' in html
    assert "<script" not in html and "javascript:" not in html and "tracker" not in html
    assert "Hello reader." in welcome["TextBody"] and "alert" not in welcome["TextBody"]


def test_the_subscribers_language_comes_from_their_sign_up(client, newsletters):
    sign_up(client, "reader@example.com", headers={"HTTP_ACCEPT_LANGUAGE": "uk"})
    assert Subscriber.objects.get().language == "uk"
    sign_up(client, "reader@example.com", headers={"HTTP_ACCEPT_LANGUAGE": "en"})
    assert Subscriber.objects.get().language == "en"


def newsletter_form(newsletter, **changes) -> dict:
    fields = ["name", "slug", "description", "host", "sort_order", "sender_name"]
    fields += ["sender_email", "reply_to", "welcome_subject", "welcome_body"]
    data = {name: getattr(newsletter, name) for name in fields}
    return {**data, "is_active": "on", "is_public": "on", **changes}


def test_a_list_sender_outside_the_verified_domains_is_refused_in_the_admin(
    editor_client, newsletters, settings
):
    settings.LIST_FROM_DOMAINS = ("example.org",)
    daily = newsletters["daily"]
    url = f"/admin/subscriptions/newsletter/{daily.pk}/change/"
    refused = editor_client.post(url, newsletter_form(daily, sender_email="desk@gmail.com"))
    assert refused.status_code == 200
    assert "verified domains (example.org)" in refused.content.decode()
    daily.refresh_from_db()
    assert daily.sender_email == ""
    accepted = editor_client.post(url, newsletter_form(daily, sender_email="desk@example.org"))
    assert accepted.status_code == 302
    daily.refresh_from_db()
    assert daily.sender_email == "desk@example.org"


def test_subscribing_again_within_thirty_days_needs_no_new_opt_in(client, newsletters, settings):
    sign_up(client, "reader@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    subscription = Subscription.objects.get()
    token = tokens.make_unsubscribe_token(subscription.pk)
    client.get(f"/unsubscribe/{token}/")
    page = client.post("/unsubscribe/").content.decode()
    assert "Subscribe again" in page
    again = client.post("/unsubscribe/", {"action": "resubscribe"}).content.decode()
    assert "subscribed again" in again
    subscription.refresh_from_db()
    assert subscription.status == "confirmed"
    assert Event.objects.filter(to_status="confirmed").count() == 2


def test_subscribing_again_after_thirty_days_takes_a_new_opt_in(client, newsletters, settings):
    settings.RESUBSCRIBE_WITHIN_DAYS = 0
    settings.CONFIRMATION_COOLDOWN = 0
    sign_up(client, "reader@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    first = latest_confirmation().pk
    subscription = Subscription.objects.get()
    client.get(f"/unsubscribe/{tokens.make_unsubscribe_token(subscription.pk)}/")
    client.post("/unsubscribe/")
    again = client.post("/unsubscribe/", {"action": "resubscribe"}).content.decode()
    assert "Check your inbox" in again
    subscription.refresh_from_db()
    assert subscription.status == "pending"
    assert latest_confirmation().pk != first


def inbound(client, sender: str, subject: str):
    """What Postmark's inbound webhook posts for one email."""
    event = {
        "FromFull": {"Email": sender, "Name": ""},
        "ToFull": [{"Email": "unsubscribe@lists.example.org", "Name": ""}],
        "Subject": subject,
        "Headers": [],
        "TextBody": "",
        "HtmlBody": "",
        "MessageID": "inbound-1",
        "Attachments": [],
    }
    auth = "Basic " + base64.b64encode(b"anymail:webhook-secret").decode()
    return client.post(
        "/anymail/postmark/inbound/",
        event,
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


def test_mail_to_the_unsubscribe_mailbox_unsubscribes_its_senders_subscription(
    client, newsletters, settings
):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "anymail:webhook-secret"}
    sign_up(client, "reader@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    subscription = Subscription.objects.get()
    token = tokens.make_unsubscribe_token(subscription.pk)
    stranger = inbound(client, "someone.else@example.com", f"unsubscribe {token}")
    assert stranger.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == "confirmed"  # only the subscription's own reader can
    assert inbound(client, "Reader@Example.com", f"unsubscribe {token}").status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed"


def test_mail_from_another_spelling_of_the_readers_inbox_unsubscribes_too(
    client, newsletters, settings
):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "anymail:webhook-secret"}
    sign_up(client, "reader+news@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    subscription = Subscription.objects.get()
    token = tokens.make_unsubscribe_token(subscription.pk)
    # Their mail program sends from the address without the +tag they signed up with.
    assert inbound(client, "reader@example.com", f"unsubscribe {token}").status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed"
    assert "mailto" in Event.objects.get(to_status="unsubscribed").detail


def test_a_refused_welcome_makes_its_subscription_undeliverable_with_the_reason(
    confirmed_three,
):
    welcome = WelcomeEmail.objects.select_related("subscription").first()
    assert welcome is not None
    services.record_refused(
        kind=WelcomeEmail,
        item_id=welcome.pk,
        actor="provider:postmark",
        reason="inactive recipient",
    )
    welcome.refresh_from_db()
    welcome.subscription.refresh_from_db()
    assert welcome.state == "refused"
    assert welcome.subscription.status == "undeliverable"
    assert welcome.subscription.undeliverable_reason == "inactive recipient"
    others = Subscription.objects.exclude(pk=welcome.subscription_id)
    assert set(others.values_list("status", flat=True)) == {"confirmed"}
