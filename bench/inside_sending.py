"""The app-side steps of the sending part of the bench (run through bench/inside.py, which has
set Django up): a clean outbox, queued emails, a wake-up, a backlog of welcome emails, and a
million subscriptions."""

import uuid
from typing import Any
from unittest import mock

from django.db import connection
from django.utils import timezone

from subscriptions import services
from subscriptions.core import dispatch
from subscriptions.models import (
    ConfirmationEmail,
    Newsletter,
    OutboxState,
    RecordedSignUp,
    WelcomeEmail,
)

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
    analyze()
    return {"queued": ConfirmationEmail.objects.queued().count()}


def queued_at(prefix: str) -> dict[str, Any]:
    """When each confirmation email to addresses starting with `prefix` was queued."""
    emails = ConfirmationEmail.objects.filter(subscriber__email__startswith=prefix)
    return {e: at.timestamp() for e, at in emails.values_list("subscriber__email", "created_at")}


def wake(kind: str = "confirmation") -> dict[str, Any]:
    """Wake one kind's sender, on that kind's own queue (newsroom/celery.py routes it)."""
    return {"published": dispatch.publish(services.SEND_DUE_OF_TASK, (kind,))}


def backlog(n: int) -> dict[str, Any]:
    """`n` welcome emails queued at once, with no wake-up: `n` new subscribers, each confirmed
    to the daily list (whose welcome email the demo sets). Inserted in bulk, as an edition's
    rows will be, so that building them takes seconds, not the measured window."""
    with connection.cursor() as cursor:
        cursor.execute(SUBSCRIBERS[connection.vendor], ["backlog-", n])
        for statement in _BACKLOG:
            cursor.execute(statement)
    analyze()
    return {"queued": WelcomeEmail.objects.queued().count()}


def skip_backlog() -> dict[str, Any]:
    """Whatever is left of the backlog is not sent: a stopping worker finds nothing more."""
    return {"skipped": WelcomeEmail.objects.queued().update(state=OutboxState.SKIPPED)}


def a_million(subscribers: int = 250_000) -> dict[str, Any]:
    """250,000 subscribers on the four demo lists, 1,000,000 subscriptions in all (one in ten
    unsubscribed), and the running counts recounted from them. The smoke run seeds fewer, so
    CI runs the same SQL against today's schema."""
    with connection.cursor() as cursor:
        cursor.execute(SUBSCRIBERS[connection.vendor], ["million-", subscribers])
        cursor.execute(_SUBSCRIPTIONS)
    counts = services.recount_tallies()
    analyze()
    return {"subscriptions": sum(n for key, n in counts.items() if key.startswith("subs"))}


def analyze() -> None:
    # The reference machine's PostgreSQL runs without autovacuum: plans need fresh statistics
    # (and index-only scans a visibility map), as production's autovacuum keeps them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


SUBSCRIBERS = {
    # Parameters: the addresses' prefix, then how many. The address is its own address and
    # inbox key here: lower case, no +tag, not Gmail.
    "postgresql": (
        "INSERT INTO subscriptions_subscriber "
        "(email, email_key, inbox_key, language, created_at, changed_by) "
        "SELECT a, a, a, '', now(), '' FROM "
        "(SELECT %s::text || g || '@example.com' AS a FROM generate_series(1, %s) g) m"
    ),
    "sqlite": (
        "INSERT INTO subscriptions_subscriber "
        "(email, email_key, inbox_key, language, created_at, changed_by) "
        "WITH RECURSIVE p(prefix) AS (SELECT %s), "
        "g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %s), "
        "m(a) AS (SELECT p.prefix || g.x || '@example.com' FROM p CROSS JOIN g) "
        "SELECT a, a, a, '', CURRENT_TIMESTAMP, '' FROM m"
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
_BACKLOG = (
    "INSERT INTO subscriptions_subscription (subscriber_id, newsletter_id, status, created_at, "
    "status_changed_at, confirmed_at, undeliverable_reason) "
    "SELECT s.id, n.id, 'confirmed', s.created_at, s.created_at, s.created_at, '' "
    "FROM subscriptions_subscriber s CROSS JOIN subscriptions_newsletter n "
    "WHERE s.email LIKE 'backlog-%' AND n.slug = 'daily'",
    "INSERT INTO subscriptions_welcomeemail (state, created_at, attempts, language, "
    "message_id, last_error, subscription_id) "
    "SELECT 'queued', s.created_at, 0, '', '', '', s.id "
    "FROM subscriptions_subscription s JOIN subscriptions_subscriber r ON r.id = s.subscriber_id "
    "WHERE r.email LIKE 'backlog-%'",
)
