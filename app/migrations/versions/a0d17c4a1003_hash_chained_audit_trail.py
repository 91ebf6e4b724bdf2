"""The hash-chained audit trail: audit_entries and the head row that orders appenders

Revision ID: a0d17c4a1003
Revises: b111d15e0002
Create Date: 2026-12-02 15:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a0d17c4a1003'
down_revision = 'b111d15e0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entries',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('previous_state', sa.String(length=32), nullable=True),
    sa.Column('new_state', sa.String(length=32), nullable=True),
    sa.Column('first_party_id', sa.Integer(), nullable=True),
    sa.Column('second_party_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_record', ['record_type', 'record_id', 'seq'], unique=False)
        batch_op.create_index('ix_audit_entries_first_party', ['first_party_id', 'seq'], unique=False)
        batch_op.create_index('ix_audit_entries_second_party', ['second_party_id', 'seq'], unique=False)
        batch_op.create_index('ix_audit_entries_library', ['library_id', 'seq'], unique=False)
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )


def downgrade():
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_library')
        batch_op.drop_index('ix_audit_entries_second_party')
        batch_op.drop_index('ix_audit_entries_first_party')
        batch_op.drop_index('ix_audit_entries_record')
    op.drop_table('audit_entries')
