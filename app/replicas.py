"""Read replicas: which reads may go to a PostgreSQL streaming replica, and which replica.

Only two kinds of request read from a replica (REPLICA_URLS): card verification and the
public directory (its API, CSV and pages). Everything else, every write, every statement that
is not a plain SELECT, and the key look-up, goes to the primary. Inside those requests:

- A replica is used only while its replay lag is at most REPLICA_MAX_LAG_SECONDS, measured
  every REPLICA_CHECK_SECONDS by comparing its replay position with the positions the primary
  had at earlier checks; a replica that is down, not in recovery or further behind is skipped.
- Read-your-writes: a library that has written (any successful POST, PUT, PATCH or DELETE
  outside the routes above) reads from the primary afterwards for as long as a usable replica
  may still lack its write: REPLICA_MAX_LAG_SECONDS plus twice REPLICA_CHECK_SECONDS. The
  window is kept per process; docs/operations.md says how the proxy keeps a library on one
  process, and what holds when it moves.
- An answer that found nothing (an unknown card or home library) is asked again of the
  primary: a card registered a moment ago must not be refused because a replica lags.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Select

from app import extensions

log = logging.getLogger(__name__)

# Requests whose plain SELECTs may go to a replica: by endpoint, and by blueprint (GET only).
REPLICA_ENDPOINTS = {"verifications.verify"}
REPLICA_BLUEPRINTS = {"directory", "directory_csv", "directory_pages"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def lsn(value: str | None) -> int | None:
    """A PostgreSQL WAL position ('16/B374D848') as a number, or None."""
    if not value:
        return None
    high, _, low = value.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


class Replica:
    """One replica: its engine and what the last check found."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self.lag: float | None = None  # seconds behind the primary; None: unknown or down
        self.problem: str | None = None

    @property
    def name(self) -> str:
        """The replica's address without credentials, for logs."""
        return self.engine.url.render_as_string(hide_password=True)


