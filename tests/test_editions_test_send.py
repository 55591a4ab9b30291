"""'Send a test to me': an edition as readers get it, to the signed-in editor's own address
only, "[Test]" before its subject, with links that change nothing (issue 24)."""

from unittest import mock

import pytest
import requests
from anymail.exceptions import AnymailAPIError
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client

from editions import services, tasks
from editions.models import Edition, EditionTest
from subscriptions.models import Event, OutboxState, Status, Subscription

from .support.factories import confirmed_readers

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition(newsletters) -> Edition:
    return services.create_draft(
        newsletter=newsletters["explaining-ukraine"],
        subject="Under the Dnipro",
        preheader="How Kyiv's metro became a shelter",
        body="# Metro shelters\n\nSixty metres under the Dnipro.",
        author=None,
    )


def send_test(client: Client, edition: Edition, **posted: str):
    return client.post(f"/admin/editions/edition/{edition.pk}/send-test/", posted)


def run_queued_tests() -> None:
    queued = EditionTest.objects.filter(state=OutboxState.QUEUED)
    for test_id in queued.values_list("pk", flat=True):
        tasks.send_test.apply(args=(test_id,))


def provider_error(text: str, status: int) -> AnymailAPIError:
    """As anymail raises it: with the provider's HTTP answer."""
    response = requests.Response()
    response.status_code, response.reason, response._content = status, text, text.encode()
    return AnymailAPIError(text, status_code=status, response=response)


def editor(*codenames: str, email: str = "ed@example.com") -> Client:
    user = User.objects.create_user(f"ed-{'-'.join(codenames)}", email=email, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="editions", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_test_goes_to_the_editor_alone_with_test_in_its_subject(editor_client, edition):
    response = send_test(editor_client, edition)
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "on its way to kate@example.com" in message
    run_queued_tests()
    [sent] = mail.outbox
    assert sent.to == ["kate@example.com"] and sent.cc == [] and sent.bcc == []
    assert sent.subject == "[Test] Under the Dnipro"
    assert "Sixty metres under the Dnipro." in sent.body
    assert EditionTest.objects.get().state == OutboxState.SENT
    record = editor_client.get("/admin/editions/editiontest/").content.decode()
    assert "kate@example.com" in record and "Under the Dnipro" in record


def test_a_forged_post_naming_another_address_still_reaches_only_the_editor(
    editor_client, edition
):
    forged = {"to": "victim@example.org", "address": "victim@example.org"}
    send_test(editor_client, edition, email="victim@example.org", **forged)
    run_queued_tests()
    assert [m.to for m in mail.outbox] == [["kate@example.com"]]
    assert "victim" not in str(mail.outbox[0].message())


def test_the_test_has_the_readers_headers_and_footer_with_links_that_change_nothing(
    editor_client, edition, client
):
    [reader] = confirmed_readers(edition.newsletter, 1)
    send_test(editor_client, edition)
    run_queued_tests()
    [sent] = mail.outbox
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent.extra_headers["List-Id"].startswith('"Explaining Ukraine')
    [url] = [u.strip("<>") for u in sent.extra_headers["List-Unsubscribe"].split(", ")]
    assert url.startswith("http://testserver/test-link/")
    assert f"http://testserver/editions/{edition.pk}/" in sent.body  # View in browser
    events = Event.objects.count()
    one_click = client.post(url, {"List-Unsubscribe": "One-Click"})
    page = client.get(url)
    assert one_click.status_code == page.status_code == 200
    assert "This was a test email" in page.content.decode()
    reader.refresh_from_db()
    assert reader.status == Status.CONFIRMED and Event.objects.count() == events
    assert Subscription.objects.exclude(status=Status.CONFIRMED).count() == 0


def test_an_editor_without_an_address_is_told_and_nothing_is_queued(edition):
    client = editor("view_edition", "send_edition", email="")
    response = send_test(client, edition)
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Your account has no email address" in message
    assert not EditionTest.objects.exists()


def test_tests_are_limited_to_five_a_minute_per_editor(editor_client, edition, one_rate_window):
    one_rate_window()
    for _ in range(5):
        send_test(editor_client, edition)
    refused = send_test(editor_client, edition)
    assert "Wait a minute" in [str(m) for m in get_messages(refused.wsgi_request)][-1]
    assert EditionTest.objects.count() == 5
    other = editor("view_edition", "send_edition", email="ed2@example.com")
    send_test(other, edition)
    assert EditionTest.objects.count() == 6


def test_staff_without_the_send_permission_can_send_no_test(edition):
    client = editor("view_edition", "change_edition")
    assert send_test(client, edition).status_code == 403
    changelist = client.get("/admin/editions/edition/").content.decode()
    assert "send_tests" not in changelist
    preview = client.get(f"/admin/editions/edition/{edition.pk}/preview/").content.decode()
    assert "Send a test to me" not in preview
    action = {"action": "send_tests", "_selected_action": [edition.pk]}
    client.post("/admin/editions/edition/", action)
    assert not EditionTest.objects.exists()


def test_the_list_action_sends_a_test_of_each_selected_edition(editor_client, edition):
    action = {"action": "send_tests", "_selected_action": [edition.pk]}
    editor_client.post("/admin/editions/edition/", action)
    run_queued_tests()
    assert [m.subject for m in mail.outbox] == ["[Test] Under the Dnipro"]


def test_a_test_task_run_twice_sends_once(editor_client, edition):
    send_test(editor_client, edition)
    test = EditionTest.objects.get()
    assert services.send_test(test_id=test.pk) == "sent"
    assert services.send_test(test_id=test.pk) == "taken"
    assert len(mail.outbox) == 1


def test_a_provider_outage_is_retried_and_a_refusal_is_not(editor_client, edition):
    send_test(editor_client, edition)
    test = EditionTest.objects.get()
    outage = provider_error("down", 503)
    with (
        mock.patch("editions.services.proofs.send_email", side_effect=outage),
        pytest.raises(services.TestNotSentYet),
    ):
        services.send_test(test_id=test.pk)
    test.refresh_from_db()
    assert test.state == OutboxState.QUEUED and test.claimed_until is None
    assert services.send_test(test_id=test.pk) == "sent"
    send_test(editor_client, edition)
    refused = EditionTest.objects.latest("pk")
    with mock.patch("editions.services.proofs.send_email", side_effect=provider_error("bad", 422)):
        assert services.send_test(test_id=refused.pk) == "refused"
    refused.refresh_from_db()
    assert refused.state == OutboxState.REFUSED and "bad" in refused.last_error


def test_the_sweep_queues_again_a_test_the_broker_lost(editor_client, edition, clock):
    send_test(editor_client, edition)
    assert tasks.sweep_tests() == 0  # just asked for: its own task is on its way
    clock.shift(90)
    with mock.patch("editions.tasks.enqueue") as enqueue:
        assert tasks.sweep_tests() == 1
    enqueue.assert_called_once_with("editions.tasks.send_test", EditionTest.objects.get().pk)
