"""Use cases for assistance requests (R7): ask, answer, withdraw, close, flag the overdue, and
purge what the home library passed about its patron (R16).

A request is loaded only through a query scoped to the caller's library: another's is not
found. Events carry the request's id and kind, never what the home library passed (R16).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select, update

from app.assistance import rules
from app.assistance.models import AssistanceRequest
from app.auth import Caller
from app.bills.models import Bill
from app.blocks.models import Block
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.notices.service import counterparty
from app.pagination import paginate
from app.reach.sealing import Sealer, SealError
from app.timestamps import utcnow

Hook = Callable[[object], None] | None


@dataclass(frozen=True)
class AssistanceView:
    """A request as one viewer sees it: the patron details for the requester alone (R16)."""

    request: AssistanceRequest
    patron_details: str | None
    overdue: bool

    @property
    def details_purged(self) -> bool:
        """The details were purged after the request closed."""
        return self.request.details_purged_at is not None

    def __getattr__(self, name):
        return getattr(self.request, name)


def shown_to(caller: Caller, request: AssistanceRequest, today: date,
             sealer: Sealer | None) -> AssistanceView:
    """The request as `caller` may see it: the home library's details only to the requester.

    Not even the federation office reads them (R16): it sees who asked whom, the kind, the
    state and the dates.
    """
    details = None
    if (sealer is not None and request.details_sealed is not None
            and caller.library_id == request.requester_library_id):
        try:
            details = sealer.open(request.details_sealed)["details"]
        except SealError:
            details = None  # sealed with a key no longer configured: as good as purged
    return AssistanceView(request, details,
                          rules.is_overdue(request.status, request.response_due_on, today))


def _subject(requester_id: int, home_id: int, data: dict) -> None:
    """The bill or block must be the requester's, to this home library (422 otherwise)."""
    if data.get("bill_id"):
        found = db.session.execute(select(Bill.id).where(
            Bill.id == data["bill_id"], Bill.issuer_library_id == requester_id,
            Bill.home_library_id == home_id)).first()
        field, what = "bill_id", "bill"
    else:
        found = db.session.execute(select(Block.id).where(
            Block.id == data["block_id"], Block.requester_library_id == requester_id,
            Block.home_library_id == home_id)).first()
        field, what = "block_id", "block request"
    if found is None:
        raise RuleError(f"An assistance request concerns a {what} you sent this home library "
                        "(R7).", code="subject_not_found",
                        errors={field: f"Not your {what} to this home library."})


def request_assistance(caller: Caller, data: dict, today: date, due_days: int,
                       before_commit: Hook = None) -> AssistanceView:
    """A lending library asks the home library for help with a bill or delinquent material."""
    home = counterparty(data["home_library"], caller.library_id, "home_library")
    _subject(caller.library_id, home.id, data)
    existing = db.session.execute(select(AssistanceRequest.id).where(
        AssistanceRequest.requester_library_id == caller.library_id,
        AssistanceRequest.kind == data["kind"],
        AssistanceRequest.bill_id.is_(None) if not data.get("bill_id")
        else AssistanceRequest.bill_id == data["bill_id"],
        AssistanceRequest.block_id.is_(None) if not data.get("block_id")
        else AssistanceRequest.block_id == data["block_id"],
        AssistanceRequest.status == "requested")).scalar()
    if existing:
        raise ConflictError(f"You already asked for this and have no answer yet: {existing}.",
                            code="assistance_exists", existing_assistance_id=existing)
    request = AssistanceRequest(
        id=new_id("asr"), requester_library_id=caller.library_id, home_library_id=home.id,
        kind=data["kind"], bill_id=data.get("bill_id"), block_id=data.get("block_id"),
        message=data["message"], status="requested",
        response_due_on=rules.response_due(today, due_days))
    db.session.add(request)
    db.session.flush()
    _events(request, "assistance.requested")
    view = shown_to(caller, request, today, None)
    if before_commit is not None:
        before_commit(view)
    db.session.commit()
    return view


def _events(request: AssistanceRequest, type_: str, **extra) -> None:
    """The event of a change, for both parties: ids and kind, never patron details (R16)."""
    record([request.requester_library_id, request.home_library_id], type_,
           {"assistance_id": request.id, "kind": request.kind, **extra})


def party_request(caller: Caller, assistance_id: str) -> AssistanceRequest:
    """A request the caller is party to (the federation office sees all); else 404."""
    query = select(AssistanceRequest).where(AssistanceRequest.id == assistance_id)
    if not caller.is_admin:
        query = query.where(or_(AssistanceRequest.requester_library_id == caller.library_id,
                                AssistanceRequest.home_library_id == caller.library_id))
    request = db.session.execute(query).unique().scalar_one_or_none()
    if request is None:
        raise NotFoundError("You have no assistance request with this id.",
                            code="assistance_not_found")
    return request


def show_request(caller: Caller, assistance_id: str, today: date,
                 sealer: Sealer) -> AssistanceView:
    """A request the caller is party to, as the caller may see it."""
    return shown_to(caller, party_request(caller, assistance_id), today, sealer)


