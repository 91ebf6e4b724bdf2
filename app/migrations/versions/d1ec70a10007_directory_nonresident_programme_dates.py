"""The directory entry keeps a nonresident card programme's effective dates (R18).

The list shows only programmes in effect today, so the dates are indexed columns beside the
`nonresident_cards` flag; published policies' dates are copied in from their current version.

Revision ID: d1ec70a10007
Revises: reac0a110007
Create Date: 2026-12-02 11:50:00.000000

"""
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd1ec70a10007'
down_revision = 'reac0a110007'
branch_labels = None
depends_on = None

entries = sa.table('directory_entries', sa.column('library_id', sa.Integer),
                   sa.column('version_id', sa.String), sa.column('nonresident_from', sa.Date),
                   sa.column('nonresident_until', sa.Date))
versions = sa.table('policy_versions', sa.column('id', sa.String),
                    sa.column('policy', sa.JSON))


def _day(value):
    """A stored ISO date, or None."""
    return date.fromisoformat(value) if value else None


def upgrade():
    """Add the two dates and fill them from each library's current version."""
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonresident_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('nonresident_until', sa.Date(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(entries.c.library_id, versions.c.policy).join(
        versions, versions.c.id == entries.c.version_id)).all()
    for library_id, policy in rows:
        cards = (policy or {}).get('nonresident_cards') or {}
        connection.execute(entries.update().where(entries.c.library_id == library_id).values(
            nonresident_from=_day(cards.get('effective_from')),
            nonresident_until=_day(cards.get('effective_until'))))


def downgrade():
    """Drop the two dates (they stay in each version's policy)."""
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.drop_column('nonresident_until')
        batch_op.drop_column('nonresident_from')
