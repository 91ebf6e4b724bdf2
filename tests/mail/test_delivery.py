"""The mail outbox: a failed, refusing or missing mail server loses nothing and blocks no
request; mail waits, is retried on the schedule, and goes out once the server is back."""

import socket
from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.mail.delivery import MailSettings, deliver_mail
from app.mail.models import OutboundMail
from app.timestamps import utcnow
from tests.mail.conftest import deliver


def outbox(app) -> list[tuple[str, int, str | None]]:
    """(status, attempts, last_error) of every outbox row, oldest first."""
    with app.app_context():
        rows = db.session.execute(select(OutboundMail).order_by(OutboundMail.number)).scalars()
        found = [(m.status, m.attempts, m.last_error) for m in rows]
        db.session.remove()
    return found


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_due(app) -> None:
    """Move every waiting message's next attempt to now (instead of waiting the schedule)."""
    with app.app_context():
        db.session.execute(update(OutboundMail).values(next_attempt_at=utcnow()))
        db.session.commit()
        db.session.remove()


def test_a_server_that_is_down_delays_the_mail_and_loses_none_of_it(between, inbox, app,
                                                                     smtp):
    """Connection refused: the request already answered; the mail waits with the error and a
    later attempt time, then goes out when the server answers again."""
    between.suspended()
    app.config["MAIL_PORT"] = closed_port()
    assert deliver(app) == 2  # one attempt each; then not due until the schedule says
    for status, attempts, error in outbox(app):
        assert (status, attempts) == ("queued", 1) and "ConnectionRefusedError" in error
    assert deliver(app) == 0  # waiting out the back-off
    with app.app_context():
        waiting = db.session.execute(select(OutboundMail)).scalars().first()
        assert waiting.next_attempt_at > utcnow() + timedelta(seconds=20)
        db.session.remove()
    assert inbox.messages == []

    app.config["MAIL_PORT"] = smtp.port
    make_due(app)
    deliver(app)
    # The notice's letter and the suspension's, both delivered.
    assert [row[0] for row in outbox(app)] == ["sent", "sent"]
    assert len(inbox.to("home@example.org")) == 2


def test_a_permanent_refusal_marks_the_message_failed_and_keeps_it(between, inbox, app):
    """A 5xx for the message is final: it is kept, failed, with the server's words."""
    between.notice()
    inbox.refuse_with = "554 5.7.1 Message rejected"
    deliver(app)
    [(status, attempts, error)] = outbox(app)
    assert (status, attempts) == ("failed", 1)
    assert "554" in error
    assert deliver(app) == 0  # not tried again


def test_without_a_mail_server_mail_stays_queued_and_the_status_says_so(between, inbox, app):
    """No MAIL_SERVER: nothing is sent, nothing is lost; `reciprocity mail status` tells."""
    between.notice()
    app.config["MAIL_SERVER"] = None
    with app.app_context():
        assert deliver_mail(MailSettings.from_config(app.config)) == 0
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["mail", "status"])
    assert result.exit_code == 0, result.output
    assert "MAIL_SERVER is not set: nothing is sent; mail waits in the outbox." in result.output
    assert "queued: 1  sent: 0  failed: 0" in result.output
    assert inbox.messages == []