def list_requests(caller: Caller, today: date, sealer: Sealer, *, as_=None, status=None,
                  overdue=None, limit: int, cursor=None) -> dict:
    """A page of requests: those the caller made or received (the office: all)."""
    query = select(AssistanceRequest)
    if caller.is_admin:
        pass
    elif as_ == "requester":
        query = query.where(AssistanceRequest.requester_library_id == caller.library_id)
    elif as_ == "home":
        query = query.where(AssistanceRequest.home_library_id == caller.library_id)
    else:
        query = query.where(or_(AssistanceRequest.requester_library_id == caller.library_id,
                                AssistanceRequest.home_library_id == caller.library_id))
    if status:
        query = query.where(AssistanceRequest.status == status)
    if overdue is not None:
        late = ((AssistanceRequest.status == "requested")
                & (AssistanceRequest.response_due_on < today))
        query = query.where(late if overdue else ~late)
    page = paginate(query, AssistanceRequest.id, limit=limit, cursor=cursor)
    return {**page, "items": [shown_to(caller, item, today, sealer) for item in page["items"]]}


_DONE = {"answer": "answered", "withdraw": "withdrawn", "close": "closed"}


def _act(caller: Caller, assistance_id: str, action: str, event: str, event_data: dict,
         **values) -> AssistanceRequest:
    """Take an action if the caller's side may and the request's state allows it (no race)."""
    request = party_request(caller, assistance_id)
    side = rules.ACTORS[action]
    actor_id = request.home_library_id if side == "home" else request.requester_library_id
    if caller.library_id != actor_id:
        who = "the patron's home library" if side == "home" else "the library that asked"
        raise ForbiddenError(f"Only {who} can {action} this assistance request (R7).",
                             code="not_your_assistance_request")
    target = rules.next_state(action, request.status)
    if target is not None:
        _events(request, event, **event_data)
        # Conditional on the state read: of two racing answers, one moves it.
        moved = db.session.execute(
            update(AssistanceRequest).where(AssistanceRequest.id == request.id,
                                            AssistanceRequest.status == request.status)
            .values(status=target, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)).rowcount == 1
        if moved:
            db.session.commit()
            db.session.refresh(request)
            return request
        db.session.rollback()
        request = party_request(caller, assistance_id)
    raise ConflictError(f"This assistance request is {request.status}: it can no longer be "
                        f"{_DONE[action]}.", code="assistance_state_conflict",
                        status_now=request.status)


def answer_request(caller: Caller, assistance_id: str, data: dict, today: date,
                   sealer: Sealer) -> AssistanceView:
    """The home library answers: it contacted the patron, passes details, or declines (R7)."""
    problems = rules.answer_problems(data["response"], data.get("note"),
                                     data.get("patron_details"))
    if problems:
        raise RuleError("This answer is incomplete.", code="invalid_answer", errors=problems)
    sealed = (sealer.seal({"details": data["patron_details"]})
              if data["response"] == "details_passed" else None)
    request = _act(caller, assistance_id, "answer", "assistance.answered",
                   {"response": data["response"]}, response=data["response"],
                   answer_note=data.get("note"), details_sealed=sealed, answered_at=utcnow())
    return shown_to(caller, request, today, sealer)


def withdraw_request(caller: Caller, assistance_id: str, today: date,
                     sealer: Sealer) -> AssistanceView:
    """The requesting library withdraws a request not yet answered."""
    request = _act(caller, assistance_id, "withdraw", "assistance.closed",
                   {"closed_because": "withdrawn"}, closed_because="withdrawn",
                   closed_at=utcnow())
    return shown_to(caller, request, today, sealer)


def close_request(caller: Caller, assistance_id: str, today: date,
                  sealer: Sealer) -> AssistanceView:
    """The requesting library closes an answered request: it needs nothing more.

    What the home library passed stays readable for ASSISTANCE_PURGE_DAYS, then
    `reciprocity purge` removes it (R16).
    """
    request = _act(caller, assistance_id, "close", "assistance.closed",
                   {"closed_because": "completed"}, closed_because="completed",
                   closed_at=utcnow())
    return shown_to(caller, request, today, sealer)


def mark_overdue(today: date) -> int:
    """Write `assistance.response_overdue` once for each request unanswered past its due date.

    Safe to run at any time and any number of times: the conditional UPDATE marks each
    request once even when two runs overlap.
    """
    due = db.session.execute(select(AssistanceRequest).where(
        AssistanceRequest.status == "requested", AssistanceRequest.response_due_on < today,
        AssistanceRequest.overdue_notified_at.is_(None)).order_by(AssistanceRequest.id)
    ).scalars().all()
    marked = 0
    for request in due:
        _events(request, "assistance.response_overdue",
                response_due_on=request.response_due_on.isoformat())
        won = db.session.execute(
            update(AssistanceRequest).where(AssistanceRequest.id == request.id,
                                            AssistanceRequest.status == "requested",
                                            AssistanceRequest.overdue_notified_at.is_(None))
            .values(overdue_notified_at=utcnow()).execution_options(
                synchronize_session=False)).rowcount == 1
        if won:
            db.session.commit()
            marked += 1
        else:
            db.session.rollback()
    return marked
