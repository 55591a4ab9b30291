"""GDPR Art. 15 and 20 for editors: the admin's export of subscribers' data, under its own
permission, logged against each subscriber."""

import io
import json
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from subscriptions import admin as subscriptions_admin
from subscriptions import services
from subscriptions.core import tokens
from subscriptions.models import DataExportEmail, Subscriber
from subscriptions.privacy import personal_data

from .support.helpers import confirmed, staff_client

pytestmark = pytest.mark.django_db

READER = "reader@example.com"
OTHER = "other.reader@example.com"
ADMIN = "/admin/subscriptions/subscriber/"


@pytest.fixture
def reader(client, newsletters) -> Subscriber:
    return confirmed(client, READER, "daily", "weekly-review")


def without_time(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "exported_at"}


def test_an_editor_without_the_export_permission_gets_no_export(reader):
    viewer = staff_client("view_subscriber", "change_subscriber", username="ed-viewer")
    assert "export_selected" not in viewer.get(ADMIN).content.decode()
    data = {"action": "export_selected", "_selected_action": [reader.pk]}
    refused = viewer.post(ADMIN, data)
    assert refused["Content-Type"].startswith("text/html")  # the change list, or back to it
    assert not refused.has_header("Content-Disposition")
    assert not LogEntry.objects.exists()


def test_an_editor_exports_one_subscriber_as_json_and_several_as_a_zip(client, reader):
    other = confirmed(client, OTHER, "daily")
    editor = staff_client("view_subscriber", "export_subscriber", username="ed-exporter")
    assert "export_selected" in editor.get(ADMIN).content.decode()
    one = editor.post(ADMIN, {"action": "export_selected", "_selected_action": [reader.pk]})
    disposition = one["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.json"')
    assert "@" not in disposition and "reader" not in disposition
    assert without_time(json.loads(one.content)) == without_time(
        json.loads(personal_data.as_json(reader))
    )
    data = {"action": "export_selected", "_selected_action": [reader.pk, other.pk]}
    both = editor.post(ADMIN, data)
    assert both["Content-Type"] == "application/zip" and "@" not in both["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(both.content)) as archive:
        names = archive.namelist()
        documents = [json.loads(archive.read(name)) for name in names]
    assert len(names) == 2 and not any("@" in name for name in names)
    assert sorted(d["subscriber"]["email"] for d in documents) == sorted([READER, OTHER])
    entries = LogEntry.objects.filter(user__username="ed-exporter")
    assert sorted(e.object_id for e in entries) == sorted(map(str, [reader.pk] * 2 + [other.pk]))
    assert all("Exported" in e.get_change_message() for e in entries)


def test_an_export_of_too_many_subscribers_at_once_is_refused_with_a_message(
    client, reader, monkeypatch
):
    monkeypatch.setattr(subscriptions_admin, "EXPORT_AT_ONCE", 1)
    other = confirmed(client, OTHER, "daily")
    editor = staff_client("view_subscriber", "export_subscriber", username="ed-exporter")
    data = {"action": "export_selected", "_selected_action": [reader.pk, other.pk]}
    answer = editor.post(ADMIN, data, follow=True)
    assert "Select at most 1 subscriber to export at once." in answer.content.decode()
    assert not answer.has_header("Content-Disposition") and not LogEntry.objects.exists()


def test_a_reader_sees_editor_where_their_file_names_a_staff_username(client, reader):
    """Issue 20, item 7: staff usernames are ours to keep; the editor's export keeps them."""
    subscription = reader.subscriptions.get(newsletter__slug="daily")
    services.unsubscribe(subscription_id=subscription.pk, actor="editor:kate.smith")
    token = tokens.make_data_export_token(
        DataExportEmail.objects.create(subscriber=reader, created_at=timezone.now()).pk
    )
    browser = Client()
    browser.get(f"/your-data/{token}/")
    downloaded = browser.get("/your-data/download/").content.decode()
    page = browser.get("/your-data/").content.decode()
    editor = staff_client("view_subscriber", "export_subscriber", username="ed-exporter")
    exported = editor.post(ADMIN, {"action": "export_selected", "_selected_action": [reader.pk]})
    actors = [e["actor"] for e in json.loads(downloaded)["events"]]
    assert "editor" in actors and "kate.smith" not in downloaded and "kate.smith" not in page
    assert "editor:kate.smith" in [e["actor"] for e in json.loads(exported.content)["events"]]
