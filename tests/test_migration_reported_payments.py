"""The migration that makes home-reported payments wait for confirmation carries existing
bills and payments over (R7, R8), and makes R1 hold for existing libraries."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db

BEFORE = "fede0a110006"


def test_existing_payments_become_confirmed_or_reported_by_who_recorded_them(app):
    """Recorded by the lender: confirmed. By the home library: reported while the bill is
    open, confirmed when the bill was already settled under the earlier rule."""
    with app.app_context():
        downgrade(revision=BEFORE)
        run = db.session.execute
        run(text("INSERT INTO libraries (id, code, name, type, membership, reciprocal_borrowing,"
                 " active, created_at, updated_at) VALUES "
                 "(1, 'HOME', 'Home', 'public', 'full', true, true, :now, :now), "
                 "(2, 'LEND', 'Lend', 'public', 'full', true, true, :now, :now), "
                 "(3, 'ASSOC', 'Assoc', 'public', 'associate', true, true, :now, :now)"),
            {"now": "2026-01-05 10:00:00"})
        for bill_id, status, paid in (("bil_open", "open", 1500), ("bil_paid", "paid", 2000)):
            run(text("INSERT INTO bills (id, issuer_library_id, home_library_id, card_hmac, "
                     "card_last4, infraction_date, sent_on, deadline, status, amount_due_cents,"
                     " amount_paid_cents, liable_party, created_at, updated_at) VALUES "
                     "(:id, 2, 1, :card, '0001', '2026-01-01', '2026-01-02', '2027-01-01', "
                     ":status, 2000, :paid, 'patron', :now, :now)"),
                {"id": bill_id, "status": status, "paid": paid, "card": b"x" * 32,
                 "now": "2026-01-05 10:00:00"})
        for pay_id, bill_id, amount, by in (("pay_lend", "bil_open", 500, 2),
                                            ("pay_home", "bil_open", 1000, 1),
                                            ("pay_closed", "bil_paid", 2000, 1)):
            run(text("INSERT INTO payments (id, bill_id, amount_cents, paid_by, "
                     "recorded_by_library_id, paid_on, created_at) VALUES "
                     "(:id, :bill, :amount, 'patron', :by, '2026-01-03', :now)"),
                {"id": pay_id, "bill": bill_id, "amount": amount, "by": by,
                 "now": "2026-01-05 10:00:00"})
        db.session.commit()
        upgrade()
        payments = dict(run(text("SELECT id, status FROM payments")).all())
        bills = {row.id: (row.amount_paid_cents, row.amount_reported_cents, row.status)
                 for row in run(text("SELECT id, amount_paid_cents, amount_reported_cents, "
                                     "status FROM bills"))}
        taking_part = dict(run(text("SELECT code, reciprocal_borrowing FROM libraries")).all())
        db.session.remove()
        db.engine.dispose()
    assert payments == {"pay_lend": "confirmed", "pay_home": "reported",
                        "pay_closed": "confirmed"}
    assert bills == {"bil_open": (500, 1000, "open"), "bil_paid": (2000, 0, "paid")}
    assert {code: bool(value) for code, value in taking_part.items()} == {
        "HOME": True, "LEND": True, "ASSOC": False}
