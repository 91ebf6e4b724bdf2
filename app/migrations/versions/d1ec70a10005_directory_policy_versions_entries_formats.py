"""The directory: published policy versions, each library's current entry, formats lent.

Revision ID: d1ec70a10005
Revises: 9194e1bec484
Create Date: 2026-11-24 10:29:40.469872

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd1ec70a10005'
down_revision = '9194e1bec484'
branch_labels = None
depends_on = None


def upgrade():
    """Create the directory's tables."""
    op.create_table('policy_versions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('policy_hash', sa.String(length=64), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_policy_versions_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_versions')),
    sa.UniqueConstraint('library_id', 'version', name=op.f('uq_policy_versions_library_id_version'))
    )
    op.create_table('directory_entries',
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('policy_hash', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('participates', sa.Boolean(), nullable=False),
    sa.Column('items_at_a_time', sa.Integer(), nullable=True),
    sa.Column('nonresident_cards', sa.Boolean(), nullable=True),
    sa.Column('nonresident_report_late', sa.Boolean(), nullable=False),
    sa.Column('processing_fee_cents', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_directory_entries_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['policy_versions.id'], name=op.f('fk_directory_entries_version_id_policy_versions')),
    sa.PrimaryKeyConstraint('library_id', name=op.f('pk_directory_entries'))
    )
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_entries_nonresident_cards'), ['nonresident_cards'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_entries_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_entries_reviewed_on'), ['reviewed_on'], unique=False)

    op.create_table('directory_formats',
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['directory_entries.library_id'], name=op.f('fk_directory_formats_library_id_directory_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('library_id', 'format', name=op.f('pk_directory_formats'))
    )
    with op.batch_alter_table('directory_formats', schema=None) as batch_op:
        batch_op.create_index('ix_directory_formats_format_library', ['format', 'library_id'], unique=False)



def downgrade():
    """Drop the directory's tables."""
    with op.batch_alter_table('directory_formats', schema=None) as batch_op:
        batch_op.drop_index('ix_directory_formats_format_library')

    op.drop_table('directory_formats')
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_entries_reviewed_on'))
        batch_op.drop_index(batch_op.f('ix_directory_entries_published_at'))
        batch_op.drop_index(batch_op.f('ix_directory_entries_nonresident_cards'))

    op.drop_table('directory_entries')
    op.drop_table('policy_versions')
