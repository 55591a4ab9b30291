"""The admin log ("Recent actions") names readers by number, never by address, so it keeps
nothing an erasure would have to find; the lists and pages editors read still show the address
in a column of their own."""

import pytest
from django.contrib.admin.models import LogEntry

from subscriptions.models import (
    ConfirmationEmail,
    Consent,
    Subscriber,
    Subscription,
    Suppression,
    WelcomeEmail,
)

from .support.helpers import confirmed

pytestmark = pytest.mark.django_db

ADMIN = "/admin/subscriptions"
READER = "olena@example.com"


def test_what_editors_do_is_logged_naming_the_reader_by_number(editor_client, newsletters):
    form = {
        "email": READER,
        "newsletters": [newsletters["daily"].pk],
        "language": "uk",
        "consent_note": "Signed the paper form",
    }
    assert editor_client.post(f"{ADMIN}/subscriber/add/", form).status_code == 302
    olena = Subscriber.objects.get(email=READER)
    export = {"action": "export_selected", "_selected_action": [olena.pk]}
    assert editor_client.post(f"{ADMIN}/subscriber/", export).status_code == 200

    entries = LogEntry.objects.all()
    assert [e.object_repr for e in entries] == [f"subscriber #{olena.pk}"] * 2
    assert not any("@" in e.object_repr + e.change_message for e in entries)
    recent = editor_client.get("/admin/").content.decode()
    assert f"subscriber #{olena.pk}" in recent and READER not in recent


def test_no_record_of_a_reader_or_their_inbox_is_named_by_its_address(client, newsletters):
    reader = confirmed(client, READER, "daily")
    subscription = Subscription.objects.get(subscriber=reader)
    suppression = Suppression.objects.create(
        inbox_key=READER, reason="hard_bounce", actor="system", created_at=reader.created_at
    )
    rows = [reader, subscription, Consent.objects.get(), suppression]
    rows += [ConfirmationEmail.objects.get(), WelcomeEmail.objects.get()]
    assert not any("example.com" in str(row) for row in rows)


def test_the_lists_and_pages_of_a_readers_records_show_their_address(editor_client, newsletters):
    reader = confirmed(editor_client, READER, "daily")
    subscription = Subscription.objects.get(subscriber=reader)
    pages = [
        f"{ADMIN}/subscription/",
        f"{ADMIN}/subscription/{subscription.pk}/change/",
        f"{ADMIN}/consent/",
        f"{ADMIN}/consent/{Consent.objects.get().pk}/change/",
        f"{ADMIN}/confirmationemail/",
        f"{ADMIN}/welcomeemail/",
        f"{ADMIN}/welcomeemail/{WelcomeEmail.objects.get().pk}/change/",
    ]
    for page in pages:
        answer = editor_client.get(page)
        assert answer.status_code == 200 and READER in answer.content.decode(), page
