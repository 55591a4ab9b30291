"""What every fake provider shares: an HTTP server on a free loopback port in a thread of the
test's process (or, for the bench, a process of its own), and the messages it accepted, one
dict per reader with its "To", in the order it kept them."""

import threading
from http.server import ThreadingHTTPServer

from .wait import wait_until


class LoopbackProvider:
    def __init__(self) -> None:
        self.accepted: list[dict] = []
        self.accepted_at: list[tuple[str, float]] = []  # (To, when), for the bench's figures
        self.calls = 0
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _handler(self) -> type:
        raise NotImplementedError

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self):  # the subclass's own type, for `Fake().start()`
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve(self) -> None:
        """In a process of its own (the bench): serve until killed."""
        self._server.serve_forever(poll_interval=0.05)

    def to(self, address: str) -> list[dict]:
        return [m for m in self.accepted if m["To"].lower() == address.lower()]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        """Every message accepted, once there are at least `count`."""
        wait_until(
            lambda: len(self.accepted) >= count,
            timeout,
            interval=0.05,
            what=f"{count} message(s) accepted by the fake provider",
        )
        return list(self.accepted)
