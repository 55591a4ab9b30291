"""The lists public forms offer, read from the database at most once per LISTS_CACHE_SECONDS
in each process: every sign-up and every article page needs them, and they change rarely.

Saving or deleting a list clears this process's copy at once (apps.py connects the signals);
other processes see the change within LISTS_CACHE_SECONDS.
"""

import threading
import time

from ..app_settings import app_settings
from ..models import Newsletter

_lock = threading.Lock()
_cached: tuple[float, tuple[Newsletter, ...]] | None = None


def offered_lists() -> tuple[Newsletter, ...]:
    """The active, public lists in their display order (shared: treat them as read-only)."""
    global _cached
    now = time.monotonic()
    with _lock:
        if _cached is not None and now - _cached[0] < app_settings.LISTS_CACHE_SECONDS:
            return _cached[1]
    lists = tuple(Newsletter.objects.offered())
    with _lock:
        _cached = (now, lists)
    return lists


def forget(**kwargs: object) -> None:
    """Drop this process's copy (a list was saved or deleted; tests start afresh)."""
    global _cached
    with _lock:
        _cached = None
