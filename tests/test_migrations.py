"""Data migrations keep the stored rows meaningful: run from the migration before, on rows as
that schema held them."""

from datetime import UTC, datetime

import pytest
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
