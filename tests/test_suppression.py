"""Suppression: an inbox that bounced for good or complained gets nothing, on either send path,
and an editor with the permission can lift it, on the record."""

import pytest
from django.core import mail

from subscriptions import services
from subscriptions.core import bounces
from subscriptions.models import (
    ConfirmationEmail,
    Newsletter,
    ProviderEvent,
    Suppression,
    WelcomeEmail,
)
from subscriptions.tasks import send_due

from .support.helpers import GOOD, confirmed, latest_confirmation, sign_up, staff_client
from .support.provider_payloads import webhook_call
from .support.webhooks import apply_event, post_tracking

CONSENT = services.ConsentInput("/preferences/", "preferences", "203.0.113.5", "UA", "w", "1")

pytestmark = pytest.mark.django_db


def provider_event(recipient: str, kind: str, event_id: str, **metadata: str) -> str:
    return apply_event(recipient, kind, event_id=event_id, metadata=metadata)


def test_a_suppressed_inbox_gets_the_normal_answer_and_no_confirmation(client, newsletters):
    # A complaint comes from the mailbox's owner: it reaches every spelling of the inbox.
    provider_event("Reader@example.com", bounces.COMPLAINT, "e1")
    answer = sign_up(client, "reader+news@example.com", json=True)  # another spelling
    assert answer.json()["message"] == GOOD
    assert not ConfirmationEmail.objects.exists()


def test_a_confirmation_queued_before_the_bounce_is_not_sent(
    client, newsletters, postmark_settings
):
    sign_up(client, "reader@example.com")
    provider_event("reader@example.com", bounces.COMPLAINT, "e1")
    send_due.apply()
    assert postmark_settings.accepted == []
    assert ConfirmationEmail.objects.get().state == "suppressed"


def test_list_mail_is_not_sent_to_a_suppressed_inbox(client, newsletters, postmark_settings):
    sign_up(client, "reader@example.com", "daily")
    send_due.apply()
    services.confirm(email_id=latest_confirmation().pk)
    provider_event("reader@example.com", bounces.HARD_BOUNCE, "e1")
    send_due.apply()
    assert [m.get("Tag") for m in postmark_settings.accepted] == ["confirmation"]
    assert WelcomeEmail.objects.get().state == "suppressed"


def test_soft_bounces_suppress_only_over_the_limit(newsletters, settings):
    settings.SOFT_BOUNCE_LIMIT = 3
    effects = [provider_event("soft@example.com", bounces.SOFT_BOUNCE, f"s{i}") for i in range(3)]
    assert effects[:2] == ["counted (1 of 3)", "counted (2 of 3)"]
    assert effects[2] == "suppressed (soft_bounces)"
    assert Suppression.objects.active().get().inbox_key == "soft@example.com"


def test_after_a_lift_soft_bounces_are_counted_afresh(newsletters, settings):
    settings.SOFT_BOUNCE_LIMIT = 3
    for i in range(3):
        provider_event("soft@example.com", bounces.SOFT_BOUNCE, f"s{i}")
    services.lift_suppressions(ids=[Suppression.objects.get().pk], actor="editor:kate")
    # One more bounce is one of three again, not the fourth of the window.
    assert provider_event("soft@example.com", bounces.SOFT_BOUNCE, "s3") == "counted (1 of 3)"
    assert not Suppression.objects.active().exists()


def test_a_second_hard_bounce_finds_the_inbox_already_suppressed(newsletters):
    provider_event("reader@example.com", bounces.HARD_BOUNCE, "e1")
    assert provider_event("reader@example.com", bounces.HARD_BOUNCE, "e2") == "already suppressed"
    assert Suppression.objects.count() == 1


def test_the_same_event_twice_is_applied_once(newsletters, settings):
    settings.SOFT_BOUNCE_LIMIT = 2
    assert provider_event("soft@example.com", bounces.SOFT_BOUNCE, "same") == "counted (1 of 2)"
    assert provider_event("soft@example.com", bounces.SOFT_BOUNCE, "same") == "duplicate"
    assert ProviderEvent.objects.count() == 1
    assert not Suppression.objects.exists()


def test_an_editor_with_the_permission_lifts_a_suppression_on_the_record(client, newsletters):
    provider_event("reader@example.com", bounces.HARD_BOUNCE, "e1")
    suppression = Suppression.objects.get()
    data = {"action": "lift_selected", "_selected_action": [suppression.pk]}
    viewer = staff_client("view_suppression", username="ed-viewer")
    viewer.post("/admin/subscriptions/suppression/", data)
    assert Suppression.objects.active().exists()  # a viewer can't
    editor = staff_client("view_suppression", "lift_suppression", username="ed-lifter")
    page = editor.post("/admin/subscriptions/suppression/", data, follow=True)
    assert "1 suppression lifted" in page.content.decode()
    suppression.refresh_from_db()
    assert suppression.lifted_at and suppression.lifted_by.startswith("editor:ed-")
    assert sign_up(client, "reader@example.com", json=True).status_code == 200
    assert ConfirmationEmail.objects.count() == 1  # mail goes to the inbox again


