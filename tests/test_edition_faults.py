"""Fault injection for an edition's send to a whole list: every confirmed reader gets the
edition at least once whatever fails, a second copy only of a call whose answer we never heard
(at most the calls in flight when a worker died: docs/architecture.md, "Delivery guarantee"),
and the edition ends sent once beat's sweep finds nothing queued.

One stack for the module (a celery worker on every queue, beat, a private redis-server as the
broker so that one test can kill it), and one fake provider, emptied before each test: starting
processes is most of a fault test's time. Each test has its own readers and edition; the send
starts as the editor's 'Send now' does (services.start_send), whose own publish goes to the
test process's in-memory broker, so the fixing task is delivered by hand, as a worker would
have published it.
"""

import re
import time
from collections import Counter

import pytest

from editions import services
from editions.models import Edition, EditionMessage, EditionStatus
from subscriptions.models import Newsletter, OutboxState, Status

from .support.factories import confirmed_readers
from .support.fake_postmark import FakePostmark
from .support.faults import FAST, per_address, settle
from .support.redis_server import RedisServer
from .support.stack import Stack, require_binary
from .support.wait import wait_until

pytestmark = pytest.mark.worker

READERS = 50
# Rows a sender claims at once: small, so a fault lands mid-list with two batches on the wire
# (a sender keeps two under way) and others done or not yet claimed.
BATCH = 8
SEND_DUE = "subscriptions.tasks.send_due_of"


@pytest.fixture(scope="module")
def provider():
    server = FakePostmark().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    redis = RedisServer(require_binary("redis-server"), tmp_path_factory.mktemp("redis"))
    yield redis.start()
    redis.stop()


@pytest.fixture(scope="module")
def shared_stack(django_db_setup, static_root, tmp_path_factory, provider, broker):
    workdir = tmp_path_factory.mktemp("edition-stack")
    env = {**FAST, "SEND_BATCH": str(BATCH), "REDIS_URL": broker.url}
    stack = Stack(workdir, static_root, provider.url, **env)
    stack.start_worker(concurrency=4)
    stack.start_beat()
    yield stack
    stack.stop()


@pytest.fixture
def stack(shared_stack, provider, transactional_db, newsletters):
    """The module's stack, its provider emptied; each test's rows go with its database."""
    wait_until(lambda: provider.in_flight == 0, timeout=30, what="the provider to be idle")
    provider.reset()
    yield shared_stack
    # Shown with a failing test's output.
    print(f"\n--- worker log (tail) ---\n{shared_stack.log('worker')[-3000:]}")


@pytest.fixture
def daily(newsletters) -> Newsletter:
    return newsletters["daily"]


def start_sending(stack: Stack, newsletter: Newsletter, *, fixings: int = 1) -> Edition:
    """READERS new confirmed readers of `newsletter`, and an edition to them sending: its
    recipient list fixed by `fixings` deliveries of the task, at once."""
    confirmed_readers(newsletter, READERS)
    edition = services.create_draft(
        newsletter=newsletter, subject="Morning brief", preheader="", body="Five stories.",
        author=None,
    )  # fmt: skip
    edition = services.start_send(edition=edition, actor="editor:kate")
    publisher = stack.publisher()
    for _ in range(fixings):
        publisher.send_task(services.FIX_RECIPIENTS_TASK, args=[edition.pk], queue="default")
    return edition


def readers_of(newsletter: Newsletter) -> set[str]:
    confirmed = newsletter.subscriptions.filter(status=Status.CONFIRMED)
    return {email.lower() for email in confirmed.values_list("subscriber__email", flat=True)}


def wait_sent(edition: Edition, timeout: float = 60) -> float:
    """Wait for beat's sweep to mark the edition sent; the seconds it took."""
    started = time.monotonic()
    wait_until(
        lambda: Edition.objects.get(pk=edition.pk).status == EditionStatus.SENT,
        timeout,
        what="the edition marked sent",
    )
    return time.monotonic() - started


def copies_sent(provider) -> Counter:
    """The copies per address, once any duplicate has had time to show up."""
    settle(provider)
    return per_address(provider)


def assert_every_reader(copies: Counter, edition: Edition, *, doubles_allowed: int = 0) -> None:
    """Every reader of the list received the edition, and nobody else; a second copy only as
    many times as allowed; every row closed as sent."""
    assert set(copies) == readers_of(edition.newsletter)
    assert doubled(copies) <= doubles_allowed
    states = Counter(edition.messages.values_list("state", flat=True))
    assert states == Counter({OutboxState.SENT: len(copies)})


def doubled(copies: Counter) -> int:
    return sum(copies.values()) - len(copies)


def test_worker_killed_mid_edition_every_reader_gets_it_doubling_only_calls_in_flight(
    stack, provider, daily, capsys
):
    # The first two batches answer quickly; the next two hang on the wire when the kill comes;
    # the calls after it, the restarted worker's, answer at once.
    provider.faults.latencies = [0.3] * (2 * BATCH) + [2.0] * (2 * BATCH)
    restarts = stack.restarts.get("worker", 0)
    edition = start_sending(stack, daily)
    wait_until(lambda: provider.calls >= 4 * BATCH, timeout=30, what="four batches on the wire")
    in_flight, kept = provider.in_flight, len(provider.accepted)
    stack.kill("worker")
    stack.wait_restarted("worker", after=restarts)
    took = wait_sent(edition)
    copies = copies_sent(provider)
    with capsys.disabled():
        print(
            f"\n[edition fault 1] killed worker: {len(copies)} readers, "
            f"{sum(copies.values())} sent, {doubled(copies)} doubled (at most {in_flight} in "
            f"flight when killed, {kept} sent before); {provider.calls} provider calls; "
            f"marked sent {took:.1f}s after the restart"
        )
    assert_every_reader(copies, edition, doubles_allowed=in_flight)


