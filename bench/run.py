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
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load, server, timing

# Targets, for PostgreSQL + Redis on the 2-core reference machine, load generator included.
RATIO_16 = 0.6  # sign-ups/s against the minimal view, same run, 16 connections
P99_16_MS = 50.0  # sign-up p99 at 16 connections
DRAIN_PER_S = 300.0  # recorded sign-ups fully processed per second, one worker process
P_UNKNOWN_SLOWER = (0.4, 0.6)  # P(an unknown address's answer is slower than a capped one's)


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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0, help="per load run")
    parser.add_argument("--smoke", action="store_true", help="a few seconds, no targets")
    options = parser.parse_args()
    seconds = 1.0 if options.smoke else options.seconds
    levels = [4] if options.smoke else [16, 64]
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        port = server.free_port()
        env = server.environment(workdir, port)
        if env["DATABASE_URL"].startswith("postgres"):
            env["DATABASE_URL"] = stack.enter_context(server.scratch_postgres(env["DATABASE_URL"]))
        for command in (["migrate", "--no-input"], ["load_demo"], ["collectstatic", "--no-input"]):
            server.manage(env, *command)
        states = inside(env, "states")
        server.analyze(env)
        url = stack.enter_context(server.gunicorn(env, port))
        return measure(env, url, states, seconds, levels, options.smoke)


def measure(
    env: dict[str, str], url: str, states: dict, seconds: float, levels: list[int], smoke: bool
) -> int:
    backend = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    broker = "Redis" if env.get("REDIS_URL") else "filesystem"
    print(f"{backend} + {broker} broker; gunicorn sync x{server.GUNICORN_WORKERS}; wrk 2 threads")
    print(f"{os.cpu_count()} cores, shared by the server, the database, Redis and wrk\n")
    token = requests.get(url + "/subscribe/form-token", timeout=10).json()["token"]
    article = load.post_load(url, "/", load.NO_BODY, connections=16, seconds=seconds, method="GET")
    figures = throughput(url, token, seconds, levels)
    print("\n".join(report(figures, levels, article)))
    by_state = timing.by_state(url, token, states, rounds=10 if smoke else 150)
    print("\n" + "\n".join(timing.report(by_state)))
    counts = inside(env, "count")
    print(
        f"\nPer sign-up request: {len(counts['sql'])} SQL statement(s), "
        f"{len(counts['redis'])} Redis round trip(s)"
    )
    for sql in counts["sql"]:
        print(f"  SQL   {sql}")
    for command in counts["redis"]:
        print(f"  Redis {command}")
    drained = inside(env, "drain", "300" if smoke else "3000")
    rate = drained["sign_ups"] / drained["seconds"]
    print(
        f"\nWorker drain, one process: {drained['sign_ups']} recorded sign-ups in "
        f"{drained['seconds']:.2f} s = {rate:,.0f}/s ({drained['emails']} emails queued)"
    )
    if smoke or backend != "PostgreSQL":
        print("\n(targets apply to PostgreSQL + Redis, full runs)")
        return 0
    return check(figures, by_state, rate)


def check(figures: dict, by_state: timing.ByState, rate: float) -> int:
    low, high = P_UNKNOWN_SLOWER
    ratio = figures["ours_16"].rps / figures["minimal_16"].rps
    results = {
        f"sign-ups/s vs minimal at 16 >= {RATIO_16}x": ratio >= RATIO_16,
        f"sign-up p99 at 16 < {P99_16_MS:g} ms": figures["ours_16"].p99_ms < P99_16_MS,
        f"worker drain >= {DRAIN_PER_S:g}/s": rate >= DRAIN_PER_S,
        f"P(unknown slower than capped) in {low}-{high}": low <= by_state.p_unknown_slower <= high,
    }
    print()
    for name, met in results.items():
        print(f"target {name}: {'met' if met else 'MISSED'}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
