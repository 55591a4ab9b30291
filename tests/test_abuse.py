"""The abuse pipeline: honeypot, fill time and its second step, per-address cap.

The honeypot gets exactly the normal answer, with nothing stored or sent: no person fills a
field they can't see. A check a fast person can trip asks them to press Subscribe again.
The per-IP limit and its captcha: test_ip_limit.py.
"""

import time

import pytest
from django.core import signing

from subscriptions.app_settings import app_settings
from subscriptions.guards.abuse import FORM_TOKEN_SALT
from subscriptions.models import ConfirmationEmail, RecordedSignUp, Subscriber, Subscription
from subscriptions.tasks import send_confirmation

from .support.helpers import GOOD, HEADING, form_token, sign_up

pytestmark = pytest.mark.django_db

NORMAL = {"ok": True, "heading": HEADING, "message": GOOD}
SECOND_STEP_TOO_FAST = 'newsroom_signups_second_step_completed_total{reason="too_fast"}'


def test_honeypot_filled_gets_the_normal_answer_and_sends_nothing(client, newsletters, caplog):
    response = sign_up(client, website="http://spam.example", json=True)
    assert response.status_code == 200 and response.json() == NORMAL
    assert not RecordedSignUp.objects.exists() and not Subscriber.objects.exists()
    assert "reason=honeypot" in caplog.text


def test_honeypot_is_hidden_from_people_and_labelled_for_screen_readers(client, newsletters):
    html = client.get("/").content.decode()
    assert 'class="subscribe__hp"' in html
    assert "Leave this field empty" in html
    assert 'name="website"' in html and 'tabindex="-1"' in html


@pytest.mark.parametrize("token", ["", "forged", "too fast"])
def test_a_too_fast_or_tokenless_submission_is_asked_to_press_again_and_records_nothing(
    client, newsletters, token, settings
):
    settings.SIGNUP_MIN_FILL_SECONDS = 60  # "too fast" stays so however slow the machine
    if token == "too fast":
        token = form_token(age=0.5)
    response = sign_up(client, form_token=token, json=True)
    assert response.status_code == 400
    assert response.json()["errors"] == {"form": "Please press Subscribe again."}
    assert response.json()["form_token"]
    assert not RecordedSignUp.objects.exists() and not ConfirmationEmail.objects.exists()
    # Without script, the same second step on the page: never the thank-you of a silent drop.
    html = sign_up(client, form_token=token).content.decode()
    assert "Please press Subscribe again." in html and GOOD not in html
    assert not RecordedSignUp.objects.exists()


def test_a_submission_right_after_the_page_loaded_is_asked_again_and_a_moment_later_goes_through(
    client, newsletters, settings, scrape, clock
):
    settings.SIGNUP_MIN_FILL_SECONDS = 60  # "at once" stays so however slow the machine
    before = scrape().get(SECOND_STEP_TOO_FAST, 0)
    first = sign_up(client, "quick@example.com", form_token=form_token(age=0.3), json=True)
    assert (
        first.status_code == 400
        and first.json()["errors"]["form"] == "Please press Subscribe again."
    )
    again = first.json()["form_token"]
    at_once = sign_up(client, "quick@example.com", form_token=again, json=True)  # a bot
    assert at_once.status_code == 400 and not RecordedSignUp.objects.exists()
    assert not ConfirmationEmail.objects.exists()
    clock.shift(60)  # a person reads, then presses
    pressed = sign_up(
        client, "quick@example.com", form_token=at_once.json()["form_token"], json=True
    )
    assert pressed.json() == NORMAL
    assert ConfirmationEmail.objects.get().subscriber.email == "quick@example.com"
    assert scrape()[SECOND_STEP_TOO_FAST] == before + 1


def test_a_second_step_token_keeps_the_page_views_clock(client, newsletters, settings, clock):
    settings.SIGNUP_MIN_FILL_SECONDS = 60
    first = sign_up(client, form_token=form_token(age=50), json=True)
    assert first.status_code == 400
    handed_back = first.json()["form_token"]
    assert signing.loads(handed_back, salt=FORM_TOKEN_SALT)["t"] < time.time() - 49
    clock.shift(10)
    # 60 s after the page view, though only 10 s after it was handed back: the clock never
    # restarted.
    assert sign_up(client, form_token=handed_back, json=True).json() == NORMAL


def test_expired_form_asks_the_reader_to_press_again_and_then_works(
    client, newsletters, settings, clock
):
    settings.SIGNUP_MIN_FILL_SECONDS = 60
    left_open = form_token()
    clock.shift(app_settings.SIGNUP_FORM_MAX_AGE)  # the tab left open for an hour
    expired = sign_up(client, form_token=left_open, json=True)
    assert expired.status_code == 400
    assert "expired" in expired.json()["errors"]["form"]
    clock.shift(60)  # the reissued form's fill time counts from when it was handed back
    again = sign_up(client, form_token=expired.json()["form_token"], json=True)
    assert again.json() == NORMAL
    assert ConfirmationEmail.objects.count() == 1


