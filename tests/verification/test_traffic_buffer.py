"""Traffic counts (R19) buffered per process and written together, on SQLite and PostgreSQL."""

import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.libraries.models import Library
from app.timestamps import today_in
from app.verification.models import VerificationCount


@pytest.fixture
def app_config():
    """Counts written at most once an hour: only an explicit flush or the survey writes them."""
    return {"TRAFFIC_FLUSH_SECONDS": 3600}


@pytest.fixture
def fed(federation):
    """HOME registers patrons; LEND verifies them."""
    federation.admit("HOME", prefixes=["20001"])
    federation.admit("LEND", prefixes=["20002"])
    federation.register("HOME", "2000100000001")
    federation.register("HOME", "2000100000002", standing="blocked")
    return federation


def stored(app) -> list[tuple]:
    """The counts as the database holds them: (lender, home, eligible, not_eligible, refer)."""
    with app.app_context():
        codes = dict(db.session.execute(select(Library.id, Library.code)).all())
        rows = db.session.execute(select(VerificationCount)).scalars().all()
        return [(codes[r.lending_library_id], codes[r.home_library_id], r.eligible,
                 r.not_eligible, r.refer) for r in rows]


def test_counts_wait_in_the_process_and_the_survey_still_shows_them_all(fed, app, client):
    """The answer commits nothing; the survey flushes this process's counts before reading."""
    for card in ("2000100000001", "2000100000001", "2000100000002", "2000199999998"):
        assert fed.verify("LEND", card).status_code == 200
    assert stored(app) == []
    assert app.extensions["reciprocity.traffic"].pending() == 4
    year = today_in("America/Chicago").year
    rows = client.get(f"/api/v1/traffic?year={year}", headers=fed.headers("HOME")).get_json()
    assert [(r["lending_library"], r["home_library"], r["eligible"], r["not_eligible"],
             r["refer"]) for r in rows["items"]] == [("LEND", "HOME", 2, 1, 1)]
    assert stored(app) == [("LEND", "HOME", 2, 1, 1)]
    assert app.extensions["reciprocity.traffic"].pending() == 0


def test_a_flush_adds_to_the_counts_already_written(fed, app):
    """Two flushes of the same month add up; they never overwrite each other."""
    buffer = app.extensions["reciprocity.traffic"]
    fed.verify("LEND", "2000100000001")
    with app.app_context():
        buffer.flush()
    fed.verify("LEND", "2000100000001")
    fed.verify("LEND", "2000100000002")
    with app.app_context():
        buffer.flush()
    assert stored(app) == [("LEND", "HOME", 2, 1, 0)]


def test_a_flush_is_due_after_the_interval_without_any_survey_read(fed, app):
    """The request that finds the interval passed writes everything counted so far."""
    buffer = app.extensions["reciprocity.traffic"]
    now = [1000.0]
    buffer.clock = lambda: now[0]
    buffer._last_flush = now[0]
    fed.verify("LEND", "2000100000001")
    now[0] += 3599
    fed.verify("LEND", "2000100000001")
    assert stored(app) == []
    now[0] += 2
    fed.verify("LEND", "2000100000002")
    assert stored(app) == [("LEND", "HOME", 2, 1, 0)]


def test_counts_survive_a_failed_write_and_go_out_with_the_next(fed, app):
    """A database error during a flush keeps the counts in the buffer (never lost, R19)."""
    buffer = app.extensions["reciprocity.traffic"]
    fed.verify("LEND", "2000100000001")
    with app.app_context():
        ids = dict(db.session.execute(select(Library.code, Library.id)).all())
        # A count for a library id that does not exist breaks the foreign key: the write fails.
        buffer.add(ids["LEND"], 999_999, "2026-11", "eligible")
        buffer.flush()
        assert buffer.pending() == 2
        assert stored(app) == []
        with buffer._lock:
            del buffer._counts[(ids["LEND"], 999_999, "2026-11", "eligible")]
        buffer.flush()
    assert stored(app) == [("LEND", "HOME", 1, 0, 0)]


def test_a_quiet_process_still_writes_its_counts_from_the_background(fed, app):
    """No further verification and no survey read in this process: the background flush
    writes the counts anyway (bounded wait for it; nothing asserts on how long it took)."""
    buffer = app.extensions["reciprocity.traffic"]
    buffer.flush_seconds = 0.2
    buffer._last_flush = buffer.clock()
    fed.verify("LEND", "2000100000002")  # one only: no later request can flush it
    deadline = time.monotonic() + 30
    while not stored(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored(app) == [("LEND", "HOME", 0, 1, 0)]
    assert buffer.pending() == 0
