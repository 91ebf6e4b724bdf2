"""Fixtures for push delivery: a real receiver on 127.0.0.1 that checks signatures with the
`federation` Verifier, endpoints registered through the real API, and the worker's settings."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from federation.webhooks import Verifier, WebhookVerificationError

PROBLEM = "application/problem+json"
# Fast retries for tests: no wait between tries, give up after three failures in a row.
FAST = {"WEBHOOK_ALLOW_LOOPBACK": True, "WEBHOOK_RETRY_SCHEDULE": [0, 0, 0],
        "WEBHOOK_GIVE_UP_AFTER": 0, "WEBHOOK_TIMEOUT": 5}


class Receiver:
    """A member's receiver: records each delivery in arrival order, verified or not.

    `answers[path]` is a list of status codes to answer with, in turn (then 200). `delay`
    holds each request a while, so overlapping deliveries of one event would be seen. With
    `tls` (an ssl server context) it serves https; `host` is the name its URLs use (the test
    then resolves that name to 127.0.0.1 with its own resolver).
    """

    def __init__(self, delay: float = 0.0, tls=None, host: str = "127.0.0.1"):
        self.delay = delay
        self.scheme = "https" if tls else "http"
        self.host = host
        self.secrets: dict[str, list[str]] = {}
        self.answers: dict[str, list[int]] = {}
        self.arrivals: list[dict] = []
        self.rejected: list[dict] = []
        self.cut_short: list[str] = []  # webhook-ids whose sender went away mid-body
        self.in_flight: dict[str, int] = {}
        self.overlaps: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender went away mid-request (a worker killed while sending): an
                    # HTTP server sees a broken request, not a delivery with a bad signature.
                    with receiver.lock:
                        receiver.cut_short.append(self.headers.get("webhook-id", ""))
                    self.close_connection = True
                    return
                receiver.handle(self, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        """The receiver's URL for `path` (e.g. /a)."""
        return f"{self.scheme}://{self.host}:{self.server.server_port}{path}"

    def handle(self, request, body: bytes) -> None:
        """Verify, record and answer one delivery."""
        path = request.path
        headers = dict(request.headers.items())
        message_id = headers.get("webhook-id", "")
        with self.lock:
            if self.in_flight.get(message_id):
                self.overlaps.append(message_id)
            self.in_flight[message_id] = self.in_flight.get(message_id, 0) + 1
        try:
            if self.delay:
                time.sleep(self.delay)
            payload, error = None, None
            for secret in self.secrets.get(path, []):
                try:
                    payload = Verifier(secret).verify(body, headers)
                    break
                except WebhookVerificationError as failure:
                    error = str(failure)
            record = {"path": path, "id": message_id, "payload": payload, "headers": headers,
                      "body": body}
            with self.lock:
                if payload is None:
                    self.rejected.append({**record, "error": error})
                    status = 401
                else:
                    queue = self.answers.get(path)
                    status = queue.pop(0) if queue else 200
                    if 200 <= status < 300:
                        self.arrivals.append(record)
            request.send_response(status)
            request.send_header("Content-Length", "0")
            request.end_headers()
        finally:
            with self.lock:
                self.in_flight[message_id] -= 1

    def ids(self, path: str) -> list[str]:
        """The webhook-ids accepted at `path`, in arrival order."""
        with self.lock:
            return [a["id"] for a in self.arrivals if a["path"] == path]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    """A receiver on 127.0.0.1 for the test's life."""
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def app_config():
    """Loopback endpoints allowed (the receiver is on 127.0.0.1) and fast retries."""
    return dict(FAST)


class Hooks:
    """Drives the webhook endpoints API as member libraries."""

    def __init__(self, federation, client, receiver):
        self.federation = federation
        self.client = client
        self.receiver = receiver

    def create(self, code: str, path: str = "/hook", **fields) -> dict:
        """Register the receiver's `path` for `code`'s events; the answer (with its secret)."""
        response = self.client.post("/api/v1/webhooks/endpoints",
                                    json={"url": self.receiver.url(path), **fields},
                                    headers=self.federation.headers(code))
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        self.receiver.secrets.setdefault(path, []).append(body["secret"])
        return body

    def call(self, method: str, code: str, path: str = "", headers=None, **kwargs):
        """Any request under /api/v1/webhooks/endpoints as `code`; the response."""
        return self.client.open(f"/api/v1/webhooks/endpoints{path}", method=method,
                                headers={**self.federation.headers(code), **(headers or {})},
                                **kwargs)

    def endpoint(self, code: str, endpoint_id: str) -> dict:
        """An endpoint as its library sees it."""
        response = self.call("GET", code, f"/{endpoint_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def deliveries(self, code: str, endpoint_id: str) -> list[dict]:
        """The whole attempts log, newest first."""
        found, cursor = [], None
        while True:
            query = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            response = self.call("GET", code, f"/{endpoint_id}/deliveries", query_string=query)
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            found.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return found

    def feed(self, code: str) -> list[dict]:
        """The library's whole event feed."""
        found, after = [], None
        while True:
            query = {"limit": 500, **({"after": after} if after else {})}
            response = self.client.get("/api/v1/events", query_string=query,
                                       headers=self.federation.headers(code))
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            found.extend(page["items"])
            if not page["items"]:
                return found
            after = page["next_cursor"]


@pytest.fixture
def hooks(federation, client, receiver) -> Hooks:
    """The webhooks API and the receiver."""
    return Hooks(federation, client, receiver)


@pytest.fixture
def work(app):
    """Run the delivery worker in this process until nothing is due (or `rounds` claims).

    `jitter` is the random fraction of each retry wait: 0 (the default) retries at once.
    `resolve` answers host names for the worker instead of the system's resolver.
    """
    from app.webhooks.delivery import Sender, Settings, deliver_one_endpoint

    def run(rounds: int = 1000, jitter: float = 0.0, resolve=None, **overrides) -> int:
        with app.app_context():
            settings = Settings.from_config(app.config)
            if overrides:
                settings = Settings(**{**settings.__dict__, **overrides})
            sender = Sender(settings, resolve) if resolve else Sender(settings)
            served = 0
            while served < rounds and deliver_one_endpoint(settings, sender,
                                                           rand=lambda: jitter):
                served += 1
            from app.extensions import db
            db.session.remove()
            return served

    return run


@pytest.fixture
def emit(app):
    """Write `count` events into a library's feed with the events service, committed."""
    from sqlalchemy import select

    from app.events.service import record
    from app.extensions import db
    from app.libraries.models import Library

    def write(code: str, count: int = 1, type_: str = "bill.issued") -> None:
        with app.app_context():
            library_id = db.session.execute(
                select(Library.id).where(Library.code == code)).scalar_one()
            for number in range(count):
                record([library_id], type_, {"bill_id": f"bil_test{number:016d}"})
                db.session.commit()
            db.session.remove()

    return write
