"""Payments the home library reports wait for the lender's confirmation (R7, R8)

Money the home library says it collected is `reported` until the lending library confirms it
received it; only confirmed money settles a bill. Existing payments are carried over: one
the lending library recorded is confirmed (on the day it was paid); one the home library
recorded on a bill still open or disputed becomes reported, and moves from the bill's paid
amount to its reported amount; one on a bill already closed stays confirmed, since the bill
was settled (and its blocks released) under the earlier rule and reopening it would reinstate
nothing.

R1 is made to hold for existing libraries too: a public full member takes part, an associate
member takes no part, whatever its record said.

Revision ID: a1e5c0de0007
Revises: d1ec70a10008
Create Date: 2026-12-02 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1e5c0de0007'
down_revision = 'd1ec70a10008'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite alters a table by copying it: with foreign keys enforced, dropping the old
    `bills` would delete every payment (ON DELETE CASCADE) along with it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('confirmed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('declined_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_reported_cents', sa.BigInteger(), nullable=True))

    op.execute("""
        UPDATE payments SET status = CASE
            WHEN recorded_by_library_id = (SELECT issuer_library_id FROM bills
                                           WHERE bills.id = payments.bill_id) THEN 'confirmed'
            WHEN (SELECT status FROM bills WHERE bills.id = payments.bill_id)
                 IN ('open', 'disputed') THEN 'reported'
            ELSE 'confirmed' END
    """)
    op.execute("UPDATE payments SET confirmed_on = paid_on WHERE status = 'confirmed'")
    op.execute("""
        UPDATE bills SET amount_reported_cents = COALESCE((
            SELECT SUM(amount_cents) FROM payments
            WHERE payments.bill_id = bills.id AND payments.status = 'reported'), 0)
    """)
    op.execute("UPDATE bills SET amount_paid_cents = amount_paid_cents - amount_reported_cents")
    op.execute("UPDATE libraries SET reciprocal_borrowing = true "
               "WHERE type = 'public' AND membership = 'full'")
    op.execute("UPDATE libraries SET reciprocal_borrowing = false "
               "WHERE membership = 'associate'")

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), nullable=False)
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.alter_column('amount_reported_cents', existing_type=sa.BigInteger(),
                              nullable=False)
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    op.execute("UPDATE bills SET amount_paid_cents = amount_paid_cents + amount_reported_cents")
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_column('amount_reported_cents')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('declined_on')
        batch_op.drop_column('confirmed_on')
        batch_op.drop_column('status')
    _sqlite_foreign_keys(True)
