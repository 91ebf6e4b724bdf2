"""The end of a use case: commit its one transaction and hand back fresh state."""

from app.extensions import db


def commit_and_refresh(obj):
    """Commit the session, then reload `obj` so the answer shows what was stored."""
    db.session.commit()
    db.session.refresh(obj)
    return obj
