"""The preference center: one page, opened from a link in every list email, where a reader
chooses their lists and their emails' language, or leaves them all."""

import base64
import html
import re
import time
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import timezone, translation

from subscriptions import emails, services, tally, tokens
from subscriptions.models import (
    ConfirmationEmail,
    DataExportEmail,
    Event,
    Subscriber,
    Subscription,
    WelcomeEmail,
)
from subscriptions.preference_forms import (
    ACTION_ERROR,
    LANGUAGE_ERROR,
    LISTS_ERROR,
    PREFERENCES_WORDING,
)
from subscriptions.tasks import send_due

from .support.helpers import found, latest_confirmation, sign_up

pytestmark = pytest.mark.django_db

ADDRESS = "reader@example.com"
PUBLIC = {"daily", "explaining-ukraine", "weekly-review", "breaking"}
LINK_INVALID = "This link doesn't work"


def confirmed_reader(client, *slugs: str) -> Subscriber:
    """A reader who signed up for these lists and confirmed them."""
    sign_up(client, ADDRESS, *slugs)
    services.confirm(email_id=latest_confirmation().pk)
    return Subscriber.objects.get()


def open_page(client, subscriber_id: int):
    """Follow the reader's preference link, as from an email, and show the page."""
    token = tokens.make_preferences_token(subscriber_id)
    assert client.get(f"/preferences/{token}/")["Location"] == "/preferences/"
    return client.get("/preferences/")


def save(client, *slugs: str, language: str = "en"):
    return client.post(
        "/preferences/", {"action": "save", "newsletter": slugs, "language": language}
    )


def text(response) -> str:
    return html.unescape(response.content.decode())


def boxes(response) -> tuple[set[str], set[str]]:
    """The lists the page shows, and those of them ticked."""
    page = response.content.decode()
    found_boxes = re.findall(r'name="newsletter" value="([^"]+)"( checked)?', page)
    return {slug for slug, _ in found_boxes}, {slug for slug, on in found_boxes if on}


def language_chosen(response) -> str:
    return found(r'name="language" value="(\w+)" checked', response.content.decode())


