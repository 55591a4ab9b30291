"""Sending outbox rows, and the rules that decide retries.

A sender claims rows (the due ones, or the ids a task names), composes each message in its
reader's language, sends them all at once from a thread pool, and records every outcome
through the flows. Transient provider errors (5xx, 429, no answer) are retried with
exponential backoff and jitter for SEND_RETRY_WINDOW: the row keeps its claim until then, and a
wake-up due at that time sends it again. A refused address and our own misconfiguration are
never retried.

The guarantee, for every kind (docs/architecture.md "Delivery guarantee"): at least once. A
provider keeps a message once it has read the request, and we learn so only from its answer, so
a row it kept that we never recorded as sent (the worker killed before `_finish` recorded its
batch, a call that timed out or lost its connection) is sent again when its claim lapses or its
retry comes. A killed worker doubles at most the rows it had handed to the provider and not yet
recorded: two batches per sending task. A lost confirmation loses a reader, a second copy costs
little; welcome and data-export emails, and editions next, make the same choice.

Each kind of row is declared once (kinds.Kind): whose inbox each row is for and how to compose
its messages; a refused address goes through the one refusal flow (services.record_refused),
which asks the kind what it means. An inbox that bounced for good or complained gets nothing
of any kind: the check is here, once, before any composing.
"""

import logging
import random
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from anymail.message import AnymailMessage
from django.utils import timezone

from . import services
from .app_settings import app_settings
from .core import dispatch, lifecycle
from .core.kinds import Kind
from .guards import ratelimit
from .models import OutboxItem, Suppression
from .sending import batching, emails
from .sending.mail import BatchMail

logger = logging.getLogger("subscriptions.tasks")

# A kind with a rate (Kind.rate: editions' EDITION_SEND_RATE) takes its places under this
# name; a sender that finds none free this second waits this long and asks again.
SEND_RATE_NAMESPACE = "send-rate"
PACE_WAIT = 0.05
# A recipient's status in a batch call's answer that means the provider won't deliver to it.
REFUSED_STATUSES = frozenset({"rejected", "invalid"})


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter, so retries after an outage don't arrive in lockstep."""
    base, cap = app_settings.SEND_BACKOFF_BASE, app_settings.SEND_BACKOFF_MAX
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def send_rows(kind: Kind, ids: Sequence[int]) -> dict[int, str]:
    """Send the rows a task names (a redelivered or duplicated task finds them claimed)."""
    claimed = [pk for pk in ids if services.claim(kind=kind.model, item_id=pk)]
    outcomes = dict.fromkeys(ids, "not claimable")  # sent, closed, gone, or held elsewhere
    return outcomes | _send_claimed(kind, claimed)


def send_due(kind: Kind, *, budget: float = 20.0) -> int:
    """Send every due row, batch by batch; how many rows were taken.

    While one batch's provider calls are on the wire, the next batch is claimed and composed:
    the calls wait on the network, the composing needs the CPU. Stops after `budget` seconds
    and wakes a fresh task for the rest, inside the time limit.
    """
    taken, started, in_flight, spread = 0, time.monotonic(), deque[_Batch](), False
    while True:
        over = time.monotonic() - started > budget
        limit = 0 if over else _allowance(kind)
        claimed = services.claim_due(kind=kind.model, limit=limit) if limit else []
        if claimed:
            in_flight.append(_start(kind, claimed))
            taken += len(claimed)
        spread = spread or _spread(kind, len(claimed), limit)
        if in_flight and (not claimed or len(in_flight) > 1):
            _finish(kind, in_flight.popleft())
        if not claimed and not in_flight:
            if over or limit:
                break
            time.sleep(PACE_WAIT)  # the kind's rate is used up for this second
    if over:
        dispatch.enqueue(services.SEND_DUE_OF_TASK, kind.name)
    if taken:
        logger.info("event=outbox.send_due kind=%s taken=%s", kind.name, taken)
    return taken


def _spread(kind: Kind, claimed: int, limit: int) -> bool:
    """At a backlog (a full claim), one more wake-up, for a worker process with nothing to
    do: each process drains a kind one turn at a time (dispatch.run_alone), so without it a
    second worker would only ever take the first one's follow-up, in turns."""
    if not claimed or claimed < limit:
        return False
    dispatch.publish(services.SEND_DUE_OF_TASK, (kind.name,))
    return True


def _allowance(kind: Kind) -> int:
    """How many rows the next batch may take: SEND_BATCH, or fewer under the kind's rate,
    whose places every worker and host take from one shared count."""
    wanted = app_settings.SEND_BATCH
    in_batches = batching.batch_size() if kind.batched else None
    if in_batches:
        wanted = max(wanted, in_batches[1])  # a claim fills at least one batch call
    rate = kind.rate() if kind.rate else 0
    if rate <= 0:
        return wanted
    return ratelimit.take_up_to(SEND_RATE_NAMESPACE, kind.name, rate, wanted)


@dataclass
class _Batch:
    outcomes: dict[int, str]  # of the rows settled before sending
    items: list[OutboxItem]  # the rows being sent
    messages: dict[int, AnymailMessage]  # each row's; rows in one batch call share one
    calls: list[AnymailMessage]  # the distinct messages, one provider call each
    results: list["Future[str | Exception]"]


def _suppressed(kind: Kind, items: list[OutboxItem]) -> list[int]:
    """The rows for an inbox, or a spelling of it, we must not write to."""
    addresses = kind.addresses(items)
    suppressed = Suppression.objects.of_addresses(addresses.values())
    return [pk for pk, keys in addresses.items() if keys in suppressed]


