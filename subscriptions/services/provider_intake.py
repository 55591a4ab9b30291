"""Provider events: the webhook stores each one, once; a worker applies it.

The provider's HTTP call waits only for one INSERT. Applying an event reads and locks the
address's subscriptions and bumps shared counters; done on the request, a burst of bounces
after a big send held the provider's calls (and their retries) behind those locks. As for
sign-ups, the webhook wakes a worker after commit, at most once per PROVIDER_EVENT_WAKE_WITHIN
from each process, and beat's sweep applies whatever no wake-up announced. A worker applies
waiting events oldest first, each in a transaction of its own, locked with SKIP LOCKED: the
row lock is its lease, so several workers share the backlog and none applies an event twice.
An event that fails to apply waits with a growing backoff and is kept; the others go through.
"""

import hashlib
import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..app_settings import app_settings
from ..core import bounces, dispatch, tally
from ..guards.validation import inbox_key
from ..models import ProviderEvent
from .provider_events import apply_effect

logger = logging.getLogger("subscriptions")

APPLY_TASK = "subscriptions.tasks.apply_provider_events"
_BATCH = 100


@dataclass(frozen=True)
class ProviderEventInput:
    provider: str  # anymail's esp_name, e.g. "Postmark"
    event_type: str  # anymail's normalised event type
    kind: str  # bounces.classify's reading of it
    recipient: str
    message_id: str
    event_id: str
    metadata: dict[str, Any]
    occurred_at: datetime
    raw: Any  # the provider's event, JSON-ready
    reason: str  # the provider's description or MTA response, for editors


def dedupe_key(event: ProviderEventInput) -> str:
    """The provider's event id where it gives one; else message, type, recipient and time."""
    provider = bounces.provider_slug(event.provider)
    if event.event_id:
        return f"{provider}:{event.event_id}"[:255]
    parts = [event.message_id, event.event_type, event.recipient.lower(), event.occurred_at]
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return f"{provider}:sha256:{digest}"


@transaction.atomic
def record_provider_event(*, event: ProviderEventInput, now: datetime | None = None) -> bool:
    """Store the event for a worker to apply; False when it was stored before (providers
    deliver again when unsure)."""
    now = now or timezone.now()
    event = ProviderEventInput(
        **{f.name: _without_nul(getattr(event, f.name)) for f in fields(event)}
    )
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the outer one usable
            ProviderEvent.objects.create(
                provider=bounces.provider_slug(event.provider),
                event_type=event.event_type,
                kind=event.kind,
                recipient=event.recipient[:254],
                inbox_key=inbox_key(event.recipient) if "@" in event.recipient else "",
                message_id=event.message_id[:200],
                metadata=event.metadata,
                occurred_at=event.occurred_at,
                received_at=now,
                due_at=now,
                dedupe_key=dedupe_key(event),
                raw=event.raw,
                reason=event.reason[:500],
            )
    except IntegrityError:
        return False
    dispatch.wake(APPLY_TASK, within=app_settings.PROVIDER_EVENT_WAKE_WITHIN)
    return True


def _without_nul(value: Any) -> Any:
    """`value` with every NUL, in any string at any depth, replaced by U+FFFD (as a decoder
    marks what it can't read). PostgreSQL refuses NUL in text and JSON alike, and a remote
    server's bounce text may hold one: refused, the provider's every retry failed too."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def apply_recorded_provider_events(*, budget: float = 20.0) -> int:
    """Apply every stored event that is due, oldest first, batch by batch; how many were
    taken. Stops after `budget` seconds and queues itself again for the rest."""
    return dispatch.drain(
        lambda: _apply_batch(timezone.now()), task_name=APPLY_TASK, budget=budget
    )


def _apply_batch(now: datetime) -> int:
    """Up to _BATCH due events, each in a transaction of its own: an event locks its
    address's subscriptions and shared counters, and a batch holding them all at once
    deadlocked with another worker's batch, or with a reader confirming, on PostgreSQL."""
    due = ProviderEvent.objects.due(now=now).order_by("pk").values_list("pk", flat=True)
    return sum(_apply_one(pk, now) for pk in list(due[:_BATCH]))


def _apply_one(pk: int, now: datetime) -> int:
    """1 if this worker took the event (another may have, meanwhile; SKIP LOCKED then)."""
    try:
        with transaction.atomic():
            due = ProviderEvent.objects.due(now=now).filter(pk=pk)
            row = due.select_for_update(skip_locked=True).first()
            if row is None:
                return 0
            apply_now(row, now)
    except Exception as error:
        _set_aside(pk, now, error)
        return 1
    return 1


def apply_now(row: ProviderEvent, now: datetime) -> None:
    """Apply one locked, waiting event in the caller's transaction (a worker's, or an
    erasure's, which must not delete a complaint before it suppresses the inbox)."""
    row.effect = apply_effect(row, now)[:200]
    row.applied_at = now
    row.save(update_fields=["effect", "applied_at"])
    tally.add({tally.provider_events(row.provider, row.kind): 1})
    logger.info(
        "event=provider_event.applied id=%s provider=%s kind=%s effect=%s",
        row.pk,
        row.provider,
        row.kind,
        row.effect,
    )


@transaction.atomic
def _set_aside(pk: int, now: datetime, error: Exception) -> None:
    """An event that can't be applied waits with a growing backoff; nothing is dropped."""
    logger.exception("event=provider_event.failed id=%s", pk)
    row = ProviderEvent.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        return
    row.attempts += 1
    row.due_at = now + timedelta(seconds=min(3600, 30 * 2 ** (row.attempts - 1)))
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.save(update_fields=["attempts", "due_at", "last_error"])
