"""A forgotten console password, reset by an emailed one-time link, in Debian's Chromium: the
sign-in page's "Forgot your password?", the same answer whether or not the address has an
account, at most one email per account every few minutes, and a link that works once (the
mail goes through the outbox to a real SMTP server on 127.0.0.1)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.console import service
from app.errors import NotFoundError
from app.extensions import db
from app.mail.models import OutboundMail
from tests.console.conftest import CONSOLE_CONFIG, axe_violations, sign_in
from tests.mail.conftest import OFFICE, deliver, inbox, smtp  # noqa: F401
from tests.serving import served

EMAIL = "pat.librarian@federation.example"
OLD, NEW = "an old long passphrase 1", "a brand new passphrase 2"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/console/password/[A-Za-z0-9_-]+")


@pytest.fixture
def app_config(smtp):
    """Cheap password hashing, and mail to the test SMTP server."""
    return {**CONSOLE_CONFIG, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "OFFICE_EMAIL": OFFICE}


@pytest.fixture
def site(app):
    """The app served on 127.0.0.1 with one office account; its root URL."""
    with app.app_context():
        service.create_staff(EMAIL, "Pat Librarian", "office", None, password=OLD)
        db.session.remove()
    with served(app) as root:
        app.config["CONSOLE_BASE_URL"] = root
        yield root


@pytest.fixture
def page(chromium):
    """A phone-sized page: the form must work at phone width."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def ask_for_a_link(page, root: str, email: str) -> str:
    """From the sign-in page, ask for a link for `email`; the answer's words."""
    page.goto(f"{root}/console/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a link").click()
    return page.get_by_role("status").inner_text()


def test_a_forgotten_password_is_reset_with_an_emailed_one_time_link(
        site, page, app, inbox, axe_source):
    page.goto(f"{site}/console/forgot-password")
    assert axe_violations(page, axe_source) == []
    known = ask_for_a_link(page, site, EMAIL.upper())
    assert axe_violations(page, axe_source) == []
    unknown = ask_for_a_link(page, site, "nobody@federation.example")
    assert known == unknown  # nobody learns which addresses have accounts
    assert "If a staff account has this address, we have emailed it a link" in known
    assert inbox.messages == []  # the request answered before anything was sent
    deliver(app)
    [message] = inbox.to(EMAIL)
    assert len(inbox.messages) == 1
    body = message.get_body(("plain",)).get_content()
    link = LINK.search(body).group(0)
    assert "within 24 hours" in body

    # Asking again at once sends nothing more (rate limited per account).
    assert ask_for_a_link(page, site, EMAIL) == known
    deliver(app)
    assert len(inbox.messages) == 1

    page.goto(link)
    page.get_by_label("New password").fill(NEW)
    page.get_by_label("The same password again").fill(NEW)
    page.get_by_role("button", name="Save the password").click()
    assert "Your password is set." in page.get_by_role("status").inner_text()
    sign_in(page, site, EMAIL, NEW)

    page.goto(link)  # a one-time link
    assert "This link does not work" in page.locator("h1").inner_text()
    with app.app_context():
        [sent] = db.session.execute(select(OutboundMail)).scalars().all()
        assert sent.status == "sent" and "/console/password/" not in sent.body
        with pytest.raises(service.SignInRefused):
            service.sign_in(EMAIL, OLD)
        db.session.remove()


def test_a_link_expires_and_a_disabled_account_gets_none(site, app, inbox):
    """The link is good for RESET_LINK_HOURS; a disabled account is sent nothing."""
    with app.app_context():
        later = service.utcnow() + timedelta(minutes=service.RESET_REQUEST_MINUTES + 1)
        service.request_password_reset(EMAIL, lambda token: f"TOKEN[{token}]")
        body = db.session.execute(select(OutboundMail.body)).scalar()
        token = re.search(r"TOKEN\[(.+?)\]", body).group(1)
        assert service.reset_token_account(token).email == EMAIL
        with pytest.raises(NotFoundError, match="expired or was already used"):
            service.reset_token_account(
                token, now=service.utcnow() + timedelta(hours=service.RESET_LINK_HOURS))
        staff = service.find_staff_by_email(EMAIL)
        staff.active = False
        db.session.commit()
        service.request_password_reset(EMAIL, lambda token: token, now=later)
        assert len(db.session.execute(select(OutboundMail)).scalars().all()) == 1
        db.session.remove()
