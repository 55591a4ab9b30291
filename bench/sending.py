"""The sending part of the bench: a fake provider in its own process with a set latency, real
`celery worker` processes as deployed (thread pool), and the figures operators care about:
confirmation latency under a steady sign-up rate (alone, and beside a big send of another
kind), one process's send rate and CPU per send, and the /metrics scrape at a million
subscriptions."""

import contextlib
import http.client
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from bench.server import BIN, ROOT

METRICS_TOKEN = "bench-" + uuid.uuid4().hex
# The recommended layout's two workers, as deploy/systemd and deploy/supervisord.conf start
# them: (queues, hostname).
CONFIRMATION_WORKER = ("confirmation", "confirmations@%h", 0)
GENERAL_WORKER = ("welcome,data_export,edition,default,email", "worker@%h", 10)


@contextlib.contextmanager
def provider(latency: float) -> Iterator[str]:
    """A Postmark-compatible fake on loopback answering after `latency` seconds."""
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_postmark", "--latency", str(latency)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        yield fake.stdout.readline().strip()
    finally:
        fake.terminate()
        fake.wait(timeout=10)


def accepted(provider_url: str) -> list[tuple[str, float]]:
    return [(to, at) for to, at in requests.get(provider_url, timeout=10).json()["accepted"]]


def with_provider(env: dict[str, str], provider_url: str) -> dict[str, str]:
    return env | {
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "bench",
        "ANYMAIL_POSTMARK_API_URL": provider_url,
    }


