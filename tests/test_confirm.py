"""Double opt-in: the link, the scanner-safe GET, the POST, expiry, tampering and repeats."""

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client

from subscriptions import services
from subscriptions.app_settings import app_settings
from subscriptions.core import tokens
from subscriptions.models import ConfirmationEmail, Event, Subscription

from .support.helpers import latest_confirmation, preferences_link_for, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(client, newsletters):
    sign_up(client, "reader@example.com", "daily", "explaining-ukraine")
    return latest_confirmation()


def open_link(client, request_id: int):
    token = tokens.make_confirm_token(request_id)
    return client.get(f"/confirm/{token}/")


def test_opening_the_link_redirects_to_a_url_without_the_token(client, pending):
    response = open_link(client, pending.pk)
    assert response.status_code == 302
    assert response["Location"] == "/confirm/"


def test_scanner_get_shows_the_button_and_changes_nothing(client, pending):
    page = client.get(open_link(client, pending.pk)["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Confirm subscription" in html and 'method="post"' in html
    assert "The Daily Brief" in html and "Explaining Ukraine with Kate Tsurkan" in html
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}


def test_post_confirms_every_list_of_the_email_and_records_the_reader(client, pending):
    open_link(client, pending.pk)
    response = client.post("/confirm/")
    assert response.status_code == 200
    assert "Subscription confirmed" in response.content.decode()
    assert set(Subscription.objects.values_list("status", flat=True)) == {"confirmed"}
    assert all(s.confirmed_at for s in Subscription.objects.all())
    events = Event.objects.filter(to_status="confirmed")
    assert events.count() == 2 and {e.actor for e in events} == {"reader"}


def test_a_confirmed_reader_is_offered_their_preference_center(client, pending):
    open_link(client, pending.pk)
    page = client.post("/confirm/").content.decode()
    assert preferences_link_for(page, 'href="') == pending.subscriber_id
    assert "Choose more newsletters, or the language of your emails" in page


def test_confirming_twice_is_harmless_and_says_already_confirmed(client, pending):
    open_link(client, pending.pk)
    client.post("/confirm/")
    again = client.post("/confirm/")
    assert again.status_code == 200
    assert "Already confirmed" in again.content.decode()
    assert Event.objects.filter(to_status="confirmed").count() == 2
    revisit = client.get(open_link(client, pending.pk)["Location"])
    assert "Already confirmed" in revisit.content.decode()


def test_expired_link_gets_a_clear_page_offering_a_fresh_link(client, pending, clock):
    token = tokens.make_confirm_token(pending.pk)  # as the email carries it
    clock.shift(app_settings.CONFIRMATION_MAX_AGE - 60)
    client.get(f"/confirm/{token}/")
    assert 'method="post"' in client.get("/confirm/").content.decode()  # a minute to go
    clock.shift(61)
    page = client.get("/confirm/")
    assert page.status_code == 400
    assert "This link has expired" in page.content.decode()
    assert client.post("/confirm/").status_code == 400
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}


def test_fresh_link_for_an_expired_one_queues_a_new_confirmation(client, pending, clock):
    token = tokens.make_confirm_token(pending.pk)
    clock.shift(app_settings.CONFIRMATION_MAX_AGE + 1)
    client.get(f"/confirm/{token}/")
    assert "This link has expired" in client.get("/confirm/").content.decode()
    response = client.post("/confirm/resend/")
    assert response.status_code == 200
    assert ConfirmationEmail.objects.count() == 2
    assert latest_confirmation().subscriptions.count() == 2


def test_fresh_link_respects_the_cooldown(client, pending, settings, clock):
    settings.CONFIRMATION_MAX_AGE = 60  # a link that expires within the cooldown
    open_link(client, pending.pk)
    clock.shift(61)
    assert "This link has expired" in client.get("/confirm/").content.decode()
    client.post("/confirm/resend/")
    assert ConfirmationEmail.objects.count() == 1
    clock.shift(app_settings.CONFIRMATION_COOLDOWN)  # the cooldown over: a fresh link goes
    open_link(client, pending.pk)
    client.post("/confirm/resend/")
    assert ConfirmationEmail.objects.count() == 2


