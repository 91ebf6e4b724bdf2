"""Richer directory policies: published versions take the new fields' empty values.

Policies gained conditional lending, loans and renewals, per-library caps, several ways to make
good a lost item and an unstated processing fee, a review cycle, priorities, request routing,
confidentiality and opening hours. Every stored version is rewritten as the service now
stores a policy that says nothing new: the new fields empty, `lost_materials.methods` holding
the one `replacement` it had, and `processing_fee` saying what the old amount meant (an
amount: fixed; none given: a fee that may apply, unstated, as bills treated it). The hashes
are computed again so that publishing the same policy again still changes nothing. The entry
keeps the review cycle for the list.

Revision ID: d1ec70a10008
Revises: d1ec70a10007
Create Date: 2026-12-02 12:10:00.000000

"""
import copy
import hashlib
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd1ec70a10008'
down_revision = 'd1ec70a10007'
branch_labels = None
depends_on = None

TOP = {'review_cycle_months': None, 'confidentiality': None, 'opening_hours': [],
       'opening_hours_notes': None}
ILL = {'conditional_formats': [], 'loan_days_may_vary': None, 'renewal_days': None,
       'renew_days_before_due': None, 'no_renewal_if_on_hold': None,
       'no_renewal_when_overdue_days': None, 'renewals_at_lender_discretion': None,
       'recall_any_time': None, 'subject_limit': None, 'borrowing_library_limits': None,
       'priorities': [], 'oclc_symbol': None, 'request_email': None, 'request_url': None}

versions = sa.table('policy_versions', sa.column('id', sa.String),
                    sa.column('policy', sa.JSON), sa.column('policy_hash', sa.String))
entries = sa.table('directory_entries', sa.column('version_id', sa.String),
                   sa.column('policy_hash', sa.String),
                   sa.column('review_cycle_months', sa.Integer))


def policy_hash(policy: dict) -> str:
    """SHA-256 of the canonical JSON, as the directory computes it."""
    text = json.dumps(policy, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def upgrade_policy(policy: dict) -> dict:
    """A stored policy in the new form; it says what it said before and nothing more."""
    new = copy.deepcopy(policy)
    for key, value in TOP.items():
        new.setdefault(key, copy.deepcopy(value))
    ill = new.get('interlibrary_loan') or {}
    for key, value in ILL.items():
        ill.setdefault(key, copy.deepcopy(value))
    lost = ill.get('lost_materials')
    if lost:
        lost.setdefault('methods', [lost.get('replacement') or 'list_price'])
        lost.setdefault('replacement', lost['methods'][0])
        if 'processing_fee' not in lost:
            cents = lost.get('processing_fee_cents')
            lost['processing_fee'] = ('unstated' if cents is None
                                      else 'none' if cents == 0 else 'fixed')
            if cents == 0:
                lost['processing_fee_cents'] = None
    return new


def downgrade_policy(policy: dict) -> dict:
    """The policy in the old form: the new fields dropped, the first way to replace kept."""
    old = copy.deepcopy(policy)
    for key in TOP:
        old.pop(key, None)
    ill = old.get('interlibrary_loan') or {}
    for key in ILL:
        ill.pop(key, None)
    lost = ill.get('lost_materials')
    if lost:
        lost['replacement'] = (lost.pop('methods', None) or [lost.get('replacement')])[0]
        lost.pop('processing_fee', None)
    return old


def _rewrite(change) -> None:
    """Every version rewritten by `change`, its hash and its entry's hash computed again."""
    connection = op.get_bind()
    for version_id, policy in connection.execute(
            sa.select(versions.c.id, versions.c.policy)).all():
        rewritten = change(policy)
        digest = policy_hash(rewritten)
        connection.execute(versions.update().where(versions.c.id == version_id).values(
            policy=rewritten, policy_hash=digest))
        connection.execute(entries.update().where(entries.c.version_id == version_id).values(
            policy_hash=digest, review_cycle_months=rewritten.get('review_cycle_months')))


def upgrade():
    """Add the entry's review cycle; rewrite the stored versions in the new form."""
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_cycle_months', sa.Integer(), nullable=True))
    _rewrite(upgrade_policy)


def downgrade():
    """Back to the old form (what only the new fields said is lost)."""
    _rewrite(downgrade_policy)
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.drop_column('review_cycle_months')
