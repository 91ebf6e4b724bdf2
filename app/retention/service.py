"""`reciprocity purge`: remove patron-linked data from closed records past the period (R16).

Bills paid, resolved or void for more than RETENTION_DAYS lose the card's keyed hash, its last
four digits and the link to the home library's patron; amounts, dates, items and the two
libraries stay, for the quarterly statements and the annual traffic survey (R19). Assistance
requests closed for more than ASSISTANCE_PURGE_DAYS lose the patron details the home library
passed. Work goes in committed batches, so a run can be interrupted and run again; what is
already purged is not touched twice. Each batch leaves an audit entry with its count.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from app.assistance.models import AssistanceRequest
from app.audit.service import append
from app.bills.models import Bill
from app.extensions import db
from app.retention import rules


@dataclass
class Purged:
    """What a run removed, by kind of record."""

    bills: int = 0
    assistance: int = 0
    batches: list = field(default_factory=list)


def _bills_due(cutoff: date):
    """Closed bills past the period that still hold a patron link."""
    return (Bill.status.in_(rules.CLOSED_BILL_STATES), Bill.closed_on < cutoff,
            Bill.card_hmac.is_not(None))


def _assistance_due(cutoff: datetime):
    """Closed assistance requests past their period that still hold patron details."""
    return (AssistanceRequest.status == "closed", AssistanceRequest.closed_at < cutoff,
            AssistanceRequest.details_sealed.is_not(None))


def pending(today: date, now: datetime, retention_days: int, assistance_days: int) -> int:
    """How many records a run would purge now (for the progress bar)."""
    bills = db.session.execute(select(func.count()).select_from(Bill).where(
        *_bills_due(rules.closed_before(today, retention_days)))).scalar_one()
    requests = db.session.execute(select(func.count()).select_from(AssistanceRequest).where(
        *_assistance_due(now - timedelta(days=assistance_days)))).scalar_one()
    return bills + requests


def purge(today: date, now: datetime, retention_days: int, assistance_days: int, *,
          batch_size: int = 500, on_batch: Callable[[int], None] | None = None) -> Purged:
    """Purge every closed record past its period, batch by batch (each committed)."""
    done = Purged()
    bill_cutoff = rules.closed_before(today, retention_days)
    while True:
        ids = db.session.execute(select(Bill.id).where(*_bills_due(bill_cutoff))
                                 .order_by(Bill.id).limit(batch_size)).scalars().all()
        if not ids:
            break
        count = db.session.execute(
            update(Bill).where(Bill.id.in_(ids), Bill.card_hmac.is_not(None))
            .values(card_hmac=None, card_last4=None, patron_id=None)
            .execution_options(synchronize_session=False)).rowcount
        _audit("bills", count, bill_cutoff.isoformat())
        db.session.commit()
        done.bills += count
        if on_batch is not None:
            on_batch(count)
    request_cutoff = now - timedelta(days=assistance_days)
    while True:
        ids = db.session.execute(select(AssistanceRequest.id).where(
            *_assistance_due(request_cutoff)).order_by(AssistanceRequest.id)
            .limit(batch_size)).scalars().all()
        if not ids:
            break
        count = db.session.execute(
            update(AssistanceRequest).where(AssistanceRequest.id.in_(ids),
                                            AssistanceRequest.details_sealed.is_not(None))
            .values(details_sealed=None, details_purged_at=now)
            .execution_options(synchronize_session=False)).rowcount
        _audit("assistance_requests", count, request_cutoff.date().isoformat())
        db.session.commit()
        done.assistance += count
        if on_batch is not None:
            on_batch(count)
    return done


def _audit(what: str, count: int, before: str) -> None:
    """The audit entry of one purged batch: how many, closed before when; no ids, no patron
    data (R16)."""
    append("retention", what, "purged", detail={"count": count, "closed_before": before})
