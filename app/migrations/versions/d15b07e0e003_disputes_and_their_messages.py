"""Disputes between libraries about a bill, block, suspension or notice, and their messages
(R13, Plan VIII.1.e)

Revision ID: d15b07e0e003
Revises: 5a5e1ce0e002
Create Date: 2026-12-02 12:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd15b07e0e003'
down_revision = '5a5e1ce0e002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('disputes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=False),
    sa.Column('opened_by_library_id', sa.Integer(), nullable=False),
    sa.Column('other_library_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('escalated_by_library_id', sa.Integer(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['escalated_by_library_id'], ['libraries.id'], name=op.f('fk_disputes_escalated_by_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by_library_id'], ['libraries.id'], name=op.f('fk_disputes_opened_by_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_library_id'], ['libraries.id'], name=op.f('fk_disputes_other_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index('ix_disputes_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_opened_by_library_id'), ['opened_by_library_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_other_library_id'), ['other_library_id'], unique=False)

    op.create_table('dispute_messages',
    sa.Column('number', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('dispute_id', sa.String(length=32), nullable=False),
    sa.Column('author_library_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_library_id'], ['libraries.id'], name=op.f('fk_dispute_messages_author_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_messages_dispute_id_disputes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_dispute_messages')),
    sa.UniqueConstraint('id', name=op.f('uq_dispute_messages_id'))
    )
    with op.batch_alter_table('dispute_messages', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_messages_dispute_number', ['dispute_id', 'number'], unique=False)


def downgrade():
    with op.batch_alter_table('dispute_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_messages_dispute_number')
    op.drop_table('dispute_messages')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disputes_other_library_id'))
        batch_op.drop_index(batch_op.f('ix_disputes_opened_by_library_id'))
        batch_op.drop_index('ix_disputes_subject')
    op.drop_table('disputes')
