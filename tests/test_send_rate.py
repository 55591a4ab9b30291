"""EDITION_SEND_RATE: editions' emails a second, at most, however many workers and hosts send
them, for a provider that caps a sender's rate (issue 25)."""

import datetime
from collections import Counter

import pytest
import time_machine
from django.core import mail

from editions import services, tasks
from subscriptions import delivery
from subscriptions import services as subscription_services
from subscriptions.core import kinds
from subscriptions.guards import ratelimit

from .support.factories import confirmed_readers

pytestmark = pytest.mark.django_db

# Early in a second, so nothing here meets a window's edge by chance.
START = datetime.datetime(2026, 12, 8, 9, 0, 0, 100_000, tzinfo=datetime.UTC)


def test_two_senders_share_one_seconds_places():
    with time_machine.travel(START, tick=False):
        assert ratelimit.take_up_to("send-rate", "edition", 5, 4) == 4
        assert ratelimit.take_up_to("send-rate", "edition", 5, 4) == 1  # another worker
        assert ratelimit.take_up_to("send-rate", "edition", 5, 4) == 0
        assert ratelimit.take_up_to("send-rate", "welcome", 5, 4) == 4  # a kind of its own


def test_an_edition_goes_out_no_faster_than_the_rate(newsletters, settings, monkeypatch):
    settings.EDITION_SEND_RATE = 5
    daily = newsletters["daily"]
    confirmed_readers(daily, 12)
    edition = services.create_draft(
        newsletter=daily, subject="Brief", preheader="", body="News.", author=None
    )
    services.start_send(edition=edition, actor="editor:kate")
    tasks.fix_recipients.apply(args=(edition.pk,))
    claims: Counter[int] = Counter()
    real_claim = subscription_services.claim_due

    def claim_due(**kwargs):
        rows = real_claim(**kwargs)
        claims[int(datetime.datetime.now(datetime.UTC).timestamp())] += len(rows)
        return rows

    with time_machine.travel(START, tick=False) as clock:
        # The sender's wait moves the clock (time.sleep, for this test's length only).
        monkeypatch.setattr("subscriptions.delivery.time.sleep", clock.shift)
        monkeypatch.setattr("subscriptions.delivery.services.claim_due", claim_due)
        assert delivery.send_due(kinds.named("edition")) == 12
    assert len(mail.outbox) == 12
    assert max(claims.values()) <= 5 and len(claims) >= 3  # 12 at 5 a second: three seconds