def test_an_expired_token_sent_back_gets_no_token_that_skips_the_fill_time(
    client, newsletters, settings
):
    settings.SIGNUP_FORM_MAX_AGE = -1
    settings.SIGNUP_MIN_FILL_SECONDS = 60  # "straight back" stays so however slow the machine
    reissued = sign_up(client, json=True).json()["form_token"]
    settings.SIGNUP_FORM_MAX_AGE = 3600
    at_once = sign_up(client, form_token=reissued, json=True)  # a bot, straight back
    assert not ConfirmationEmail.objects.exists()
    assert at_once.status_code == 400
    assert at_once.json()["errors"]["form"] == "Please press Subscribe again."
    # The same form, as a reader sees it without script: the message, not a silent success.
    html = sign_up(client, form_token=reissued).content.decode()
    assert "Please press Subscribe again." in html and GOOD not in html
    assert not ConfirmationEmail.objects.exists()


def test_reader_fixing_a_typo_keeps_their_form_and_is_not_taken_for_a_bot(client, newsletters):
    token = form_token(age=2.5)
    typo = sign_up(client, "reader@example", form_token=token, json=True)
    assert typo.status_code == 400 and typo.json()["form_token"] == token
    fixed = sign_up(client, "reader@example.com", form_token=typo.json()["form_token"], json=True)
    assert fixed.json() == NORMAL
    assert ConfirmationEmail.objects.count() == 1


def test_form_token_endpoint_is_never_cached(client):
    response = client.get("/subscribe/form-token")
    assert response.json()["token"]
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_other_ips_are_not_limited_by_one_noisy_ip(client, newsletters):
    for i in range(15):
        sign_up(client, f"noisy{i}@example.com", ip="198.51.100.7", json=True)
    sign_up(client, "quiet@example.com", ip="198.51.100.8", json=True)
    assert Subscriber.objects.filter(email="quiet@example.com").exists()


def test_trusted_proxy_header_gives_the_client_ip(client, newsletters, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    for i in range(12):
        sign_up(
            client,
            f"fwd{i}@example.com",
            json=True,
            headers={"HTTP_X_FORWARDED_FOR": f"spoof, 192.0.2.{i}"},
        )
    assert ConfirmationEmail.objects.count() == 12  # twelve clients behind one proxy


def test_one_address_bombed_from_50_ips_gets_at_most_3_emails(
    client, newsletters, postmark_settings, settings, capsys
):
    settings.CONFIRMATION_COOLDOWN = 0  # only the daily cap stands between victim and flood
    slugs = list(newsletters)
    for i in range(1000):
        sign_up(
            client,
            "victim@example.com",
            slugs[i % len(slugs)],
            ip=f"198.51.100.{i % 50}",
            json=True,
        )
    for request in ConfirmationEmail.objects.all():
        send_confirmation.apply(args=(request.pk,))
    delivered = len(postmark_settings.to("victim@example.com"))
    assert delivered <= 3
    with capsys.disabled():
        print(f"\n[abuse] 1,000 sign-ups of one address from 50 IPs: {delivered} emails")


def test_cooldown_lets_one_email_per_list_through_and_counts_a_multi_list_email_once(
    client, newsletters, settings
):
    sign_up(client, "r@example.com", "daily", "weekly-review", "breaking", json=True)
    sign_up(client, "r@example.com", "daily", ip="203.0.113.2", json=True)
    sign_up(client, "r@example.com", "explaining-ukraine", ip="203.0.113.3", json=True)
    sign_up(client, "r@example.com", "explaining-ukraine", ip="203.0.113.4", json=True)
    assert ConfirmationEmail.objects.count() == 2
    settings.CONFIRMATION_COOLDOWN = 0
    sign_up(client, "r@example.com", "daily", ip="203.0.113.5", json=True)
    sign_up(client, "r@example.com", "daily", ip="203.0.113.6", json=True)
    assert ConfirmationEmail.objects.count() == 3  # the cap: 3 emails, not 3 lists


def test_redis_down_fails_open_for_the_form_but_the_address_cap_holds(
    client, newsletters, settings, caplog
):
    settings.RATE_LIMIT_STORAGE_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.CONFIRMATION_COOLDOWN = 0
    answers = [sign_up(client, "target@example.com", "daily", json=True) for _ in range(6)]
    assert all(r.json() == NORMAL for r in answers)
    assert Subscription.objects.filter(subscriber__email="target@example.com").exists()
    assert ConfirmationEmail.objects.count() == 3
    assert "event=ratelimit.unavailable" in caplog.text


def test_pipeline_applies_to_the_html_form_too(client, newsletters):
    response = sign_up(client, "r@example.com", website="x")
    assert response.status_code == 200 and HEADING in response.content.decode()
    assert not Subscriber.objects.exists()
