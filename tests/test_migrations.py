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


def test_existing_events_and_endpoints_keep_their_librarys_feed(app, federation):
    """The office's feed migration carries a library's events, its counter and its webhook
    endpoints over: the same positions, read by the same key, and the feed goes on from there."""
    from sqlalchemy import text

    federation.admit("LEND")
    with app.app_context():
        downgrade(revision="fede0a110006")
        library_id = db.session.execute(text(
            "SELECT id FROM libraries WHERE code = 'LEND'")).scalar_one()
        db.session.execute(text(
            "INSERT INTO events (id, library_id, seq, type, data, occurred_at) VALUES "
            "('evt_old1', :lib, 1, 'bill.issued', '{\"bill_id\": \"bil_1\"}', "
            "CURRENT_TIMESTAMP), ('evt_old2', :lib, 2, 'bill.paid', "
            "'{\"bill_id\": \"bil_1\"}', CURRENT_TIMESTAMP)"), {"lib": library_id})
        db.session.execute(text("INSERT INTO event_counters (library_id, last_seq) "
                                "VALUES (:lib, 2)"), {"lib": library_id})
        db.session.execute(text(
            "INSERT INTO webhook_endpoints (id, library_id, url, secret, enabled, "
            "delivered_seq, failures, created_at, updated_at) VALUES ('whe_old', :lib, "
            "'https://lend.example/hook', 'whsec_x', :yes, 1, 0, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"), {"lib": library_id, "yes": True})
        db.session.commit()
        upgrade()
        endpoint_feed = db.session.execute(text(
            "SELECT feed FROM webhook_endpoints WHERE id = 'whe_old'")).scalar_one()
        db.session.remove()
        db.engine.dispose()
    assert endpoint_feed == library_id
    feed = federation.client.get("/api/v1/events", headers=federation.headers("LEND"))
    assert [(e["id"], e["seq"]) for e in feed.get_json()["items"]] == [("evt_old1", 1),
                                                                       ("evt_old2", 2)]
    with app.app_context():
        from app.events.service import record

        record([library_id], "bill.voided", {"bill_id": "bil_1"})
        db.session.commit()
        db.session.remove()
    after = federation.client.get("/api/v1/events", query_string={"after": "2"},
                                  headers=federation.headers("LEND")).get_json()["items"]
    assert [(e["type"], e["seq"]) for e in after] == [("bill.voided", 3)]
