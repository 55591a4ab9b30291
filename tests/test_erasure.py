"""Right to erasure: after an erase, the address is nowhere in the database."""

import json
import threading
import time

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.db import connection, connections
from django.utils import timezone

from subscriptions import services
from subscriptions.models import RecordedSignUp, Subscriber, Subscription
from subscriptions.services import membership

from .support.helpers import latest_confirmation, sign_up

pytestmark = pytest.mark.django_db

ADDRESS = "erase.me@example.com"


def tables_holding(text: str) -> dict[str, int]:
    """Every table whose rows hold `text` in any column, with how many rows."""
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = [r for r in cursor.fetchall() if text.lower() in repr(r).lower()]
            if rows:
                found[table] = len(rows)
    return found


@pytest.fixture
def editor() -> User:
    return User.objects.create_superuser("kate", "kate@example.com", "pw")


@pytest.fixture
def reader_with_history(client, newsletters, editor) -> Subscriber:
    """A reader as an editor would find them: confirmed, with admin log entries naming them,
    and a sign-up of theirs still waiting for a worker."""
    sign_up(client, ADDRESS, "daily", "explaining-ukraine")
    services.confirm(email_id=latest_confirmation().pk)
    subscriber = Subscriber.objects.get()
    subscription = Subscription.objects.filter(subscriber=subscriber).first()
    assert subscription is not None
    # What the admin writes when an editor saves a subscriber with an inline row changed,
    # and saves a subscription.
    inline = [{"changed": {"name": "subscription", "object": str(subscription), "fields": []}}]
    LogEntry.objects.log_actions(editor.pk, [subscriber], CHANGE, change_message=inline)
    LogEntry.objects.log_actions(editor.pk, [subscription], CHANGE, change_message="[]")
    now = timezone.now()
    RecordedSignUp.objects.create(
        email=ADDRESS.upper().replace("EXAMPLE.COM", "example.com"),
        newsletter_ids=[newsletters["weekly-review"].pk],
        wording="W",
        version="1",
        created_at=now,
        due_at=now,
    )
    return subscriber


def test_the_address_is_in_no_table_after_an_erase(reader_with_history):
    # The admin log's entries about the reader (the fixture's) never held the address.
    before = tables_holding(ADDRESS)
    assert "subscriptions_subscriber" in before and "subscriptions_recordedsignup" in before
    services.erase_subscriber(subscriber_id=reader_with_history.pk, actor="editor:kate")
    assert tables_holding(ADDRESS) == {}


def test_the_admin_log_keeps_who_did_what_naming_the_reader_by_number(reader_with_history, editor):
    services.erase_subscriber(subscriber_id=reader_with_history.pk, actor="editor:kate")
    entries = LogEntry.objects.order_by("pk")
    assert entries.count() == 2 and {e.user_id for e in entries} == {editor.pk}
    named = f"subscriber #{reader_with_history.pk}"
    assert [e.object_repr.split(" →")[0] for e in entries] == [named, named]
    message = json.loads(entries[0].change_message)
    assert message[0]["changed"]["name"] == "subscription"
    assert named in entries[0].get_change_message()


def test_erasing_takes_waiting_sign_ups_of_the_address_in_any_case(newsletters):
    now = timezone.now()
    subscriber = Subscriber.objects.create(
        email="Öz@example.com", email_key="öz@example.com", inbox_key="öz@example.com"
    )
    for spelling in ("öz@example.com", "ÖZ@example.com", "other@example.com"):
        RecordedSignUp.objects.create(
            email=spelling,
            newsletter_ids=[newsletters["daily"].pk],
            wording="W",
            version="1",
            created_at=now,
            due_at=now,
        )
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    assert list(RecordedSignUp.objects.values_list("email", flat=True)) == ["other@example.com"]


@pytest.mark.django_db(transaction=True)
def test_an_erasure_and_a_sign_up_of_the_address_at_the_same_moment_both_finish(
    client, newsletters, monkeypatch
):
    # Erasure once locked the subscriber before the inbox, the other order from a sign-up's:
    # on PostgreSQL the two deadlocked and the editor got an error page.
    sign_up(client, "both@example.com", "daily")
    subscriber = Subscriber.objects.get()
    erasing, hashing = threading.Event(), membership._hash_suppressions

    def slow_hashing(inbox_key):
        erasing.set()
        time.sleep(0.5)  # the sign-up arrives now
        hashing(inbox_key)

    monkeypatch.setattr(membership, "_hash_suppressions", slow_hashing)
    failures: list[str] = []

    def reader() -> None:
        erasing.wait(10)
        try:
            services.sign_up(
                email="both@example.com", newsletters=[newsletters["weekly-review"]], consent=None
            )
        except Exception as error:
            failures.append(repr(error))
        finally:
            connections.close_all()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    finally:
        thread.join()
    assert failures == []
    [again] = Subscriber.objects.all()  # the sign-up after the erasure, afresh
    assert again.pk != subscriber.pk
