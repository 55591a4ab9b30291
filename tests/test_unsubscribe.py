"""Leaving a list: one click from any email (RFC 8058), and a scanner-safe page."""

import time
from unittest import mock

import pytest
from django.test import Client

from subscriptions import services
from subscriptions.core import tokens
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


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "text/plain"),
        (b"List-Unsubscribe=One-Click", "text/plain"),
        (b"", "application/x-www-form-urlencoded"),
        (b"List-Unsubscribe=Yes", "application/x-www-form-urlencoded"),
        (b"one-click=List-Unsubscribe", "application/x-www-form-urlencoded"),
        (b'{"List-Unsubscribe": "One-Click"}', "application/json"),
    ],
)
def test_a_post_without_the_one_click_body_is_refused_and_changes_nothing(
    confirmed, body, content_type
):
    # RFC 8058 3.2: the POST's body is "List-Unsubscribe=One-Click", urlencoded or multipart.
    token = tokens.make_unsubscribe_token(confirmed.pk)
    response = Client().generic("POST", f"/unsubscribe/{token}/", body, content_type=content_type)
    assert response.status_code == 400
    assert "List-Unsubscribe=One-Click" in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"
    assert not Event.objects.filter(to_status="unsubscribed").exists()


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
    one_click = {"List-Unsubscribe": "One-Click"}
    assert Client().post(f"/unsubscribe/{token}/", one_click).status_code == 400
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"


def test_repeating_the_one_click_post_is_harmless(confirmed):
    token = tokens.make_unsubscribe_token(confirmed.pk)
    for _ in range(3):
        response = Client().post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200 and not response.has_header("Location")
    assert Event.objects.filter(to_status="unsubscribed").count() == 1


def test_an_unsubscribe_link_from_years_ago_still_works(confirmed):
    with mock.patch("time.time", return_value=time.time() - 3 * 365 * 86400):
        token = tokens.make_unsubscribe_token(confirmed.pk)
    response = Client().post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    confirmed.refresh_from_db()
    assert confirmed.status == "unsubscribed"


def test_a_link_signed_with_a_retired_key_works_while_it_is_a_fallback(confirmed, settings):
    settings.SECRET_KEY = "the-old-key-" + "x" * 40
    token = tokens.make_unsubscribe_token(confirmed.pk)
    settings.SECRET_KEY = "the-new-key-" + "y" * 40
    revoked = Client().post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert revoked.status_code == 400
    settings.SECRET_KEY_FALLBACKS = ["the-old-key-" + "x" * 40]
    kept = Client().post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert kept.status_code == 200
    confirmed.refresh_from_db()
    assert confirmed.status == "unsubscribed"


@pytest.mark.parametrize(
    "token", ["forged", "eyJzIjoxfQ:1xX9H3:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
)
def test_a_forged_one_click_token_changes_nothing(confirmed, token):
    response = Client().post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"