def test_broker_killed_mid_edition_every_reader_gets_it_doubling_only_calls_in_flight(
    stack, provider, broker, daily, capsys
):
    restarts = dict(stack.restarts)
    provider.faults.latency = 1.0  # the worker holds unacked work when Redis dies
    edition = start_sending(stack, daily)
    wait_until(lambda: provider.calls >= BATCH, timeout=30, what="a batch on the wire")
    broker.stop()
    # A worker that exits when Redis vanishes ("Unrecoverable error") may leave these.
    in_flight = provider.in_flight
    time.sleep(3)  # longer than a sweep: beat's publishes and the wake-ups fail meanwhile
    provider.faults.latency = 0
    broker.start()
    took = wait_sent(edition)
    copies = copies_sent(provider)
    restarted = {n: c - restarts.get(n, 0) for n, c in stack.restarts.items()}
    with capsys.disabled():
        print(
            f"\n[edition fault 2] broker outage: {len(copies)} readers, "
            f"{sum(copies.values())} sent, {doubled(copies)} doubled (at most {in_flight} in "
            f"flight when Redis went); marked sent {took:.1f}s after Redis returned; "
            f"restarts: {restarted}"
        )
    assert_every_reader(copies, edition, doubles_allowed=in_flight)


def test_provider_errors_mid_edition_are_retried_and_every_reader_gets_one_copy(
    stack, provider, daily, capsys
):
    log_before = len(stack.log("worker"))
    failures = [500, 503, 500, 502, 500, 429]
    provider.faults.latencies = [0.2] * (2 * BATCH)  # the errors come with the third batch
    edition = start_sending(stack, daily)
    wait_until(lambda: provider.calls >= 2 * BATCH, timeout=30, what="two batches sent")
    provider.faults.fail_statuses = list(failures)
    took = wait_sent(edition)
    copies = copies_sent(provider)
    retries = stack.log("worker")[log_before:].count("event=edition.retry")
    with capsys.disabled():
        print(
            f"\n[edition fault 3] provider errors: {len(copies)} readers, "
            f"{sum(copies.values())} sent, {provider.calls} provider calls ({retries} "
            f"retried with backoff); marked sent {took:.1f}s after"
        )
    assert_every_reader(copies, edition)
    assert provider.calls == READERS + len(failures)
    assert retries == len(failures)


def test_duplicated_tasks_send_each_reader_one_copy(stack, provider, daily, capsys):
    provider.faults.latency = 0.3
    edition = start_sending(stack, daily, fixings=2)  # the fixing delivered twice at once
    publisher = stack.publisher()
    wait_until(lambda: provider.calls >= 1, timeout=30, what="the send under way")
    for _ in range(4):  # and the sender four times over, while it sends
        publisher.send_task(SEND_DUE, args=["edition"], queue="edition")
    took = wait_sent(edition)
    copies = copies_sent(provider)
    rows = EditionMessage.objects.filter(edition=edition).count()
    with capsys.disabled():
        print(
            f"\n[edition fault 4] 2 fixings + 4 senders: {rows} rows, {len(copies)} readers, "
            f"{sum(copies.values())} sent, {provider.calls} provider calls; marked sent "
            f"{took:.1f}s after"
        )
    assert_every_reader(copies, edition)
    assert provider.calls == rows == READERS


def test_two_workers_on_one_edition_send_each_reader_one_copy(stack, provider, daily, capsys):
    stack.start_worker("worker2", queues="edition")
    try:
        wait_until(lambda: " ready." in stack.log("worker2"), timeout=30, what="worker2")
        logs = {name: len(stack.log(name)) for name in ("worker", "worker2")}
        provider.faults.latency = 0.3
        edition = start_sending(stack, daily)
        publisher = stack.publisher()
        wait_until(lambda: provider.calls >= 1, timeout=30, what="the send under way")
        for _ in range(4):  # enough wake-ups that both workers take some
            publisher.send_task(SEND_DUE, args=["edition"], queue="edition")
        took = wait_sent(edition)
        copies = copies_sent(provider)
    finally:
        stack.retire("worker2")
    taken = {name: rows_taken(stack.log(name)[start:]) for name, start in logs.items()}
    with capsys.disabled():
        print(
            f"\n[edition fault 5] two workers: {len(copies)} readers, "
            f"{sum(copies.values())} sent, {provider.calls} provider calls; rows taken per "
            f"worker {taken}; marked sent {took:.1f}s after"
        )
    assert_every_reader(copies, edition)
    assert provider.calls == READERS
    assert all(taken.values())  # both senders were at it


def rows_taken(log: str) -> int:
    """The edition rows a worker's senders claimed, from their log lines."""
    return sum(int(n) for n in re.findall(r"event=outbox\.send_due kind=edition taken=(\d+)", log))
