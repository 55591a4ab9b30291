"""The edition part of the bench: fixing a big list's recipients (the time, and the peak
memory of the process doing it against a list a tenth the size), the per-recipient send end
to end with one and then two general workers, confirmation latency while an edition sends,
and whether every reader got exactly one copy (from the fake provider's records)."""

import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import sending

Inside = Callable[..., dict]


@dataclass(frozen=True)
class Sizes:
    fix_small: int  # the list fixed first, for memory: a tenth of the big one
    fix_big: int
    readers: int  # the list the per-recipient send goes to
    steady: tuple[int, float]  # sign-ups a second, and seconds, beside the send
    workers: tuple[int, ...]  # general worker processes, one send each


FULL = Sizes(100_000, 1_000_000, 100_000, (100, 30.0), (1, 2))
# CI runs the smoke: one worker's send only, as each worker takes seconds to start.
SMOKE = Sizes(200, 2_000, 300, (10, 2.0), (1,))


def fixing(inside: Inside, env: dict[str, str], sizes: Sizes) -> dict[int, dict]:
    """Each list's recipients fixed in a process of its own, smaller list first: seconds,
    and that process's resident memory before the fixing and at its peak."""
    figures = {}
    for n in (sizes.fix_small, sizes.fix_big):
        seeded = inside(env, "edition_readers", str(n), f"fix-{n}")
        edition = inside(env, "edition_draft", str(seeded["newsletter"]))["edition"]
        figures[n] = inside(env, "edition_fix", str(edition))
    return figures


@dataclass(frozen=True)
class Readers:
    newsletter: int
    prefix: str
    count: int

    def addresses(self) -> set[str]:
        # As inside_sending.SUBSCRIBERS spells them.
        return {f"{self.prefix}{i}@example.com" for i in range(1, self.count + 1)}


def seed_readers(inside: Inside, env: dict[str, str], n: int) -> Readers:
    seeded = inside(env, "edition_readers", str(n), "edition-readers")
    return Readers(seeded["newsletter"], seeded["prefix"], n)


def per_recipient(
    inside: Inside, env: dict[str, str], workdir: Path, readers: Readers, workers: int
) -> dict:
    """A new edition to `readers`, started as an editor starts it, sent by `workers` general
    workers (as newsroom-worker@.service runs them) to the fake at 100 ms a call. Recipients
    a second from the first accepted to the last, the workers' CPU per recipient and peak
    resident memory, and whether every reader got exactly one copy."""
    edition = inside(env, "edition_draft", str(readers.newsletter))["edition"]
    queues, _, nice = sending.GENERAL_WORKER
    with sending.provider(0.1) as url, contextlib.ExitStack() as stack:
        sender_env = sending.with_provider(env, url)
        processes = [
            stack.enter_context(sending.worker(sender_env, workdir, queues, f"w{i}@%h", nice))
            for i in range(workers)
        ]
        cpu = sum(sending.cpu_seconds(p.pid) for p in processes)
        started = inside(sender_env, "edition_start", str(edition))["at"]
        mine = _until_settled(url, readers.prefix, readers.addresses())
        used = sum(sending.cpu_seconds(p.pid) for p in processes) - cpu
        peaks = [peak_rss_mb(p.pid) for p in processes]
        # A send that stopped short leaves rows queued: never sent by the next measure's workers.
        inside(env, "edition_stop", str(edition))
    times = sorted(at for _, at in mine)
    return {
        "workers": workers,
        "per_second": (len(times) - 1) / (times[-1] - times[0]),
        "start_to_last_s": times[-1] - started,
        "cpu_ms": used / len(times) * 1000,
        "peaks_mb": peaks,
    } | exactly_once(mine, readers.addresses())


def _until_settled(url: str, prefix: str, expected: set[str]) -> list[tuple[str, float]]:
    """The fake's records of this list, once every reader has one, or once none has come
    for 30 s (a send that stopped short: exactly_once then says who is missing). A big list
    is polled every 2 s: the fake's answer lists everything it accepted, and shares the
    cores; a smoke run's list is small and polled often, so the run stays short."""
    every = 2.0 if len(expected) > 10_000 else 0.2
    last, still_since = -1, time.monotonic()
    while True:
        time.sleep(every)
        mine = [(to, at) for to, at in sending.accepted(url) if to.startswith(prefix)]
        if len(mine) != last:
            last, still_since = len(mine), time.monotonic()
        if len(mine) >= len(expected) or time.monotonic() - still_since > 30:
            time.sleep(every)  # any duplicate shows up meanwhile
            return [(to, at) for to, at in sending.accepted(url) if to in expected]


