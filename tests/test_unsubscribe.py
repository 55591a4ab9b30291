"""Leaving a list: one click from any email (RFC 8058), and a scanner-safe page."""

import pytest
from django.test import Client

from subscriptions import services, tokens
from subscriptions.models import Event, Subscription

from .support.helpers import latest_confirmation, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(client, newsletters) -> Subscription:
    sign_up(client, "reader@example.com")
    services.confirm(email_id=latest_confirmation().pk)
    return Subscription.objects.get()


def test_one_click_post_unsubscribes_without_cookies_or_csrf(confirmed):
    token = tokens.make_unsubscribe_token(confirmed.pk)
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    confirmed.refresh_from_db()
    assert confirmed.status == "unsubscribed" and confirmed.unsubscribed_at
    event = Event.objects.get(to_status="unsubscribed")
    assert event.actor == "reader" and "RFC 8058" in event.detail


def test_scanner_get_of_the_unsubscribe_link_changes_nothing(client, confirmed):
    token = tokens.make_unsubscribe_token(confirmed.pk)
    response = client.get(f"/unsubscribe/{token}/")
    assert response["Location"] == "/unsubscribe/"
    page = client.get("/unsubscribe/")
    assert "The Daily Brief" in page.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"


def test_unsubscribe_page_button_unsubscribes_once(client, confirmed):
    client.get(f"/unsubscribe/{tokens.make_unsubscribe_token(confirmed.pk)}/")
    first = client.post("/unsubscribe/")
    second = client.post("/unsubscribe/")
    assert "unsubscribed" in first.content.decode()
    assert second.status_code == 200
    assert Event.objects.filter(to_status="unsubscribed").count() == 1


def test_confirm_token_cannot_unsubscribe(confirmed):
    token = tokens.make_confirm_token(confirmed.pk)
    assert Client().post(f"/unsubscribe/{token}/").status_code == 400
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"
