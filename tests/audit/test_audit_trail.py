"""The audit trail (Plan VIII, R16): every state change is appended to a hash-chained log
(who, what, when, the previous and the new state, never patron data); `reciprocity audit
verify` walks the chain and names the first broken link; the office reads it all, a library
the entries it is party to."""

import json

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEntry
from app.audit.rules import EVENT_RECORDS
from app.events.service import record
from app.events.types import EVENT_TYPES
from app.extensions import db
from tests.notices.conftest import CARD, SURNAME, between  # noqa: F401
from tests.racing import race


def trail(between, code):
    """Every audit entry `code` may read (None: the office), oldest first."""
    found, cursor = [], None
    while True:
        response = between.call("GET", "/audit", code, query_string={
            "limit": 500, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        found.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def verify(app):
    """`reciprocity audit verify`; the CLI's result."""
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_every_event_type_leaves_an_audit_entry(app, between):
    """The entry is written with the event (app/events/service.record), so no use case that
    tells a library of a change can forget to audit it."""
    with app.app_context():
        ids = [row[0] for row in db.session.execute(text(
            "SELECT id FROM libraries ORDER BY id")).all()[:2]]
        for type_ in EVENT_TYPES:
            key = EVENT_RECORDS.get(type_, ("", "thing_id", None))[1]
            record(ids, type_, {key: f"id-of-{type_}"})
        db.session.commit()
        audited = {entry.detail["event"]: entry for entry in db.session.execute(
            select(AuditEntry)).scalars() if "event" in entry.detail}
    assert set(audited) == set(EVENT_TYPES)
    for type_, entry in audited.items():
        assert entry.record_id == f"id-of-{type_}"
        assert entry.action == type_.partition(".")[2]
    assert verify(app).exit_code == 0


def test_who_did_what_is_recorded_and_each_library_reads_its_own(between):
    """Who (the library and its key id), what (record, action, previous and new state),
    never patron data; the office reads all, a third library none of the two's entries."""
    notice = between.notice()
    between.call("POST", f"/notices/{notice['id']}/acknowledge", "HOME")
    office = trail(between, None)
    about = [e for e in office if e["record_id"] == notice["id"]]
    assert [(e["action"], e["previous_state"], e["new_state"], e["library"]) for e in about] \
        == [("sent", None, "sent", "LEND"), ("acknowledged", "sent", "acknowledged", "HOME")]
    assert all(e["actor"].startswith("key_") for e in about)
    assert [e["seq"] for e in office] == list(range(1, len(office) + 1))
    # Admitting the libraries, issuing their keys and registering the patron are there too.
    kinds = {(e["record_type"], e["action"]) for e in office}
    assert {("library", "admitted"), ("key", "issued"), ("patron", "created")} <= kinds
    assert CARD not in json.dumps(office) and SURNAME not in json.dumps(office)
    assert [e["record_id"] for e in trail(between, "HOME")
            if e["record_type"] == "notice"] == [notice["id"]] * 2
    assert [e for e in trail(between, "THIRD") if e["record_type"] == "notice"] == []
    assert between.call("GET", "/audit", "anonymous").status_code == 401


def test_an_entry_edited_behind_the_apps_back_is_named_by_verify(app, between):
    """A row changed with raw SQL no longer matches its hash: verify exits 1 naming it; a
    removed last entry no longer matches the head."""
    between.notice()
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "The audit chain holds" in result.output
    with app.app_context():
        target = db.session.execute(text(
            "SELECT seq FROM audit_entries WHERE action = 'sent'")).scalar_one()
        db.session.execute(text("UPDATE audit_entries SET new_state = 'withdrawn' "
                                "WHERE seq = :seq"), {"seq": target})
        db.session.commit()
    result = verify(app)
    assert result.exit_code == 1
    assert f"Broken at entry {target}: its content does not match its hash" in result.output
    with app.app_context():
        db.session.execute(text("UPDATE audit_entries SET new_state = 'sent' WHERE seq = :s"),
                           {"s": target})
        last = db.session.execute(text("SELECT MAX(seq) FROM audit_entries")).scalar_one()
        db.session.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": last})
        db.session.commit()
    result = verify(app)
    assert result.exit_code == 1 and f"Broken at entry {last}" in result.output


@pytest.mark.postgres_only
def test_concurrent_writers_do_not_fork_the_chain(app, between, live_server):
    """PostgreSQL: notices sent at the same moment from several threads append one after the
    other (the head row's lock), so every entry chains to the one before it."""
    key = between.federation.keys["LEND"]
    body = {"to": "HOME", "what_happened": "Held items.", "policy": "Returns in 30 days.",
            "asks": "Return them."}
    responses = race([lambda s: s.post(f"{live_server}/notices", json=body, timeout=30,
                                       headers={"Authorization": f"Bearer {key}"})] * 8)
    assert [r.status_code for r in responses] == [201] * 8
    result = verify(app)
    assert result.exit_code == 0, result.output
