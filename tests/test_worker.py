"""End to end with real processes: gunicorn serves the form, a real `celery worker` sends the
confirmation through anymail to the fake provider, and the reader confirms over HTTP."""

import pytest
import requests

from subscriptions.models import Subscription

from .support.helpers import GOOD, found, sign_up_over_http

pytestmark = pytest.mark.worker


def test_real_worker_sends_the_confirmation_and_the_link_confirms(stack, fake_postmark):
    url = stack.start_web()
    stack.start_worker()
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
    assert Subscription.objects.get().status == "confirmed"
    assert len(fake_postmark.accepted) == 1
