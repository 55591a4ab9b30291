"""A kind of queued email is declared once (subscriptions.core.kinds): the sender, /metrics, the
reader's data document, the refusal flow and the admin's records read the declarations, so
a kind another app declares is sent, counted, listed and shown with no list here to edit."""

from typing import Any

import pytest
from anymail.message import AnymailMessage
from django.contrib import admin
from django.core import mail
from django.test.utils import isolate_apps

from subscriptions import services
from subscriptions.core import kinds
from subscriptions.models import DataExportEmail, Subscriber, Subscription
from subscriptions.privacy import personal_data
from subscriptions.tasks import send_due_of

from .support.helpers import confirmed

pytestmark = pytest.mark.django_db


def _trial_messages(rows: list) -> dict[int, AnymailMessage | None]:
    return {
        row.pk: AnymailMessage(subject="A trial", body="Hello.", to=[row.subscriber.email])
        for row in rows
    }


@pytest.fixture
def trial():
    """A throwaway kind, declared for this test only: a proxy of an existing outbox model,
    so it needs no table of its own."""
    with isolate_apps("subscriptions"):

        class TrialEmail(DataExportEmail):
            metric_kind = "trial"

            class Meta:
                proxy = True
                app_label = "subscriptions"

    kind = kinds.Kind(
        model=TrialEmail,
        reader="subscriber",
        compose=_trial_messages,
        refused=lambda row: Subscription.objects.filter(subscriber=row.subscriber_id),
    )
    kinds.register(kind)
    yield kind
    kinds.unregister(kind)
    if admin.site.is_registered(TrialEmail):
        admin.site.unregister(TrialEmail)


@pytest.fixture
def reader(client, newsletters) -> Subscriber:
    reader = confirmed(client, "reader@example.com", "daily")
    mail.outbox.clear()
    return reader


def queue_trial(trial: kinds.Kind, reader: Subscriber) -> int:
    model: Any = trial.model  # a proxy of DataExportEmail, typed as any OutboxItem
    [row] = services.queue(model, [model(subscriber=reader, created_at=reader.created_at)])
    return row.pk


def test_a_declared_kind_is_counted_in_metrics_and_sent_on_its_own_queue(trial, reader, scrape):
    queue_trial(trial, reader)
    waiting = scrape()
    assert waiting['newsroom_outbox_waiting{kind="trial"}'] == 1
    assert waiting['newsroom_emails_total{kind="trial",outcome="queued"}'] == 1
    assert send_due_of.apply(args=("trial",)).get() == 1
    [message] = mail.outbox
    assert message.subject == "A trial" and message.to == ["reader@example.com"]
    sent = scrape()
    assert sent['newsroom_outbox_waiting{kind="trial"}'] == 0
    assert sent['newsroom_emails_total{kind="trial",outcome="sent"}'] == 1


def test_a_declared_kind_is_listed_in_the_readers_data(trial, reader):
    queue_trial(trial, reader)
    listed = personal_data.document(reader)["emails"]
    assert [e["state"] for e in listed if e["kind"] == "trial"] == ["queued"]


def test_a_refused_row_means_what_its_kind_declares(trial, reader):
    row = queue_trial(trial, reader)
    services.record_refused(kind=trial.model, item_id=row, actor="provider:postmark", reason="x")
    assert trial.model.objects.get(pk=row).state == "refused"
    assert Subscription.objects.get(subscriber=reader).status == "undeliverable"


def test_a_declared_kind_has_its_records_in_the_admin(trial):
    assert admin.site.is_registered(trial.model)
