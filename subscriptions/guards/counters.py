"""A `limits` storage in the database, so processes without Redis share one counter.

`limits` has no SQL storage, and its memory storage is per process: under `make run`, each
gunicorn worker counted on its own, and a limit of 10 a minute let 20 through. This storage
keeps each window's count in one row (RateCounter), changed by one atomic upsert, and serves
limits' sliding window counter strategy, its moving window's approximation with two counters.
Redis stays the production store.

The upsert uses INSERT … ON CONFLICT … RETURNING, which SQLite has had since 3.35 and
PostgreSQL since 9.5.
"""

import time

from django.db import DatabaseError, connection
from django.db.models import F
from limits.storage import Storage
from limits.storage.base import SlidingWindowCounterSupport, TimestampedSlidingWindow

from ..models import RateCounter

_TABLE = RateCounter._meta.db_table


def _sql(statement: str) -> str:
    q = connection.ops.quote_name
    return statement.format(t=q(_TABLE), key=q("key"), count=q("count"), exp=q("expires_at"))


_UPSERT = """
    INSERT INTO {t} ({key}, {count}, {exp}) VALUES (%s, %s, %s)
    ON CONFLICT ({key}) DO UPDATE SET
        {count} = CASE WHEN {t}.{exp} <= %s THEN excluded.{count}
                       ELSE {t}.{count} + excluded.{count} END,
        {exp} = CASE WHEN {t}.{exp} <= %s THEN excluded.{exp} ELSE {t}.{exp} END
    RETURNING {count}
"""


def drop_expired(now: float | None = None) -> int:
    """Delete the windows that ran out (limits never reads one again): beat runs this every
    few minutes (tasks.drop_expired_rate_counters), so no request pays for it."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("DELETE FROM {t} WHERE {exp} < %s"), [now or time.time()])
        return cursor.rowcount


class DatabaseStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return DatabaseError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with connection.cursor() as cursor:
            cursor.execute(_sql(_UPSERT), [key, amount, now + expiry, now, now])
            (count,) = cursor.fetchone()
        return int(count)

    def get(self, key: str) -> int:
        row = RateCounter.objects.filter(key=key, expires_at__gt=time.time()).first()
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = RateCounter.objects.filter(key=key, expires_at__gt=time.time()).first()
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        RateCounter.objects.exists()
        return True

    def reset(self) -> int | None:
        return RateCounter.objects.all().delete()[0]

    def clear(self, key: str) -> None:
        RateCounter.objects.filter(key=key).delete()

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        """Check the weighted count first, so a refused hit (a flood, the case limits exist
        for) costs one read and no write; else count it (the upsert serialises concurrent
        hits on the row), check again, and take it back if another hit got there first."""
        if amount > limit:
            return False
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        live = RateCounter.objects.filter(key__in=[previous_key, current_key], expires_at__gt=now)
        counts = dict(live.values_list("key", "count"))
        weighted = self._weighted(counts.get(previous_key, 0), expiry, now)
        if int(weighted + counts.get(current_key, 0) + amount) > limit:
            return False
        current = self.incr(current_key, 2 * expiry, amount)
        if int(weighted + current) > limit:
            RateCounter.objects.filter(key=current_key).update(count=F("count") - amount)
            return False
        return True

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous, previous_ttl = self._previous(previous_key, expiry, now)
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, self.get(current_key), current_ttl

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        RateCounter.objects.filter(
            key__in=self.sliding_window_keys(key, expiry, time.time())
        ).delete()

    def _previous(self, key: str, expiry: int, now: float) -> tuple[int, float]:
        # As limits' own storages weigh it: the part of the previous window still in view.
        count = self.get(key)
        return count, ((1 - (((now - expiry) / expiry) % 1)) * expiry if count else 0.0)

    def _weighted(self, previous: int, expiry: int, now: float) -> float:
        """The previous window's count, weighted by how much of it is still in view."""
        return previous * (1 - (((now - expiry) / expiry) % 1)) if previous else 0.0
