"""The answer's time by the address's state. If a stranger could tell from it whether an
address is unknown, pending, confirmed or over the daily cap, the answer would leak what its
content hides. One request at a time, the states interleaved in a random order each round, so
drift in the machine's speed falls on every state alike."""

import random
import statistics
import time
import uuid
from dataclasses import dataclass

import requests

STATES = ["unknown", "pending", "confirmed", "capped"]


@dataclass(frozen=True)
class ByState:
    milliseconds: dict[str, list[float]]

    @property
    def p_unknown_slower(self) -> float:
        """The chance that a random unknown-address answer is slower than a random capped one
        (the Mann-Whitney U statistic over all pairs; ties count half): 0.5 when the two
        distributions are alike."""
        unknown, capped = self.milliseconds["unknown"], self.milliseconds["capped"]
        wins = sum((u > c) + 0.5 * (u == c) for u in unknown for c in capped)
        return wins / (len(unknown) * len(capped))


def by_state(url: str, token: str, states: dict[str, list[str]], rounds: int) -> ByState:
    session = requests.Session()
    times: dict[str, list[float]] = {state: [] for state in STATES}
    run = uuid.uuid4().hex[:6]
    for i in range(rounds):
        for state in random.sample(STATES, len(STATES)):
            if state == "unknown":
                email = f"unknown-{run}-{i}@example.com"
            else:
                email = states[state][i % len(states[state])]
            times[state].append(
                _answer_ms(session, url, token, email, f"10.7.{i // 256}.{i % 256}")
            )
    return ByState(times)


def _answer_ms(session: requests.Session, url: str, token: str, email: str, ip: str) -> float:
    data = {"email": email, "newsletter": ["daily", "weekly-review"], "form_token": token}
    data |= {"form_id": "footer", "page": "/"}
    headers = {"Origin": url, "Accept": "application/json", "X-Forwarded-For": ip}
    started = time.perf_counter()
    answer = session.post(url + "/subscribe/", data=data, headers=headers, timeout=10)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, answer.text
    return elapsed


def report(result: ByState) -> list[str]:
    lines = ["| Address state | Answers | Median | p90 |", "|---|---:|---:|---:|"]
    for state in STATES:
        ms = result.milliseconds[state]
        p90 = statistics.quantiles(ms, n=10)[8] if len(ms) > 1 else ms[0]
        lines.append(f"| {state} | {len(ms)} | {statistics.median(ms):.1f} ms | {p90:.1f} ms |")
    lines.append(
        f"\nP(unknown slower than capped) = {result.p_unknown_slower:.2f} (target 0.4-0.6)"
    )
    return lines
