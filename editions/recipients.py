"""An edition's recipient list, fixed in the database when its send starts: one EditionMessage
per subscription confirmed for the list whose inbox isn't suppressed, one per inbox.

Set-based SQL, never the readers in Python: each chunk is one INSERT … SELECT over a range of
inbox keys, so memory stays flat whatever the list's size, and a send that stopped goes on
from the last chunk done (Edition.fixed_through). Chunks are ranges of inbox keys, not of
rows, so every spelling of one inbox falls in one chunk: the subscription confirmed first
gets the message, the others get a row closed as skipped (SkipReason.SAME_INBOX).

The SQL is the same on PostgreSQL and SQLite: a window function picks the first spelling,
and ON CONFLICT DO NOTHING keeps the (edition, inbox) constraint if a chunk ever ran twice.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from subscriptions.models import (
    Inbox,
    Newsletter,
    OutboxState,
    Status,
    Subscriber,
    Subscription,
    Suppression,
)

from .models import Edition, EditionMessage, SkipReason

CHUNK = 20_000  # inboxes a chunk: a transaction of a second or so on PostgreSQL
RATE_WINDOW = timedelta(minutes=1)  # the send's rate is the messages sent over this


@dataclass(frozen=True)
class Chunk:
    queued: int
    skipped: int
    last: bool  # the list is whole


def count_for(newsletter: Newsletter) -> int:
    """How many readers a send to `newsletter` would reach now: the confirmation page's
    figure, by the same rules as the fixing (it may change before the send starts)."""
    suppressed = Suppression.objects.active().filter(
        Q(address_key="") | Q(address_key=OuterRef("subscriber__email_key")),
        inbox_key=OuterRef("subscriber__inbox_key"),
    )
    confirmed = Subscription.objects.filter(newsletter=newsletter, status=Status.CONFIRMED)
    reachable = confirmed.exclude(Exists(suppressed))
    return reachable.values("subscriber__inbox_key").distinct().count()


def fix_chunk(edition: Edition, now: datetime) -> Chunk:
    """Write the next chunk of `edition`'s recipients; the caller holds the edition's row
    lock and saves `fixed_through` in the same transaction."""
    after = edition.fixed_through
    upto = _chunk_end(after)
    with connection.cursor() as cursor:
        cursor.execute(*_insert(edition, after, upto, now))
        # What the INSERT wrote, from its own RETURNING (PostgreSQL, and SQLite since 3.35):
        # counting the edition's rows afterwards read every row written so far, each chunk.
        reasons = Counter(reason for (reason,) in cursor.fetchall())
    edition.fixed_through = upto or edition.fixed_through
    return Chunk(
        queued=reasons[SkipReason.NONE],
        skipped=reasons[SkipReason.SAME_INBOX],
        last=upto is None,
    )


def _chunk_end(after: str) -> str | None:
    """The last inbox key of the chunk after `after`; None when the rest fits in one."""
    keys = Inbox.objects.filter(key__gt=after).order_by("key").values_list("key", flat=True)
    return keys[CHUNK - 1 : CHUNK].first()


def _insert(edition: Edition, after: str, upto: str | None, now: datetime) -> tuple[str, list]:
    table = {
        "message": EditionMessage._meta.db_table,
        "subscription": Subscription._meta.db_table,
        "subscriber": Subscriber._meta.db_table,
        "suppression": Suppression._meta.db_table,
    }
    upper = "AND sub.inbox_key <= %s" if upto is not None else ""
    # WHERE 1 = 1 before ON CONFLICT: SQLite's parser needs a WHERE there (its upsert docs).
    sql = f"""
        INSERT INTO {table["message"]} (
            edition_id, subscription_id, inbox_key, skip_reason, state, created_at,
            attempts, language, message_id, last_error, closed_at
        )
        SELECT %s, ranked.id, ranked.inbox_key,
            CASE WHEN ranked.rn = 1 THEN '' ELSE %s END,
            CASE WHEN ranked.rn = 1 THEN %s ELSE %s END,
            %s, 0, ranked.language, '', '',
            CASE WHEN ranked.rn = 1 THEN NULL ELSE %s END
        FROM (
            SELECT s.id, sub.inbox_key, sub.language, ROW_NUMBER() OVER (
                PARTITION BY sub.inbox_key ORDER BY s.confirmed_at, s.id
            ) AS rn
            FROM {table["subscription"]} s
            JOIN {table["subscriber"]} sub ON sub.id = s.subscriber_id
            WHERE s.newsletter_id = %s AND s.status = %s AND sub.inbox_key > %s {upper}
            AND NOT EXISTS (
                SELECT 1 FROM {table["suppression"]} x
                WHERE x.lifted_at IS NULL AND x.inbox_key = sub.inbox_key
                AND x.address_key IN ('', sub.email_key)
            )
        ) ranked
        WHERE 1 = 1
        ON CONFLICT DO NOTHING
        RETURNING skip_reason
    """  # noqa: S608 (table names from the models; every value is a parameter)
    params: list = [edition.pk, SkipReason.SAME_INBOX, OutboxState.QUEUED, OutboxState.SKIPPED]
    params += [now, now]
    params += [edition.newsletter_id, Status.CONFIRMED, after]
    if upto is not None:
        params.append(upto)
    return sql, params


@dataclass(frozen=True)
class Figures:
    recipients: int
    queued: int
    sent: int
    skipped: int  # another spelling got it, left or suppressed before their turn
    refused: int
    failed: int
    per_second: float  # over the last minute


def figures(edition: Edition, now: datetime) -> Figures:
    """An edition's send as its rows stand: what the editor's page shows."""
    rows = EditionMessage.objects.filter(edition=edition)
    by_state = dict(rows.order_by().values_list("state").annotate(n=Count("pk")))
    recent = rows.filter(state=OutboxState.SENT, closed_at__gte=now - RATE_WINDOW).count()
    return Figures(
        recipients=sum(by_state.values()),
        queued=by_state.get(OutboxState.QUEUED, 0),
        sent=by_state.get(OutboxState.SENT, 0),
        skipped=by_state.get(OutboxState.SKIPPED, 0) + by_state.get(OutboxState.SUPPRESSED, 0),
        refused=by_state.get(OutboxState.REFUSED, 0),
        failed=by_state.get(OutboxState.FAILED, 0),
        per_second=recent / RATE_WINDOW.total_seconds(),
    )
