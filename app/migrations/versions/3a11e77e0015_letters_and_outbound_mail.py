"""Letters between libraries (their fixed HTML and rendered PDF), the mail outbox, each
library's choice of emails, and the federation office's membership actions (Plan VIII.2.c)

Revision ID: 3a11e77e0015
Revises: a0d17c4a1004
Create Date: 2026-12-02 14:50:40

"""
import sqlalchemy as sa
from alembic import op

revision = '3a11e77e0015'
down_revision = 'a0d17c4a1004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letters',
    sa.Column('number', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=False),
    sa.Column('first_library_id', sa.Integer(), nullable=True),
    sa.Column('second_library_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['first_library_id'], ['libraries.id'], name=op.f('fk_letters_first_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_library_id'], ['libraries.id'], name=op.f('fk_letters_second_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_letters')),
    sa.UniqueConstraint('reference', name=op.f('uq_letters_reference'))
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index('ix_letters_first_party', ['first_library_id', 'number'], unique=False)
        batch_op.create_index('ix_letters_second_party', ['second_library_id', 'number'], unique=False)

    op.create_table('outbound_mail',
    sa.Column('number', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('to', sa.String(length=2000), nullable=False),
    sa.Column('cc', sa.String(length=2000), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('letter_number', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['letter_number'], ['letters.number'], name=op.f('fk_outbound_mail_letter_number_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_outbound_mail')),
    sa.UniqueConstraint('id', name=op.f('uq_outbound_mail_id'))
    )
    with op.batch_alter_table('outbound_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_mail_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_mail_letter_number'), ['letter_number'], unique=False)

    op.create_table('membership_actions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requirements', sa.Text(), nullable=True),
    sa.Column('membership_before', sa.String(length=16), nullable=False),
    sa.Column('reciprocal_borrowing_before', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_membership_actions_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_actions'))
    )
    with op.batch_alter_table('membership_actions', schema=None) as batch_op:
        batch_op.create_index('ix_membership_actions_library_created', ['library_id', 'created_at'], unique=False)
    op.create_table('library_mail_settings',
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_library_mail_settings_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('library_id', 'kind', name=op.f('pk_library_mail_settings'))
    )


def downgrade():
    op.drop_table('library_mail_settings')
    with op.batch_alter_table('membership_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_membership_actions_library_created')

    op.drop_table('membership_actions')

    with op.batch_alter_table('outbound_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_mail_letter_number'))
        batch_op.drop_index('ix_outbound_mail_due')

    op.drop_table('outbound_mail')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letters_second_party')
        batch_op.drop_index('ix_letters_first_party')

    op.drop_table('letters')
