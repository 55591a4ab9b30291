"""Suppression: an inbox that bounced for good or complained gets nothing, on either send path,
and an editor with the permission can lift it, on the record."""

import pytest

from subscriptions import bounces, services
from subscriptions.models import ConfirmationEmail, ProviderEvent, Suppression, WelcomeEmail
from subscriptions.tasks import send_due

from .support.helpers import GOOD, latest_confirmation, sign_up, staff_client
from .support.webhooks import apply_event

pytestmark = pytest.mark.django_db


def provider_event(recipient: str, kind: str, event_id: str, **metadata: str) -> str:
    return apply_event(recipient, kind, event_id=event_id, metadata=metadata)


def test_a_suppressed_inbox_gets_the_normal_answer_and_no_confirmation(client, newsletters):
    provider_event("Reader@example.com", bounces.HARD_BOUNCE, "e1")
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
