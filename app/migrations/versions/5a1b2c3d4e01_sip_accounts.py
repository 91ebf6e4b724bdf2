"""SIP accounts: the SIP2 door's logins, hashed, each tied to a library

Revision ID: 5a1b2c3d4e01
Revises: fede0a110006
Create Date: 2026-12-02 11:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5a1b2c3d4e01'
down_revision = 'fede0a110006'
branch_labels = None
depends_on = None


def upgrade():
    """Create sip_accounts (a new table: no existing data to carry over)."""
    op.create_table('sip_accounts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_sip_accounts_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sip_accounts')),
    sa.UniqueConstraint('login', name=op.f('uq_sip_accounts_login'))
    )
    with op.batch_alter_table('sip_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sip_accounts_library_id'), ['library_id'], unique=False)


def downgrade():
    """Drop sip_accounts."""
    with op.batch_alter_table('sip_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sip_accounts_library_id'))

    op.drop_table('sip_accounts')
