"""The SIP2 TCP server: one thread per connection, bounded, with idle time-outs and TLS.

Messages end in CR (LF and CR LF are accepted too). A message longer than SIP2_MAX_MESSAGE
without a terminator closes the connection (nothing legitimate is that long); bytes that are
not a message are answered 96 (resend), as SIP2 prescribes for what the ACS cannot read. No
card number is ever logged.
"""

import contextlib
import logging
import socketserver
import ssl
import threading

from flask import Flask

from app.sip2.session import Session

log = logging.getLogger(__name__)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2 or later) for the certificate chain and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def _split(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete messages in the buffer, and the incomplete rest."""
    messages = []
    start = 0
    for index, byte in enumerate(buffer):
        if byte in (13, 10):
            if index > start:
                messages.append(buffer[start:index])
            start = index + 1
    return messages, buffer[start:]


class _Handler(socketserver.BaseRequestHandler):
    """One connection: read messages, answer each through a Session."""

    server: "SipServer"

    def handle(self):
        connection = self.request
        settings = self.server.app.config
        connection.settimeout(float(settings["SIP2_IDLE_TIMEOUT"]))
        try:
            if self.server.tls is not None:
                connection = self.server.tls.wrap_socket(connection, server_side=True)
            self._converse(connection, int(settings["SIP2_MAX_MESSAGE"]))
        except TimeoutError:
            log.info("SIP2 connection idle too long; closed")
        except (ssl.SSLError, ConnectionError, OSError) as error:
            log.info("SIP2 connection ended: %s", type(error).__name__)
        finally:
            # The slot is free before the client can see the close, so a client that
            # reconnects at once is not refused for its own old connection.
            self.server.slots.release()
            with contextlib.suppress(OSError):
                connection.close()

    def _converse(self, connection, limit: int) -> None:
        session = Session(self.server.app)
        buffer = b""
        while not self.server.stopping.is_set():
            chunk = connection.recv(4096)
            if not chunk:
                return
            buffer += chunk
            messages, buffer = _split(buffer)
            if len(buffer) > limit or any(len(m) > limit for m in messages):
                log.info("SIP2 message over %d bytes; connection closed", limit)
                return
            for message in messages:
                try:
                    answer = session.handle(message.decode("latin-1"))
                except Exception:  # never let one message take the server down
                    log.exception("SIP2 message failed")
                    answer = b"96\r"
                if answer:
                    connection.sendall(answer)
                if session.closing:
                    return


class SipServer(socketserver.ThreadingTCPServer):
    """A threaded SIP2 server bound to one address, serving one app."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: Flask, host: str, port: int, tls: ssl.SSLContext | None = None):
        self.app = app
        self.tls = tls
        self.stopping = threading.Event()
        self.slots = threading.BoundedSemaphore(int(app.config["SIP2_MAX_CONNECTIONS"]))
        super().__init__((host, port), _Handler)

    def process_request(self, request, client_address):
        """Refuse a connection beyond SIP2_MAX_CONNECTIONS by closing it at once."""
        if not self.slots.acquire(blocking=False):
            log.warning("SIP2 connection refused: %d connections already open",
                        int(self.app.config["SIP2_MAX_CONNECTIONS"]))
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:  # no thread could start: give the slot back (the handler would)
            self.slots.release()
            raise

    def stop(self) -> None:
        """Stop accepting; open connections end at their next message or time-out."""
        self.stopping.set()
        self.shutdown()
        self.server_close()
