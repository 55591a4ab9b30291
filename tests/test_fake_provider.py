"""The fake provider behaves as real ones do where the delivery guarantee depends on it."""

import pytest
import requests

from .support.fake_postmark import FakePostmark
from .support.wait import wait_until


@pytest.fixture
def fake():
    server = FakePostmark().start()
    yield server
    server.stop()


def post(fake: FakePostmark, to: str, timeout: float) -> requests.Response:
    return requests.post(fake.url + "email", json={"To": to}, timeout=timeout)


def test_a_message_is_kept_even_when_the_client_gives_up_before_the_answer(fake):
    # A real provider commits a message once it has read the request: a caller that went
    # away (killed, timed out) never learns it, but the reader gets the email.
    fake.faults.latency = 0.5
    with pytest.raises(requests.Timeout):
        post(fake, "gone@example.com", timeout=0.1)
    wait_until(lambda: fake.accepted, timeout=5, what="the message kept")
    assert [m["To"] for m in fake.accepted] == ["gone@example.com"]
    wait_until(lambda: fake.in_flight == 0, timeout=5, what="the call finished")


def test_a_dropped_call_is_not_kept_and_a_failed_one_neither(fake):
    # The faults the tests inject: the provider failing before it keeps the message.
    fake.faults.drop_calls = 1
    fake.faults.fail_statuses = [503]
    with pytest.raises(requests.ConnectionError):
        post(fake, "dropped@example.com", timeout=5)
    assert post(fake, "failed@example.com", timeout=5).status_code == 503
    assert post(fake, "kept@example.com", timeout=5).status_code == 200
    assert [m["To"] for m in fake.accepted] == ["kept@example.com"]
    assert fake.calls == 3


def test_the_calls_in_flight_are_counted_until_answered(fake):
    fake.faults.latency = 0.5
    with pytest.raises(requests.Timeout):
        post(fake, "slow@example.com", timeout=0.1)
    assert fake.in_flight == 1  # read, not yet answered: what a killed caller leaves behind
    wait_until(lambda: fake.in_flight == 0, timeout=5, what="the call finished")