@contextlib.contextmanager
def worker(
    env: dict[str, str], workdir: Path, queues: str, hostname: str = "celery@%h", nice: int = 0
) -> Iterator[subprocess.Popen]:
    """One `celery worker` process, as the systemd units run it (each its own node name, and
    the general worker niced)."""
    log = workdir / f"worker-{uuid.uuid4().hex[:6]}.log"
    args = [
        "nice",
        "-n",
        str(nice),
        str(BIN / "celery"),
        "-A",
        "newsroom",
        "worker",
        "-Q",
        queues,
        "--pool",
        "threads",
    ]
    args += ["--hostname", hostname]
    args += ["--concurrency", "4", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    with open(log, "wb") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _until(lambda: "ready." in log.read_text(errors="replace"), 60, "the worker to start")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _until(done: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(every)


def worker_rate(
    inside: Callable[..., dict], env: dict[str, str], workdir: Path, n: int
) -> dict[str, float]:
    """Emails per second, and CPU per email, of one worker process sending `n` queued
    confirmations to a provider that takes 100 ms per call: the confirmation worker, woken on
    its own queue."""
    with provider(0.1) as url:
        inside(env, "queue", str(n))
        sender_env = with_provider(env, url)
        with worker(sender_env, workdir, *CONFIRMATION_WORKER) as process:
            cpu, started = cpu_seconds(process.pid), time.monotonic()
            inside(sender_env, "wake", "confirmation")
            _until(lambda: len(accepted(url)) >= n, 120, f"{n} emails")
            elapsed, used = time.monotonic() - started, cpu_seconds(process.pid) - cpu
    return {"emails": n, "per_second": n / elapsed, "cpu_ms": used / n * 1000}


def confirmation_latency(
    inside: Callable[..., dict],
    env: dict[str, str],
    workdir: Path,
    site: tuple[str, str],
    rate: int,
    seconds: float,
) -> dict[str, float]:
    """Sign-ups at a steady `rate` for `seconds` through the web server, and for each the time
    from its answer to the provider accepting its confirmation (100 ms per call)."""
    url, token = site
    with provider(0.1) as provider_url:
        inside(env, "reset")
        with worker(with_provider(env, provider_url), workdir, "confirmation,default"):
            answered = _steady_sign_ups(url, token, rate, seconds)
            total = len(answered)
            _until(lambda: len(accepted(provider_url)) >= total, 60, "every confirmation")
            time.sleep(2)  # any duplicate shows up meanwhile
            sent = accepted(provider_url)
    prefix = "-".join(next(iter(answered)).split("-")[:2]) + "-"
    queued = inside(env, "queued_at", prefix)
    to_queue = sorted((queued[e] - at) * 1000 for e, at in answered.items() if e in queued)
    return _latencies(answered, sent) | {
        "queued_p50_ms": statistics.median(to_queue),
        "queued_p99_ms": _p99(to_queue),
    }


@dataclass(frozen=True)
class BigSend:
    """A big send of another kind beside the sign-ups: how to queue it (before the workers
    start), how to start it (they are up), how to stop what is left of it, and the prefix of
    its addresses."""

    queue: Callable[[dict[str, str]], object]
    start: Callable[[dict[str, str]], object]
    stop: Callable[[dict[str, str]], object]
    prefix: str


def latency_beside_backlog(
    inside: Callable[..., dict],
    env: dict[str, str],
    workdir: Path,
    site: tuple[str, str],
    steady: tuple[int, float],
    backlog: int,
) -> dict[str, float]:
    """The same sign-ups at a steady (rate, seconds), with the recommended layout, while the
    general worker sends a backlog of `backlog` welcome emails to the same provider."""
    welcomes = BigSend(
        queue=lambda e: inside(e, "backlog", str(backlog)),
        start=lambda e: inside(e, "wake", "welcome"),
        stop=lambda e: inside(e, "skip_backlog"),
        prefix="backlog-",
    )
    return latency_beside(inside, env, workdir, site, steady, welcomes) | {"backlog": backlog}


def latency_beside(
    inside: Callable[..., dict],
    env: dict[str, str],
    workdir: Path,
    site: tuple[str, str],
    steady: tuple[int, float],
    big: BigSend,
) -> dict[str, float]:
    """The same sign-ups at a steady (rate, seconds), with the recommended layout (the
    confirmation worker and the general worker), while the general worker sends `big` to the
    same provider: what a big send must not delay."""
    url, token = site
    with provider(0.1) as provider_url:
        inside(env, "reset")
        big.queue(env)
        sender_env = with_provider(env, provider_url)
        with (
            worker(sender_env, workdir, *CONFIRMATION_WORKER),
            worker(sender_env, workdir, *GENERAL_WORKER),
        ):
            big.start(sender_env)
            answered = _steady_sign_ups(url, token, *steady)
            # The fake's list holds the big send's too: polled less often, so that serving it
            # does not slow the fake down for the rest.
            _until(lambda: _got_all(provider_url, answered), 60, "every confirmation", 0.5)
            time.sleep(2)  # any duplicate shows up meanwhile
            sent = accepted(provider_url)
            big.stop(env)  # the general worker then stops at once
    mine = [(to, at) for to, at in sent if to in answered]
    window = (min(answered.values()), max(at for _, at in mine))
    others = sum(to.startswith(big.prefix) and window[0] <= at <= window[1] for to, at in sent)
    return _latencies(answered, mine) | {
        "big_in_window": others,
        "window_s": window[1] - window[0],
    }


def _got_all(provider_url: str, answered: dict[str, float]) -> bool:
    return set(answered) <= {to for to, _ in accepted(provider_url)}


def _latencies(answered: dict[str, float], sent: list[tuple[str, float]]) -> dict[str, float]:
    """From each sign-up's answer to the provider first accepting its email; and whether
    every address got exactly one."""
    per_address = Counter(to for to, _ in sent)
    first = {to: at for to, at in reversed(sent)}
    latencies = sorted((first[email] - at) * 1000 for email, at in answered.items())
    return {
        "sign_ups": len(answered),
        "p50_ms": statistics.median(latencies),
        "p99_ms": _p99(latencies),
        "max_ms": latencies[-1],
        "exactly_once": float(
            set(per_address) == set(answered) and max(per_address.values()) == 1
        ),
    }


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def _steady_sign_ups(url: str, token: str, rate: int, seconds: float) -> dict[str, float]:
    """POST sign-ups at a steady rate; when each was answered. http.client rather than
    requests: the load generator shares the cores, and requests costs several times the CPU."""
    run, count = uuid.uuid4().hex[:6], int(rate * seconds)
    answered: dict[str, float] = {}
    host, port = urlsplit(url).hostname or "", urlsplit(url).port
    started = time.monotonic() + 0.5

    def one(i: int) -> None:
        time.sleep(max(0.0, started + i / rate - time.monotonic()))
        email = f"latency-{run}-{i}@example.com"
        body = urlencode(
            {"email": email, "newsletter": "daily", "form_id": "daily", "page": "/"}
            | {"form_token": token}
        )
        headers = {"Origin": url, "Accept": "application/json"}
        headers |= {"Content-Type": "application/x-www-form-urlencoded"}
        headers["X-Forwarded-For"] = f"10.6.{i // 256 % 256}.{i % 256}"
        connection = http.client.HTTPConnection(host, port, timeout=30)
        connection.request("POST", "/subscribe/", body=body, headers=headers)
        answer = connection.getresponse()
        assert answer.status == 200, answer.read()
        answered[email] = time.time()
        connection.close()

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(one, range(count)))
    return answered


def scrape_ms(url: str, times: int) -> dict[str, float]:
    """Milliseconds to answer GET /metrics, from the database's running counts."""
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    took = []
    for _ in range(times):
        started = time.perf_counter()
        answer = requests.get(f"{url}/metrics", headers=headers, timeout=30)
        took.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.status_code
    took.sort()
    return {"median_ms": statistics.median(took), "max_ms": took[-1]}
