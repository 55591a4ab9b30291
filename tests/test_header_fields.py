"""A list's fields that reach an email's headers (issue 20, item 10): a line break there is
refused in the admin, and a message that still can't be built is our failure, never the
reader's."""

import pytest

from subscriptions import services
from subscriptions.models import Newsletter, Subscription, WelcomeEmail
from subscriptions.tasks import send_due

from .support.helpers import latest_confirmation, sign_up
from .test_listmail import newsletter_form

pytestmark = pytest.mark.django_db

HEADER_FIELDS = {
    "name": "Daily\r\nBcc: everyone@example.org",
    "sender_name": "Desk\nBcc: x@example.org",
    "sender_email": "desk@localhost\nBcc: x@example.org",
    "reply_to": "desk@localhost\r\nBcc: x@example.org",
    "welcome_subject": "Welcome\rBcc: x@example.org",
}


@pytest.mark.parametrize("field", sorted(HEADER_FIELDS))
def test_the_admin_refuses_a_line_break_in_a_field_that_reaches_a_header(
    editor_client, newsletters, field
):
    daily = newsletters["daily"]
    url = f"/admin/subscriptions/newsletter/{daily.pk}/change/"
    before = Newsletter.objects.values().get(pk=daily.pk)
    answer = editor_client.post(url, newsletter_form(daily, **{field: HEADER_FIELDS[field]}))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "errorlist" in page
    assert Newsletter.objects.values().get(pk=daily.pk) == before


def test_the_admin_names_the_line_break_as_the_reason(editor_client, newsletters):
    daily = newsletters["daily"]
    url = f"/admin/subscriptions/newsletter/{daily.pk}/change/"
    answer = editor_client.post(url, newsletter_form(daily, sender_name="Desk\nBcc: x"))
    assert "can&#x27;t contain a line break" in answer.content.decode()


def test_a_welcome_that_cant_be_built_is_our_failure_not_the_readers(
    client, newsletters, settings
):
    # Saved before the admin refused it (or by hand in the database).
    Newsletter.objects.filter(slug="daily").update(name="Daily\nBcc: everyone@example.org")
    sign_up(client, "reader@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    send_due.apply()
    welcome = WelcomeEmail.objects.get()
    assert welcome.state == "failed"
    assert "BadHeaderError" in welcome.last_error
    assert Subscription.objects.get().status == "confirmed"
    settings.SEND_RETRY_WINDOW = 0  # nothing is retried, so nothing is given up on later
    send_due.apply()
    welcome.refresh_from_db()
    assert welcome.state == "failed"
    assert Subscription.objects.get().status == "confirmed"
