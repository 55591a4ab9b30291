"""Adding to the running counts (models.Tally), inside the caller's transaction.

One statement per call whatever the number of keys, in sorted key order, so two transactions
counting the same keys wait for each other instead of deadlocking.
"""

from collections import Counter
from collections.abc import Mapping

from django.db import connection

from ..models import Tally


def add(counts: Mapping[str, int]) -> None:
    items = sorted((key, n) for key, n in counts.items() if n)
    if not items:
        return
    table = connection.ops.quote_name(Tally._meta.db_table)
    key, value = connection.ops.quote_name("key"), connection.ops.quote_name("value")
    rows = ", ".join(["(%s, %s)"] * len(items))
    sql = (
        f"INSERT INTO {table} ({key}, {value}) VALUES {rows} ON CONFLICT ({key}) "  # noqa: S608
        f"DO UPDATE SET {value} = {table}.{value} + excluded.{value}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [part for item in items for part in item])


def replace_subscriptions_and_emails(counts: Mapping[str, int]) -> None:
    """Set the status and email counts to these, dropping the old ones; the counts of events
    (unsubscribes, processed sign-ups) stay, since no row holds them all any more."""
    Tally.objects.filter(key__startswith="subscriptions:").delete()
    Tally.objects.filter(key__startswith="emails:").delete()
    Tally.objects.bulk_create(Tally(key=key, value=n) for key, n in sorted(counts.items()) if n)


def subscriptions(newsletter_id: int, status: str) -> str:
    return f"subscriptions:{newsletter_id}:{status}"


def unsubscribes(newsletter_id: int) -> str:
    return f"unsubscribes:{newsletter_id}"


def emails(kind: str, outcome: str) -> str:
    """queued, sent, retried, refused, failed, skipped, suppressed or requeued, per kind of
    email."""
    return f"emails:{kind}:{outcome}"


def provider_events(provider: str, kind: str) -> str:
    """Bounces, complaints... as providers reported them: the complaint rate's numerator."""
    return f"provider_events:{provider}:{kind}"


SIGNUPS_PROCESSED = "signups:processed"


def counts() -> Counter[str]:
    """Every running count, for a scrape."""
    return Counter(dict(Tally.objects.values_list("key", "value")))
