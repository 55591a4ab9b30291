"""The app-side steps of the sending part of the bench (run through bench/inside.py, which has
set Django up): a clean outbox, queued emails, a wake-up, and a million subscriptions."""

import uuid
from typing import Any
from unittest import mock

from django.db import connection
from django.utils import timezone

from subscriptions import dispatch, services
from subscriptions.models import ConfirmationEmail, Newsletter, OutboxState, RecordedSignUp

LISTS = ["daily", "weekly-review"]
CONSENT = services.ConsentInput("/", "footer", "10.9.9.9", "bench", "W" * 120, "1")


def reset() -> dict[str, Any]:
    """Nothing left over from the load runs: no recorded sign-ups, nothing queued."""
    waiting = RecordedSignUp.objects.all().delete()[0]
    queued = ConfirmationEmail.objects.queued().update(state=OutboxState.SKIPPED)
    return {"recorded": waiting, "queued": queued}


def record_sign_ups(n: int, prefix: str) -> None:
    """`n` sign-ups to LISTS, recorded as the endpoint records them, due now."""
    ids = list(Newsletter.objects.filter(slug__in=LISTS).values_list("pk", flat=True))
    now, run = timezone.now(), uuid.uuid4().hex[:6]
    RecordedSignUp.objects.bulk_create(
        RecordedSignUp(
            email=f"{prefix}-{run}-{i}@example.com",
            newsletter_ids=ids,
            created_at=now,
            due_at=now,
            language="en",
            **vars(CONSENT),
        )
        for i in range(n)
    )


def queue(n: int) -> dict[str, Any]:
    """`n` confirmation emails queued for a sender, with no wake-up sent for them."""
    reset()
    record_sign_ups(n, "send")
    with mock.patch.object(dispatch, "publish"):
        services.process_recorded_sign_ups(budget=600)
    _analyze()
    return {"queued": ConfirmationEmail.objects.queued().count()}


def queued_at(prefix: str) -> dict[str, Any]:
    """When each confirmation email to addresses starting with `prefix` was queued."""
    emails = ConfirmationEmail.objects.filter(subscriber__email__startswith=prefix)
    return {e: at.timestamp() for e, at in emails.values_list("subscriber__email", "created_at")}


def wake() -> dict[str, Any]:
    return {"published": dispatch.publish(services.SEND_DUE_TASK, ())}


def a_million(subscribers: int = 250_000) -> dict[str, Any]:
    """250,000 subscribers on the four demo lists, 1,000,000 subscriptions in all (one in ten
    unsubscribed), and the running counts recounted from them. The smoke run seeds fewer, so
    CI runs the same SQL against today's schema."""
    with connection.cursor() as cursor:
        cursor.execute(_SUBSCRIBERS[connection.vendor], [subscribers])
        cursor.execute(_SUBSCRIPTIONS)
    counts = services.recount_tallies()
    _analyze()
    return {"subscriptions": sum(n for key, n in counts.items() if key.startswith("subs"))}


def _analyze() -> None:
    # The reference machine's PostgreSQL runs without autovacuum: plans need fresh statistics
    # (and index-only scans a visibility map), as production's autovacuum keeps them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


_SUBSCRIBERS = {
    # The address is its own address and inbox key here: lower case, no +tag, not Gmail.
    "postgresql": (
        "INSERT INTO subscriptions_subscriber "
        "(email, email_key, inbox_key, language, created_at, changed_by) "
        "SELECT a, a, a, '', now(), '' FROM "
        "(SELECT 'million-' || g || '@example.com' AS a FROM generate_series(1, %s) g) m"
    ),
    "sqlite": (
        "INSERT INTO subscriptions_subscriber "
        "(email, email_key, inbox_key, language, created_at, changed_by) "
        "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %s) "
        "SELECT 'million-' || x || '@example.com', 'million-' || x || '@example.com', "
        "'million-' || x || '@example.com', '', CURRENT_TIMESTAMP, '' FROM g"
    ),
}
_SUBSCRIPTIONS = (
    "INSERT INTO subscriptions_subscription (subscriber_id, newsletter_id, status, created_at, "
    "status_changed_at, confirmed_at, undeliverable_reason) "
    "SELECT s.id, n.id, CASE WHEN s.id % 10 = 0 THEN 'unsubscribed' ELSE 'confirmed' END, "
    "s.created_at, s.created_at, s.created_at, '' "
    "FROM subscriptions_subscriber s CROSS JOIN subscriptions_newsletter n "
    "WHERE s.email LIKE 'million-%'"
)
