"""One implementation of the outbox's lease, claim, record and sweep, for every kind of email.

A kind is a concrete subclass of models.OutboxItem. These work on any of them by row id; the
flows in services/sending.py call them inside their transactions and add what is particular to
a kind (what a refusal means for a confirmation email, say).
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import F
from django.db.models.functions import Coalesce

from ..app_settings import app_settings
from ..models import OutboxItem, OutboxState


def claim(kind: type[OutboxItem], item_id: int, now: datetime) -> bool:
    """Take one queued row for sending; False if it is sent, closed, gone or held.

    A single conditional UPDATE, so two deliveries of one task, or a task and the sweeper,
    can't both win. The claim lapses after SEND_LEASE, so a worker that died releases it by
    itself, and the next sender sends the row again: if the provider had already kept it, the
    reader gets it twice (at least once; docs/architecture.md "Delivery guarantee").
    """
    claimed = (
        kind.objects.claimable(now=now)
        .filter(pk=item_id)
        .update(
            claimed_until=now + timedelta(seconds=app_settings.SEND_LEASE),
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
        )
    )
    return claimed == 1


def record_sent(kind: type[OutboxItem], item_id: int, message_id: str, now: datetime) -> None:
    kind.objects.filter(pk=item_id).update(
        state=OutboxState.SENT, closed_at=now, claimed_until=None, message_id=message_id[:200]
    )


def hold_for_retry(kind: type[OutboxItem], item_id: int, until: datetime, error: str) -> None:
    """Keep the claim through the backoff, so the sweeper leaves the row to the retry."""
    kind.objects.filter(pk=item_id).update(claimed_until=until, last_error=error[:2000])


def close(
    kind: type[OutboxItem], item_id: int, state: OutboxState, error: str, now: datetime
) -> None:
    kind.objects.filter(pk=item_id).update(
        state=state, closed_at=now, claimed_until=None, last_error=error[:2000]
    )


def reopen(kind: type[OutboxItem], item_ids: list[int]) -> None:
    """Queue closed rows again from scratch, with a fresh retry window."""
    kind.objects.filter(pk__in=item_ids).update(
        state=OutboxState.QUEUED, closed_at=None, attempts=0, first_attempt_at=None
    )


def claim_due(kind: type[OutboxItem], now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` rows due for sending, oldest first; call inside a transaction.

    SKIP LOCKED, so several senders take disjoint rows; the lease then keeps them apart.
    """
    due = (
        kind.objects.claimable(now=now).order_by("created_at").select_for_update(skip_locked=True)
    )
    ids = list(due.values_list("pk", flat=True)[:limit])
    kind.objects.filter(pk__in=ids).update(
        claimed_until=now + timedelta(seconds=app_settings.SEND_LEASE),
        attempts=F("attempts") + 1,
        first_attempt_at=Coalesce(F("first_attempt_at"), now),
    )
    return ids


def record_sent_many(kind: type[OutboxItem], message_ids: dict[int, str], now: datetime) -> None:
    """Close the rows sent, each with its provider message id, in one UPDATE.

    Written as SQL (a simple CASE, which PostgreSQL and SQLite both read): the ORM's
    Case(When(pk=…)) resolves a filter per row, and that took a third of a sender's time.
    """
    meta, quote = kind._meta, connection.ops.quote_name
    column = {f.name: quote(f.column) for f in meta.concrete_fields}
    state, closed, claimed, message = (
        column[name] for name in ("state", "closed_at", "claimed_until", "message_id")
    )
    ids, key = list(message_ids), column[meta.pk.name]
    cases = " ".join(["WHEN %s THEN %s"] * len(ids))
    among = ", ".join(["%s"] * len(ids))
    # Only our own table and column names are put in the text; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {state} = %s, {closed} = %s, "  # noqa: S608
        f"{claimed} = NULL, {message} = CASE {key} {cases} ELSE {message} END "
        f"WHERE {key} IN ({among})"
    )
    params: list[Any] = [OutboxState.SENT, connection.ops.adapt_datetimefield_value(now)]
    for pk, message_id in message_ids.items():
        params += [pk, message_id[:200]]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])