def test_an_editor_finds_a_suppression_by_the_address_they_have(newsletters):
    provider_event("Jane.Doe@gmail.com", bounces.HARD_BOUNCE, "e1")
    editor = staff_client("view_suppression")
    for spelling, found in [("jane.doe+news@googlemail.com", True), ("jane@gmail.com", False)]:
        page = editor.get("/admin/subscriptions/suppression/", {"q": spelling}).content.decode()
        assert ("janedoe@gmail.com" in page) is found


# Issue 20 item 1: a bounce reaches only the mailbox that bounced. On most domains "+" is no
# subaddressing, so bob+nosuchbox@example.com may be a mailbox of its own, which doesn't exist.


def hard_bounce_from_postmark(client, recipient: str, event_id: str) -> None:
    """Postmark's genuine HardBounce for `recipient`, posted with the webhook's basic auth."""
    call = webhook_call(
        "postmark", "hard_bounce", recipient=recipient, metadata={}, event_id=event_id
    )
    assert post_tracking(client, call).status_code == 200


def test_a_hard_bounce_of_another_spelling_leaves_a_confirmed_reader_getting_mail(
    client, newsletters, settings
):
    settings.CONFIRMATION_COOLDOWN = 0
    settings.ADDRESS_DAILY_CAP = 10  # the welcome below isn't held back by the daily cap
    bob = confirmed(client, "bob@example.com", "daily")
    sign_up(client, "bob+nosuchbox@example.com", "weekly-review")  # anyone can type it
    send_due.apply()
    hard_bounce_from_postmark(client, "bob+nosuchbox@example.com", "nosuchbox")
    # His list mail: a list he adds in his preference center is welcomed.
    services.update_preferences(
        subscriber_id=bob.pk,
        newsletter_ids=list(
            Newsletter.objects.filter(slug__in=["daily", "breaking"]).values_list("pk", flat=True)
        ),
        language="",
        consent=CONSENT,
    )
    assert services.request_data_export(subscriber_id=bob.pk)  # "Send me my data"
    mail.outbox.clear()
    send_due.apply()
    to_bob = [m for m in mail.outbox if m.to == ["bob@example.com"]]
    tags = sorted(t for m in to_bob for t in getattr(m, "tags", []))
    assert tags == ["data_export", "welcome"]
    # The spelling that bounced gets nothing more.
    assert Suppression.objects.active().get().address_key == "bob+nosuchbox@example.com"
    sign_up(client, "bob+nosuchbox@example.com", "breaking")
    assert not ConfirmationEmail.objects.filter(
        subscriber__email="bob+nosuchbox@example.com", state="pending"
    ).exists()


@pytest.mark.parametrize(
    ("spelling", "inbox"),
    [
        ("jane.doe@gmail.com", "JaneDoe@gmail.com"),
        ("janedoe+news@googlemail.com", "JaneDoe@gmail.com"),
        ("jane+news@fastmail.com", "Jane@fastmail.com"),  # Fastmail documents plus addressing
    ],
)
def test_a_hard_bounce_of_a_gmail_spelling_we_sent_to_suppresses_that_gmail_inbox(
    client, newsletters, spelling, inbox
):
    sign_up(client, spelling, "daily")
    send_due.apply()
    hard_bounce_from_postmark(client, spelling, "one-mailbox")
    # The provider delivers every spelling to one mailbox: that mailbox is what bounced.
    sign_up(client, inbox, "weekly-review")
    assert ConfirmationEmail.objects.count() == 1


def test_a_bounce_of_a_fastmail_subdomain_spelling_suppresses_only_that_spelling(
    client, newsletters
):
    # Not every Fastmail account can use subdomain addressing: its bounce says nothing of
    # robertson@fastmail.com, though the cap counts them as one inbox.
    sign_up(client, "x@robertson.fastmail.com", "daily")
    send_due.apply()
    hard_bounce_from_postmark(client, "x@robertson.fastmail.com", "subdomain")
    sign_up(client, "robertson@fastmail.com", "weekly-review")
    assert ConfirmationEmail.objects.count() == 2


def test_a_bounce_of_a_gmail_spelling_we_never_sent_to_suppresses_only_that_spelling(
    client, newsletters
):
    hard_bounce_from_postmark(client, "jane.doe+x@gmail.com", "never-sent")
    sign_up(client, "janedoe@gmail.com", "daily")
    assert ConfirmationEmail.objects.count() == 1


def test_a_complaint_on_a_tagged_spelling_suppresses_the_inbox(client, newsletters):
    sign_up(client, "carol+news@example.com", "daily")
    send_due.apply()
    call = webhook_call(
        "postmark", "complaint", recipient="carol+news@example.com", metadata={}, event_id="c"
    )
    post_tracking(client, call)
    # The mailbox's owner marked it spam: every spelling of the inbox is left alone.
    sign_up(client, "carol@example.com", "weekly-review")
    assert ConfirmationEmail.objects.count() == 1
    assert Suppression.objects.active().get().address_key == ""
