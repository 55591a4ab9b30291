"""A Mailgun-compatible HTTP server on a free loopback port, for anymail's mailgun backend: the
provider of list mail in batches (one call, up to 1,000 readers, each their own message).

Point ANYMAIL["MAILGUN_API_URL"] at `server.api_url`. Like Mailgun, it sends each `to` a
message of their own with `%recipient.NAME%` replaced by that reader's recipient variables, in
the subject, the bodies and the `h:` headers, and with their `v:` variables as metadata.
`accepted` holds one dict per reader's message, as it would be delivered.

Like a real provider, it keeps a call's messages once it has read the request, whether or not
the client is still there for the answer. Faults: fail the next calls with a status, or add
latency.
"""

import argparse
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl

from .loopback import LoopbackProvider

_VARIABLE = re.compile(r"%recipient\.([^%]+)%")


@dataclass
class Faults:
    fail_statuses: list[int] = field(default_factory=list)  # one status per upcoming call
    latency: float = 0.0


class FakeMailgun(LoopbackProvider):
    def __init__(self) -> None:
        self.faults = Faults()
        super().__init__()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    def _decide(self) -> int:
        with self.lock:
            self.calls += 1
            return self.faults.fail_statuses.pop(0) if self.faults.fail_statuses else 200

    def keep(self, fields: list[tuple[str, str]]) -> str:
        """Each reader's message of one call, as Mailgun would send it; the call's id."""
        message_id = f"<{uuid.uuid4()}@fake.mailgun>"
        variables = json.loads(_first(fields, "recipient-variables") or "{}")
        with self.lock:
            call = self.calls
            for to in (value for name, value in fields if name == "to"):
                self.accepted.append(_personal(fields, to, variables.get(to, {}), call))
                self.accepted_at.append((to, time.time()))
        return message_id

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fields = _form(self.headers.get("Content-Type", ""), body)
                status = fake._decide()
                if fake.faults.latency:
                    time.sleep(fake.faults.latency)
                reply: dict = {"message": f"Simulated failure {status}"}
                if status == 200:  # kept before answering, whoever still waits for it
                    reply = {"id": fake.keep(fields), "message": "Queued. Thank you."}
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client went away: the messages stay kept
                    self.close_connection = True

            def do_GET(self) -> None:
                # What the bench reads from a fake provider running in its own process.
                with fake.lock:
                    data = json.dumps({"calls": fake.calls, "accepted": fake.accepted_at})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data.encode())))
                self.end_headers()
                self.wfile.write(data.encode())

        return Handler


def _form(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The posted fields, in order: urlencoded, or multipart as anymail sends with files."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return parse_qsl(body.decode(), keep_blank_values=True)
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    return [
        (str(part.get_param("name", header="content-disposition")), part.get_content())
        for part in message.iter_parts()
    ]


def _first(fields: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in fields if key == name), None)


def _personal(fields: list[tuple[str, str]], to: str, variables: dict, call: int) -> dict:
    def merged(text: str | None) -> str:
        return _VARIABLE.sub(lambda m: str(variables.get(m.group(1), "")), text or "")

    return {
        "To": to,
        "Subject": merged(_first(fields, "subject")),
        "TextBody": merged(_first(fields, "text")),
        "HtmlBody": merged(_first(fields, "html")),
        "Headers": {k[2:]: merged(v) for k, v in fields if k.startswith("h:")},
        "Metadata": {k[2:]: merged(v) for k, v in fields if k.startswith("v:")},
        "Tags": [v for k, v in fields if k == "o:tag"],
        "call": call,
    }


if __name__ == "__main__":
    # A provider for the bench, in its own process so that it takes no CPU from the sender
    # it measures: python -m tests.support.fake_mailgun --latency 0.1 (prints its API URL).
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    server = FakeMailgun()
    server.faults.latency = parser.parse_args().latency
    print(server.api_url, flush=True)
    server.serve()
