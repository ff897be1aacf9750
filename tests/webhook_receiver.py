"""A real HTTP receiver for webhook tests, and the receiver's side of checking a signature.

The receiver is a threaded ``http.server`` on 127.0.0.1, which a test's deployment allows with
``PORTAL_WEBHOOK_ALLOWED_NETWORKS`` (everything else private stays refused, as in production). The
signature is checked by the Standard Webhooks recipe written out by hand, not by the portal's own
signing code, so a mistake there cannot check itself.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """What the receiver got, and the statuses it answers with (the last one repeats)."""

    url: str
    answers: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    delay: float = 0.0

    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(request.body) for request in self.requests]


@contextlib.contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver listening on a free port of 127.0.0.1 until the block ends; a test's fixture wraps it."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            if state.delay:
                time.sleep(state.delay)
            status = state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
            answer = b'{"ok": false, "why": "the shop is down"}' if status >= 300 else b"thanks"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.send_header("Set-Cookie", "session=must-not-be-kept")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError):  # the portal stopped waiting (the timeout test)
                self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/portal?source=test"
    yield state
    server.shutdown()
    server.server_close()


def verify(secret: str, headers: dict[str, str], body: str, tolerance: int = 300) -> bool:
    """What a receiver does: the Standard Webhooks check, from its specification."""
    message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    ).decode()
    offered = [
        part.split(",", 1)[1] for part in headers["webhook-signature"].split() if part.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, signature) for signature in offered)
