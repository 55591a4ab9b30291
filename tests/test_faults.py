"""Fault injection: a reader gets every confirmation and welcome email at least once, whatever
fails, and a second copy only of a call whose answer we never heard (a worker killed mid-call,
a call that timed out): at most the killed worker's calls in flight (docs/architecture.md,
"Delivery guarantee"). The fake provider keeps a message once it has read it, as real ones do.

Real processes only (gunicorn, `celery worker`, `celery beat`), never eager mode. The broker is
REDIS_URL when set (.ci/run), else kombu's filesystem transport; the broker-outage test starts
a private redis-server so that it can kill it.
"""

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from subscriptions import services
from subscriptions.models import ConfirmationEmail, Subscription, WelcomeEmail

from .support.faults import FAST, per_address, settle
from .support.helpers import sign_up_over_http
from .support.redis_server import RedisServer
from .support.stack import require_binary
from .support.wait import wait_until

pytestmark = pytest.mark.worker


@pytest.fixture
def running(stack) -> str:
    """Gunicorn and a worker on short clocks; returns the site's URL."""
    stack.env.update(FAST)
    url = stack.start_web()
    stack.start_worker()
    return url


def kill_worker_mid_call(
    stack, fake, *, call: int, recorded: Callable[[], bool]
) -> tuple[int, float]:
    """Kill the worker while provider call number `call` is in flight, let the supervisor
    restart it, and return the calls it had in flight (the most the provider may deliver
    twice: it keeps what it read) and the seconds until the send is `recorded`."""
    wait_until(lambda: fake.calls == call, timeout=30)
    in_flight = fake.in_flight
    stack.kill("worker")
    stack.wait_restarted("worker")
    fake.faults.latency = 0
    restarted = time.monotonic()
    wait_until(recorded, timeout=60, what="the send recorded after the restart")
    return in_flight, time.monotonic() - restarted


def test_broker_outage_during_sign_ups_loses_nothing_and_doubles_at_most_the_calls_in_flight(
    make_stack, fake_postmark, tmp_path, capsys
):
    redis = RedisServer(require_binary("redis-server"), tmp_path).start()
    stack = make_stack(REDIS_URL=redis.url, **FAST)
    url = stack.start_web()
    stack.start_worker()
    stack.start_beat()
    try:
        fake_postmark.faults.latency = 1.5  # the worker holds unacked work when Redis dies
        early = [f"early{i}@example.com" for i in range(3)]
        assert all(sign_up_over_http(url, a).status_code == 200 for a in early)
        wait_until(lambda: fake_postmark.calls >= 1, timeout=30)
        redis.stop()
        # A worker that exits when Redis vanishes ("Unrecoverable error") leaves these.
        in_flight = fake_postmark.in_flight
        outage = [f"outage{i}@example.com" for i in range(20)]
        started = time.monotonic()
        answers = [sign_up_over_http(url, a) for a in outage]
        slowest = (time.monotonic() - started) / len(outage)
        assert [r.status_code for r in answers] == [200] * 20
        assert all(r.json()["ok"] for r in answers)
        fake_postmark.faults.latency = 0
        redis.start()
        returned = time.monotonic()
        wait_until(lambda: len(per_address(fake_postmark)) == 23, timeout=90)
        took = time.monotonic() - returned
        settle(fake_postmark)
    finally:
        redis.stop()
    sent = per_address(fake_postmark)
    assert set(sent) == set(early + outage)  # nothing lost
    assert sum(sent.values()) - len(sent) <= in_flight  # doubled: only calls in flight
    with capsys.disabled():
        print(
            f"\n[fault 1] 23 expected, {len(fake_postmark.accepted)} sent "
            f"(at most 23 + {in_flight} in flight when Redis went); "
            f"{slowest:.2f}s per sign-up while down; all sent {took:.1f}s after Redis "
            f"returned; worker restarts: {stack.restarts.get('worker', 0)}"
        )


