"""Bills' card hash and last four digits may be removed from closed bills (retention, R16)

Revision ID: a0d17c4a1004
Revises: a0d17c4a1003
Create Date: 2026-12-02 15:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a0d17c4a1004'
down_revision = 'a0d17c4a1003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.alter_column('card_hmac', existing_type=sa.LargeBinary(length=32),
                              nullable=True)
        batch_op.alter_column('card_last4', existing_type=sa.String(length=4), nullable=True)


def downgrade():
    # A purged bill has no card left to restore: it keeps a placeholder that matches no card.
    op.execute(sa.text("UPDATE bills SET card_last4 = '----' WHERE card_last4 IS NULL"))
    bills = sa.table('bills', sa.column('card_hmac', sa.LargeBinary))
    op.execute(bills.update().where(bills.c.card_hmac.is_(None))
               .values(card_hmac=b'\x00' * 32))
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.alter_column('card_last4', existing_type=sa.String(length=4), nullable=False)
        batch_op.alter_column('card_hmac', existing_type=sa.LargeBinary(length=32),
                              nullable=False)
