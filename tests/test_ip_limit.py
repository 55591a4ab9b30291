"""Over the per-IP limit: an honest 429 that says when to try again, or the captcha where one
is configured. Many readers share one address (an office, a university, a carrier's NAT), so
none of them gets a fake "check your inbox"."""

import datetime
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.test import Client

from subscriptions.models import ConfirmationEmail, Subscriber

from .support.helpers import GOOD, HEADING, sign_up

pytestmark = pytest.mark.django_db

NORMAL = {"ok": True, "heading": HEADING, "message": GOOD}
OFFICE = "198.51.100.7"


def test_one_ip_over_the_limit_gets_a_429_saying_when_to_try_again_and_nothing_is_sent(
    client, newsletters, capsys, one_rate_window
):
    one_rate_window(30)  # 500 sign-ups take 1.5 s idle, about 5 s on a loaded 2-core machine
    answers = [sign_up(client, f"bulk{i}@example.com", json=True) for i in range(500)]
    assert [r.json() for r in answers[:10]] == [NORMAL] * 10  # SIGNUP_IP_LIMITS: 10/minute
    refused = answers[10:]
    assert {r.status_code for r in refused} == {429}
    assert all(0 < int(r["Retry-After"]) <= 86400 for r in refused)
    body = refused[0].json()
    assert body["ok"] is False and 0 < body["retry_after"] <= 60
    assert "Too many sign-ups came from your network" in body["errors"]["form"]
    assert "Please try again in 1 minute." in body["errors"]["form"]
    assert ConfirmationEmail.objects.count() == 10
    with capsys.disabled():
        print(
            f"\n[abuse] one IP, 500 distinct addresses: {ConfirmationEmail.objects.count()} sent"
        )


def test_the_429_page_without_script_says_the_same_and_leads_back(
    client, newsletters, settings, one_rate_window
):
    one_rate_window()
    settings.SIGNUP_IP_LIMITS = "1/minute"
    sign_up(client, "first@example.com", ip=OFFICE)
    page = sign_up(client, "second@example.com", ip=OFFICE, page="/news/story/")
    html = page.content.decode()
    assert page.status_code == 429 and int(page["Retry-After"]) <= 60
    assert "<h1>Too many sign-ups from your network</h1>" in html
    assert "Please try again in 1 minute." in html and GOOD not in html
    assert 'href="/news/story/"' in html
    assert not Subscriber.objects.filter(email="second@example.com").exists()


def test_the_wait_is_told_in_hours_for_a_daily_limit(client, newsletters, settings):
    settings.SIGNUP_IP_LIMITS = "100/minute;2/day"
    # Early in a day of the epoch: the sliding window counter (the database's) frees a place
    # at the day's end, so late in the evening the honest wait is under 90 minutes.
    morning = datetime.datetime.now(datetime.UTC).replace(hour=6, minute=0, second=5)
    with time_machine.travel(morning, tick=True):
        for i in range(2):
            sign_up(client, f"day{i}@example.com", ip=OFFICE, json=True)
        refused = sign_up(client, "day3@example.com", ip=OFFICE, json=True)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3 * 3600
    assert re.search(r"Please try again in \d+ hours?\.", refused.json()["errors"]["form"])


def test_the_answer_over_the_limit_is_the_same_for_every_address(
    client, newsletters, settings, one_rate_window
):
    one_rate_window()
    settings.SIGNUP_IP_LIMITS = "1/minute"
    sign_up(client, "known@example.com", ip="203.0.113.1", json=True)
    sign_up(client, "first@example.com", ip=OFFICE, json=True)
    answers = {
        email: sign_up(client, email, ip=OFFICE, json=True).json()
        for email in ("known@example.com", "unknown@example.com")
    }
    assert answers["known@example.com"] == answers["unknown@example.com"]


class FakeCaptcha:
    """A siteverify endpoint on loopback: answers success for the token "pass"."""

    def __init__(self):
        self.calls: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                fake.calls.append(body)
                data = json.dumps({"success": "response=pass" in body}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/siteverify"


@pytest.fixture
def turnstile(settings):
    fake = FakeCaptcha()
    settings.CAPTCHA_PROVIDER = "turnstile"
    settings.CAPTCHA_SITE_KEY = "site-key-1"
    settings.CAPTCHA_SECRET = "secret-1"
    settings.CAPTCHA_VERIFY_URL = fake.url
    yield fake
    fake.server.shutdown()


@pytest.fixture
def office_over_the_limit(client, newsletters, settings, one_rate_window):
    one_rate_window()
    settings.SIGNUP_IP_LIMITS = "1/minute"
    sign_up(client, "colleague@example.com", ip=OFFICE, json=True)


def solved_captcha(answer: str) -> dict[str, Any]:
    """The field Turnstile's widget fills in."""
    return {"cf-turnstile-response": answer}


WIDGET = 'class="subscribe__captcha cf-turnstile" data-sitekey="site-key-1"'
SCRIPT = "challenges.cloudflare.com/turnstile/v0/api.js"


def test_under_the_limit_no_page_loads_the_captcha_and_the_provider_is_not_asked(
    client, newsletters, turnstile
):
    html = Client().get("/").content.decode()
    assert WIDGET not in html and SCRIPT not in html
    assert sign_up(client, "reader@example.com", json=True).json() == NORMAL
    assert turnstile.calls == []
    assert Subscriber.objects.filter(email="reader@example.com").exists()


def test_over_the_limit_the_reader_gets_the_captcha_and_solving_it_signs_them_up(
    client, office_over_the_limit, turnstile
):
    over = sign_up(client, "reader@example.com", ip=OFFICE)
    html = over.content.decode()
    assert over.status_code == 429
    assert html.count(WIDGET) == 1 and html.count(SCRIPT) == 1
    assert "Please complete the check below and press Subscribe again." in html
    assert 'value="reader@example.com"' in html  # their form, as they left it
    assert not Subscriber.objects.filter(email="reader@example.com").exists()
    # The page's script is told to post the form, for the page with the widget.
    assert sign_up(client, "reader@example.com", ip=OFFICE, json=True).json()["captcha"] is True
    solved = sign_up(client, "reader@example.com", ip=OFFICE, **solved_captcha("pass"))
    assert solved.status_code == 200 and GOOD in solved.content.decode()
    assert "secret=secret-1" in turnstile.calls[-1]
    assert ConfirmationEmail.objects.filter(subscriber__email="reader@example.com").exists()


@pytest.mark.parametrize("answer", ["fail", ""])
def test_a_failed_or_missing_captcha_gets_the_captcha_again_and_records_nothing(
    client, office_over_the_limit, turnstile, answer
):
    again = sign_up(client, "reader@example.com", ip=OFFICE, **solved_captcha(answer))
    assert again.status_code == 429 and WIDGET in again.content.decode()
    assert not Subscriber.objects.filter(email="reader@example.com").exists()
