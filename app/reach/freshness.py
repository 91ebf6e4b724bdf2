"""When each home library last sent its patrons: the age a registry answer reports (R14)."""

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.reach.models import RegistryFreshness


def mark_registry_fresh(library_id: int, now: datetime) -> None:
    """Note that the home library has just sent patrons (one, or a roster batch); no commit."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(RegistryFreshness).values(library_id=library_id, as_of=now)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["library_id"], set_={"as_of": statement.excluded.as_of}))
