"""The parts of the bench that run inside the app, in their own process with the bench's
settings and database: preparing address states, counting a request's round trips, and
timing one worker process's drain. Each prints one JSON line.

    python -m bench.inside states | count | drain N
"""

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any
from unittest import mock

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

# After setup: these import the app's models.
import redis  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import inside_edition, inside_sending  # noqa: E402
from subscriptions import services  # noqa: E402
from subscriptions.app_settings import app_settings  # noqa: E402
from subscriptions.guards.abuse import make_form_token  # noqa: E402
from subscriptions.models import ConfirmationEmail, Newsletter, RecordedSignUp  # noqa: E402

LISTS, CONSENT = inside_sending.LISTS, inside_sending.CONSENT


def states() -> dict[str, list[str]]:
    """Addresses in each state a sign-up can meet: pending, confirmed, over the daily cap."""
    run = uuid.uuid4().hex[:6]
    lists = list(Newsletter.objects.filter(slug__in=LISTS))
    made: dict[str, list[str]] = {"pending": [], "confirmed": [], "capped": []}
    for i in range(20):
        for state in made:
            email = f"{state}-{run}-{i}@example.com"
            made[state].append(email)
            result = services.sign_up(email=email, newsletters=lists, consent=CONSENT)
            if state == "confirmed" and result.confirmation_email_id:
                services.confirm(email_id=result.confirmation_email_id)
            if state == "capped":
                _cap(result.subscriber_id)
    return made


def _cap(subscriber_id: int) -> None:
    now = timezone.now()
    ConfirmationEmail.objects.bulk_create(
        ConfirmationEmail(subscriber_id=subscriber_id, created_at=now, state="sent")
        for _ in range(app_settings.ADDRESS_DAILY_CAP)
    )


def count() -> dict[str, Any]:
    """SQL statements and Redis round trips of one sign-up request, after a warm-up."""
    client, token = Client(), make_form_token()

    def post(i: int) -> None:
        data = {"email": f"count-{uuid.uuid4().hex[:8]}@example.com", "newsletter": LISTS}
        data |= {"form_id": "footer", "page": "/", "form_token": token}
        ip = f"10.8.{i // 256 % 256}.{i % 256}"
        answer = client.post(
            "/subscribe/",
            data,
            HTTP_ORIGIN=app_settings.SITE_URL,
            HTTP_ACCEPT="application/json",
            HTTP_X_FORWARDED_FOR=ip,
            HTTP_HOST="127.0.0.1",
        )
        assert answer.status_code == 200, answer.content

    for i in range(3):
        post(i)  # connections open, scripts loaded, lists cached
    sent = _counting(redis.connection.Connection, "send_packed_command")
    with CaptureQueriesContext(connection) as queries, sent as redis_calls:
        post(99)
    return {
        "sql": [q["sql"][:80] for q in queries],
        "redis": [_command(call) for call in redis_calls.call_args_list],
    }


def _counting(cls: type, name: str) -> Any:
    return mock.patch.object(cls, name, autospec=True, side_effect=getattr(cls, name))


def _command(call: Any) -> str:
    """The names of the commands one round trip sent, e.g. "EVALSHA EVALSHA"."""
    packed = call.args[1]
    data = b"".join(bytes(c) for c in (packed if isinstance(packed, list) else [packed]))
    names = re.findall(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n", data)
    return " ".join(n.decode().upper() for n in names)


def drain(n: int) -> dict[str, Any]:
    """Seconds one process takes to turn `n` recorded sign-ups into subscriptions and queued
    confirmation emails (their task messages published to the broker)."""
    RecordedSignUp.objects.all().delete()  # what the load runs left: only these are timed
    inside_sending.record_sign_ups(n, "drain")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")  # autovacuum is off on the reference machine
    before = ConfirmationEmail.objects.count()
    seconds = _timed(lambda: services.process_recorded_sign_ups(budget=600))
    queued = ConfirmationEmail.objects.count() - before
    return {"sign_ups": n, "seconds": seconds, "emails": queued}


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


COMMANDS: dict[str, Callable[..., dict[str, Any]]] = {
    "states": states,
    "count": count,
    "drain": drain,
    "reset": inside_sending.reset,
    "queue": inside_sending.queue,
    "wake": inside_sending.wake,
    "backlog": inside_sending.backlog,
    "skip_backlog": inside_sending.skip_backlog,
    "queued_at": inside_sending.queued_at,
    "million": inside_sending.a_million,
    "edition_readers": inside_edition.readers,
    "edition_draft": inside_edition.draft,
    "edition_fix": inside_edition.fix,
    "edition_start": inside_edition.start,
    "edition_stop": inside_edition.stop,
}

if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    values = [int(a) if a.isdigit() else a for a in arguments]
    print(json.dumps(COMMANDS[command](*values)))
