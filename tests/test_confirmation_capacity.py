"""Confirmations never wait behind a big send: with real processes in the recommended layout
(a worker for confirmations, one for the rest), a reader who signs up while 20,000 welcome
emails are being sent to a slow provider gets their confirmation as fast as on a quiet day."""

import time

import pytest
from django.utils import timezone

from subscriptions.models import Newsletter, WelcomeEmail

from .support.factories import confirmed_readers
from .support.helpers import sign_up_over_http
from .support.stack import CONFIRMATION_QUEUES, GENERAL_QUEUES
from .support.wait import wait_until

pytestmark = pytest.mark.worker

BACKLOG = 20_000


def queue_welcome_backlog(newsletter: Newsletter, n: int) -> None:
    """n confirmed readers of one list, each with a queued welcome email, in bulk (signing
    20,000 readers up one by one would take minutes); no wake-up: beat's sweep finds them."""
    now = timezone.now()
    WelcomeEmail.objects.bulk_create(
        WelcomeEmail(subscription=s, created_at=now, language="en")
        for s in confirmed_readers(newsletter, n)
    )


def test_a_confirmation_reaches_the_provider_within_2s_while_20000_welcomes_are_sent(
    make_stack, newsletters, fake_postmark
):
    # A provider that takes 0.3 s a call, and 16 calls at once per worker: the backlog keeps
    # the sending threads of whichever process sends it busy for minutes.
    fake_postmark.faults.latency = 0.3
    stack = make_stack(SEND_CONCURRENCY="16", OUTBOX_SWEEP_INTERVAL="1")
    queue_welcome_backlog(newsletters["daily"], BACKLOG)
    url = stack.start_web()
    stack.start_worker("worker", queues=GENERAL_QUEUES)
    stack.start_worker("confirmations", queues=CONFIRMATION_QUEUES)
    stack.start_beat()
    # The backlog is on the wire.
    wait_until(lambda: len(fake_postmark.accepted) >= 100, 60, what="the backlog to be sending")

    asked = time.time()
    assert sign_up_over_http(url, "reader@example.com").json()["ok"]
    wait_until(lambda: fake_postmark.to("reader@example.com"), 10, what="the confirmation")

    [arrived] = [at for to, at in fake_postmark.accepted_at if to == "reader@example.com"]
    assert arrived - asked < 2.0, f"the confirmation took {arrived - asked:.1f} s"
    assert len(fake_postmark.accepted) < BACKLOG  # it was sent while the backlog still was
