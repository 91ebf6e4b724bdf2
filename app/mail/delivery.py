"""Sending the outbox's mail through the configured SMTP server, at least once.

The worker (`reciprocity deliver`, beside webhook delivery) claims one due message at a time
(on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two workers never hold the same message),
sends it, and marks it sent in the same transaction that held the claim. A worker killed
between the SMTP server's acceptance and that commit leaves the message queued: it is sent
again (its Message-ID stays the same, so a mail client shows one), never lost. A failure waits
on MAIL_RETRY_SCHEDULE and tries again; only a server's permanent refusal of the message (5xx
for its recipients or its content) marks it failed, and `reciprocity mail status` lists those.
Without MAIL_SERVER nothing is sent and everything waits.
"""

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import func, select

from app.extensions import db
from app.mail import rules
from app.mail.models import OutboundMail
from app.mail.pdf import render_pdf
from app.timestamps import utcnow

# Kinds whose body holds a secret (a password link), blanked once sent.
SECRET_KINDS = frozenset({"staff.password_reset"})


@dataclass(frozen=True)
class MailSettings:
    """What the mail worker needs from the configuration."""

    server: str | None = None
    port: int = 25
    use_tls: bool = False
    use_starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "reciprocity@localhost"
    timeout: float = 30.0
    batch_size: int = 20
    schedule: tuple[float, ...] = rules.RETRY_SCHEDULE

    @classmethod
    def from_config(cls, config) -> "MailSettings":
        """Read the MAIL_* settings."""
        return cls(server=config["MAIL_SERVER"] or None, port=int(config["MAIL_PORT"]),
                   use_tls=bool(config["MAIL_USE_TLS"]),
                   use_starttls=bool(config["MAIL_USE_STARTTLS"]),
                   username=config["MAIL_USERNAME"] or None,
                   password=config["MAIL_PASSWORD"] or None, sender=config["MAIL_FROM"],
                   timeout=float(config["MAIL_TIMEOUT"]),
                   batch_size=int(config["MAIL_BATCH_SIZE"]),
                   schedule=tuple(float(s) for s in config["MAIL_RETRY_SCHEDULE"]))


class Permanent(Exception):
    """The server refused this message for good (a 5xx for its recipients or content)."""


class SmtpConnection:
    """One SMTP conversation, opened on first use and reused for a batch of messages."""

    def __init__(self, settings: MailSettings):
        """Nothing is opened until the first message."""
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        """Connect, secure the connection as configured, and log in when configured."""
        s = self.settings
        context = ssl.create_default_context()
        if s.use_tls:
            smtp = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
            if s.use_starttls:
                smtp.starttls(context=context)
        if s.username:
            smtp.login(s.username, s.password or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Send one message; Permanent when the server refuses it for good."""
        if self.smtp is None:
            self.smtp = self._open()
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise Permanent(f"recipients refused: {refused.recipients}") from None
            raise
        except smtplib.SMTPDataError as refused:
            if 500 <= refused.smtp_code < 600:
                raise Permanent(f"message refused: {refused.smtp_code} "
                                f"{refused.smtp_error!r}") from None
            raise

    def close(self) -> None:
        """End the conversation politely, or just drop it."""
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def build_message(mail: OutboundMail, sender: str) -> EmailMessage:
    """The email of an outbox row, with its letter's PDF attached."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    if mail.cc:
        message["Cc"] = mail.cc
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    # The same Message-ID on every attempt: a message sent twice shows once.
    message["Message-ID"] = f"<{mail.id}@reciprocity.invalid>"
    if mail.letter is not None:
        message["X-Reciprocity-Letter"] = mail.letter.reference
    message.set_content(mail.body)
    if mail.letter is not None:
        if mail.letter.pdf is None:
            mail.letter.pdf = render_pdf(mail.letter.html)
        message.add_attachment(mail.letter.pdf, maintype="application", subtype="pdf",
                               filename=f"{mail.letter.reference}.pdf")
    return message


def claim() -> OutboundMail | None:
    """Lock one queued message that is due (PostgreSQL skips those another worker holds)."""
    query = (select(OutboundMail)
             .where(OutboundMail.status == "queued", OutboundMail.next_attempt_at <= utcnow())
             .order_by(OutboundMail.next_attempt_at, OutboundMail.number).limit(1)
             .with_for_update(skip_locked=True))
    return db.session.execute(query).scalar_one_or_none()


def deliver_mail(settings: MailSettings, connection: SmtpConnection | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> int:
    """Send up to a batch of due messages, one commit each; how many were attempted."""
    if not settings.server:
        return 0
    own = connection is None
    connection = connection or SmtpConnection(settings)
    attempted = 0
    try:
        while attempted < settings.batch_size and not should_stop():
            mail = claim()
            if mail is None:
                db.session.rollback()
                break
            attempted += 1
            _attempt(mail, settings, connection)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if own:
            connection.close()
    return attempted


def _attempt(mail: OutboundMail, settings: MailSettings, connection: SmtpConnection) -> None:
    """Send one message and note the outcome on its row."""
    mail.attempts += 1
    try:
        connection.send(build_message(mail, settings.sender))
    except Permanent as refusal:
        mail.status = "failed"
        mail.last_error = str(refusal)[:500]
        return
    except (smtplib.SMTPException, OSError, ValueError) as error:
        connection.close()  # start afresh next time: the conversation may be broken
        mail.last_error = f"{type(error).__name__}: {error}"[:500]
        mail.next_attempt_at = utcnow() + timedelta(
            seconds=rules.retry_delay(mail.attempts, settings.schedule))
        return
    mail.status = "sent"
    mail.sent_at = utcnow()
    mail.last_error = None
    if mail.kind in SECRET_KINDS:
        # The one-time link is stored only as a hash elsewhere: once mailed, forget it here.
        mail.body = "(a one-time password link: removed once sent)"


def status(settings: MailSettings) -> dict:
    """How the outbox stands: counts by state, the oldest waiting, and whether mail can go."""
    counts = dict(db.session.execute(select(OutboundMail.status, func.count())
                                     .group_by(OutboundMail.status)).all())
    oldest = db.session.execute(select(func.min(OutboundMail.created_at)).where(
        OutboundMail.status == "queued")).scalar()
    return {"server_configured": bool(settings.server),
            "queued": counts.get("queued", 0), "sent": counts.get("sent", 0),
            "failed": counts.get("failed", 0), "oldest_queued_at": oldest}
