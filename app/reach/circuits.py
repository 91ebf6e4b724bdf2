"""Circuit breakers per remote system, shared by every process through the database.

Closed: calls go out. After `threshold` consecutive failures the circuit opens: no calls
for `pause` seconds. Then it is half-open: the first process to claim the trial (a
compare-and-set on `opened_at`) makes one call; success closes it, failure re-opens it.
Each change commits in its own short transaction: the verification has nothing to commit.
A success on a closed circuit writes nothing unless `last_ok_at` is a minute old, so the
healthy path adds no write.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.reach import rules
from app.reach.models import Circuit

OK_WRITE_INTERVAL = timedelta(seconds=60)


def ensure(name: str) -> None:
    """Create the circuit (closed) if it does not exist; the caller commits."""
    if db.session.get(Circuit, name) is None:
        db.session.add(Circuit(name=name, failures=0))


def read(name: str):
    """The circuit's state as a plain row (name, failures, opened_at, last_...), or None."""
    return db.session.execute(select(
        Circuit.name, Circuit.failures, Circuit.opened_at, Circuit.last_error,
        Circuit.last_error_at, Circuit.last_ok_at).where(Circuit.name == name)).first()


def state_of(circuit, now: datetime, threshold: int, pause: float) -> str:
    """The circuit's state now."""
    if circuit is None:
        return rules.CLOSED
    return rules.circuit_state(circuit.failures, circuit.opened_at, now, threshold=threshold,
                               pause=pause)


def allow(circuit, now: datetime, threshold: int, pause: float) -> bool:
    """Whether this process may call now; a half-open circuit lets exactly one caller try."""
    state = state_of(circuit, now, threshold, pause)
    if state == rules.CLOSED:
        return True
    if state == rules.OPEN:
        return False
    claimed = db.session.execute(
        update(Circuit).where(Circuit.name == circuit.name,
                              Circuit.opened_at == circuit.opened_at)
        .values(opened_at=now)).rowcount
    db.session.commit()
    return claimed == 1


def succeeded(circuit, now: datetime) -> None:
    """Record a good answer: close the circuit, and note when it last answered."""
    if circuit is None:
        return
    if circuit.failures == 0 and circuit.opened_at is None and circuit.last_ok_at and \
            now - circuit.last_ok_at < OK_WRITE_INTERVAL:
        return
    db.session.execute(update(Circuit).where(Circuit.name == circuit.name)
                       .values(failures=0, opened_at=None, last_ok_at=now))
    db.session.commit()


def failed(circuit, now: datetime, error: str, threshold: int) -> None:
    """Record a failure with its error; open the circuit at the threshold."""
    if circuit is None:
        return
    db.session.execute(update(Circuit).where(Circuit.name == circuit.name).values(
        failures=Circuit.failures + 1, last_error=error[:500], last_error_at=now))
    db.session.execute(update(Circuit).where(Circuit.name == circuit.name,
                                             Circuit.failures >= threshold)
                       .values(opened_at=now))
    db.session.commit()


def describe(circuit, now: datetime, threshold: int, pause: float) -> dict:
    """The circuit as the home library and the office see it."""
    if circuit is None:
        return {"state": rules.CLOSED, "failures": 0, "opened_at": None, "last_error": None,
                "last_error_at": None, "last_ok_at": None}
    return {"state": state_of(circuit, now, threshold, pause), "failures": circuit.failures,
            "opened_at": circuit.opened_at, "last_error": circuit.last_error,
            "last_error_at": circuit.last_error_at, "last_ok_at": circuit.last_ok_at}
