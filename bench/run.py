"""Benchmarks, as production serves requests: `make bench`.

    make bench                                       # embedded defaults (SQLite, no Redis)
    DATABASE_URL=postgres://... REDIS_URL=redis://... make bench
    python bench/run.py --smoke                      # a few seconds: the harness still works

A scratch database, gunicorn (sync, 4 workers) with the production settings plus a minimal
Django sign-up view (bench/minimal), and wrk in a separate process sending every request with a
fresh address and client IP. No worker drains during the request measurements. Targets apply
to PostgreSQL + Redis and are checked here, never in the test suite.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import edition, load, sending, server, timing

# Targets, for PostgreSQL + Redis on the 2-core reference machine, load generator included.
RATIO_16 = 0.6  # sign-ups/s against the minimal view, same run, 16 connections
P99_16_MS = 50.0  # sign-up p99 at 16 connections
DRAIN_PER_S = 300.0  # recorded sign-ups fully processed per second, one worker process
P_UNKNOWN_SLOWER = (0.4, 0.6)  # P(an unknown address's answer is slower than a capped one's)
LATENCY_P99_MS = 1000.0  # sign-up answer to provider accepted, at 100 sign-ups/s
SEND_PER_S = 200.0  # emails one worker process sends, provider at 100 ms
SCRAPE_MS = 200.0  # GET /metrics at a million subscriptions
FIX_S = 60.0  # an edition's recipients fixed, 1,000,000 readers
FIX_GROWTH_MB = 20.0  # the fixing process's peak at 1,000,000 readers over its peak at 100,000
EDITION_PER_S = 400.0  # an edition's recipients a second, per recipient, one worker process


def inside(env: dict[str, str], *args: str) -> dict:
    """Run a bench.inside command in its own process (the app's settings and database)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.inside", *args],
        cwd=server.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def throughput(url: str, token: str, seconds: float, levels: list[int]) -> dict:
    figures: dict[str, load.Result] = {}
    for connections in levels:
        figures[f"minimal_{connections}"] = load.post_load(
            url, "/minimal/subscribe/", load.MINIMAL_BODY, connections=connections, seconds=seconds
        )
        figures[f"ours_{connections}"] = load.post_load(
            url, "/subscribe/", load.form_body(token), connections=connections, seconds=seconds
        )
    return figures


def report(figures: dict, levels: list[int], article: load.Result) -> list[str]:
    lines = ["| Endpoint | Requests/s | p50 | p99 | Errors |", "|---|---:|---:|---:|---:|"]
    lines.append(article.row("GET / (article page, 3 forms), 16 connections"))
    for c in levels:
        ours, minimal = figures[f"ours_{c}"], figures[f"minimal_{c}"]
        lines.append(minimal.row(f"Minimal view (validation + 1 INSERT), {c} connections"))
        lines.append(ours.row(f"**Our `/subscribe/`** (2 lists, abuse pipeline on), {c}"))
        lines.append(
            f"| Ratio ours / minimal, {c} connections | {ours.rps / minimal.rps:.2f}x | | | |"
        )
    return lines


@dataclass(frozen=True)
class Run:
    env: dict[str, str]
    url: str
    token: str
    workdir: Path
    smoke: bool
    seconds: float  # per load run
    levels: list[int]  # connections

    @property
    def on_postgres(self) -> bool:
        return self.env["DATABASE_URL"].startswith("postgres")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0, help="per load run")
    parser.add_argument("--smoke", action="store_true", help="a few seconds, no targets")
    parser.add_argument(
        "--part",
        choices=("all", "signup", "sending", "edition"),
        default="all",
        help="one part only, when working on it (its targets are checked alone)",
    )
    options = parser.parse_args()
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        port = server.free_port()
        env = server.environment(workdir, port) | {"METRICS_TOKEN": sending.METRICS_TOKEN}
        if env["DATABASE_URL"].startswith("postgres"):
            env["DATABASE_URL"] = stack.enter_context(server.scratch_postgres(env["DATABASE_URL"]))
        for command in (
            ["migrate", "--no-input"],
            ["load_demo", "--force"],
            ["collectstatic", "--no-input"],
        ):
            server.manage(env, *command)
        states = inside(env, "states")
        server.analyze(env)
        url = stack.enter_context(server.gunicorn(env, port))
        token = requests.get(url + "/subscribe/form-token", timeout=10).json()["token"]
        smoke = options.smoke
        run = Run(
            env,
            url,
            token,
            workdir,
            smoke,
            1.0 if smoke else options.seconds,
            [4] if smoke else [16, 64],
        )
        print(
            f"{'PostgreSQL' if run.on_postgres else 'SQLite'} + "
            f"{'Redis' if env.get('REDIS_URL') else 'filesystem'} broker; gunicorn sync "
            f"x{server.GUNICORN_WORKERS}; {os.cpu_count()} cores shared with the database, "
            "Redis and the load generator\n"
        )
        figures: dict[str, float] = {}
        if options.part in ("all", "signup"):
            figures |= signup_part(run, states)
        if options.part in ("all", "sending"):
            figures |= sending_part(run)
        if options.part in ("all", "edition"):
            site = (run.url, run.token)
            figures |= edition.part(inside, run.env, run.workdir, site, run.smoke)
        if smoke or not run.on_postgres:
            print("\n(targets apply to PostgreSQL + Redis, full runs)")
            return 0
        return check(figures)


