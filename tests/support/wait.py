"""The one way tests wait for something another process or thread does: poll until it is true."""

import inspect
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T | None], timeout: float, interval: float = 0.1, *, what: str = ""
) -> T:
    """Call `predicate` until it returns something truthy, and return that value.

    Fails with an AssertionError naming `what` (or, without it, the predicate's source) once
    `timeout` seconds have passed. The predicate is always called at least once.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:g}s waiting for {what or _describe(predicate)}"
            )
        time.sleep(interval)


def _describe(predicate: Callable) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
