"""No committed event is ever lost: `reciprocity deliver` killed with SIGKILL at random points
and restarted, against a real receiver on 127.0.0.1 that verifies every signature. On
PostgreSQL, two workers at once never send one event twice at the same moment. The same for
the mail outbox: no committed letter's email is lost."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import HMAC_KEY
from tests.webhooks.conftest import Receiver

A, B = "IL0801", "IL0802"
EVENTS_BEFORE = 120  # per library, before the first worker starts
EVENTS_DURING = 10   # per library, written while a worker runs, before each kill
KILLS = 6


@pytest.fixture
def slow_receiver():
    """A receiver that holds each delivery 3 ms, so kills land mid-request too."""
    server = Receiver(delay=0.003)
    yield server
    server.close()


def worker(database_url: str, log: Path, *args: str) -> subprocess.Popen:
    """Start `reciprocity deliver` as its own process, configured through the environment."""
    env = {**os.environ,
           "RECIPROCITY_DATABASE_URL": database_url, "RECIPROCITY_HMAC_KEY": HMAC_KEY,
           "RECIPROCITY_SECRET_KEY": "test", "RECIPROCITY_WEBHOOK_ALLOW_LOOPBACK": "true",
           "RECIPROCITY_WEBHOOK_POLL_INTERVAL": "0.02", "RECIPROCITY_WEBHOOK_BATCH_SIZE": "7",
           "RECIPROCITY_WEBHOOK_RETRY_SCHEDULE": "[0, 0, 0]"}
    command = Path(sys.executable).parent / "reciprocity"
    return subprocess.Popen([str(command), "deliver", *args], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def first_arrivals(ids: list[str]) -> list[str]:
    """Each id at its first arrival, in arrival order."""
    seen, order = set(), []
    for message_id in ids:
        if message_id not in seen:
            seen.add(message_id)
            order.append(message_id)
    return order


def register(hooks, receiver):
    """Endpoints /a and /b for libraries A and B, at the given receiver."""
    hooks.receiver = receiver
    hooks.federation.admit(A)
    hooks.federation.admit(B)
    hooks.create(A, "/a")
    hooks.create(B, "/b")


def test_killing_the_worker_at_random_points_loses_nothing(database_url, hooks, emit,
                                                          slow_receiver, tmp_path):
    """Every committed event arrives at least once; first arrivals follow each feed's order."""
    register(hooks, slow_receiver)
    emit(A, EVENTS_BEFORE)
    emit(B, EVENTS_BEFORE)
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    log = tmp_path / "worker.log"
    for _ in range(KILLS):
        emit(A, EVENTS_DURING)  # work waiting for the worker, so it starts sending at once
        emit(B, EVENTS_DURING)
        before = len(slow_receiver.arrivals)
        process = worker(database_url, log)
        # Wait until this worker is delivering (its start-up time varies with the load), so
        # the kill lands mid-work rather than always during start-up.
        started = time.monotonic()
        while len(slow_receiver.arrivals) == before and time.monotonic() - started < 30:
            time.sleep(0.01)
        emit(A, EVENTS_DURING)  # committed while the worker may be mid-batch
        emit(B, EVENTS_DURING)
        time.sleep(chance.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    partial = len(slow_receiver.arrivals)
    drain = worker(database_url, log, "--once")
    assert drain.wait(timeout=120) == 0, log.read_text()
    assert slow_receiver.rejected == []
    for code, path in ((A, "/a"), (B, "/b")):
        feed = [event["id"] for event in hooks.feed(code)]
        assert len(feed) == EVENTS_BEFORE + 2 * KILLS * EVENTS_DURING
        arrived = slow_receiver.ids(path)
        assert set(feed) <= set(arrived), f"seed {seed}: lost events"
        assert first_arrivals(arrived) == feed, f"seed {seed}: out of order"
    # The kills did interrupt real work (not all before start, not all after the end).
    assert partial > 0, log.read_text()


@pytest.mark.postgres_only
def test_two_workers_never_send_one_event_at_the_same_moment(database_url, hooks, emit,
                                                            slow_receiver, tmp_path):
    """SKIP LOCKED: each endpoint is held by one worker at a time; nothing is sent twice."""
    register(hooks, slow_receiver)
    emit(A, 150)
    emit(B, 150)
    log = tmp_path / "workers.log"
    workers = [worker(database_url, log), worker(database_url, log)]
    deadline = time.monotonic() + 90
    while len(slow_receiver.arrivals) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    for process in workers:
        process.send_signal(signal.SIGTERM)  # finish the delivery in flight, then exit
    assert [process.wait(timeout=30) for process in workers] == [0, 0], log.read_text()
    assert slow_receiver.overlaps == []
    for code, path in ((A, "/a"), (B, "/b")):
        feed = [event["id"] for event in hooks.feed(code)]
        assert slow_receiver.ids(path) == feed  # all of them, once each, in order


LETTERS_BEFORE = 6   # notices (each a letter and an email) before the first worker starts
LETTERS_DURING = 2   # written while a worker runs, before each kill
MAIL_KILLS = 2


def test_killing_the_worker_loses_no_mail(database_url, hooks, app, tmp_path):
    """The mail outbox too: every committed letter's email reaches the SMTP server at least
    once (the same Message-ID when sent twice), whatever moment the worker was killed at."""
    from sqlalchemy import select

    from app.extensions import db
    from app.libraries.models import Library
    from app.mail.models import OutboundMail
    from app.notices.service import send_notice
    from tests.dates import today
    from tests.smtp_server import SmtpServer

    hooks.federation.admit(A)
    hooks.federation.admit(B)
    smtp = SmtpServer()

    def notices(count: int) -> None:
        with app.app_context():
            sender = db.session.execute(select(Library.id).where(Library.code == A)).scalar()
            for _ in range(count):
                send_notice(sender, {"to": B, "what_happened": "Items held too long.",
                                     "policy": "Returns within 30 days.",
                                     "asks": "Return them."}, today())
            db.session.remove()

    def mail_worker(*args: str) -> subprocess.Popen:
        return worker(database_url, log, *args)

    log = tmp_path / "worker.log"
    os.environ["RECIPROCITY_MAIL_SERVER"] = "127.0.0.1"
    os.environ["RECIPROCITY_MAIL_PORT"] = str(smtp.port)
    try:
        notices(LETTERS_BEFORE)
        seed = random.randrange(1 << 30)
        chance = random.Random(seed)
        for _ in range(MAIL_KILLS):
            notices(LETTERS_DURING)
            before = len(smtp.inbox.messages)
            process = mail_worker()
            started = time.monotonic()
            while len(smtp.inbox.messages) == before and time.monotonic() - started < 60:
                time.sleep(0.01)
            notices(LETTERS_DURING)
            time.sleep(chance.uniform(0.0, 0.5))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        drain = mail_worker("--once")
        assert drain.wait(timeout=180) == 0, log.read_text()
    finally:
        os.environ.pop("RECIPROCITY_MAIL_SERVER", None)
        os.environ.pop("RECIPROCITY_MAIL_PORT", None)
        smtp.close()
    with app.app_context():
        rows = db.session.execute(select(OutboundMail)).scalars().all()
        expected = {f"<{row.id}@reciprocity.invalid>" for row in rows}
        assert {row.status for row in rows} == {"sent"}
        db.session.remove()
    assert len(expected) == LETTERS_BEFORE + 2 * MAIL_KILLS * LETTERS_DURING
    arrived = [message["Message-ID"] for _, message in smtp.inbox.messages]
    assert expected == set(arrived), f"seed {seed}: lost mail"
