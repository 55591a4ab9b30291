"""An editor adds a reader by hand, with a note of where and when the reader consented: the
subscriptions confirmed and nothing sent, or pending with a confirmation email. Erased
addresses and suppressed inboxes are refused."""

import pytest
from django.utils import timezone

from subscriptions import services
from subscriptions.models import (
    ConfirmationEmail,
    Consent,
    Event,
    Subscriber,
    Subscription,
    Suppression,
    WelcomeEmail,
)

from .support.helpers import confirmed, staff_client

pytestmark = pytest.mark.django_db

ADD = "/admin/subscriptions/subscriber/add/"
NOTE = "Signed the paper form at the Lviv Book Forum stand, 14 March 2026"


def the_form(newsletters, email="olena@example.com", *slugs, **fields) -> dict:
    return {
        "email": email,
        "newsletters": [newsletters[s].pk for s in slugs or ("daily",)],
        "language": "uk",
        "consent_note": NOTE,
        **fields,
    }


def test_an_editor_adds_a_reader_confirmed_and_nothing_is_sent(editor_client, newsletters):
    form = the_form(newsletters, "olena@example.com", "daily", "weekly-review")
    answer = editor_client.post(ADD, form, follow=True)
    assert answer.status_code == 200
    assert "Nothing was sent" in answer.content.decode()
    olena = Subscriber.objects.get(email="olena@example.com")
    rows = Subscription.objects.filter(subscriber=olena)
    assert {s.newsletter.slug for s in rows} == {"daily", "weekly-review"}
    assert {s.status for s in rows} == {"confirmed"}
    consent = Consent.objects.get(subscriber=olena)
    assert consent.wording == NOTE
    assert {s.consent_id for s in rows} == {consent.pk}
    events = Event.objects.filter(subscription__subscriber=olena)
    assert {(e.to_status, e.actor) for e in events} == {("confirmed", "editor:kate")}
    assert olena.language == "uk" and olena.changed_by == "editor:kate"
    assert not ConfirmationEmail.objects.exists() and not WelcomeEmail.objects.exists()


def test_an_editor_may_send_a_confirmation_instead(editor_client, newsletters):
    form = the_form(newsletters, "olena@example.com", "daily", send_confirmation="on")
    answer = editor_client.post(ADD, form, follow=True)
    assert "confirmation email" in answer.content.decode()
    subscription = Subscription.objects.get(subscriber__email="olena@example.com")
    assert subscription.status == "pending"
    email = ConfirmationEmail.objects.get()
    assert email.subscriber_id == subscription.subscriber_id and email.language == "uk"
    assert list(email.subscriptions.all()) == [subscription]
    assert subscription.consent is not None and subscription.consent.wording == NOTE
    event = Event.objects.get(subscription=subscription)
    assert (event.to_status, event.actor) == ("pending", "editor:kate")


def test_the_consent_note_is_required(editor_client, newsletters):
    answer = editor_client.post(ADD, the_form(newsletters, consent_note="  "))
    assert answer.status_code == 400
    assert "This field is required" in answer.content.decode()
    assert not Subscriber.objects.exists()


def test_an_erased_address_is_refused(editor_client, client, newsletters):
    reader = confirmed(client, "gone@example.com", "daily")
    services.erase_subscriber(subscriber_id=reader.pk, actor="editor:kate")
    answer = editor_client.post(ADD, the_form(newsletters, "Gone@Example.com"))
    assert answer.status_code == 400
    assert "erased" in answer.content.decode()
    assert not Subscriber.objects.exists() and not Consent.objects.exists()


def test_a_suppressed_inbox_is_refused(editor_client, newsletters):
    Suppression.objects.create(
        inbox_key="bounced@example.com",
        reason="hard_bounce",
        actor="provider:postmark",
        created_at=timezone.now(),
    )
    answer = editor_client.post(ADD, the_form(newsletters, "bounced@example.com"))
    assert answer.status_code == 400
    assert "suppressed" in answer.content.decode()
    assert not Subscriber.objects.exists()


def test_the_flow_refuses_an_erased_address_for_an_import_too(client, newsletters):
    reader = confirmed(client, "gone@example.com", "daily")
    services.erase_subscriber(subscriber_id=reader.pk, actor="system")
    with pytest.raises(services.AddRefused) as refused:
        services.add_by_editor(
            email="gone@example.com",
            newsletter_ids=[newsletters["daily"].pk],
            language="en",
            consent_note=NOTE,
            actor="editor:kate",
        )
    assert refused.value.reason == services.AddRefused.ERASED
    assert not Subscriber.objects.exists()


def test_a_confirmed_readers_lists_stay_and_their_language_is_theirs(client, newsletters):
    reader = confirmed(client, "anna@example.com", "daily")
    added = services.add_by_editor(
        email="anna@example.com",
        newsletter_ids=[newsletters["daily"].pk, newsletters["weekly-review"].pk],
        language="uk",
        consent_note=NOTE,
        actor="editor:kate",
    )
    assert added.already == ["The Daily Brief"] and added.confirmed == ["Weekly Review"]
    reader.refresh_from_db()
    assert reader.language != "uk"


def test_a_user_without_the_add_permission_cannot_add_anyone(newsletters):
    viewer = staff_client("view_subscriber", "change_subscriber")
    assert viewer.get(ADD).status_code == 403
    assert viewer.post(ADD, the_form(newsletters)).status_code == 403
    assert 'href="/admin/subscriptions/subscriber/add/"' not in (
        viewer.get("/admin/subscriptions/subscriber/").content.decode()
    )
    assert not Subscriber.objects.exists()
    adder = staff_client("view_subscriber", "add_subscriber")
    assert adder.post(ADD, the_form(newsletters)).status_code == 302
    assert Subscription.objects.get().status == "confirmed"