def signup_part(run: Run, states: dict) -> dict[str, float]:
    article = load.post_load(
        run.url, "/", load.NO_BODY, connections=16, seconds=run.seconds, method="GET"
    )
    figures = throughput(run.url, run.token, run.seconds, run.levels)
    print("\n".join(report(figures, run.levels, article)))
    by_state = timing.by_state(run.url, run.token, states, rounds=10 if run.smoke else 150)
    print("\n" + "\n".join(timing.report(by_state)))
    counts = inside(run.env, "count")
    print(
        f"\nPer sign-up request: {len(counts['sql'])} SQL statement(s), "
        f"{len(counts['redis'])} Redis round trip(s)"
    )
    for line in [f"  SQL   {q}" for q in counts["sql"]] + [
        f"  Redis {c}" for c in counts["redis"]
    ]:
        print(line)
    drained = inside(run.env, "drain", "300" if run.smoke else "3000")
    drain = drained["sign_ups"] / drained["seconds"]
    print(
        f"\nWorker drain, one process: {drained['sign_ups']} recorded sign-ups in "
        f"{drained['seconds']:.2f} s = {drain:,.0f}/s ({drained['emails']} emails queued)"
    )
    first = f"{run.levels[0]}"
    return {
        "ratio": figures[f"ours_{first}"].rps / figures[f"minimal_{first}"].rps,
        "signup_p99_ms": figures[f"ours_{first}"].p99_ms,
        "drain": drain,
        "p_unknown_slower": by_state.p_unknown_slower,
    }


def sending_part(run: Run) -> dict[str, float]:
    rate = sending.worker_rate(inside, run.env, run.workdir, 200 if run.smoke else 3000)
    print(
        f"\nThe confirmation worker, provider at 100 ms: {rate['emails']} emails at "
        f"{rate['per_second']:,.0f}/s, {rate['cpu_ms']:.1f} ms of CPU per email"
    )
    per_second, seconds = (10, 2.0) if run.smoke else (100, 30.0)
    latency = sending.confirmation_latency(
        inside, run.env, run.workdir, (run.url, run.token), per_second, seconds
    )
    print(
        f"Confirmation latency at {per_second} sign-ups/s for {seconds:g} s (answer to "
        f"provider accepted, provider at 100 ms): p50 {latency['p50_ms']:.0f} ms, p99 "
        f"{latency['p99_ms']:.0f} ms, max {latency['max_ms']:.0f} ms; "
        f"{'exactly one email each' if latency['exactly_once'] else 'NOT exactly one email each'}"
        f" ({latency['sign_ups']:.0f} sign-ups); of that, answer to email queued: p50 "
        f"{latency['queued_p50_ms']:.0f} ms, p99 {latency['queued_p99_ms']:.0f} ms"
    )
    beside = backlog_part(run, per_second, seconds)
    seeded = inside(run.env, "million", "250" if run.smoke else "250000")["subscriptions"]
    scrape = sending.scrape_ms(run.url, 5 if run.smoke else 20)
    size = f"{seeded:,} subscriptions"
    print(
        f"GET /metrics at {size}: median {scrape['median_ms']:.0f} ms, "
        f"max {scrape['max_ms']:.0f} ms"
    )
    return {
        "send_rate": rate["per_second"],
        "latency_p99_ms": latency["p99_ms"],
        "exactly_once": latency["exactly_once"],
        "backlog_p99_ms": beside["p99_ms"],
        "backlog_exactly_once": beside["exactly_once"],
        "scrape_ms": scrape["median_ms"],
    }


