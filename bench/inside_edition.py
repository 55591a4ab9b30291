"""The app-side steps of the edition part of the bench (run through bench/inside.py, which has
set Django up): a list of confirmed readers seeded in bulk, an edition to it, its recipients
fixed in this process (timed, with this process's memory from /proc), its send started as an
editor starts it, and what is left of a send skipped."""

import time
from pathlib import Path
from typing import Any
from unittest import mock

from django.db import connection
from django.utils import timezone

from bench.inside_sending import SUBSCRIBERS, analyze
from editions import services
from editions.models import Edition, EditionMessage, EditionStatus
from subscriptions.core import dispatch
from subscriptions.models import Newsletter, OutboxState

ACTOR = "editor:bench"


def readers(n: int, slug: str) -> dict[str, Any]:
    """A new list with `n` confirmed readers, each their own subscriber and inbox, inserted
    with SQL (as a big list's readers would take hours through the flows), then ANALYZEd."""
    newsletter = Newsletter.objects.create(name=f"Bench {slug}", slug=slug)
    prefix = f"{slug}-"
    with connection.cursor() as cursor:
        cursor.execute(SUBSCRIBERS[connection.vendor], [prefix, n])
        cursor.execute(_INBOXES, [prefix + "%"])
        cursor.execute(_SUBSCRIPTIONS, [newsletter.pk, prefix + "%"])
    analyze()
    return {"newsletter": newsletter.pk, "prefix": prefix, "readers": n}


def draft(newsletter_id: int) -> dict[str, Any]:
    edition = services.create_draft(
        newsletter=Newsletter.objects.get(pk=newsletter_id),
        subject="Morning brief",
        preheader="Five stories before nine",
        body="Five stories.\n\nThe first, at some length. " * 20,
        author=None,
    )
    return {"edition": edition.pk}


def fix(edition_id: int) -> dict[str, Any]:
    """Seconds to fix a list's recipients in this process, and its memory before and at its
    peak. No sender is woken, and the rows are dropped afterwards: the measured edition is
    never sent, and the rest of the bench starts from an empty outbox of editions."""
    edition = Edition.objects.get(pk=edition_id)
    services.move(edition=edition, to=EditionStatus.SENDING, actor=ACTOR)
    before = _memory_kb()
    with mock.patch.object(dispatch, "publish"):
        started = time.perf_counter()
        written = services.fix_recipients(edition_id=edition_id)
        seconds = time.perf_counter() - started
    after = _memory_kb()
    with connection.cursor() as cursor:
        table = EditionMessage._meta.db_table
        sql = f"TRUNCATE {table}" if connection.vendor == "postgresql" else f"DELETE FROM {table}"
        cursor.execute(sql)
    services.finish_if_sent(edition_id=edition_id)
    return {
        "recipients": written,
        "seconds": seconds,
        "rss_before_mb": before["VmRSS"] / 1024,
        "peak_mb": after["VmHWM"] / 1024,
    }


def _memory_kb() -> dict[str, int]:
    """This process's resident memory now (VmRSS) and at its peak so far (VmHWM), in kB."""
    lines = Path("/proc/self/status").read_text().splitlines()
    fields = (line.split(":", 1) for line in lines)
    return {k: int(v.split()[0]) for k, v in fields if k in ("VmRSS", "VmHWM")}


def start(edition_id: int) -> dict[str, Any]:
    """Start the send as the editor's "Send now" does: its fixing is queued for a worker."""
    edition = services.start_send(edition=Edition.objects.get(pk=edition_id), actor=ACTOR)
    return {"status": edition.status, "at": timezone.now().timestamp()}


def stop(edition_id: int) -> dict[str, Any]:
    """What is left of a send is not sent: a stopping worker finds nothing more."""
    left = EditionMessage.objects.filter(edition_id=edition_id, state=OutboxState.QUEUED)
    return {"skipped": left.update(state=OutboxState.SKIPPED)}


# Parameters: the addresses' LIKE pattern (and the list first for subscriptions).
_INBOXES = (
    "INSERT INTO subscriptions_inbox (key) "
    "SELECT inbox_key FROM subscriptions_subscriber WHERE email LIKE %s"
)
_SUBSCRIPTIONS = (
    "INSERT INTO subscriptions_subscription (subscriber_id, newsletter_id, status, created_at, "
    "status_changed_at, confirmed_at, undeliverable_reason) "
    "SELECT s.id, %s, 'confirmed', s.created_at, s.created_at, s.created_at, '' "
    "FROM subscriptions_subscriber s WHERE s.email LIKE %s"
)