def _send_claimed(kind: Kind, ids: list[int]) -> dict[int, str]:
    return _finish(kind, _start(kind, ids))


def _start(kind: Kind, ids: list[int]) -> _Batch:
    """Compose the claimed rows' messages and hand them to the send threads."""
    items = {item.pk: item for item in kind.model.objects.filter(pk__in=ids)}
    batch = _Batch({}, [], {}, [], [])
    for pk in _suppressed(kind, list(items.values())):
        services.record_suppressed(kind=kind.model, item_id=pk)
        batch.outcomes[pk] = "suppressed"
        del items[pk]
    messages = kind.compose(list(items.values()))
    for pk, item in items.items():
        if messages.get(pk) is None:
            services.record_skipped(kind=kind.model, item_id=pk)
            batch.outcomes[pk] = "nothing to send"
        elif _past_retry_window(item):
            batch.outcomes[pk] = _give_up(kind, item, lifecycle.SYSTEM, item.last_error)
        else:
            _log(kind, "attempt", item, logging.DEBUG)
            batch.items.append(item)
    batch.messages = {item.pk: messages[item.pk] for item in batch.items}
    batch.calls = list({id(m): m for m in batch.messages.values()}.values())
    batch.results = emails.send_later(batch.calls)
    return batch


def _finish(kind: Kind, batch: _Batch) -> dict[int, str]:
    """Wait for a batch's provider calls and record each outcome."""
    by_call = {
        id(call): future.result() for call, future in zip(batch.calls, batch.results, strict=True)
    }
    results = [_result_of(item.pk, batch.messages[item.pk], by_call) for item in batch.items]
    pairs = list(zip(batch.items, results, strict=True))
    sent = {item.pk: result for item, result in pairs if isinstance(result, str)}
    services.record_sent_many(kind=kind.model, message_ids=sent)
    for item, result in pairs:
        if isinstance(result, Exception):
            batch.outcomes[item.pk] = _failed(kind, item, result)
        else:
            _log(kind, "sent", item)
            batch.outcomes[item.pk] = "sent"
    return batch.outcomes


def _result_of(
    row: int, message: AnymailMessage, by_call: dict[int, str | Exception]
) -> str | Exception:
    """A row's outcome: its call's, and in a batch call the provider's answer for its
    recipient (one refused address leaves the others sent)."""
    result = by_call[id(message)]
    if isinstance(result, Exception) or not isinstance(message, BatchMail):
        return result
    status = message.anymail_status.recipients.get(message.rows[row])
    if status is not None and status.status in REFUSED_STATUSES:
        return AnymailRecipientsRefused(f"the provider refused the address ({status.status})")
    return (status.message_id if status and status.message_id else "") or result


def _failed(kind: Kind, item: OutboxItem, exc: Exception) -> str:
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]
    actor = lifecycle.provider(emails.provider_name(exc))
    status = getattr(exc, "status_code", None) or "none"
    error = type(exc).__name__
    if isinstance(exc, AnymailRecipientsRefused):
        _log(kind, "refused", item, logging.WARNING, status=status, error=error)
        services.record_refused(kind=kind.model, item_id=item.pk, actor=actor, reason=reason)
        return "refused"
    if isinstance(exc, AnymailError) and not emails.is_transient(exc):
        # Our fault, not the reader's (a bad API token, an unsupported feature): never
        # retried by itself; `manage.py requeue_confirmations` sends them once it's fixed.
        _log(kind, "failed", item, logging.ERROR, status=status, error=error)
        services.record_failed(kind=kind.model, item_id=item.pk, reason=reason)
        return "failed"
    if not isinstance(exc, AnymailError):
        logger.error("event=%s.error id=%s", kind.name, item.pk, exc_info=exc)
    if emails.cannot_be_built(exc):
        # Our message (a list's name or sender with a line break): a failure the operator's
        # alert watches, never retried into the reader being marked undeliverable.
        _log(kind, "failed", item, logging.ERROR, error=error)
        services.record_failed(kind=kind.model, item_id=item.pk, reason=reason)
        return "failed"
    if _past_retry_window(item):
        return _give_up(kind, item, actor, reason)
    countdown = backoff(item.attempts)
    _log(kind, "retry", item, logging.WARNING, status=status, retry_in=f"{countdown:.1f}")
    services.record_retry(kind=kind.model, item_id=item.pk, countdown=countdown, error=reason)
    # If this wake-up is lost too, beat's next poll sends the row once its claim lapses.
    dispatch.publish(services.SEND_DUE_OF_TASK, (kind.name,), countdown=countdown)
    return "retry"


def _give_up(kind: Kind, item: OutboxItem, actor: str, reason: str) -> str:
    _log(kind, "gave_up", item, logging.WARNING)
    services.record_refused(
        kind=kind.model, item_id=item.pk, actor=actor, reason=f"gave up: {reason}"
    )
    return "gave up"


def _past_retry_window(item: OutboxItem) -> bool:
    window = timedelta(seconds=app_settings.SEND_RETRY_WINDOW)
    return item.first_attempt_at is not None and timezone.now() - item.first_attempt_at > window


def _log(
    kind: Kind, outcome: str, item: OutboxItem, level: int = logging.INFO, **extra: Any
) -> None:
    # logfmt, one line per send attempt and outcome: ids and numbers, never the address.
    fields = "".join(f" {key}={value}" for key, value in extra.items())
    logger.log(
        level,
        "event=%s.%s id=%s attempt=%s%s",
        kind.name,
        outcome,
        item.pk,
        item.attempts,
        fields,
    )
