"""Editors in the Django admin: find subscribers, filter, and unsubscribe with their name."""

import re

import pytest
from django.contrib import admin
from django.utils import timezone

from subscriptions import services
from subscriptions.models import (
    ConfirmationEmail,
    Consent,
    Event,
    RecordedSignUp,
    Subscriber,
    Subscription,
)

from .support.helpers import latest_confirmation, sign_up, staff_client

pytestmark = pytest.mark.django_db


def run_action(client, model: str, action: str, *pks: int):
    """Tick rows in an admin change list and run an action on them, as an editor does."""
    data = {"action": action, "_selected_action": list(pks)}
    return client.post(f"/admin/subscriptions/{model}/", data, follow=True)


@pytest.fixture
def two_readers(client, newsletters):
    sign_up(client, "alice@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    sign_up(client, "bob@example.com", "explaining-ukraine")


def test_subscriptions_are_searchable_by_email(editor_client, two_readers):
    page = editor_client.get("/admin/subscriptions/subscription/", {"q": "alice"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "alice@example.com" in html and "bob@example.com" not in html


def test_subscriptions_filter_by_status_and_list(editor_client, two_readers, newsletters):
    by_status = editor_client.get("/admin/subscriptions/subscription/", {"status": "pending"})
    assert "bob@example.com" in by_status.content.decode()
    assert "alice@example.com" not in by_status.content.decode()
    by_list = editor_client.get(
        "/admin/subscriptions/subscription/", {"newsletter__id__exact": newsletters["daily"].pk}
    )
    assert "alice@example.com" in by_list.content.decode()
    assert "bob@example.com" not in by_list.content.decode()


def test_subscriber_page_shows_their_subscriptions(editor_client, two_readers):
    page = editor_client.get("/admin/subscriptions/subscriber/", {"q": "bob"})
    assert "bob@example.com" in page.content.decode()


def test_editor_unsubscribe_action_records_the_editor(editor_client, two_readers):
    alice = Subscription.objects.get(subscriber__email="alice@example.com")
    response = run_action(editor_client, "subscription", "unsubscribe_selected", alice.pk)
    assert "1 subscription unsubscribed" in response.content.decode()
    alice.refresh_from_db()
    assert alice.status == "unsubscribed"
    assert Event.objects.get(to_status="unsubscribed").actor == "editor:kate"


def test_status_cannot_be_edited_around_the_history(editor_client, two_readers):
    alice = Subscription.objects.get(subscriber__email="alice@example.com")
    editor_client.post(
        f"/admin/subscriptions/subscription/{alice.pk}/change/", {"status": "pending"}
    )
    alice.refresh_from_db()
    assert alice.status == "confirmed"


def test_a_readers_language_keys_and_change_record_cannot_be_edited_in_the_admin(
    editor_client, two_readers
):
    alice = Subscriber.objects.get(email="alice@example.com")
    before = Subscriber.objects.values().get(pk=alice.pk)
    page = f"/admin/subscriptions/subscriber/{alice.pk}/change/"
    # The form as the page has it (its inline's management fields too), then forged fields.
    shown = dict(
        re.findall(
            r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
            editor_client.get(page).content.decode(),
        )
    )
    forged = {"language": "uk", "inbox_key": "x@example.com", "changed_by": "nobody"}
    answer = editor_client.post(page, shown | forged)
    assert answer.status_code == 302  # saved: the form took what it could edit
    assert Subscriber.objects.values().get(pk=alice.pk) == before


def test_erasing_a_subscriber_removes_their_subscriptions_consents_and_history(
    editor_client, two_readers
):
    bob = Subscriber.objects.get(email="bob@example.com")
    response = run_action(editor_client, "subscriber", "erase_selected", bob.pk)
    assert "1 subscriber erased" in response.content.decode()
    assert not Subscriber.objects.filter(email="bob@example.com").exists()
    assert not Subscription.objects.filter(subscriber_id=bob.pk).exists()
    assert not Consent.objects.filter(subscriber_id=bob.pk).exists()
    assert not ConfirmationEmail.objects.filter(subscriber_id=bob.pk).exists()
    assert Subscriber.objects.filter(email="alice@example.com").exists()


def test_editors_see_sign_ups_waiting_for_a_worker_and_why_one_keeps_failing(
    editor_client, newsletters
):
    now = timezone.now()
    RecordedSignUp.objects.create(
        email="waiting@example.com",
        newsletter_ids=[newsletters["daily"].pk],
        wording="W",
        version="1",
        created_at=now,
        due_at=now,
        attempts=2,
        last_error="ValueError: bad list",
    )
    page = editor_client.get("/admin/subscriptions/recordedsignup/")
    assert page.status_code == 200 and "1 recorded sign-up" in page.content.decode()
    row = RecordedSignUp.objects.get()
    detail = editor_client.get(f"/admin/subscriptions/recordedsignup/{row.pk}/change/")
    assert "ValueError: bad list" in detail.content.decode()


def test_every_custom_admin_action_declares_its_permission():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("subscriptions", "editions"):
            continue
        for name in model_admin.actions or []:
            action = getattr(model_admin, name) if isinstance(name, str) else name
            assert getattr(action, "allowed_permissions", None), f"{model.__name__}.{name}"


def test_a_viewer_cannot_unsubscribe_anyone(two_readers):
    viewer = staff_client("view_subscription", "view_subscriber")
    alice = Subscription.objects.get(subscriber__email="alice@example.com")
    page = viewer.get("/admin/subscriptions/subscription/").content.decode()
    assert "unsubscribe_selected" not in page
    run_action(viewer, "subscription", "unsubscribe_selected", alice.pk)
    alice.refresh_from_db()
    assert alice.status == "confirmed"
    assert not Event.objects.filter(to_status="unsubscribed").exists()


def test_erasing_needs_the_erase_permission_not_the_delete_one(two_readers):
    bob = Subscriber.objects.get(email="bob@example.com")
    deleter = staff_client("view_subscriber", "delete_subscriber")
    assert "erase_selected" not in deleter.get("/admin/subscriptions/subscriber/").content.decode()
    run_action(deleter, "subscriber", "erase_selected", bob.pk)
    assert Subscriber.objects.filter(pk=bob.pk).exists()
    eraser = staff_client("view_subscriber", "erase_subscriber")
    response = run_action(eraser, "subscriber", "erase_selected", bob.pk)
    assert "1 subscriber erased" in response.content.decode()
    assert not Subscriber.objects.filter(pk=bob.pk).exists()


def test_subscriptions_cannot_be_hard_deleted_from_the_admin(editor_client, two_readers):
    alice = Subscription.objects.get(subscriber__email="alice@example.com")
    page = editor_client.get("/admin/subscriptions/subscription/").content.decode()
    assert "delete_selected" not in page
    run_action(editor_client, "subscription", "delete_selected", alice.pk)
    editor_client.post(f"/admin/subscriptions/subscription/{alice.pk}/delete/", {"post": "yes"})
    assert Subscription.objects.filter(pk=alice.pk).exists()
    assert Event.objects.filter(subscription=alice).exists()
