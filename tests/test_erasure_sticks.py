"""Erasure that sticks (GDPR Art. 17): an erased address can't be put back on a list by an
import, in any spelling, while the person may still sign up again themselves."""

import pytest
from django.core import mail

from subscriptions import services
from subscriptions.core import bounces
from subscriptions.models import (
    ConfirmationEmail,
    ErasedInbox,
    ProviderEvent,
    Subscriber,
    Suppression,
)
from subscriptions.privacy import erasure
from subscriptions.tasks import send_due

from .support.helpers import GOOD, latest_confirmation, sign_up, staff_client
from .support.webhooks import apply_event

pytestmark = pytest.mark.django_db

ADDRESS = "Erase.Me@example.com"


@pytest.fixture
def erased(client, newsletters) -> None:
    """A reader who confirmed, then had an editor erase them."""
    sign_up(client, ADDRESS, "daily")
    services.confirm(email_id=latest_confirmation().pk)
    subscriber = Subscriber.objects.get()
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    mail.outbox.clear()


def bounce(recipient: str) -> None:
    apply_event(recipient, bounces.HARD_BOUNCE, raw={"Type": "HardBounce", "Email": recipient})


def complain(recipient: str) -> None:
    """A complaint: from the mailbox's owner, so it suppresses the whole inbox, every spelling
    (a hard bounce at example.com reaches only the spelling that bounced)."""
    apply_event(recipient, bounces.COMPLAINT, raw={"Type": "SpamComplaint", "Email": recipient})


def test_an_import_refuses_an_erased_address_in_any_spelling(erased):
    spellings = ["Erase.Me@example.com", "erase.me@example.com", "erase.me+news@example.com"]
    assert erasure.erased_addresses([*spellings, "someone.else@example.com"]) == set(spellings)


def test_the_erasure_record_names_who_and_when_but_not_the_address(erased):
    row = ErasedInbox.objects.get()
    assert row.erased_by == "editor:kate" and row.erased_at is not None
    assert "erase" not in row.key_hash.lower() and len(row.key_hash) == 64


def test_the_erasure_record_is_keyed_by_its_own_setting_not_the_secret_key(erased, settings):
    settings.SECRET_KEY = "rotated-" + settings.SECRET_KEY  # links revoked, erasures kept
    assert erasure.erased_addresses([ADDRESS]) == {ADDRESS}
    settings.ERASURE_HASH_KEY = "another-key"  # the hash can't be checked without its key
    assert erasure.erased_addresses([ADDRESS]) == set()


def test_the_person_may_sign_up_again_themselves_and_confirming_lifts_the_erasure(erased, client):
    answer = sign_up(client, ADDRESS, "daily", json=True)
    assert answer.json()["message"] == GOOD
    assert latest_confirmation().subscriber.email == ADDRESS  # a confirmation is queued
    # Signing up is not yet proof that it is them: an import is still refused meanwhile.
    assert erasure.erased_addresses([ADDRESS]) == {ADDRESS}
    services.confirm(email_id=latest_confirmation().pk)
    assert erasure.erased_addresses([ADDRESS]) == set()
    assert not ErasedInbox.objects.exists()


def test_erasure_deletes_what_providers_reported_but_the_inbox_stays_suppressed(
    client, newsletters
):
    sign_up(client, ADDRESS, "daily")
    bounce(ADDRESS)
    subscriber = Subscriber.objects.get()
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    assert not ProviderEvent.objects.exists()
    assert Suppression.objects.active().count() == 1
    sign_up(client, ADDRESS, "daily")
    assert not ConfirmationEmail.objects.exists()  # never written to after a hard bounce


def test_erasure_deletes_what_providers_reported_about_the_address_in_any_case(
    client, newsletters, settings
):
    settings.ALLOW_SMTPUTF8 = True
    sign_up(client, "Ölga@example.com", "daily")
    bounce("ölga@example.com")  # SQLite's case-insensitive match would miss this one
    subscriber = Subscriber.objects.get()
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    assert not ProviderEvent.objects.exists()


def test_an_editor_finds_whether_an_address_was_erased_by_searching_for_it(erased, client):
    editor = staff_client("view_erasedinbox")
    row = ErasedInbox.objects.get()
    for spelling, found in [("erase.me+x@EXAMPLE.com", True), ("someone@example.com", False)]:
        page = editor.get("/admin/subscriptions/erasedinbox/", {"q": spelling}).content.decode()
        assert (row.key_hash in page) is found


def test_after_erasure_the_suppression_holds_a_keyed_hash_not_the_inbox(client, newsletters):
    """Issue 20, item 7: the suppression outlives the erasure without the address."""
    sign_up(client, ADDRESS, "daily")
    complain(ADDRESS)
    subscriber = Subscriber.objects.get()
    key = subscriber.inbox_key
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    suppression = Suppression.objects.get()
    assert suppression.inbox_key == erasure.inbox_hash(key) and suppression.lifted_at is None
    editor = staff_client("view_suppression")
    listed = editor.get("/admin/subscriptions/suppression/").content.decode()
    assert "erase" not in listed.lower()
    # The editor still finds it by the address they have, in any spelling.
    found = editor.get("/admin/subscriptions/suppression/", {"q": "erase.me+x@example.com"})
    assert suppression.inbox_key in found.content.decode()
    # And the inbox still gets nothing: no confirmation, and nothing the sender had queued.
    sign_up(client, "erase.me+again@example.com", "daily")
    assert not ConfirmationEmail.objects.exists()


def test_a_message_queued_before_the_erasure_is_not_sent_to_the_suppressed_inbox(
    client, newsletters
):
    sign_up(client, ADDRESS, "daily")
    sign_up(client, "erase.me+2@example.com", "weekly-review")  # another spelling, queued
    complain(ADDRESS)
    services.erase_subscriber(
        subscriber_id=Subscriber.objects.get(email=ADDRESS).pk, actor="editor:kate"
    )
    assert "erase.me@example.com" not in Suppression.objects.values_list("inbox_key", flat=True)
    send_due.apply()
    assert mail.outbox == []
    assert set(ConfirmationEmail.objects.values_list("state", flat=True)) == {"suppressed"}


def test_a_second_erasure_of_the_inbox_keeps_one_active_suppression(client, newsletters):
    sign_up(client, ADDRESS, "daily")
    complain(ADDRESS)
    services.erase_subscriber(subscriber_id=Subscriber.objects.get().pk, actor="editor:kate")
    # A complaint about an old email comes after the erasure, and another spelling is erased.
    sign_up(client, "erase.me+2@example.com", "daily")
    apply_event("erase.me+2@example.com", bounces.COMPLAINT)
    services.erase_subscriber(subscriber_id=Subscriber.objects.get().pk, actor="editor:kate")
    assert Suppression.objects.active().count() == 1
    assert not Suppression.objects.filter(inbox_key__contains="erase").exists()


def test_after_erasure_a_spellings_suppression_keeps_neither_its_inbox_nor_its_spelling(
    client, newsletters
):
    sign_up(client, ADDRESS, "daily")
    bounce(ADDRESS)  # at example.com a hard bounce reaches only the spelling that bounced
    subscriber = Subscriber.objects.get()
    keys = (subscriber.inbox_key, subscriber.email_key)
    assert Suppression.objects.get().address_key == subscriber.email_key
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    row = Suppression.objects.get()
    assert "erase" not in f"{row.inbox_key} {row.address_key}".lower()
    assert Suppression.objects.of_addresses([keys]) == {keys}  # still never written to
    sign_up(client, ADDRESS, "daily")
    assert not ConfirmationEmail.objects.exists()
