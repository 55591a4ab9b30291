"""The sign-up intake: the request records what a reader asked for, a worker processes it.

The request's whole write is one INSERT, the same for every address, so neither the answer
nor its time says whether the address is known. A worker drains the recorded sign-ups batch by
batch through sign_up_many and deletes them in the same transaction. The batch's row locks are
its lease: a worker that dies releases them with its transaction, and SKIP LOCKED lets several
workers take disjoint batches. A batch that fails is split into single rows, so one bad row
waits (with a backoff) without holding up the others.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from ..app_settings import app_settings
from ..core import dispatch, tally
from ..models import RecordedSignUp
from .signup import ConsentInput, SignUpEntry, sign_up_many

logger = logging.getLogger("subscriptions")

PROCESS_TASK = "subscriptions.tasks.process_sign_ups"


def record_sign_up(
    *,
    email: str,
    newsletter_ids: Sequence[int],
    consent: ConsentInput,
    language: str,
    now: datetime | None = None,
) -> None:
    """Record a reader's sign-up for a worker: one INSERT, then a coalesced wake-up.

    A single INSERT in autocommit is atomic by itself; wrapping it in a transaction would
    only add BEGIN and COMMIT round trips to every sign-up.
    """
    now = now or timezone.now()
    row = RecordedSignUp(
        email=email,
        newsletter_ids=list(newsletter_ids),
        language=language,
        created_at=now,
        due_at=now,
        **vars(consent),
    )
    try:
        row.save(force_insert=True)
    except (InterfaceError, OperationalError):
        if not connection.get_autocommit():
            raise  # inside a caller's transaction: not ours to retry
        # A persistent connection the database dropped (a restart) fails on first use, as
        # there is no health check per request. Retrying on a fresh connection is safe: at
        # worst the row is recorded twice, and the second falls inside the cooldown.
        connection.close()
        row.save(force_insert=True)
    dispatch.wake(PROCESS_TASK, within=app_settings.SIGNUP_WAKE_WITHIN)


def process_recorded_sign_ups(*, budget: float = 20.0) -> int:
    """Process every recorded sign-up that is due, batch by batch; how many were taken.

    Stops after `budget` seconds and queues itself again for the rest, so a drain under
    sustained traffic stays inside the task time limit.
    """
    return dispatch.drain(
        lambda: _process_batch(timezone.now()), task_name=PROCESS_TASK, budget=budget
    )


def _process_batch(now: datetime) -> int:
    ids: list[int] = []
    try:
        with transaction.atomic():
            due = RecordedSignUp.objects.due(now=now).select_for_update(skip_locked=True)
            rows = list(due[: app_settings.SIGNUP_BATCH_SIZE])
            ids = [row.pk for row in rows]
            _sign_up_and_delete(rows)
    except Exception as exc:
        if not ids:
            raise  # nothing was read: the database itself is failing; the task fails
        if len(ids) == 1:
            return _put_aside(ids, now, exc)
        logger.warning("event=signups.batch_failed size=%s (processing one by one)", len(ids))
        return sum(_process_one(pk, now) for pk in ids)
    return len(ids)


def _process_one(pk: int, now: datetime) -> int:
    try:
        with transaction.atomic():
            rows = list(RecordedSignUp.objects.filter(pk=pk).select_for_update(skip_locked=True))
            _sign_up_and_delete(rows)
    except Exception as exc:
        return _put_aside([pk], now, exc)
    return 1


def _sign_up_and_delete(rows: list[RecordedSignUp]) -> None:
    sign_up_many(entries=[_entry(row) for row in rows])
    RecordedSignUp.objects.filter(pk__in=[row.pk for row in rows]).delete()
    tally.add({tally.SIGNUPS_PROCESSED: len(rows)})


def _entry(row: RecordedSignUp) -> SignUpEntry:
    consent = ConsentInput(
        page_url=row.page_url,
        form_id=row.form_id,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        wording=row.wording,
        version=row.version,
    )
    return SignUpEntry(row.email, row.newsletter_ids, consent, row.language)


@transaction.atomic
def _put_aside(ids: list[int], now: datetime, error: Exception) -> int:
    """A row that can't be processed waits with a growing backoff; nothing is dropped."""
    logger.exception("event=signups.failed rows=%s", ",".join(map(str, ids)))
    for row in RecordedSignUp.objects.filter(pk__in=ids).select_for_update():
        row.attempts += 1
        row.due_at = now + timedelta(seconds=min(3600, 30 * 2 ** (row.attempts - 1)))
        row.last_error = f"{type(error).__name__}: {error}"[:2000]
        row.save(update_fields=["attempts", "due_at", "last_error"])
    return len(ids)
