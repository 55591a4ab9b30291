"""A Postmark-compatible HTTP server on a free loopback port, for anymail's postmark backend.

Point ANYMAIL_POSTMARK_API_URL at `server.url`. It records every message it accepted, and can
inject faults: fail calls with a status, refuse recipients (406 inactive / 300 invalid), add
latency, or drop the connection without an answer.

Like a real provider, it keeps a message once it has read the request, whether or not the
client is still there for the answer: a sender killed or timed out mid-call never learns that
its message went out. `accepted` is what the provider would deliver. The injected failures
(a status, a dropped connection) are the provider failing before it keeps the message.
"""

import argparse
import json
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from .loopback import LoopbackProvider

INACTIVE = (
    "You tried to send to a recipient that has been marked as inactive.\n"
    "Found inactive addresses: {addr}.\n"
    "Inactive recipients are ones that have generated a hard bounce or a spam complaint. "
)


@dataclass
class Faults:
    fail_statuses: list[int] = field(default_factory=list)  # one status per upcoming call
    drop_calls: int = 0  # upcoming calls answered by closing the connection, not kept
    inactive: set[str] = field(default_factory=set)  # addresses answered with ErrorCode 406
    invalid: set[str] = field(default_factory=set)  # addresses answered with ErrorCode 300
    latency: float = 0.0
    latencies: list[float] = field(default_factory=list)  # one per upcoming call, then latency


class FakePostmark(LoopbackProvider):
    def __init__(self) -> None:
        self.in_flight = 0  # calls read and not yet answered: what a killed caller leaves
        self.faults = Faults()
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def reset(self) -> None:
        """Forget every call and fault: a provider shared by a module's tests starts each one
        empty (call it when nothing is in flight)."""
        with self.lock:
            self.accepted.clear()
            self.accepted_at.clear()
            self.calls = 0
            self.faults = Faults()

    def _delay(self) -> float:
        with self.lock:
            return self.faults.latencies.pop(0) if self.faults.latencies else self.faults.latency

    def _decide(self, payload: dict) -> tuple[str, int | None]:
        with self.lock:
            self.calls += 1
            self.in_flight += 1  # with the count, so a test that sees call N sees it in flight
            if self.faults.drop_calls:
                self.faults.drop_calls -= 1
                return "drop", None
            if self.faults.fail_statuses:
                return "fail", self.faults.fail_statuses.pop(0)
        to = payload.get("To", "").lower()
        if to in self.faults.inactive:
            return "inactive", 422
        if to in self.faults.invalid:
            return "invalid", 422
        return "ok", 200

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Keeps connections open, as providers' APIs do; no Nagle delay between the
            # headers and the body of an answer on a kept-open connection.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payload = json.loads(body or b"{}")
                outcome, status = fake._decide(payload)
                try:
                    self._answer(payload, outcome, status)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1

            def _answer(self, payload: dict, outcome: str, status: int | None) -> None:
                # The latency is the provider's work before it commits; the bench times
                # "accepted" from the commit, as a reader's email leaves then.
                if delay := fake._delay():
                    time.sleep(delay)
                if outcome == "drop":
                    self.close_connection = True
                    return
                if outcome == "ok":  # kept before answering, whoever still waits for it
                    with fake.lock:
                        fake.accepted.append(payload)
                        fake.accepted_at.append((payload.get("To", ""), time.time()))
                assert status is not None  # only a dropped call has none
                try:
                    self._send(status, fake._reply(outcome, status, payload))
                except OSError:  # the client went away: the message stays kept
                    self.close_connection = True

            def do_GET(self) -> None:
                # What the bench reads from a fake provider running in its own process.
                with fake.lock:
                    stats = {"calls": fake.calls, "accepted": fake.accepted_at}
                    self._send(200, stats)

            def _send(self, status: int, reply: dict) -> None:
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    @staticmethod
    def _reply(outcome: str, status: int, payload: dict) -> dict:
        to = payload.get("To", "")
        if outcome == "ok":
            return {
                "To": to,
                "SubmittedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "MessageID": str(uuid.uuid4()),
                "ErrorCode": 0,
                "Message": "OK",
            }
        if outcome == "inactive":
            return {"ErrorCode": 406, "Message": INACTIVE.format(addr=to.lower())}
        if outcome == "invalid":
            return {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{to}'."}
        return {"ErrorCode": 0, "Message": f"Simulated failure {status}"}


if __name__ == "__main__":
    # A provider for the bench, in its own process so that it takes no CPU from the sender
    # it measures: python -m tests.support.fake_postmark --latency 0.1 (prints its URL).
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    server = FakePostmark()
    server.faults.latency = parser.parse_args().latency
    print(server.url, flush=True)
    server.serve()
