"""Retention (R16): `reciprocity purge` removes patron-linked data (card hash, last four
digits, patron link) from bills closed more than RETENTION_DAYS ago, keeping amounts, dates
and the two libraries for the statements and the survey (R19); it is idempotent, works in
committed batches and leaves audit entries with counts only. The clock is set forward."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEntry
from app.extensions import db
from app.retention.service import purge
from app.timestamps import today_in, utcnow
from tests.blocks.conftest import HOME, LEND, parties, patron  # noqa: F401


def purge_as_of(app, days_later: int):
    """A purge run as if `days_later` days had passed."""
    with app.app_context():
        today = today_in(app.config["TIMEZONE"]) + timedelta(days=days_later)
        return purge(today, utcnow() + timedelta(days=days_later), 365, 30, batch_size=1)


def test_a_closed_bill_loses_its_patron_link_after_the_period(app, parties, patron):
    """A paid bill keeps its card a year (RETENTION_DAYS 365); then only amounts, dates and
    libraries stay. An open bill keeps its card; a rerun purges nothing more."""
    paid, also_paid, still_open = parties.bill(), parties.bill(), parties.bill()
    for bill_id in (paid, also_paid):
        assert parties.pay(bill_id).status_code == 201
    before = parties.get_bill(paid)
    assert before["card_last4"] == "4321"

    assert purge_as_of(app, 365).bills == 0
    assert purge_as_of(app, 367).bills == 2  # two batches of one
    assert purge_as_of(app, 367).bills == 0
    after = parties.get_bill(paid)
    assert after["card_last4"] is None
    for name in ("amount_due_cents", "amount_paid_cents", "status", "sent_on", "deadline",
                 "issuer", "home_library", "items"):
        assert after[name] == before[name], name
    assert parties.get_bill(still_open)["card_last4"] == "4321"
    with app.app_context():
        stored = db.session.execute(text(
            "SELECT card_hmac, patron_id FROM bills WHERE id = :id"), {"id": paid}).one()
        assert tuple(stored) == (None, None)
        entries = db.session.execute(select(AuditEntry).where(
            AuditEntry.record_type == "retention")).scalars().all()
        assert [(e.record_id, e.action, e.detail["count"]) for e in entries] == [
            ("bills", "purged", 1), ("bills", "purged", 1)]
    statement = parties.client.get("/api/v1/statements", headers=parties.headers(LEND),
                                   query_string={"period": _quarter()})
    assert statement.status_code == 200, statement.get_json()


def _quarter() -> str:
    """This quarter, as statements name it."""
    from tests.dates import today

    day = today()
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@pytest.fixture
def app_config():
    """Bills closed today are already past a period that ended yesterday."""
    return {"RETENTION_DAYS": -1}


def test_reciprocity_purge_shows_what_it_removed_and_can_run_again(app, parties, patron):
    """The command a scheduler runs: a progress bar, a summary, nothing twice; the audit
    chain still holds."""
    assert parties.pay(parties.bill()).status_code == 201
    parties.bill()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["purge"])
    assert first.exit_code == 0, first.output
    assert "Purged patron data from 1 closed bill(s) and 0 assistance request(s)" in first.output
    again = runner.invoke(args=["purge"])
    assert "from 0 closed bill(s)" in again.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    assert [b["card_last4"] for b in parties.client.get(
        "/api/v1/bills", headers=parties.headers(HOME)).get_json()["items"]].count(None) == 1
