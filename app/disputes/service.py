"""Use cases for disputes (R13): open, write, escalate to the office, answer, decide, withdraw.

A bill's dispute is one of these, whichever party opens it and whether through here or the
bill's own endpoints (/bills/{id}/dispute): while it is open the bill is `disputed`.

A dispute concerns one record the two libraries are party to (a bill, a block, a suspension or
a notice) and is loaded only through a query scoped to the caller's library: another's is not
found. Escalations, the office's answers and its decisions are copied to the office's feed.
"""

from sqlalchemy import func, or_, select, update

from app.auth import Caller
from app.bills.models import Bill
from app.bills.service import mark_disputed, reopen_after_dispute
from app.blocks.models import Block
from app.disputes import rules
from app.disputes.models import DisputeMessage, LibraryDispute
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.notices.models import Notice
from app.pagination import paginate
from app.suspensions.models import Suspension
from app.timestamps import utcnow

# For each kind of record: its table and the columns naming its two parties.
SUBJECTS = {
    "bill": (Bill, Bill.issuer_library_id, Bill.home_library_id),
    "block": (Block, Block.requester_library_id, Block.home_library_id),
    "suspension": (Suspension, Suspension.suspending_library_id,
                   Suspension.suspended_library_id),
    "notice": (Notice, Notice.sender_library_id, Notice.recipient_library_id),
}


def _subject_parties(subject_type: str, subject_id: str, library_id: int) -> tuple[int, int]:
    """The two parties of a record the caller is party to, or 422 (another's is not found)."""
    model, first, second = SUBJECTS[subject_type]
    row = db.session.execute(select(first, second).where(
        model.id == subject_id, or_(first == library_id, second == library_id))).first()
    if row is None:
        raise RuleError(f"You are party to no {subject_type} with this id.",
                        code="subject_not_found",
                        errors={"subject_id": f"Not a {subject_type} you are party to."})
    return row[0], row[1]


def _lock_bill(subject_type: str, subject_id: str) -> None:
    """A dispute about a bill takes the bill's row first, as the bills' use cases do (bill,
    then event counters), so a payment racing a dispute on PostgreSQL cannot deadlock."""
    if subject_type == "bill":
        db.session.execute(select(Bill.id).where(Bill.id == subject_id).with_for_update())


def _events(dispute: LibraryDispute, type_: str, *, office: bool) -> None:
    """The event of a change, for both parties (and, when asked, the office)."""
    record([dispute.opened_by_library_id, dispute.other_library_id], type_,
           {"dispute_id": dispute.id, "subject_type": dispute.subject_type,
            "subject_id": dispute.subject_id}, office=office)


def open_dispute(library_id: int, data: dict, before_commit=None) -> LibraryDispute:
    """Either party to a record opens a dispute with the other, saying what is in dispute."""
    first, second = _subject_parties(data["subject_type"], data["subject_id"], library_id)
    other = second if first == library_id else first
    existing = db.session.execute(select(LibraryDispute.id).where(
        LibraryDispute.subject_type == data["subject_type"],
        LibraryDispute.subject_id == data["subject_id"],
        LibraryDispute.status != "closed")).scalar()
    if existing:
        raise ConflictError(f"This {data['subject_type']} already has an open dispute: "
                            f"{existing}. Write in it instead.", code="dispute_exists",
                            existing_dispute_id=existing)
    dispute = LibraryDispute(id=new_id("dis"), subject_type=data["subject_type"],
                      subject_id=data["subject_id"], opened_by_library_id=library_id,
                      other_library_id=other, status="open")
    dispute.messages.append(DisputeMessage(id=new_id("dim"), author_library_id=library_id,
                                           kind="opening", body=data["summary"]))
    _lock_bill(dispute.subject_type, dispute.subject_id)
    db.session.add(dispute)
    db.session.flush()
    _events(dispute, "dispute.opened", office=False)
    if dispute.subject_type == "bill":
        # Either party disputes a bill: an open bill is `disputed` until this one closes,
        # exactly as when the home library disputes it through /bills (R13).
        mark_disputed(dispute.subject_id, dispute.id)
    if before_commit is not None:
        before_commit(dispute)
    db.session.commit()
    return dispute


