"""The models and the migrations describe the same schema, on SQLite and on PostgreSQL, and
the migrations run both ways."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db


def schema_differences(app) -> list:
    """What autogenerate would write into a new migration (empty when models and DB agree)."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "compare_server_default": True,
            "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def table_names(app) -> set[str]:
    """The tables in the app's database, without Alembic's own."""
    with app.app_context(), db.engine.connect() as connection:
        return set(inspect(connection).get_table_names()) - {"alembic_version"}


def test_the_migrations_build_exactly_the_models(app):
    """A model change without its migration (or the reverse) shows up here."""
    assert schema_differences(app) == []
    assert table_names(app) == set(db.metadata.tables)


def test_the_migrations_go_down_to_nothing_and_back_up(app):
    with app.app_context():
        downgrade(revision="base")
    assert table_names(app) == set()
    with app.app_context():
        upgrade()
        db.engine.dispose()  # PostgreSQL: no connection left open on the test's database
    assert schema_differences(app) == []
    assert table_names(app) == set(db.metadata.tables)
