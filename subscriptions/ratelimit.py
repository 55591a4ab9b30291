"""The per-client-IP sign-up limit, with the `limits` library's moving window.

On Redis, the checks of all configured limits (10/minute and 100/day by default) go to the
server in one pipeline: the same Lua script `limits` runs for each, in one round trip instead
of one per limit, because the round trip is most of what a sign-up request costs. Elsewhere
(memory, for tests and one-process setups) each limit is hit in turn through the library.
"""

import time
from functools import cache
from typing import Any

from limits import RateLimitItem, parse_many, storage, strategies
from redis.exceptions import NoScriptError

from .app_settings import app_settings

NAMESPACE = "signup-ip"


def within_limits(ip: str) -> bool:
    """Count one sign-up from `ip`; False when any limit is exceeded. Raises when the
    storage can't be reached (the caller decides to fail open)."""
    items = _items(app_settings.SIGNUP_IP_LIMITS)
    limiter = _limiter(app_settings.rate_limit_storage_url)
    if isinstance(limiter.storage, storage.RedisStorage):
        return all(_acquire_in_one_round_trip(limiter, items, ip))
    return all([limiter.hit(item, NAMESPACE, ip) for item in items])


def _acquire_in_one_round_trip(
    limiter: strategies.MovingWindowRateLimiter, items: list[RateLimitItem], ip: str
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


@cache
def _items(spec: str) -> list[RateLimitItem]:
    return parse_many(spec)


@cache
def _limiter(url: str) -> strategies.MovingWindowRateLimiter:
    options: dict[str, Any] = {}
    if url.startswith("redis"):
        # Short timeouts: a hung Redis must not hang the sign-up; the step then fails open.
        options = {
            "key_prefix": f"{app_settings.REDIS_KEY_PREFIX}limits",
            "socket_timeout": 0.5,
            "socket_connect_timeout": 0.5,
        }
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(url, **options))


def reset() -> None:
    """Clear the counters (tests, and an operator lifting a block)."""
    _limiter(app_settings.rate_limit_storage_url).storage.reset()