def test_provider_failing_the_first_calls_still_sends_each_email_once(
    running, fake_postmark, capsys
):
    url = running
    fake_postmark.faults.fail_statuses = [500, 500, 500]
    addresses = [f"retry{i}@example.com" for i in range(3)]
    assert all(sign_up_over_http(url, a).status_code == 200 for a in addresses)
    wait_until(lambda: len(per_address(fake_postmark)) == 3, timeout=60)
    settle(fake_postmark)
    assert per_address(fake_postmark) == Counter({a: 1 for a in addresses})
    assert fake_postmark.calls == 6
    with capsys.disabled():
        print(
            f"\n[fault 2] 3 expected, {len(fake_postmark.accepted)} sent, "
            f"{fake_postmark.calls} provider calls"
        )


def test_permanent_rejection_is_not_retried_and_spares_other_addresses(
    running, fake_postmark, capsys
):
    url = running
    fake_postmark.faults.inactive.add("bounced@example.com")
    fake_postmark.faults.invalid.add("invalid@example.com")
    for address in ("bounced@example.com", "invalid@example.com", "fine@example.com"):
        assert sign_up_over_http(url, address).status_code == 200
    wait_until(lambda: fake_postmark.calls >= 3, timeout=60)
    settle(fake_postmark)
    assert fake_postmark.calls == 3
    assert per_address(fake_postmark) == Counter({"fine@example.com": 1})
    statuses = dict(Subscription.objects.values_list("subscriber__email", "status"))
    assert statuses == {
        "bounced@example.com": "undeliverable",
        "invalid@example.com": "undeliverable",
        "fine@example.com": "pending",
    }
    reasons = Subscription.objects.filter(status="undeliverable")
    assert all("AnymailRecipientsRefused" in s.undeliverable_reason for s in reasons)
    with capsys.disabled():
        print(
            f"\n[fault 3] 1 expected, {len(fake_postmark.accepted)} sent, "
            f"{fake_postmark.calls} provider calls, 2 undeliverable"
        )


def test_worker_killed_mid_send_sends_at_least_once_after_restart(
    stack, running, fake_postmark, capsys
):
    url = running
    stack.start_beat()
    fake_postmark.faults.latency = 2.5
    assert sign_up_over_http(url, "killed@example.com").status_code == 200
    in_flight, took = kill_worker_mid_call(
        stack,
        fake_postmark,
        call=1,
        recorded=lambda: ConfirmationEmail.objects.get().state == "sent",
    )
    settle(fake_postmark)
    copies = per_address(fake_postmark)["killed@example.com"]
    assert 1 <= copies <= 1 + in_flight  # never lost; doubled at most per call in flight
    with capsys.disabled():
        print(
            f"\n[fault 4] confirmation: {copies} copies sent (at least 1, at most 1 + "
            f"{in_flight} in flight when killed), {fake_postmark.calls} provider calls, "
            f"recorded {took:.1f}s after the kill"
        )


def test_duplicate_deliveries_and_the_sweeper_make_one_provider_call(stack, fake_postmark, capsys):
    stack.env.update({**FAST, "OUTBOX_SWEEP_INTERVAL": "1"})
    url = stack.start_web()
    fake_postmark.faults.latency = 1.0
    assert sign_up_over_http(url, "raced@example.com").status_code == 200
    services.process_recorded_sign_ups()  # as a worker would (its own publish goes nowhere)
    request_id = ConfirmationEmail.objects.get().pk
    publisher = stack.publisher()
    for _ in range(4):  # the same task delivered four times over
        publisher.send_task(
            "subscriptions.tasks.send_confirmation", args=[request_id], queue="email"
        )
    stack.start_worker(concurrency=4)
    stack.start_beat()  # and the sweeper racing them
    wait_until(lambda: len(fake_postmark.accepted) == 1, timeout=60)
    settle(fake_postmark)
    assert fake_postmark.calls == 1
    with capsys.disabled():
        print(f"\n[fault 5] 4 deliveries + sweeper: {fake_postmark.calls} provider call")


