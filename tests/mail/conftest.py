"""The mail tests' SMTP server (one per test process) and the app configured to send to it."""

import pytest

from app.extensions import db
from app.mail.delivery import MailSettings, deliver_mail
from tests.notices.conftest import Between
from tests.smtp_server import SmtpServer, pdf_text

OFFICE = "office@federation.example"
FEDERATION = "Prairie Library Federation"
FEDERATION_ADDRESS = "100 Capitol Ave\nSpringfield, IL 62701"


@pytest.fixture(scope="session")
def smtp():
    """aiosmtpd on 127.0.0.1, started once for the test process and shared. At the end,
    every message it received in the whole run is searched for the test patrons' card numbers
    and surnames (R16: never in an email or a letter)."""
    server = SmtpServer()
    yield server
    server.close()
    from tests.blocks.conftest import CARD as BLOCKS_CARD
    from tests.blocks.conftest import OTHER_CARD
    from tests.notices.conftest import CARD as NOTICES_CARD
    from tests.notices.conftest import SURNAME

    secrets = [SURNAME, *(card.replace(" ", "") for card in (BLOCKS_CARD, OTHER_CARD,
                                                             NOTICES_CARD))]
    for message in server.inbox.archive:
        text = message_text(message)
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, (leaked, message["Subject"])


@pytest.fixture
def inbox(smtp):
    """The server's inbox, empty at the start of each test."""
    smtp.inbox.clear()
    yield smtp.inbox
    smtp.inbox.clear()


@pytest.fixture
def app_config(smtp):
    """Mail goes to the test SMTP server; the office and the letterhead are set."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "OFFICE_EMAIL": OFFICE,
            "MAIL_FROM": "reciprocity@federation.example", "FEDERATION_NAME": FEDERATION,
            "FEDERATION_ADDRESS": FEDERATION_ADDRESS}


def deliver(app) -> int:
    """Run the mail worker's sending until nothing is due; how many messages it attempted."""
    total = 0
    with app.app_context():
        settings = MailSettings.from_config(app.config)
        while (done := deliver_mail(settings)):
            total += done
        db.session.remove()
    return total


@pytest.fixture
def between(federation, inbox) -> Between:
    """HOME, LEND and THIRD admitted (HOME's patron registered), with an empty inbox."""
    return Between(federation)


def message_text(message) -> str:
    """Everything a reader of a message sees: its headers, its text and its PDFs' text."""
    parts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            parts.append(part.get_content())
        elif part.get_content_type() == "application/pdf":
            parts.append(pdf_text(part.get_content()))
    return "\n".join(parts)