def exactly_once(sent: list[tuple[str, float]], expected: set[str]) -> dict:
    """Whether each of `expected` was accepted exactly once; if not, how many were missed or
    sent twice, and a few of them."""
    copies = Counter(to for to, _ in sent)
    missing = sorted(expected - set(copies))
    twice = sorted(to for to, n in copies.items() if n > 1)
    return {
        "exactly_once": not missing and not twice,
        "missing": len(missing),
        "twice": len(twice),
        "examples": (missing + twice)[:5],
    }


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmHWM for {pid}")


def latency_during(
    inside: Inside,
    env: dict[str, str],
    workdir: Path,
    site: tuple[str, str],
    steady: tuple[int, float],
    readers: Readers,
) -> dict[str, float]:
    """Confirmation latency at a steady sign-up rate, with the recommended layout, while the
    general worker sends a new edition to `readers` (fixing its list first)."""
    edition = str(inside(env, "edition_draft", str(readers.newsletter))["edition"])
    send = sending.BigSend(
        queue=lambda e: None,  # the fixing is the general worker's, after the start
        start=lambda e: inside(e, "edition_start", edition),
        stop=lambda e: inside(e, "edition_stop", edition),
        prefix=readers.prefix,
    )
    return sending.latency_beside(inside, env, workdir, site, steady, send)


def part(
    inside: Inside, env: dict[str, str], workdir: Path, site: tuple[str, str], smoke: bool
) -> dict[str, float]:
    """Every measure above, printed; the figures the targets check."""
    sizes = SMOKE if smoke else FULL
    fixed = fixing(inside, env, sizes)
    small, big = fixed[sizes.fix_small], fixed[sizes.fix_big]
    for f in fixed.values():
        print(
            f"\nFixing {f['recipients']:,} recipients (one INSERT … SELECT per 20,000 inboxes): "
            f"{f['seconds']:.1f} s; the process's memory {f['rss_before_mb']:.0f} MB before, "
            f"{f['peak_mb']:.0f} MB at its peak"
        )
    readers = seed_readers(inside, env, sizes.readers)
    sends = [per_recipient(inside, env, workdir, readers, n) for n in sizes.workers]
    for s in sends:
        print(
            f"Per-recipient send of an edition to {readers.count:,} readers, {s['workers']} "
            f"general worker(s), provider at 100 ms: {s['per_second']:,.0f} recipients/s "
            f"(first to last accepted; {s['start_to_last_s']:.0f} s from the start), "
            f"{s['cpu_ms']:.1f} ms of worker CPU per recipient, peak RSS "
            + ", ".join(f"{mb:.0f} MB" for mb in s["peaks_mb"])
            + "; "
            + _once(s)
        )
    print(
        "Batch mode (Mailgun, LIST_BATCH_SIZE readers a call): built and tested, "
        "not yet measured here"
    )
    beside = latency_during(inside, env, workdir, site, sizes.steady, readers)
    print(
        f"Confirmation latency at {sizes.steady[0]} sign-ups/s for {sizes.steady[1]:g} s while "
        f"an edition to {readers.count:,} readers sends (confirmation worker + general "
        f"worker): p50 {beside['p50_ms']:.0f} ms, p99 {beside['p99_ms']:.0f} ms, max "
        f"{beside['max_ms']:.0f} ms; "
        f"{'exactly one email each' if beside['exactly_once'] else 'NOT exactly one each'} "
        f"({beside['sign_ups']:.0f} sign-ups); {beside['big_in_window']:,} edition emails sent "
        f"in those {beside['window_s']:.1f} s"
    )
    return {
        "edition_fix_s": big["seconds"],
        "edition_fix_growth_mb": big["peak_mb"] - small["peak_mb"],
        "edition_rate": sends[0]["per_second"],
        "edition_exactly_once": float(all(s["exactly_once"] for s in sends)),
        "edition_latency_p99_ms": beside["p99_ms"],
        "edition_latency_exactly_once": beside["exactly_once"],
    }


def _once(send: dict) -> str:
    if send["exactly_once"]:
        return "every reader got exactly one copy"
    return (
        f"NOT exactly one each: {send['missing']:,} missing, {send['twice']:,} sent twice "
        f"(e.g. {', '.join(send['examples'])})"
    )