class ReplicaSet:
    """The replicas of one app, their health, and the libraries that wrote recently."""

    def __init__(self, replicas: list[Replica], *, max_lag: float, check_seconds: float) -> None:
        self.replicas = replicas
        self.max_lag = max_lag
        self.check_seconds = check_seconds
        # A replica in use has replayed what the primary had max_lag before its last check,
        # which is at most check_seconds old (twice, for a check another request held up).
        self.sticky_seconds = max_lag + 2 * check_seconds
        self._checked_at = float("-inf")
        self._check_lock = threading.Lock()
        # (when, the primary's WAL position then), from the checks of the last minute or so.
        self._primary_positions: collections.deque = collections.deque(maxlen=256)
        self._wrote: dict[int, float] = {}  # library id -> until when it reads the primary
        self._turn = itertools.count()

    def wrote(self, library_id: int) -> None:
        """A library committed a write: its reads go to the primary for a while."""
        self._wrote[library_id] = time.monotonic() + self.sticky_seconds
        if len(self._wrote) > 10_000:  # forget windows that have passed
            now = time.monotonic()
            self._wrote = {k: v for k, v in self._wrote.items() if v > now}

    def engine_for(self, library_id: int | None) -> Engine | None:
        """A replica's engine for this caller's reads, or None for the primary."""
        if library_id is not None and self._wrote.get(library_id, 0) > time.monotonic():
            return None
        self.check_if_due()
        usable = [r for r in self.replicas if r.lag is not None and r.lag <= self.max_lag]
        if not usable:
            return None
        return usable[next(self._turn) % len(usable)].engine

    def check_if_due(self) -> None:
        """Check the replicas when the last check is older than REPLICA_CHECK_SECONDS.

        One request at a time checks; the others go on with what the last check found.
        """
        if time.monotonic() - self._checked_at < self.check_seconds:
            return
        if not self._check_lock.acquire(blocking=False):
            return
        try:
            self.check()
        finally:
            self._check_lock.release()

    def check(self) -> None:
        """Measure each replica's lag from the primary's WAL positions at earlier checks.

        A replica that has replayed up to the position the primary had at time t is at most
        now - t behind; one that has replayed the primary's present position is not behind.
        """
        now = time.monotonic()
        self._checked_at = now
        try:
            with extensions.db.engine.connect() as connection:
                # The insert position: past every commit, even one not yet flushed.
                primary = lsn(connection.execute(
                    text("SELECT pg_current_wal_insert_lsn()::text")).scalar())
        except SQLAlchemyError as error:
            log.warning("Reading the primary's WAL position failed: %s", error)
            for replica in self.replicas:
                replica.lag, replica.problem = None, "the primary did not answer"
            return
        self._primary_positions.append((now, primary))
        for replica in self.replicas:
            was_usable = replica.lag is not None and replica.lag <= self.max_lag
            replica.lag, replica.problem = self._lag(replica, now, primary)
            usable = replica.lag is not None and replica.lag <= self.max_lag
            if was_usable and not usable:
                log.warning("Replica %s skipped: %s", replica.name,
                            replica.problem or f"{replica.lag:.1f} s behind")
            elif usable and not was_usable:
                log.info("Replica %s in use (%.1f s behind).", replica.name, replica.lag)

    def _lag(self, replica: Replica, now: float, primary: int) -> tuple[float | None, str | None]:
        """(seconds behind, None) or (None, why it cannot be used)."""
        try:
            with replica.engine.connect() as connection:
                recovering, replayed = connection.execute(text(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")).one()
        except SQLAlchemyError as error:
            return None, f"down ({type(error.orig or error).__name__})"
        replayed = lsn(replayed)
        if not recovering or replayed is None:
            return None, "not a streaming replica"
        if replayed >= primary:
            return 0.0, None
        caught_up_to = [when for when, position in self._primary_positions
                        if position <= replayed]
        if not caught_up_to:
            return None, "behind by more than the checks remember"
        return now - max(caught_up_to), None

    def dispose(self) -> None:
        """Close the replicas' connections."""
        for replica in self.replicas:
            replica.engine.dispose()


class RoutingSession(FlaskSession):
    """The app's session: a plain SELECT in a request allowed to read from a replica goes there.

    Statements that write, lock (FOR UPDATE), are text, or run during a flush go to the
    primary, whatever the request.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        """The replica chosen for this request for its plain SELECTs; the primary otherwise."""
        if bind is None and isinstance(clause, Select) and clause._for_update_arg is None \
                and not self._flushing:
            engine = request_replica()
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def request_replica() -> Engine | None:
    """The replica this request reads from (chosen once per request), or None."""
    if not has_request_context() or not g.get("reciprocity_replica_allowed"):
        return None
    if "reciprocity_replica" not in g:
        replicas = current_app.extensions.get("reciprocity.replicas")
        g.reciprocity_replica = replicas.engine_for(g.get("caller_library_id")) \
            if replicas else None
    return g.reciprocity_replica


def first_settled(statement, params: dict, settled) -> sa.Row | None:
    """The first row of a read-only statement, from this request's replica if it has one.

    An answer that is not `settled` (nothing was found) is asked again of the primary, which
    is never behind: a replica's lag must not turn a new card or library into an unknown one.
    """
    connection = extensions.db.session.connection(bind_arguments={"clause": statement})
    row = connection.execute(statement, params).first()
    if not settled(row) and connection.engine is not extensions.db.engine:
        row = extensions.db.session.connection().execute(statement, params).first()
    return row


def init_app(app: Flask) -> None:
    """Create the app's replica engines from REPLICA_URLS and route requests' reads."""
    from app.config import database_url

    urls = app.config.get("REPLICA_URLS") or []
    if isinstance(urls, str):
        urls = [url.strip() for url in urls.split(",") if url.strip()]
    if not urls:
        return
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise RuntimeError("REPLICA_URLS needs a PostgreSQL primary (DATABASE_URL).")
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    # A replica that does not answer must cost a request little: fail fast, then skip it.
    options["connect_args"] = {"connect_timeout": 2, **options.get("connect_args", {})}
    replicas = [Replica(url, sa.create_engine(database_url(url, app.instance_path), **options))
                for url in urls]
    app.extensions["reciprocity.replicas"] = ReplicaSet(
        replicas, max_lag=float(app.config["REPLICA_MAX_LAG_SECONDS"]),
        check_seconds=float(app.config["REPLICA_CHECK_SECONDS"]))

    @app.before_request
    def allow_replica_reads():
        """Mark the requests whose reads may go to a replica."""
        if request.endpoint in REPLICA_ENDPOINTS or (
                request.blueprint in REPLICA_BLUEPRINTS and request.method in ("GET", "HEAD")):
            g.reciprocity_replica_allowed = True

    @app.after_request
    def remember_writers(response):
        """A library whose write succeeded reads its own writes from the primary."""
        library_id = g.get("caller_library_id")
        if (library_id is not None and request.method in WRITE_METHODS
                and not g.get("reciprocity_replica_allowed") and response.status_code < 400):
            app.extensions["reciprocity.replicas"].wrote(library_id)
        return response
