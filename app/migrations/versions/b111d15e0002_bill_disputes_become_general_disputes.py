"""A bill's dispute becomes one case of the general dispute (R13): bill_disputes rows move into
disputes and dispute_messages, and the table goes

Each bill dispute becomes a dispute about its bill, opened by the home library against the
issuer, with its reason as the opening message and the issuer's answer (if any) as a message;
a closed one keeps its closing instant and its reason (withdrawn or settled) as its outcome.

Revision ID: b111d15e0002
Revises: a5515a0ce001
Create Date: 2026-12-02 15:10:00

"""
import base64
import os

import sqlalchemy as sa
from alembic import op

revision = 'b111d15e0002'
down_revision = 'a5515a0ce001'
branch_labels = None
depends_on = None

_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                           "0123456789abcdefghjkmnpqrstvwxyz")

bills = sa.table('bills', sa.column('id', sa.String), sa.column('issuer_library_id', sa.Integer),
                 sa.column('home_library_id', sa.Integer))
bill_disputes = sa.table(
    'bill_disputes', sa.column('id', sa.String), sa.column('bill_id', sa.String),
    sa.column('reason', sa.Text), sa.column('opened_at', sa.DateTime(timezone=True)),
    sa.column('answer', sa.Text), sa.column('answered_at', sa.DateTime(timezone=True)),
    sa.column('closed_at', sa.DateTime(timezone=True)),
    sa.column('closed_because', sa.String))
disputes = sa.table(
    'disputes', sa.column('id', sa.String), sa.column('subject_type', sa.String),
    sa.column('subject_id', sa.String), sa.column('opened_by_library_id', sa.Integer),
    sa.column('other_library_id', sa.Integer), sa.column('status', sa.String),
    sa.column('outcome', sa.String), sa.column('closed_at', sa.DateTime(timezone=True)),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('updated_at', sa.DateTime(timezone=True)))
messages = sa.table(
    'dispute_messages', sa.column('id', sa.String), sa.column('dispute_id', sa.String),
    sa.column('author_library_id', sa.Integer), sa.column('kind', sa.String),
    sa.column('body', sa.Text), sa.column('created_at', sa.DateTime(timezone=True)))


def _message_id() -> str:
    """An id as app.ids.new_id('dim') makes them (this revision stands alone)."""
    return "dim_" + base64.b32encode(os.urandom(15)).decode("ascii")[:20].translate(_CROCKFORD)


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(bill_disputes, bills.c.issuer_library_id, bills.c.home_library_id)
        .join(bills, bills.c.id == bill_disputes.c.bill_id)
        .order_by(bill_disputes.c.opened_at)).mappings()
    for row in rows:
        connection.execute(disputes.insert().values(
            id=row['id'], subject_type='bill', subject_id=row['bill_id'],
            opened_by_library_id=row['home_library_id'],
            other_library_id=row['issuer_library_id'],
            status='closed' if row['closed_at'] else 'open',
            outcome=row['closed_because'] if row['closed_at'] else None,
            closed_at=row['closed_at'], created_at=row['opened_at'],
            updated_at=row['closed_at'] or row['answered_at'] or row['opened_at']))
        connection.execute(messages.insert().values(
            id=_message_id(), dispute_id=row['id'], author_library_id=row['home_library_id'],
            kind='opening', body=row['reason'], created_at=row['opened_at']))
        if row['answer'] is not None:
            connection.execute(messages.insert().values(
                id=_message_id(), dispute_id=row['id'],
                author_library_id=row['issuer_library_id'], kind='message',
                body=row['answer'], created_at=row['answered_at'] or row['opened_at']))
    with op.batch_alter_table('bill_disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_disputes_bill_id'))
    op.drop_table('bill_disputes')


def downgrade():
    op.create_table('bill_disputes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('bill_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_because', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_bill_disputes_bill_id_bills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_disputes'))
    )
    with op.batch_alter_table('bill_disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_disputes_bill_id'), ['bill_id'], unique=False)
    # Disputes the home library opened about a bill go back to the bill's own table (the
    # others, opened by the issuer, had no place there and stay general disputes).
    connection = op.get_bind()
    found = connection.execute(
        sa.select(disputes).join(bills, bills.c.id == disputes.c.subject_id)
        .where(disputes.c.subject_type == 'bill',
               disputes.c.opened_by_library_id == bills.c.home_library_id)).mappings().all()
    for row in found:
        written = connection.execute(sa.select(messages).where(
            messages.c.dispute_id == row['id']).order_by(messages.c.created_at)).mappings().all()
        opening = next((m for m in written if m['kind'] == 'opening'), None)
        answers = [m for m in written if m['kind'] == 'message'
                   and m['author_library_id'] == row['other_library_id']]
        connection.execute(bill_disputes.insert().values(
            id=row['id'], bill_id=row['subject_id'],
            reason=opening['body'] if opening else '', opened_at=row['created_at'],
            answer=answers[-1]['body'] if answers else None,
            answered_at=answers[-1]['created_at'] if answers else None,
            closed_at=row['closed_at'],
            closed_because=row['outcome'] if row['outcome'] in ('withdrawn', 'settled')
            else ('settled' if row['closed_at'] else None)))
        connection.execute(messages.delete().where(messages.c.dispute_id == row['id']))
        connection.execute(disputes.delete().where(disputes.c.id == row['id']))
