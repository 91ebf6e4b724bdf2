"""The federation office's event feed: events, counters and webhook endpoints name a feed

Every event belonged to a library. Suspensions, escalations and membership actions send a copy
to the federation office, so events, their counters and webhook endpoints now name a feed: the
library's id, or 0 for the office. Existing rows keep their library's feed and positions.

Revision ID: 0ffe1ce0e001
Revises: b8b02d6684bb
Create Date: 2026-12-02 11:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0ffe1ce0e001'
down_revision = 'b8b02d6684bb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed', sa.BigInteger(), nullable=True))
    op.execute('UPDATE events SET feed = library_id')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('feed', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('library_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_index('ix_events_library_seq')
        batch_op.create_index('ix_events_feed_seq', ['feed', 'seq'], unique=True)
        batch_op.create_index(batch_op.f('ix_events_library_id'), ['library_id'], unique=False)

    # A counter is per feed now, and the office's (0) names no library. SQLite may have lost
    # the foreign key's name (a table rebuilt by an earlier batch): the convention names it.
    naming = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
    with op.batch_alter_table('event_counters', schema=None,
                              naming_convention=naming) as batch_op:
        batch_op.drop_constraint('fk_event_counters_library_id_libraries', type_='foreignkey')
        batch_op.alter_column('library_id', new_column_name='feed',
                              existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=False)

    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed', sa.BigInteger(), nullable=True))
    op.execute('UPDATE webhook_endpoints SET feed = library_id')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.alter_column('feed', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('library_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_feed'), ['feed'], unique=False)


def downgrade():
    # The office's feed has no library to go back to: its events and endpoints are dropped.
    op.execute('DELETE FROM webhook_endpoints WHERE library_id IS NULL')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_feed'))
        batch_op.alter_column('library_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('feed')

    op.execute('DELETE FROM event_counters WHERE feed = 0')
    with op.batch_alter_table('event_counters', schema=None) as batch_op:
        batch_op.alter_column('feed', new_column_name='library_id',
                              existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=False)
    # In a batch of its own: on SQLite a key added with the rename is lost.
    with op.batch_alter_table('event_counters', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_event_counters_library_id_libraries', 'libraries',
                                    ['library_id'], ['id'], ondelete='CASCADE')

    op.execute('DELETE FROM events WHERE library_id IS NULL')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_library_id'))
        batch_op.drop_index('ix_events_feed_seq')
        batch_op.create_index('ix_events_library_seq', ['library_id', 'seq'], unique=True)
        batch_op.alter_column('library_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('feed')
