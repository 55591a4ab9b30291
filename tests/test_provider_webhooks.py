"""Provider webhooks, as Postmark, Mailgun, Amazon SES (through SNS) and Brevo send them: every
event stored once, and what each does (suppress, count, unsubscribe, mark undeliverable);
nothing at all without the right credentials."""

import json

import pytest

from subscriptions import services
from subscriptions.models import Event, ProviderEvent, Subscription, Suppression

from .support.helpers import latest_confirmation, sign_up
from .support.provider_payloads import (
    MAILGUN_SIGNING_KEY,
    PROVIDERS,
    WebhookCall,
    supported,
    webhook_call,
)
from .support.webhooks import SECRET, post_tracking

pytestmark = pytest.mark.django_db

READER = "reader@example.com"
JSON = "application/json"


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
    }
    settings.SOFT_BOUNCE_LIMIT = 2


@pytest.fixture
def reader(client, newsletters) -> Subscription:
    """Confirmed on two lists; the welcome email of "daily" is the message events are about."""
    sign_up(client, READER, "daily", "weekly-review")
    services.confirm(email_id=latest_confirmation().pk)
    return Subscription.objects.get(newsletter__slug="daily")


def post(client, provider: str, case: str, subscription: Subscription, event_id: str, **kw):
    metadata = {"kind": "welcome", "list": "daily", "subscription": str(subscription.pk)}
    call = webhook_call(
        provider,
        case,
        recipient=READER,
        metadata=metadata,
        event_id=event_id,
        message_id=f"message-{event_id}",  # Brevo gives no event id: one message, one event
    )
    return post_tracking(client, call, **kw)


def cases(*names: str) -> list:
    return [pytest.param(p, c, id=f"{p}-{c}") for p in PROVIDERS for c in names if supported(p, c)]


@pytest.mark.parametrize(("provider", "case"), cases("hard_bounce", "complaint"))
def test_a_hard_bounce_or_a_complaint_suppresses_the_inbox(client, reader, provider, case):
    assert post(client, provider, case, reader, "ev-1").status_code == 200
    suppression = Suppression.objects.active().get()
    assert suppression.inbox_key == READER
    assert suppression.reason == ("complaint" if case == "complaint" else "hard_bounce")
    assert suppression.actor == f"provider:{provider}"
    stored = ProviderEvent.objects.get()
    assert (stored.provider, stored.kind, stored.recipient) == (provider, case, READER)
    assert stored.metadata["subscription"] == str(reader.pk) and stored.raw


@pytest.mark.parametrize(("provider", "case"), cases("soft_bounce", "deferred"))
def test_soft_bounces_are_counted_and_suppress_over_the_limit(client, reader, provider, case):
    assert post(client, provider, case, reader, "soft-1").status_code == 200
    assert ProviderEvent.objects.get().kind == "soft_bounce"
    assert not Suppression.objects.exists()  # one under the limit of two
    assert post(client, provider, case, reader, "soft-2").status_code == 200
    assert Suppression.objects.active().get().reason == "soft_bounces"


@pytest.mark.parametrize(("provider", "case"), cases("unsubscribe"))
def test_an_unsubscribe_at_the_provider_leaves_the_list_the_message_was_for(
    client, reader, provider, case
):
    assert post(client, provider, case, reader, "ev-1").status_code == 200
    statuses = dict(Subscription.objects.values_list("newsletter__slug", "status"))
    assert statuses == {"daily": "unsubscribed", "weekly-review": "confirmed"}
    event = Event.objects.get(to_status="unsubscribed")
    assert event.actor == f"provider:{provider}"


@pytest.mark.parametrize(("provider", "case"), cases("rejected"))
def test_a_rejection_makes_the_subscription_undeliverable_with_the_reason(
    client, reader, provider, case
):
    assert post(client, provider, case, reader, "ev-1").status_code == 200
    reader.refresh_from_db()
    assert reader.status == "undeliverable"
    assert Event.objects.get(to_status="undeliverable").actor == f"provider:{provider}"
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(("provider", "case"), cases("soft_bounce"))
def test_the_same_event_twice_is_stored_and_applied_once(client, reader, provider, case):
    for _ in range(2):
        assert post(client, provider, case, reader, "same-id").status_code == 200
    assert ProviderEvent.objects.count() == 1
    assert not Suppression.objects.exists()  # counted once: still under the limit of two


@pytest.mark.parametrize(("provider", "case"), cases("hard_bounce"))
@pytest.mark.parametrize("auth", [None, "anymail:wrong"])
def test_without_the_right_credentials_nothing_is_stored(client, reader, provider, case, auth):
    answer = post(client, provider, case, reader, "ev-1", auth=auth)
    assert 400 <= answer.status_code < 500
    assert not ProviderEvent.objects.exists() and not Suppression.objects.exists()


def test_a_mailgun_event_with_a_wrong_signature_is_refused(client, reader, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": "another-key"}
    assert 400 <= post(client, "mailgun", "hard_bounce", reader, "ev-1").status_code < 500
    assert not ProviderEvent.objects.exists()


def postmark_bounce(client, bounce_type: str, metadata: dict) -> None:
    """Postmark's Bounce webhook, as it reports a bounce of `bounce_type` for READER."""
    body = {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": bounce_type,
        "TypeCode": 100000,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The address is not a valid email address.",
        "Details": "Invalid email address",
        "Email": READER,
        "BouncedAt": "2026-11-28T12:00:00Z",
        "Inactive": True,
        "CanActivate": False,
        "Metadata": metadata,
    }
    call = WebhookCall("/anymail/postmark/tracking/", json.dumps(body).encode(), JSON, {})
    assert post_tracking(client, call).status_code == 200


def test_an_address_postmark_calls_bad_is_suppressed_like_a_hard_bounce(client, reader):
    # anymail reports Postmark's BadEmailAddress as a rejection (reason "invalid"), not a bounce.
    postmark_bounce(client, "BadEmailAddress", {"subscription": str(reader.pk)})
    assert ProviderEvent.objects.get().kind == "hard_bounce"
    assert Suppression.objects.active().get().inbox_key == READER


def test_a_rejected_data_email_leaves_the_readers_lists_alone(client, reader):
    postmark_bounce(client, "Blocked", {"data_export": "7"})  # anymail: rejected, "blocked"
    assert ProviderEvent.objects.get().kind == "rejected"
    statuses = set(Subscription.objects.values_list("status", flat=True))
    assert statuses == {"confirmed"}  # no list hangs on a reader's data link
