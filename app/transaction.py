"""The end of a use case: commit its one transaction and hand back fresh state."""

from app.extensions import db


def commit_and_refresh(obj):
    """Commit the session, then reload `obj` so the answer shows what was stored."""
    db.session.commit()
    db.session.refresh(obj)
    return obj


def commit_keeping(*objects):
    """Commit the session, keeping `objects` as they are instead of reading them back.

    For a use case whose answer is rows it has just inserted with every value set in Python:
    a plain commit expires them, and the answer then reads each one back with its own SELECT
    (a bill, its items and its parties: seven statements after the commit). Everything else
    in the session is expired, exactly as a plain commit does, so a record changed by an
    UPDATE statement is still read fresh.
    """
    session = db.session()
    kept = {id(obj) for obj in objects}
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = before
    for obj in list(session.identity_map.values()):
        if id(obj) not in kept:
            session.expire(obj)
