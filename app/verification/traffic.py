"""Verification traffic counts for the yearly survey (R19), buffered off the answer's path.

Counting each verification with its own upsert and commit was the largest part of a
verification's cost (bench/README.md: about a quarter of a worker's time, and SQLite's single
write lock on every answer). The counts are kept per process and written together, one
upsert per (lender, home, month) adding what accumulated, every `TRAFFIC_FLUSH_SECONDS`: by
the request that finds a flush due, by a background thread (started with the first count)
for a process that goes quiet, and when the process exits.
The trade-off, accepted for a yearly survey: a process killed outright loses at most that
many seconds of its counts. `TRAFFIC_FLUSH_SECONDS = 0` writes every count at once.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.verification.models import VerificationCount

log = logging.getLogger(__name__)
DECISIONS = ("eligible", "not_eligible", "refer")


class TrafficBuffer:
    """Counts per (lending library, home library, month, decision), flushed in batches."""

    def __init__(self, flush_seconds: float, clock: Callable[[], float] = time.monotonic,
                 context: Callable[[], AbstractContextManager] | None = None):
        """`flush_seconds` apart at most; 0 means every add is written at once.

        `context` makes the app context a background flush runs in (the app's
        `app_context`); without it only requests and explicit calls flush.
        """
        self.flush_seconds = flush_seconds
        self.clock = clock
        self.context = context
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._last_flush = clock()
        self._flusher: threading.Thread | None = None

    def add(self, lending_library_id: int, home_library_id: int, month: str,
            decision: str) -> None:
        """Count one verification; write the buffer out when a flush is due."""
        with self._lock:
            self._counts[(lending_library_id, home_library_id, month, decision)] += 1
            if self._flusher is None and self.context is not None and self.flush_seconds > 0:
                # Started here, not with the app: only a process that verifies needs it, and
                # a gunicorn worker starts it after the fork.
                self._flusher = threading.Thread(target=self._flush_forever, daemon=True,
                                                 name="traffic-flush")
                self._flusher.start()
        if self.clock() - self._last_flush >= self.flush_seconds:
            self.flush()

    def _flush_forever(self) -> None:
        """Write what a quiet process still holds, every interval, until the process ends."""
        while True:
            time.sleep(self.flush_seconds)
            if self.pending():
                with self.context():
                    self.flush()

    def pending(self) -> int:
        """How many verifications are counted but not yet written."""
        with self._lock:
            return sum(self._counts.values())

    def flush(self) -> None:
        """Write what has accumulated, in its own transaction; keep it if the write fails."""
        with self._lock:
            taken, self._counts = self._counts, Counter()
            self._last_flush = self.clock()
        if not taken:
            return
        try:
            _write(taken)
            db.session.commit()
        except Exception:
            # The database is away: keep the counts for the next flush rather than lose them,
            # and never fail the desk's answer for a survey count.
            db.session.rollback()
            with self._lock:
                self._counts.update(taken)
            log.exception("Could not write %d verification counts; will retry.",
                          sum(taken.values()))


def _write(counts: Counter) -> None:
    """One upsert per (lender, home, month), adding the accumulated counts."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # A lost count after a server crash is acceptable; a slower flush is not needed.
        db.session.execute(db.text("SET LOCAL synchronous_commit TO OFF"))
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows: dict[tuple, dict] = {}
    for (lender, home, month, decision), n in counts.items():
        row = rows.setdefault((lender, home, month), dict.fromkeys(DECISIONS, 0))
        row[decision] += n
    # In key order, so two processes flushing at once take the rows' locks in the same order.
    for (lender, home, month), added in sorted(rows.items()):
        statement = insert(VerificationCount).values(
            lending_library_id=lender, home_library_id=home, month=month, **added)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["lending_library_id", "home_library_id", "month"],
            set_={name: getattr(VerificationCount, name) + getattr(excluded, name)
                  for name in DECISIONS})
        db.session.execute(statement)