def party_dispute(caller: Caller, dispute_id: str) -> LibraryDispute:
    """A dispute the caller is party to (the office sees all); else 404."""
    query = select(LibraryDispute).where(LibraryDispute.id == dispute_id)
    if not caller.is_admin:
        query = query.where(or_(LibraryDispute.opened_by_library_id == caller.library_id,
                                LibraryDispute.other_library_id == caller.library_id))
    dispute = db.session.execute(query).unique().scalar_one_or_none()
    if dispute is None:
        raise NotFoundError("You have no dispute with this id.", code="dispute_not_found")
    return dispute


def list_disputes(caller: Caller, *, status=None, subject_type=None, subject_id=None,
                  limit=None, cursor=None) -> dict:
    """A page of disputes the caller is party to (the office: all)."""
    query = select(LibraryDispute)
    if not caller.is_admin:
        query = query.where(or_(LibraryDispute.opened_by_library_id == caller.library_id,
                                LibraryDispute.other_library_id == caller.library_id))
    if status:
        query = query.where(LibraryDispute.status == status)
    if subject_type:
        query = query.where(LibraryDispute.subject_type == subject_type)
    if subject_id:
        query = query.where(LibraryDispute.subject_id == subject_id)
    return paginate(query, LibraryDispute.id, limit=limit, cursor=cursor)


_DONE = {"message": "written in", "escalate": "escalated", "office_answer": "answered",
         "decide": "decided", "withdraw": "withdrawn"}
_EVENTS = {"message": "dispute.message_posted", "escalate": "dispute.escalated",
           "office_answer": "dispute.office_answered", "decide": "dispute.decided",
           "withdraw": "dispute.withdrawn"}
_KINDS = {"message": "message", "escalate": "escalation", "office_answer": "office_answer",
          "decide": "decision", "withdraw": "withdrawal"}


def act(caller: Caller, dispute_id: str, action: str, body: str) -> LibraryDispute:
    """Write in a dispute: a message, an escalation, the office's answer or decision, or a
    withdrawal; each is a written message, and each moves the dispute as the rules say."""
    dispute = party_dispute(caller, dispute_id)
    _lock_bill(dispute.subject_type, dispute.subject_id)
    if not rules.may_act(action, is_office=caller.is_admin,
                         is_opener=dispute.opened_by_library_id == caller.library_id):
        who = {"office": "the federation office", "opener": "the library that opened it",
               "party": "the two libraries"}[rules.ACTORS[action]]
        raise ForbiddenError(f"Only {who} can do this in a dispute (R13).",
                             code="not_your_dispute_action")
    target = rules.next_state(action, dispute.status)
    if target is None:
        raise ConflictError(f"This dispute is {dispute.status}: it cannot be "
                            f"{_DONE[action]} now.", code="dispute_state_conflict",
                            status_now=dispute.status)
    count = db.session.execute(select(func.count()).select_from(DisputeMessage).where(
        DisputeMessage.dispute_id == dispute.id)).scalar_one()
    if count >= rules.MAX_MESSAGES:
        raise RuleError(f"A dispute holds at most {rules.MAX_MESSAGES} messages: ask the "
                        "office to decide it.", code="too_many_messages")
    values = {"status": target, "updated_at": utcnow()}
    if action == "escalate":
        values.update(escalated_by_library_id=caller.library_id, escalated_at=utcnow())
    elif target == "closed":
        values.update(closed_at=utcnow(), outcome="decided" if action == "decide"
                      else "withdrawn")
        if action == "decide":
            values["decision"] = body
    # The office is copied from the escalation on (R13: the request for help, in writing).
    _events(dispute, _EVENTS[action], office=action != "message" and (
        action != "withdraw" or dispute.status == "escalated"))
    # Conditional on the state read: of two racing changes, one moves it.
    moved = db.session.execute(
        update(LibraryDispute).where(LibraryDispute.id == dispute.id,
                                     LibraryDispute.status == dispute.status)
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1
    if not moved:
        db.session.rollback()
        current = party_dispute(caller, dispute_id)
        raise ConflictError(f"This dispute is {current.status}: it cannot be "
                            f"{_DONE[action]} now.", code="dispute_state_conflict",
                            status_now=current.status)
    db.session.add(DisputeMessage(id=new_id("dim"), dispute_id=dispute.id,
                                  author_library_id=caller.library_id, kind=_KINDS[action],
                                  body=body))
    if target == "closed" and dispute.subject_type == "bill":
        reopen_after_dispute(dispute.subject_id, withdrawn=action == "withdraw")
    db.session.commit()
    db.session.expire(dispute)
    return party_dispute(caller, dispute_id)