def backlog_part(run: Run, per_second: int, seconds: float) -> dict[str, float]:
    """Confirmation latency with the recommended layout while another kind's big send runs."""
    backlog = 2_000 if run.smoke else 100_000
    beside = sending.latency_beside_backlog(
        inside, run.env, run.workdir, (run.url, run.token), (per_second, seconds), backlog
    )
    print(
        f"Confirmation latency at {per_second} sign-ups/s for {seconds:g} s beside a backlog "
        f"of {backlog:,} welcome emails (confirmation worker + general worker): p50 "
        f"{beside['p50_ms']:.0f} ms, p99 {beside['p99_ms']:.0f} ms, max {beside['max_ms']:.0f} "
        f"ms; {'exactly one email each' if beside['exactly_once'] else 'NOT exactly one each'}"
        f" ({beside['sign_ups']:.0f} sign-ups); {beside['big_in_window']:,} welcome "
        f"emails sent in those {beside['window_s']:.1f} s"
    )
    return beside


def check(figures: dict[str, float]) -> int:
    """Each target whose figures this run measured (a --part run measures some)."""
    low, high = P_UNKNOWN_SLOWER
    targets: dict[str, Callable[[dict[str, float]], bool]] = {
        f"sign-ups/s vs minimal at 16 >= {RATIO_16}x": lambda f: f["ratio"] >= RATIO_16,
        f"sign-up p99 at 16 < {P99_16_MS:g} ms": lambda f: f["signup_p99_ms"] < P99_16_MS,
        f"worker drain >= {DRAIN_PER_S:g}/s": lambda f: f["drain"] >= DRAIN_PER_S,
        f"P(unknown slower than capped) in {low}-{high}": lambda f: (
            low <= f["p_unknown_slower"] <= high
        ),
        f"confirmation p99 < {LATENCY_P99_MS:g} ms at 100/s, every one sent once": lambda f: (
            f["latency_p99_ms"] < LATENCY_P99_MS and bool(f["exactly_once"])
        ),
        f"confirmation p99 < {LATENCY_P99_MS:g} ms at 100/s beside 100,000 welcome emails, "
        "every one sent once": lambda f: (
            f["backlog_p99_ms"] < LATENCY_P99_MS and bool(f["backlog_exactly_once"])
        ),
        f"one worker process >= {SEND_PER_S:g} emails/s": lambda f: f["send_rate"] >= SEND_PER_S,
        f"/metrics at 1M subscriptions < {SCRAPE_MS:g} ms": lambda f: f["scrape_ms"] < SCRAPE_MS,
        f"edition fixed for 1M readers < {FIX_S:g} s, memory flat (< {FIX_GROWTH_MB:g} MB "
        "more than at 100,000)": lambda f: (
            f["edition_fix_s"] < FIX_S and f["edition_fix_growth_mb"] < FIX_GROWTH_MB
        ),
        f"edition per recipient, one worker process >= {EDITION_PER_S:g}/s, every reader "
        "once": lambda f: f["edition_rate"] >= EDITION_PER_S and bool(f["edition_exactly_once"]),
        f"confirmation p99 < {LATENCY_P99_MS:g} ms at 100/s while an edition sends, every one "
        "sent once": lambda f: (
            f["edition_latency_p99_ms"] < LATENCY_P99_MS
            and bool(f["edition_latency_exactly_once"])
        ),
    }
    results: dict[str, bool] = {}
    for name, target in targets.items():
        with contextlib.suppress(KeyError):
            results[name] = target(figures)
    print()
    for name, met in results.items():
        print(f"target {name}: {'met' if met else 'MISSED'}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
