"""The preference center: one page, opened from a link in every list email, where a reader
chooses their lists and their emails' language, or leaves them all."""

from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import timezone, translation

from subscriptions import services
from subscriptions.core import tally, tokens
from subscriptions.models import (
    ConfirmationEmail,
    Event,
    Subscriber,
    Subscription,
    WelcomeEmail,
)
from subscriptions.sending import emails
from subscriptions.tasks import send_due
from subscriptions.web.preference_forms import LISTS_ERROR, PREFERENCES_WORDING

from .support.helpers import found, latest_confirmation, sign_up
from .support.preferences import (
    ADDRESS,
    PUBLIC,
    boxes,
    confirmed_reader,
    language_chosen,
    open_page,
    save,
    snapshot,
    statuses,
    text,
)
from .support.webhooks import apply_event

pytestmark = pytest.mark.django_db


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
    assert f"The newsletters we send to {ADDRESS}." in text(page)  # which inbox it is for
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


def test_unsubscribe_from_all_leaves_every_list_and_no_list_mail_follows(
    client, newsletters, settings
):
    settings.ADDRESS_DAILY_CAP = 4  # a confirmation and two welcomes today, then a sign-up
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


def test_a_changed_language_is_stored_and_the_emails_it_leads_to_are_in_it(
    client, newsletters, settings
):
    settings.ADDRESS_DAILY_CAP = 4  # a confirmation and two welcomes today, then another
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
    apply_event(ADDRESS, "hard_bounce")
    open_page(client, subscriber.pk)
    answer = save(client, "daily", "weekly-review")
    assert "We can't email you about these just now, so they are not added: Weekly Review" in (
        text(answer)
    )
    assert "weekly-review" not in statuses()