@pytest.mark.parametrize(
    "token",
    ["garbage", "eyJyIjoxfQ:1xX9H3:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a" * 2000],
)
def test_tampered_link_gets_a_clear_400_page(client, pending, token):
    client.get(f"/confirm/{token}/")
    page = client.get("/confirm/")
    assert page.status_code == 400
    assert "This link doesn" in page.content.decode()
    assert client.post("/confirm/").status_code == 400


def test_confirm_without_having_opened_a_link_is_a_400(client, pending):
    assert client.post("/confirm/").status_code == 400


def test_unsubscribe_token_cannot_confirm(client, pending):
    token = tokens.make_unsubscribe_token(pending.pk)
    client.get(f"/confirm/{token}/")
    assert client.post("/confirm/").status_code == 400
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}


def test_token_carries_no_address(pending):
    token = tokens.make_confirm_token(pending.pk)
    decoded = signing.b64_decode(token.split(":")[0].encode()).decode()
    assert "reader" not in token and "example" not in token
    assert "example" not in decoded


def test_old_link_after_unsubscribing_does_not_claim_to_be_confirmed(client, pending):
    open_link(client, pending.pk)
    client.post("/confirm/")
    for subscription in Subscription.objects.all():
        services.unsubscribe(subscription_id=subscription.pk)
    page = client.get(open_link(client, pending.pk)["Location"]).content.decode()
    assert "Nothing to confirm" in page and "Already confirmed" not in page
    again = client.post("/confirm/").content.decode()
    assert "Nothing to confirm" in again
    assert set(Subscription.objects.values_list("status", flat=True)) == {"unsubscribed"}


def test_an_old_link_does_not_confirm_a_later_sign_up_after_unsubscribing(
    client, pending, settings
):
    settings.CONFIRMATION_COOLDOWN = 0
    for subscription in Subscription.objects.all():
        services.unsubscribe(subscription_id=subscription.pk)
    sign_up(client, "reader@example.com", "daily", "explaining-ukraine")
    later = latest_confirmation()
    assert later.pk != pending.pk
    page = client.get(open_link(client, pending.pk)["Location"]).content.decode()
    assert "Nothing to confirm" in page and 'method="post"' not in page
    client.post("/confirm/")
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    open_link(client, later.pk)
    assert "Subscription confirmed" in client.post("/confirm/").content.decode()
    assert set(Subscription.objects.values_list("status", flat=True)) == {"confirmed"}


def test_two_emails_of_one_pending_sign_up_both_confirm_it(client, pending, settings):
    settings.CONFIRMATION_COOLDOWN = 0
    sign_up(client, "reader@example.com", "daily", "explaining-ukraine")  # still pending
    assert latest_confirmation().pk != pending.pk
    open_link(client, pending.pk)
    assert "Subscription confirmed" in client.post("/confirm/").content.decode()
    assert set(Subscription.objects.values_list("status", flat=True)) == {"confirmed"}


def test_opening_links_writes_no_session_rows(client, pending):
    unsubscribe_token = tokens.make_unsubscribe_token(Subscription.objects.all()[0].pk)
    for _ in range(100):
        crawler = Client()
        crawler.get(crawler.get(f"/confirm/{tokens.make_confirm_token(pending.pk)}/")["Location"])
        crawler.get(crawler.get(f"/unsubscribe/{unsubscribe_token}/")["Location"])
    assert not Session.objects.exists()
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}


def test_the_link_cookie_is_short_lived_http_only_and_scoped_to_its_page(client, pending):
    cookie = open_link(client, pending.pk).cookies["confirm_link"]
    assert cookie["path"] == "/confirm/"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert 0 < int(cookie["max-age"]) <= 3600
    assert "reader" not in cookie.value and "example" not in cookie.value


def test_a_forged_link_cookie_is_not_accepted(client, pending):
    client.cookies["confirm_link"] = tokens.make_confirm_token(pending.pk)  # unsigned as cookie
    assert client.post("/confirm/").status_code == 400
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
