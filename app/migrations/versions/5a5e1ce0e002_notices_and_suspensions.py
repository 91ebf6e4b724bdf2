"""Notices of non-compliance and suspensions between libraries (R12, Plan VIII.1.b and d)

Revision ID: 5a5e1ce0e002
Revises: 0ffe1ce0e001
Create Date: 2026-12-02 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5a5e1ce0e002'
down_revision = '0ffe1ce0e001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notices',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('sender_library_id', sa.Integer(), nullable=False),
    sa.Column('recipient_library_id', sa.Integer(), nullable=False),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('policy', sa.Text(), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=True),
    sa.Column('asks', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_library_id'], ['libraries.id'], name=op.f('fk_notices_recipient_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_library_id'], ['libraries.id'], name=op.f('fk_notices_sender_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_recipient_library_id'), ['recipient_library_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_sender_library_id'), ['sender_library_id'], unique=False)

    op.create_table('suspensions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('suspending_library_id', sa.Integer(), nullable=False),
    sa.Column('suspended_library_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('services', sa.String(length=24), nullable=False),
    sa.Column('item_cap', sa.Integer(), nullable=True),
    sa.Column('terms', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('renewals', sa.Integer(), nullable=False),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.Column('ended_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['suspended_library_id'], ['libraries.id'], name=op.f('fk_suspensions_suspended_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['suspending_library_id'], ['libraries.id'], name=op.f('fk_suspensions_suspending_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suspensions'))
    )
    with op.batch_alter_table('suspensions', schema=None) as batch_op:
        batch_op.create_index('ix_suspensions_pair_ends', ['suspending_library_id', 'suspended_library_id', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_suspensions_suspended_library_id'), ['suspended_library_id'], unique=False)

    op.create_table('suspension_notices',
    sa.Column('suspension_id', sa.String(length=32), nullable=False),
    sa.Column('notice_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_suspension_notices_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['suspension_id'], ['suspensions.id'], name=op.f('fk_suspension_notices_suspension_id_suspensions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('suspension_id', 'notice_id', name=op.f('pk_suspension_notices'))
    )
    with op.batch_alter_table('suspension_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suspension_notices_notice_id'), ['notice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('suspension_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suspension_notices_notice_id'))
    op.drop_table('suspension_notices')
    with op.batch_alter_table('suspensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suspensions_suspended_library_id'))
        batch_op.drop_index('ix_suspensions_pair_ends')
    op.drop_table('suspensions')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_sender_library_id'))
        batch_op.drop_index(batch_op.f('ix_notices_recipient_library_id'))
    op.drop_table('notices')
