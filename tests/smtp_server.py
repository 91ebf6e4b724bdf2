"""A real SMTP server in the tests' own process (aiosmtpd) on 127.0.0.1: it keeps every
message it receives, parsed, so tests read what a library's staff would read."""

import email
import email.policy
import socket
import subprocess
import tempfile
import threading
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


class Inbox:
    """The aiosmtpd handler: every message accepted, kept with its envelope."""

    def __init__(self):
        """An empty inbox."""
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.archive: list[EmailMessage] = []  # everything ever received, never cleared
        self.lock = threading.Lock()
        self.refuse_with: str | None = None  # an SMTP reply to give instead of accepting

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd names the hook
        """Keep the message (or refuse it, when told to)."""
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
            self.archive.append(message)
        return "250 OK"

    def clear(self) -> None:
        """Forget what was received (between tests sharing the server)."""
        with self.lock:
            self.messages.clear()
        self.refuse_with = None

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope named `address`."""
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]


class SmtpServer:
    """aiosmtpd listening on a free loopback port until closed."""

    def __init__(self):
        """Start it."""
        self.inbox = Inbox()
        # aiosmtpd checks its own start by connecting to the port it was given, so it needs
        # a real one: ask the system for a free port first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        """Stop it."""
        self.controller.stop()


def pdf_attachment(message: EmailMessage) -> tuple[str, bytes]:
    """The one PDF attached to a message: its file name and bytes."""
    found = [part for part in message.iter_attachments()
             if part.get_content_type() == "application/pdf"]
    assert len(found) == 1, [p.get_content_type() for p in message.iter_attachments()]
    return found[0].get_filename(), found[0].get_content()


def pdf_text(data: bytes) -> str:
    """The text of a PDF as `pdftotext` (Debian's poppler-utils) reads it, layout kept."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "letter.pdf"
        path.write_bytes(data)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                              capture_output=True, text=True, timeout=60).stdout
