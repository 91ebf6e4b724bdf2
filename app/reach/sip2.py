"""A SIP2 client: log in (93/94) and ask for a patron's status (23/24).

Messages end with a carriage return and carry a sequence number and checksum (error
detection, `AY<n>AZ<xxxx>`); a response with a checksum that does not add up is refused. The
patron status is 14 Y/space flags; "charge privileges denied" or "card reported lost" means the
home system will not let the patron borrow. `BL` says whether the patron exists at all. SIP2's
Patron Status carries no expiry date: an expired account shows as charge privileges denied.
"""

import socket
import time
from datetime import UTC, datetime

from app.reach.answers import HomeAnswer, HomeSystemError, surname_matches

MAX_MESSAGE = 16 * 1024
# The patron status flags (SIP2 2.00, Patron Status Response), in order.
STATUS_FLAGS = ("charge_privileges_denied", "renewal_privileges_denied",
                "recall_privileges_denied", "hold_privileges_denied", "card_reported_lost",
                "too_many_items_charged", "too_many_items_overdue", "too_many_renewals",
                "too_many_claims_of_items_returned", "too_many_items_lost",
                "excessive_outstanding_fines", "excessive_outstanding_fees",
                "recall_overdue", "too_many_items_billed")
DENYING_FLAGS = ("charge_privileges_denied", "card_reported_lost")


def checksum(message: str) -> str:
    """The SIP2 checksum of everything up to and including `AZ`: four hex digits."""
    return "%04X" % (-sum(message.encode("latin-1", "replace")) & 0xFFFF)


def frame(body: str, sequence: int) -> bytes:
    """A message with its sequence number, checksum and terminating carriage return."""
    message = f"{body}AY{sequence % 10}AZ"
    return (message + checksum(message) + "\r").encode("latin-1", "replace")


def _field(value: str) -> str:
    """A variable field's value: no field separator or carriage return may pass."""
    return value.replace("|", "").replace("\r", "").replace("\n", "")


def login_message(user: str, password: str, location: str | None, sequence: int) -> bytes:
    """93: log in to the ACS with the federation's SIP2 account."""
    body = f"9300CN{_field(user)}|CO{_field(password)}|"
    if location:
        body += f"CP{_field(location)}|"
    return frame(body, sequence)


def patron_status_message(institution: str, card: str, terminal_password: str | None,
                          when: datetime, sequence: int) -> bytes:
    """23: the status of the patron with this card."""
    stamp = when.astimezone(UTC).strftime("%Y%m%d    %H%M%S")
    body = (f"23001{stamp}AO{_field(institution)}|AA{_field(card)}|"
            f"AC{_field(terminal_password or '')}|AD|")
    return frame(body, sequence)


def parse_fields(text: str) -> dict[str, str]:
    """The variable fields of a message (two-letter id, value up to `|`)."""
    values: dict[str, str] = {}
    for part in text.split("|"):
        if len(part) >= 2:
            values.setdefault(part[:2], part[2:])
    return values


def check(message: str) -> str:
    """The message without its error-detection tail; refuse a checksum that does not add up."""
    at = message.rfind("AZ")
    if at != -1 and len(message) - at == 6 and message[at - 3:at - 1] == "AY":
        if checksum(message[:at + 2]) != message[at + 2:].upper():
            raise HomeSystemError("The SIP2 server's answer has a wrong checksum.")
        return message[:at - 3]
    return message


def parse_patron_status(message: str, surname: str | None) -> HomeAnswer:
    """Read a 24 Patron Status Response."""
    message = check(message)
    if not message.startswith("24") or len(message) < 2 + 14 + 3 + 18:
        raise HomeSystemError("The SIP2 server did not answer with a Patron Status Response.")
    flags = message[2:16]
    if any(c not in "Y N" for c in flags):
        raise HomeSystemError("The SIP2 Patron Status Response has malformed status flags.")
    values = parse_fields(message[2 + 14 + 3 + 18:])
    if values.get("BL", "Y").upper() == "N":
        return HomeAnswer(found=False, said=("invalid_patron",))
    said = tuple(name for name, c in zip(STATUS_FLAGS, flags) if c == "Y")
    blocked = any(name in DENYING_FLAGS for name in said)
    name = values.get("AE")
    identity = "not_checked"
    if surname and name:
        identity = "matched" if surname_matches(surname, name) else "mismatched"
    return HomeAnswer(found=True, standing="blocked" if blocked else "good", expires_on=None,
                      identity=identity, said=said)


class _Connection:
    """One TCP conversation, every read and write bounded by the call's deadline."""

    def __init__(self, host: str, port: int, deadline: float, connect=None):
        """Connect with `connect(host, port, timeout)` (app/outbound.py's pinned connect when
        called by clients.Outbound), else straight to the host."""
        self.deadline = deadline
        connect = connect or (lambda h, p, timeout: socket.create_connection((h, p),
                                                                            timeout=timeout))
        try:
            self.sock = connect(host, port, self._left())
        except TimeoutError:
            raise HomeSystemError("The SIP2 server did not accept a connection in time.") \
                from None
        except OSError as error:
            raise HomeSystemError(f"The SIP2 server could not be reached "
                                  f"({type(error).__name__}).") from None
        self.buffer = b""

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise HomeSystemError("The SIP2 server did not answer in time.")
        return left

    def ask(self, message: bytes) -> str:
        """Send one message and read one answer (up to its carriage return)."""
        try:
            self.sock.settimeout(self._left())
            self.sock.sendall(message)
            while b"\r" not in self.buffer:
                self.sock.settimeout(self._left())
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise HomeSystemError("The SIP2 server closed the connection.")
                self.buffer += chunk
                if len(self.buffer) > MAX_MESSAGE:
                    raise HomeSystemError("The SIP2 server's answer is too long.")
        except TimeoutError:
            raise HomeSystemError("The SIP2 server did not answer in time.") from None
        except OSError as error:
            raise HomeSystemError(f"The SIP2 conversation failed "
                                  f"({type(error).__name__}).") from None
        line, _, self.buffer = self.buffer.partition(b"\r")
        return line.decode("latin-1").lstrip("\n")

    def close(self) -> None:
        """End the conversation."""
        self.sock.close()


def parse_address(address: str) -> tuple[str, int]:
    """`host:port` of a SIP2 server."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("A SIP2 address is host:port, e.g. sip.example.org:6001.")
    return host.strip("[]"), int(port)


def patron_status(address: str, credentials: dict, card: str, surname: str | None,
                  timeout: float, now: datetime | None = None, connect=None) -> HomeAnswer:
    """Log in (when the account has a user id) and ask for the patron's status.

    `connect(host, port, timeout)` opens the TCP connection (the pinned one of app/outbound.py
    from clients.Outbound); a refused address (UrlRefused) passes through to the caller.
    """
    host, port = parse_address(address)
    connection = _Connection(host, port, time.monotonic() + timeout, connect)
    try:
        sequence = 0
        if credentials.get("login_user"):
            answer = check(connection.ask(login_message(
                credentials["login_user"], credentials.get("login_password") or "",
                credentials.get("location_code"), sequence)))
            if not answer.startswith("94"):
                raise HomeSystemError("The SIP2 server did not answer the login.")
            if answer[2:3] != "1":
                raise HomeSystemError("The SIP2 server refused the federation's login.")
            sequence += 1
        answer = connection.ask(patron_status_message(
            credentials.get("institution_id") or "", card,
            credentials.get("terminal_password"), now or datetime.now(UTC), sequence))
        return parse_patron_status(answer, surname)
    finally:
        connection.close()
