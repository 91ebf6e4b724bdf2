"""Assistance requests between a lending library and a patron's home library (R7, Plan
V.1.b.iii-iv)

Revision ID: a5515a0ce001
Revises: d15b07e0e003
Create Date: 2026-12-02 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a5515a0ce001'
down_revision = 'd15b07e0e003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assistance_requests',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('requester_library_id', sa.Integer(), nullable=False),
    sa.Column('home_library_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('bill_id', sa.String(length=32), nullable=True),
    sa.Column('block_id', sa.String(length=32), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response_due_on', sa.Date(), nullable=False),
    sa.Column('overdue_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response', sa.String(length=32), nullable=True),
    sa.Column('answer_note', sa.Text(), nullable=True),
    sa.Column('details_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('details_purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_because', sa.String(length=16), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_assistance_requests_bill_id_bills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['block_id'], ['blocks.id'], name=op.f('fk_assistance_requests_block_id_blocks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['home_library_id'], ['libraries.id'], name=op.f('fk_assistance_requests_home_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_library_id'], ['libraries.id'], name=op.f('fk_assistance_requests_requester_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_requests'))
    )
    with op.batch_alter_table('assistance_requests', schema=None) as batch_op:
        batch_op.create_index('ix_assistance_requester_status', ['requester_library_id', 'status'], unique=False)
        batch_op.create_index('ix_assistance_home_status', ['home_library_id', 'status'], unique=False)
        batch_op.create_index('ix_assistance_status_due', ['status', 'response_due_on'], unique=False)
        batch_op.create_index('ix_assistance_closed_at', ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_requests_bill_id'), ['bill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_requests_block_id'), ['block_id'], unique=False)


def downgrade():
    op.drop_table('assistance_requests')
