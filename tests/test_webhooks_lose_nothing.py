"""Provider webhooks never lose an event to one bad string or one bad event of a batch, answer
a body they can't read with 400 and a provider we aren't set up for with 404, and an error
that does reach Django leaves a traceback in the log (issue 20, item 8)."""

import json
import time

import pytest
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from subscriptions import services
from subscriptions.models import ProviderEvent, Suppression

from .support.logs import console_log
from .support.provider_payloads import WebhookCall
from .support.webhooks import SECRET, post_tracking

pytestmark = pytest.mark.django_db

JSON = "application/json"
NUL = "\x00"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def call(provider: str, body: object | bytes) -> WebhookCall:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookCall(f"/anymail/{provider}/tracking/", raw, JSON, {})


def sendgrid_bounce(email: str, event_id: str) -> dict:
    """One event of SendGrid's Event Webhook batch (https://www.twilio.com/docs/sendgrid/
    for-developers/tracking-events/event): a bounce with the remote server's reason."""
    return {
        "email": email,
        "timestamp": int(time.time()),
        "event": "bounce",
        "type": "bounce",
        "sg_event_id": event_id,
        "sg_message_id": f"message-{event_id}",
        "reason": "550 5.1.1 no such user",
        "status": "5.1.1",
    }


def test_a_bounce_text_with_a_nul_is_stored_without_it_and_suppresses(client):
    # PostgreSQL refuses a NUL in text and JSON (a remote server's bounce text may hold one).
    body = {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": "HardBounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": f"Mailbox unavailable{NUL}",
        "Details": f"smtp;550 5.1.1 no{NUL} such user",
        "Email": "gone@example.com",
        "BouncedAt": "2026-11-28T12:00:00Z",
        "Metadata": {f"note{NUL}": f"x{NUL}y"},
    }
    assert post_tracking(client, call("postmark", body)).status_code == 200
    stored = ProviderEvent.objects.get()
    texts = [stored.reason, json.dumps(stored.raw), json.dumps(stored.metadata)]
    assert all(NUL not in text and "\\u0000" not in text for text in texts)
    assert "Mailbox unavailable" in stored.reason
    assert Suppression.objects.active().get().inbox_key == "gone@example.com"


def test_a_batch_with_one_event_that_cant_be_stored_stores_every_other(client, monkeypatch):
    record = services.record_provider_event

    def refuse_one(*, event, **kwargs):
        if event.recipient == "bad@example.com":  # as PostgreSQL refuses a string
            raise DataError("invalid byte sequence for encoding UTF8: 0x00")
        return record(event=event, **kwargs)

    monkeypatch.setattr(services, "record_provider_event", refuse_one)
    batch = [sendgrid_bounce(f"{who}@example.com", f"sg-{who}") for who in ("a", "bad", "c")]
    answer = post_tracking(Client(raise_request_exception=False), call("sendgrid", batch))
    assert answer.status_code == 500  # the provider sends the batch again, for the bad one
    stored = set(ProviderEvent.objects.values_list("recipient", flat=True))
    assert stored == {"a@example.com", "c@example.com"}


@pytest.mark.parametrize("body", [b"{not json", b"[1,2]", b"null", b"\xff\xfe"])
@pytest.mark.parametrize("provider", ["postmark", "sendgrid", "brevo"])
def test_a_body_that_is_no_event_is_a_400_and_stores_nothing(provider, body):
    answer = post_tracking(Client(raise_request_exception=False), call(provider, body))
    assert answer.status_code == 400
    assert not ProviderEvent.objects.exists()


@pytest.mark.parametrize("auth", [SECRET, None])
@pytest.mark.parametrize("provider", ["mailgun/tracking", "postal/inbound", "mandrill"])
def test_the_webhook_of_a_provider_we_are_not_set_up_for_is_a_404(settings, provider, auth):
    # No Mailgun signing key, Postal webhook key or Mandrill webhook key is configured.
    webhook = WebhookCall(f"/anymail/{provider}/", b"{}", JSON, {})
    answer = post_tracking(Client(raise_request_exception=False), webhook, auth=auth)
    assert answer.status_code == 404


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug nobody foresaw")


urlpatterns = [path("broken/", broken_view)]


def test_an_unhandled_error_is_logged_with_its_traceback(settings):
    settings.ROOT_URLCONF = __name__
    with console_log("django.request") as log:
        answer = Client(raise_request_exception=False).get("/broken/")
    assert answer.status_code == 500
    assert "Traceback" in log.getvalue() and "a bug nobody foresaw" in log.getvalue()
