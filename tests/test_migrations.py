"""Data migrations keep the stored rows meaningful: run from the migration before, on rows as
that schema held them."""

import json
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(target: str):
    """The database at `target`, and its models as they were then."""
    node = ("subscriptions", target)
    MigrationExecutor(connection).migrate([node])
    return MigrationExecutor(connection).loader.project_state([node]).apps


def test_a_bounce_suppression_of_another_spelling_is_narrowed_to_it():
    apps = migrate("0013_outbox_refused_and_suppressed")
    Suppression = apps.get_model("subscriptions", "Suppression")
    ProviderEvent = apps.get_model("subscriptions", "ProviderEvent")

    def suppression(recipient: str, inbox: str, reason: str) -> int:
        event = ProviderEvent.objects.create(
            provider="postmark", event_type="bounced", kind=reason, recipient=recipient,
            inbox_key=inbox, occurred_at=NOW, received_at=NOW, dedupe_key=recipient,
        )  # fmt: skip
        row = Suppression.objects.create(
            inbox_key=inbox, reason=reason, actor="provider:postmark", event=event, created_at=NOW
        )
        return row.pk

    bob = suppression("bob+nosuchbox@example.com", "bob@example.com", "hard_bounce")
    carol = suppression("carol+news@example.com", "carol@example.com", "complaint")
    apps = migrate("0014_suppression_per_spelling")
    spellings = dict(
        apps.get_model("subscriptions", "Suppression").objects.values_list("pk", "address_key")
    )
    assert spellings == {bob: "bob+nosuchbox@example.com", carol: ""}


def test_stored_fastmail_subdomain_spellings_are_counted_with_their_inbox():
    apps = migrate("0014_suppression_per_spelling")
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    Inbox = apps.get_model("subscriptions", "Inbox")
    Suppression = apps.get_model("subscriptions", "Suppression")
    for address in ("x0@capvictim.fastmail.com", "x1@capvictim.fastmail.com", "bob@example.com"):
        Subscriber.objects.create(email=address, email_key=address, inbox_key=address)
        Inbox.objects.create(key=address)
    for key in ("x0@capvictim.fastmail.com", "x1@capvictim.fastmail.com"):  # two complaints
        Suppression.objects.create(inbox_key=key, reason="complaint", actor="p", created_at=NOW)
    apps = migrate("0015_fastmail_subdomain_inboxes")
    subscribers = apps.get_model("subscriptions", "Subscriber").objects
    assert sorted(subscribers.values_list("inbox_key", flat=True)) == [
        "bob@example.com",
        "capvictim@fastmail.com",
        "capvictim@fastmail.com",
    ]
    inboxes = apps.get_model("subscriptions", "Inbox").objects.values_list("key", flat=True)
    assert sorted(inboxes) == ["bob@example.com", "capvictim@fastmail.com"]
    suppressions = apps.get_model("subscriptions", "Suppression").objects
    assert set(suppressions.values_list("inbox_key", flat=True)) == {"capvictim@fastmail.com"}
    assert suppressions.filter(lifted_at__isnull=True).count() == 1


def test_admin_log_entries_written_before_name_readers_by_number_not_by_address():
    apps = migrate("0015_fastmail_subdomain_inboxes")
    models = {m: apps.get_model("subscriptions", m) for m in ("Subscriber", "Subscription")}
    olena = models["Subscriber"].objects.create(
        email="öz@example.com", email_key="öz@example.com", inbox_key="öz@example.com"
    )
    daily = apps.get_model("subscriptions", "Newsletter").objects.create(name="Daily", slug="d")
    theirs = models["Subscription"].objects.create(subscriber=olena, newsletter=daily)
    # The admin's, auth's and contenttypes' tables are as they are now: not this app's.
    kate = User.objects.create(username="kate")
    inline = [{"changed": {"name": "subscription", "object": "öz@example.com → Daily"}}]

    def entry(model: str, pk: object, name: str, message: object = "") -> int:
        kind, _ = ContentType.objects.get_or_create(app_label="subscriptions", model=model)
        text = message if isinstance(message, str) else json.dumps(message)
        return LogEntry.objects.create(
            user=kate, content_type=kind, object_id=str(pk), object_repr=name,
            action_flag=2, change_message=text,
        ).pk  # fmt: skip

    ids = [
        entry("subscriber", olena.pk, "öz@example.com", inline),
        entry("subscription", theirs.pk, "öz@example.com → Daily (confirmed)"),
        entry("subscriber", 999, "gone@example.com", "Added by hand: gone@example.com"),
        entry("suppression", 7, "bob@example.com (hard_bounce)"),
        entry("subscriber", 998, "erased subscriber #998"),
    ]
    migrate("0016_admin_log_names_no_address")
    rows = LogEntry.objects.in_bulk(ids)
    assert [rows[pk].object_repr for pk in ids] == [
        f"subscriber #{olena.pk}",
        f"subscriber #{olena.pk} → Daily (confirmed)",
        "subscriber #999",
        "suppression #7 (Hard bounce)",
        "erased subscriber #998",
    ]
    named = [{"changed": {"name": "subscription", "object": f"subscriber #{olena.pk} → Daily"}}]
    assert json.loads(rows[ids[0]].change_message) == named
    assert rows[ids[2]].change_message == "Added by hand: subscriber #999"
