"""End to end with real processes: gunicorn serves the form, a real `celery worker` (the
confirmations' own) sends the confirmation through anymail to the fake provider, the reader
confirms over HTTP, gets the list's welcome email (from the other worker), and leaves with one
click."""

import pytest
import requests

from subscriptions.models import Subscription

from .support.helpers import GOOD, found, sign_up_over_http
from .support.stack import CONFIRMATION_QUEUES, GENERAL_QUEUES

pytestmark = pytest.mark.worker


def test_real_worker_sends_the_confirmation_and_the_link_confirms(stack, fake_postmark):
    url = stack.start_web()
    # The two workers of `make run` and the systemd units: confirmations on their own.
    stack.start_worker("worker", queues=GENERAL_QUEUES)
    stack.start_worker("confirmations", queues=CONFIRMATION_QUEUES)
    browser = requests.Session()
    answer = sign_up_over_http(url, "reader@example.com", session=browser)
    assert answer.status_code == 200 and answer.json()["message"] == GOOD

    [message] = fake_postmark.wait_for(1, timeout=60)
    assert message["To"] == "reader@example.com"
    link = found(r"(http\S+/confirm/\S+/)", message["TextBody"])
    assert link.startswith(url + "/confirm/")

    page = browser.get(link)  # follows the redirect to the token-free page
    assert page.url == f"{url}/confirm/" and "Confirm subscription" in page.text
    assert Subscription.objects.get().status == "pending"
    csrf = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    done = browser.post(
        page.url, data={"csrfmiddlewaretoken": csrf}, headers={"Referer": page.url}
    )
    assert done.status_code == 200 and "Subscription confirmed" in done.text
    subscription = Subscription.objects.get()
    assert subscription.status == "confirmed"

    # The list's welcome email, through the list-mail path, with its headers as sent.
    confirmation, welcome = fake_postmark.wait_for(2, timeout=60)
    headers = {h["Name"]: h["Value"] for h in welcome["Headers"]}
    assert welcome["Tag"] == "welcome" and welcome["To"] == "reader@example.com"
    assert welcome["From"] == "Newsroom lists <lists@localhost>"
    assert confirmation["From"] == "Newsroom <newsletters@example.com>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"].endswith("<daily.lists.127.0.0.1>")
    unsubscribe = found(r"<(http\S+/unsubscribe/\S+/)>", headers["List-Unsubscribe"])
    assert unsubscribe.startswith(url + "/unsubscribe/") and unsubscribe in welcome["TextBody"]
    assert welcome["Metadata"]["subscription"] == str(subscription.pk)

    # One click, as a mailbox provider sends it: no cookie, no CSRF token.
    left = requests.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert left.status_code == 200 and not left.history
    assert Subscription.objects.get().status == "unsubscribed"
    assert len(fake_postmark.accepted) == 2
