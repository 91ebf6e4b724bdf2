"""A SIP2 client for tests: pysip2's codec (an independent implementation of the wire format,
from PyPI) encodes the requests and strictly decodes every answer; the socket work is ours.
"""

import socket
import ssl
import threading
from contextlib import contextmanager
from datetime import datetime

import pysip2
from pysip2 import codec

ENCODING = "latin-1"


def sip_now() -> str:
    """An 18-character SIP2 date for requests."""
    return datetime.now().strftime("%Y%m%d    %H%M%S")


class SipClient:
    """One connection to a SIP2 server; `error_detection` adds AY/AZ like most self-checks."""

    def __init__(self, port: int, *, tls: ssl.SSLContext | None = None,
                 error_detection: bool = True, timeout: float = 30):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = tls.wrap_socket(raw, server_hostname="localhost") if tls else raw
        self.error_detection = error_detection
        self.sequence = 0
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_raw(self) -> bytes:
        """The next answer up to its CR; b'' when the server closed the connection."""
        while b"\r" not in self.buffer:
            try:
                chunk = self.sock.recv(4096)
            except ConnectionResetError:
                return b""
            if not chunk:
                return b""
            self.buffer += chunk
        answer, _, self.buffer = self.buffer.partition(b"\r")
        return answer + b"\r"

    def ask(self, message) -> object:
        """Send a pysip2 request, return the decoded answer (checksum verified if used)."""
        kwargs = {}
        if self.error_detection:
            kwargs = {"sequence_number": self.sequence, "checksum": True}
            self.sequence = (self.sequence + 1) % 10
        self.send_raw(codec.encode_message(message, encoding=ENCODING, **kwargs))
        frame = self.read_raw()
        assert frame, "the server closed the connection"
        decoded = codec.decode_message(frame, encoding=ENCODING)
        if self.error_detection:
            assert decoded.sequence_number == kwargs["sequence_number"], frame
            assert codec.verify_checksum(frame.rstrip(b"\r")), frame
        else:
            assert decoded.sequence_number is None and b"AZ" not in frame, frame
        return decoded.message

    def login(self, user: str, password: str):
        return self.ask(pysip2.LoginRequest(uid_algorithm="0", pwd_algorithm="0",
                                            login_user_id=user, login_password=password,
                                            location_code="Circ Desk"))

    def status(self):
        return self.ask(pysip2.SCStatusRequest(status_code="0", max_print_width="040",
                                               protocol_version="2.00"))

    def patron_status(self, card: str, institution: str = "LEND"):
        return self.ask(pysip2.PatronStatusRequest(
            language="001", transaction_date=sip_now(), institution_id=institution,
            patron_identifier=card, terminal_password="", patron_password=""))

    def patron_information(self, card: str, institution: str = "LEND"):
        return self.ask(pysip2.PatronInformationRequest(
            language="001", transaction_date=sip_now(), summary=" " * 10,
            institution_id=institution, patron_identifier=card))


@contextmanager
def sip_server(app, tls: ssl.SSLContext | None = None):
    """The app's SIP2 server on a free loopback port while inside; yields the port."""
    from app.sip2.server import SipServer

    server = SipServer(app, "127.0.0.1", 0, tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.stop()
        thread.join(timeout=10)
