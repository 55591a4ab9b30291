"""Per-client-IP limits (sign-ups, and failed admin logins), with the `limits` library.

The counters live in Redis in production, and in the database without Redis (counters.py),
so every process of a deployment shares them: a moving window on Redis, the sliding window
counter (two counters a window) in the database. On Redis, the checks of all configured
sign-up limits (10/minute and 100/day by default) go to the server in one pipeline: the same
Lua script `limits` runs for each, in one round trip instead of one per limit, because the
round trip is most of what a sign-up request costs. Elsewhere each limit is hit in turn
through the library.
"""

import math
import time
from functools import cache
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond, parse_many, storage, strategies
from redis.exceptions import NoScriptError

from ..app_settings import app_settings
from . import counters

NAMESPACE = "signup-ip"
# Failed admin sign-ins per IP (newsroom/login_limit.py, with settings.ADMIN_LOGIN_IP_LIMIT).
ADMIN_LOGIN_NAMESPACE = "admin-login-ip"
# The one key every request without a client address is counted under.
UNKNOWN_CLIENT = "unknown"


def within_limits(ip: str) -> bool:
    """Count one sign-up from `ip`; False when any limit is exceeded. Raises when the
    storage can't be reached (the caller decides to fail open)."""
    items = _items(app_settings.SIGNUP_IP_LIMITS)
    limiter = _limiter(app_settings.rate_limit_storage_url)
    if isinstance(limiter.storage, storage.RedisStorage):
        return all(_acquire_in_one_round_trip(limiter, items, ip))
    return all([limiter.hit(item, NAMESPACE, ip) for item in items])


def _acquire_in_one_round_trip(
    limiter: strategies.RateLimiter, items: list[RateLimitItem], ip: str
) -> list[bool]:
    # What MovingWindowRateLimiter.hit does for each item (RedisStorage.acquire_entry), queued
    # on one pipeline by the script's hash. (Calling the Script on a pipeline would first ask
    # the server whether the script exists: a second round trip on every request.)
    redis = limiter.storage
    assert isinstance(redis, storage.RedisStorage)
    script = redis.lua_acquire_moving_window
    pipe = redis.get_connection().pipeline(transaction=False)  # type: ignore[attr-defined]
    now = time.time()
    for item in items:
        key = redis.prefixed_key(item.key_for(NAMESPACE, ip))
        pipe.evalsha(script.sha, 1, key, now, item.amount, item.get_expiry(), 1)
    results = pipe.execute(raise_on_error=False)
    if any(isinstance(r, NoScriptError) for r in results):
        # The server lost its scripts (a restart): the library's own call loads them again.
        return [limiter.hit(item, NAMESPACE, ip) for item in items]
    for result in results:
        if isinstance(result, Exception):
            raise result
    return [bool(acquired) for acquired in results]


def retry_after(ip: str) -> int:
    """Whole seconds until `ip` may sign up again: when the last of its exhausted sign-up
    limits frees a place. Read only for a refused hit, so a sign-up never pays for it."""
    limiter = _limiter(app_settings.rate_limit_storage_url)
    now = time.time()
    waits = [
        stats.reset_time - now
        for stats in (
            limiter.get_window_stats(item, NAMESPACE, ip)
            for item in _items(app_settings.SIGNUP_IP_LIMITS)
        )
        if stats.remaining <= 0
    ]
    return max(1, math.ceil(max(waits, default=1)))


def hit(namespace: str, key: str, spec: str) -> None:
    """Count one event of `key` against each limit in `spec` (the limits library's notation)."""
    limiter = _limiter(app_settings.rate_limit_storage_url)
    for item in _items(spec):
        limiter.hit(item, namespace, key)


def take_up_to(namespace: str, key: str, per_second: int, wanted: int) -> int:
    """Take up to `wanted` of the `per_second` places of the current second, shared by every
    process that counts in the same storage; how many were taken (0: none free this second).
    At most two round trips: the whole of it, else what the window has left."""
    limiter = _limiter(app_settings.rate_limit_storage_url)
    item = RateLimitItemPerSecond(per_second)
    asked = min(wanted, per_second)
    if asked > 0 and limiter.hit(item, namespace, key, cost=asked):
        return asked
    left = min(asked, limiter.get_window_stats(item, namespace, key).remaining)
    return left if left > 0 and limiter.hit(item, namespace, key, cost=left) else 0


def exhausted(namespace: str, key: str, spec: str) -> bool:
    """Whether `key` has used up any limit in `spec`, without counting anything."""
    limiter = _limiter(app_settings.rate_limit_storage_url)
    return not all(limiter.test(item, namespace, key) for item in _items(spec))


@cache
def _items(spec: str) -> list[RateLimitItem]:
    # An empty spec is a limit switched off (the settings document "" so): nothing to count.
    return parse_many(spec) if spec.strip() else []


@cache
def _limiter(url: str) -> strategies.RateLimiter:
    options: dict[str, Any] = {}
    if url.startswith("redis"):
        # Short timeouts: a hung Redis must not hang the sign-up; the step then fails open.
        options = {
            "key_prefix": f"{app_settings.REDIS_KEY_PREFIX}limits",
            "socket_timeout": 0.5,
            "socket_connect_timeout": 0.5,
        }
    store = storage.storage_from_string(url, **options)
    if isinstance(store, counters.DatabaseStorage):
        # Two counters a window in the database, not a row per hit.
        return strategies.SlidingWindowCounterRateLimiter(store)
    return strategies.MovingWindowRateLimiter(store)


def clear(namespace: str, key: str, spec: str) -> None:
    """Forget what `key` used of each limit in `spec`: an operator lifting one IP's block."""
    limiter = _limiter(app_settings.rate_limit_storage_url)
    for item in _items(spec):
        limiter.clear(item, namespace, key)


def reset() -> None:
    """Clear every counter (tests; an operator lifts one address with `clear`)."""
    _limiter(app_settings.rate_limit_storage_url).storage.reset()