def test_concurrent_and_double_submitted_sign_ups_each_get_one_email(stack, fake_postmark, capsys):
    url = stack.start_web(workers=2)
    stack.start_worker(concurrency=4)
    distinct = [f"crowd{i}@example.com" for i in range(200)]
    doubled = [f"double{i}@example.com" for i in range(50)]
    jobs = distinct + doubled + doubled
    with ThreadPoolExecutor(max_workers=24) as pool:
        started = time.monotonic()
        statuses = list(
            pool.map(
                lambda a: sign_up_over_http(url, a, "daily", "weekly-review").status_code, jobs
            )
        )
        elapsed = time.monotonic() - started
    assert Counter(statuses) == Counter({200: 300})
    wait_until(lambda: len(fake_postmark.accepted) >= 250, timeout=180)
    settle(fake_postmark, 3)
    assert per_address(fake_postmark) == Counter({a: 1 for a in distinct + doubled})
    rows = Counter(Subscription.objects.values_list("subscriber__email", "newsletter__slug"))
    assert len(rows) == 500 and set(rows.values()) == {1}
    with capsys.disabled():
        print(
            f"\n[fault 6] 300 requests in {elapsed:.1f}s ({300 / elapsed:.0f}/s), no 5xx; "
            f"250 expected, {len(fake_postmark.accepted)} sent"
        )


def test_a_send_hung_past_its_timeout_is_retried_once_by_its_own_sender(
    stack, fake_postmark, capsys
):
    # Email workers run a thread pool, where Celery kills no task: the provider call's own
    # timeout bounds it, well inside the row's lease, so no second sender can claim it while
    # the first still waits. The provider kept the hung call, though we never heard so, and
    # the retry sends it again: the one duplicate at-least-once allows for a call in flight.
    stack.env.update({**FAST, "ANYMAIL_REQUESTS_TIMEOUT": "1"})
    url = stack.start_web()
    stack.start_worker()
    stack.start_beat()
    fake_postmark.faults.latencies = [3.0]  # the first call hangs past the timeout
    assert sign_up_over_http(url, "hung@example.com").status_code == 200
    wait_until(lambda: ConfirmationEmail.objects.filter(state="sent").exists(), timeout=60)
    settle(fake_postmark)
    copies = per_address(fake_postmark)["hung@example.com"]
    assert 1 <= copies <= 2  # at most the one hung call doubled
    assert fake_postmark.calls == 2  # the hung call, and its retry
    assert "event=confirmation.retry" in stack.log("worker")
    with capsys.disabled():
        print(
            f"\n[fault 7] hung call: {fake_postmark.calls} provider calls, {copies} copies "
            "sent (at most 1 + the 1 hung call)"
        )


def test_welcome_email_killed_mid_send_is_sent_at_least_once(
    stack, running, fake_postmark, capsys
):
    url = running
    stack.start_beat()  # the confirmation below wakes nobody here: beat's poll finds the row
    assert sign_up_over_http(url, "welcome@example.com").status_code == 200
    wait_until(lambda: len(fake_postmark.accepted) == 1, timeout=30)  # the confirmation
    fake_postmark.faults.latency = 2.5
    services.confirm(email_id=ConfirmationEmail.objects.get().pk)
    in_flight, took = kill_worker_mid_call(  # the welcome
        stack,
        fake_postmark,
        call=2,
        recorded=lambda: WelcomeEmail.objects.get().state == "sent",
    )
    settle(fake_postmark)
    tags = Counter(m.get("Tag") for m in fake_postmark.accepted)
    assert tags["confirmation"] == 1  # sent before the kill: not touched by it
    assert 1 <= tags["welcome"] <= 1 + in_flight
    with capsys.disabled():
        print(
            f"\n[fault 8] welcome: {tags['welcome']} copies sent (at least 1, at most 1 + "
            f"{in_flight} in flight when killed), {fake_postmark.calls - 1} provider calls, "
            f"recorded {took:.1f}s after the kill"
        )
