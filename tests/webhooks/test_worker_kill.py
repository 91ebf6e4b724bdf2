"""No committed event is ever lost: `reciprocity deliver` killed with SIGKILL at random points
and restarted, against a real receiver on 127.0.0.1 that verifies every signature. On
PostgreSQL, two workers at once never send one event twice at the same moment."""

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
