"""What the fault tests share (tests/test_faults.py, tests/test_edition_faults.py): the short
clocks their stacks run on, and how they count and wait for what the fake provider received."""

from collections import Counter

from .wait import wait_until

# Short clocks so a test sees several sweeps; the ratios match production's.
FAST = {
    "OUTBOX_SWEEP_INTERVAL": "2",
    "SEND_TIME_LIMIT": "5",
    "SEND_LEASE": "6",
    "ANYMAIL_REQUESTS_TIMEOUT": "2.5",  # a provider call is bounded well inside the lease
    "SEND_BACKOFF_BASE": "1",
    "SEND_BACKOFF_MAX": "2",
}
# settle() waits for the provider to go quiet; calls still coming after this long fail the test.
SETTLE_TIMEOUT = 120


def per_address(fake) -> Counter:
    return Counter(m["To"].lower() for m in fake.accepted)


def settle(fake, seconds: float = 4.0) -> None:
    """Give any duplicate time to show up: wait until no provider call came for `seconds`,
    longer than a sweep and a backoff."""
    seen = [-1]

    def quiet() -> bool:
        before, seen[0] = seen[0], fake.calls
        return before == seen[0]

    wait_until(quiet, SETTLE_TIMEOUT, interval=seconds, what=f"no provider call for {seconds}s")
