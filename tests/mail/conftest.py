"""The mail tests' SMTP server (one per test process) and the app configured to send to it."""

import pytest

from app.extensions import db
from app.mail.delivery import MailSettings, deliver_mail
from tests.notices.conftest import Between
from tests.smtp_server import SmtpServer

OFFICE = "office@federation.example"
FEDERATION = "Prairie Library Federation"
FEDERATION_ADDRESS = "100 Capitol Ave\nSpringfield, IL 62701"


@pytest.fixture(scope="session")
def smtp():
    """aiosmtpd on 127.0.0.1, started once for the test process and shared."""
    server = SmtpServer()
    yield server
    server.close()


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