def statuses() -> dict[str, str]:
    return dict(Subscription.objects.values_list("newsletter__slug", "status"))


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table of the app (through tables too), and the sessions."""
    rows = {
        model._meta.db_table: list(model._default_manager.order_by("pk").values())
        for model in apps.get_app_config("subscriptions").get_models(include_auto_created=True)
    }
    return rows | {"sessions": [{"count": Session.objects.count()}]}


def test_the_link_in_a_list_email_opens_the_readers_lists_and_language(client, newsletters):
    sign_up(client, ADDRESS, "daily", "weekly-review", headers={"HTTP_ACCEPT_LANGUAGE": "uk"})
    services.confirm(email_id=latest_confirmation().pk)
    mail.outbox.clear()
    send_due.apply()
    [welcome] = [m for m in mail.outbox if m.subject == newsletters["daily"].welcome_subject]
    assert isinstance(welcome, EmailMultiAlternatives)
    url = found(r"(http://testserver/preferences/[^/\s]+/)", str(welcome.body))
    [(html_body, _)] = welcome.alternatives
    assert f'href="{url}"' in str(html_body)
    reader = Client()
    assert reader.get(url)["Location"] == "/preferences/"
    page = reader.get("/preferences/")
    assert boxes(page) == (PUBLIC, {"daily", "weekly-review"})
    assert language_chosen(page) == "uk"
    subscription = Subscription.objects.get(newsletter__slug="daily")
    reader.get(f"/unsubscribe/{tokens.make_unsubscribe_token(subscription.pk)}/")
    unsubscribe_page = reader.get("/unsubscribe/").content.decode()
    link = found(r'href="(/preferences/[^"]+/)"', unsubscribe_page)
    assert (
        tokens.check_preferences_token(link.split("/")[-2]).object_id == subscription.subscriber_id
    )
    assert reader.get(link)["Location"] == "/preferences/"
    assert boxes(reader.get("/preferences/"))[1] == {"daily", "weekly-review"}


@pytest.mark.parametrize("kept", [["daily"], []], ids=["added", "swapped"])
def test_a_confirmed_reader_who_ticks_a_list_gets_it_at_once_without_a_confirmation(
    client, newsletters, kept
):
    reader = confirmed_reader(client, "daily")
    page = open_page(client, reader.pk)
    assert str(PREFERENCES_WORDING) in text(page)
    answer = save(client, *kept, "weekly-review")
    assert answer.status_code == 200
    assert "You now get: Weekly Review." in text(answer)
    added = Subscription.objects.get(newsletter__slug="weekly-review")
    assert added.status == "confirmed" and added.consent is not None
    [event] = added.events.all()
    assert (event.from_status, event.to_status, event.actor) == ("", "confirmed", "reader")
    assert added.consent.form_id == "preferences"
    assert added.consent.wording == str(PREFERENCES_WORDING)
    assert WelcomeEmail.objects.filter(subscription=added).count() == 1
    assert ConfirmationEmail.objects.count() == 1  # the sign-up's, none since
    mail.outbox.clear()
    send_due.apply()
    welcomed = {newsletters[slug].welcome_subject for slug in [*kept, "weekly-review"]}
    assert {m.subject for m in mail.outbox} == welcomed


@pytest.mark.parametrize("before", ["pending", "left everything"])
def test_a_reader_with_no_confirmed_list_who_ticks_one_gets_a_confirmation_email(
    client, newsletters, before
):
    sign_up(client, ADDRESS, "daily")
    reader = Subscriber.objects.get()
    if before == "left everything":
        services.confirm(email_id=latest_confirmation().pk)
        services.unsubscribe_all(subscriber_id=reader.pk)
    first = latest_confirmation()
    open_page(client, reader.pk)
    answer = save(client, "daily", "weekly-review")
    assert "We've sent you an email to confirm" in text(answer)
    confirmation = latest_confirmation()
    assert confirmation.pk != first.pk
    assert "Weekly Review" in [s.newsletter.name for s in confirmation.subscriptions.all()]
    assert statuses()["weekly-review"] == "pending"
    assert not WelcomeEmail.objects.filter(subscription__newsletter__slug="weekly-review")
    mail.outbox.clear()
    send_due.apply()
    assert any("Weekly Review" in m.body and m.to == [ADDRESS] for m in mail.outbox)


def test_a_list_no_confirmation_email_can_be_sent_for_is_not_said_to_be_on_its_way(
    client, newsletters
):
    sign_up(client, ADDRESS, "daily")
    open_page(client, Subscriber.objects.get().pk)
    save(client)  # left, then ticked again within the cooldown: no second email yet
    answer = save(client, "daily")
    assert "We've sent you" not in text(answer)
    assert "We can't email you about these just now" in text(answer)
    assert ConfirmationEmail.objects.count() == 1
    assert statuses() == {"daily": "unsubscribed"} and boxes(answer)[1] == set()


def test_unticking_a_list_unsubscribes_it_and_leaves_the_others(client, newsletters):
    reader = confirmed_reader(client, "daily", "weekly-review")
    daily_events = list(Event.objects.filter(subscription__newsletter__slug="daily"))
    open_page(client, reader.pk)
    answer = save(client, "daily")
    assert "You will no longer get: Weekly Review." in text(answer)
    assert statuses() == {"daily": "confirmed", "weekly-review": "unsubscribed"}
    event = Event.objects.get(to_status="unsubscribed")
    assert event.subscription.newsletter.slug == "weekly-review"
    assert event.actor == "reader" and "preference center" in event.detail
    assert list(Event.objects.filter(subscription__newsletter__slug="daily")) == daily_events
    counts = tally.counts()
    assert counts[tally.unsubscribes(newsletters["weekly-review"].pk)] == 1
    assert counts[tally.unsubscribes(newsletters["daily"].pk)] == 0
    assert boxes(answer)[1] == {"daily"}


def test_unsubscribe_from_all_leaves_every_list_and_no_list_mail_follows(client, newsletters):
    reader = confirmed_reader(client, "daily", "weekly-review")
    sign_up(client, ADDRESS, "explaining-ukraine")  # still pending
    open_page(client, reader.pk)
    answer = client.post("/preferences/", {"action": "unsubscribe_all"})
    assert "You're unsubscribed from all our newsletters." in text(answer)
    assert set(statuses().values()) == {"unsubscribed"} and len(statuses()) == 3
    assert boxes(answer)[1] == set()
    daily = Subscription.objects.get(newsletter__slug="daily")
    WelcomeEmail.objects.create(subscription=daily, created_at=timezone.now())
    mail.outbox.clear()
    send_due.apply()
    assert mail.outbox == []
    assert set(WelcomeEmail.objects.values_list("state", flat=True)) == {"skipped"}


def test_a_changed_language_is_stored_and_the_emails_it_leads_to_are_in_it(client, newsletters):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)
    answer = save(client, "daily", "weekly-review", language="uk")
    assert "Your emails' language is changed." in text(answer)
    assert language_chosen(answer) == "uk"
    reader.refresh_from_db()
    assert (reader.language, reader.changed_by, bool(reader.changed_at)) == ("uk", "reader", True)
    welcome = WelcomeEmail.objects.get(subscription__newsletter__slug="weekly-review")
    assert welcome.language == "uk"
    # Left everything: the list ticked next takes a confirmation email, in their language.
    client.post("/preferences/", {"action": "unsubscribe_all"})
    save(client, "breaking", language="uk")
    assert latest_confirmation().language == "uk"
    rendered: list[str | None] = []

    def in_language(*args):
        rendered.append(translation.get_language())
        return confirmation_message(*args)

    confirmation_message = emails.confirmation_message
    with mock.patch.object(emails, "confirmation_message", in_language):
        send_due.apply()
    assert rendered == ["uk"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"newsletter": ["daily", "no-such-list"], "language": "en"}, LISTS_ERROR),
        ({"newsletter": ["daily", "x" * 20000], "language": "en"}, LISTS_ERROR),
        ({"newsletter": ["daily\x00"], "language": "en"}, LISTS_ERROR),
        ({"newsletter": ["weekly-review"], "language": "fr"}, LANGUAGE_ERROR),
        ({"newsletter": ["weekly-review"], "language": ["en", "uk", "xx"]}, LANGUAGE_ERROR),
        ({"newsletter": ["weekly-review"]}, LANGUAGE_ERROR),
        ({"action": "unsubscribe-all", "language": "en"}, ACTION_ERROR),
        ({"action": "", "language": "en"}, ACTION_ERROR),
    ],
)
def test_bad_choices_get_a_message_and_400_and_change_nothing(
    client, newsletters, fields, message
):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)
    before = snapshot()
    answer = client.post("/preferences/", {"action": "save", **fields})
    assert answer.status_code == 400 and str(message) in text(answer)
    assert snapshot() == before


UNREADABLE, TOO_LARGE = "couldn't read", "more than this page accepts"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"action=save&newsletter=%FF%FE&language=en", 400, UNREADABLE),
        (b"action=save&newsletter=daily&language=\xc3\x28", 400, UNREADABLE),
        (b"action=save&language=en&newsletter=" + b"d" * 40 * 1024, 413, TOO_LARGE),
    ],
)
def test_junk_and_huge_bodies_are_refused_and_change_nothing(
    client, newsletters, body, status, message
):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)
    before = snapshot()
    form = "application/x-www-form-urlencoded"
    answer = client.generic("POST", "/preferences/", body, content_type=form)
    assert answer.status_code == status and message in text(answer)
    assert snapshot() == before


def other_purpose(subscriber: Subscriber) -> str:
    return tokens.make_unsubscribe_token(subscriber.subscriptions.get().pk)


def erased(subscriber: Subscriber) -> str:
    token = tokens.make_preferences_token(subscriber.pk)
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    return token


@pytest.mark.parametrize(
    "make_token",
    [
        lambda s: "forged",
        lambda s: tokens.make_preferences_token(s.pk)[:-4] + "AAAA",
        lambda s: signing.dumps({"m": s.pk}, salt=tokens.UNSUBSCRIBE),
        other_purpose,
        erased,
    ],
    ids=["junk", "bad signature", "other salt", "unsubscribe token", "erased subscriber"],
)
def test_a_link_that_is_not_ours_or_whose_reader_is_gone_doesnt_work(
    client, newsletters, make_token
):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)  # an earlier, good link's cookie is not what answers
    token = make_token(reader)
    before = snapshot()
    client.get(f"/preferences/{token}/")
    for answer in (client.get("/preferences/"), save(client, "weekly-review")):
        assert answer.status_code == 400 and LINK_INVALID in text(answer)
    assert snapshot() == before


def test_a_reader_erased_while_their_page_posts_gets_the_link_page_not_an_error(
    client, newsletters
):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)
    leave_all = services.unsubscribe_all

    def erased_meanwhile(**kwargs):
        services.erase_subscriber(subscriber_id=reader.pk, actor="editor:kate")
        return leave_all(**kwargs)

    with mock.patch.object(services, "unsubscribe_all", erased_meanwhile):
        answer = client.post("/preferences/", {"action": "unsubscribe_all"})
    assert answer.status_code == 400 and LINK_INVALID in text(answer)


def test_saving_needs_the_pages_csrf_token(newsletters):
    browser = Client(enforce_csrf_checks=True)
    reader = confirmed_reader(browser, "daily")
    page = open_page(browser, reader.pk)
    before = snapshot()
    for action in ("save", "unsubscribe_all", "export"):
        forged = browser.post("/preferences/", {"action": action, "language": "uk"})
        assert forged.status_code == 403
    assert snapshot() == before
    csrf = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    fields = {"action": "unsubscribe_all", "csrfmiddlewaretoken": csrf}
    assert browser.post("/preferences/", fields).status_code == 200
    assert statuses() == {"daily": "unsubscribed"}


def test_a_get_or_head_of_any_reader_page_changes_nothing(client, newsletters):
    reader = confirmed_reader(client, "daily")
    sign_up(client, ADDRESS, "weekly-review")  # pending: the confirm page has a list to show
    assert services.request_data_export(subscriber_id=reader.pk)
    subscription = Subscription.objects.get(newsletter__slug="daily")
    links = {
        "/preferences/": tokens.make_preferences_token(reader.pk),
        "/your-data/": tokens.make_data_export_token(DataExportEmail.objects.get().pk),
        "/unsubscribe/": tokens.make_unsubscribe_token(subscription.pk),
        "/confirm/": tokens.make_confirm_token(latest_confirmation().pk),
    }
    pages = ["/preferences/?action=unsubscribe_all", "/your-data/download/"]
    before = snapshot()
    browser = Client()
    for page, token in links.items():
        assert browser.head(f"{page}{token}/").status_code in (302, 405)  # refused or kept
        assert browser.head(page).status_code in (200, 400, 405)
        assert browser.get(f"{page}{token}/")["Location"] == page
        assert browser.head(page).status_code in (200, 405)
        assert browser.get(page).status_code == 200
    for page in pages:
        assert browser.head(page).status_code in (200, 405)
        assert browser.get(page).status_code == 200
    assert snapshot() == before


def test_the_preference_token_carries_only_an_id_and_never_expires(client, newsletters):
    reader = confirmed_reader(client, "daily")
    years_ago = time.time() - 10 * 365 * 86400
    with mock.patch("django.core.signing.time.time", return_value=years_ago):
        token = tokens.make_preferences_token(reader.pk)
    assert signing.loads(token, salt=tokens.PREFERENCES) == {"m": reader.pk}
    payload = token.split(":")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"reader" not in decoded.lower() and b"example" not in decoded.lower()
    assert "reader" not in token.lower()
    assert tokens.check_preferences_token(token).valid
    client.get(f"/preferences/{token}/")
    page = client.get("/preferences/")
    assert page.status_code == 200 and boxes(page)[1] == {"daily"}


def test_a_private_list_can_be_left_but_never_added(client, newsletters):
    reader = confirmed_reader(client, "daily", "breaking")
    newsletters["breaking"].is_public = False
    newsletters["breaking"].save()
    newsletters["weekly-review"].is_active = False
    newsletters["weekly-review"].save()
    page = open_page(client, reader.pk)
    assert boxes(page) == ({"daily", "explaining-ukraine", "breaking"}, {"daily", "breaking"})
    left = save(client, "daily")
    assert statuses() == {"daily": "confirmed", "breaking": "unsubscribed"}
    assert "breaking" not in boxes(left)[0]
    before = snapshot()
    for slug in ("breaking", "weekly-review"):
        refused = save(client, "daily", slug)
        assert refused.status_code == 400 and str(LISTS_ERROR) in text(refused)
    assert snapshot() == before
    # Nor through the flow itself, whatever a caller passes it.
    consent = services.ConsentInput("/preferences/", "preferences", None, "", "words", "1")
    ids = {newsletters[slug].pk for slug in ("daily", "breaking", "weekly-review")}
    services.update_preferences(
        subscriber_id=reader.pk, newsletter_ids=ids, language="en", consent=consent
    )
    assert snapshot() == before


def test_a_suppressed_inbox_cannot_add_a_list_it_would_never_get(client, newsletters):
    subscriber = confirmed_reader(client, "daily")
    services.apply_provider_event(
        event=services.ProviderEventInput(
            provider="Postmark",
            event_type="bounced",
            kind="hard_bounce",
            recipient=ADDRESS,
            message_id="m-1",
            event_id="e-1",
            metadata={},
            occurred_at=timezone.now(),
            raw={},
            reason="550 no such user",
        )
    )
    open_page(client, subscriber.pk)
    answer = save(client, "daily", "weekly-review")
    assert "We can't email you about these just now, so they are not added: Weekly Review" in (
        text(answer)
    )
    assert "weekly-review" not in statuses()
