"""Use cases for notices of non-compliance (Plan VIII.1.b): send, acknowledge, answer, withdraw."""

from datetime import date

from sqlalchemy import or_, select, update

from app.auth import Caller
from app.directory.models import PolicyVersion
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.libraries.models import Library
from app.libraries.service import get_library
from app.notices import rules
from app.notices.models import Notice
from app.pagination import paginate
from app.timestamps import utcnow


def counterparty(code: str, caller_id: int, field: str) -> Library:
    """The other library a caller names in a body field: a member, and not the caller (422)."""
    try:
        library = get_library(code)
    except NotFoundError:
        raise RuleError(f"No member library has the code {code}.", code="unknown_library",
                        errors={field: "Not a member library's code."}) from None
    if library.id == caller_id:
        raise RuleError("This concerns another library, not your own.", code="own_library",
                        errors={field: "This is your own library."})
    return library


def send_notice(sender_id: int, data: dict, today: date, before_commit=None) -> Notice:
    """Tell another library it failed to observe one of your published policies."""
    recipient = counterparty(data["to"], sender_id, "to")
    version = data.get("policy_version")
    if version is not None and db.session.execute(select(PolicyVersion.id).where(
            PolicyVersion.library_id == sender_id,
            PolicyVersion.version == version)).first() is None:
        raise RuleError("A notice points to a version of your own published policy (R5).",
                        code="unknown_policy_version",
                        errors={"policy_version": "You have not published this version."})
    notice = Notice(id=new_id("ntc"), sender_library_id=sender_id,
                    recipient_library_id=recipient.id, what_happened=data["what_happened"],
                    policy=data["policy"], policy_version=version, asks=data["asks"],
                    status="sent", sent_on=today)
    db.session.add(notice)
    record([sender_id, recipient.id], "notice.sent", {"notice_id": notice.id})
    db.session.flush()
    if before_commit is not None:
        before_commit(notice)
    db.session.commit()
    return notice


def party_notice(caller: Caller, notice_id: str) -> Notice:
    """A notice the caller is party to (the federation office sees all); else 404."""
    query = select(Notice).where(Notice.id == notice_id)
    if not caller.is_admin:
        query = query.where(or_(Notice.sender_library_id == caller.library_id,
                                Notice.recipient_library_id == caller.library_id))
    notice = db.session.execute(query).scalar_one_or_none()
    if notice is None:
        raise NotFoundError("You have no notice with this id.", code="notice_not_found")
    return notice


def list_notices(caller: Caller, *, as_=None, status=None, limit=None, cursor=None) -> dict:
    """A page of notices: those the caller sent or received (the office: all)."""
    query = select(Notice)
    if caller.is_admin:
        pass
    elif as_ == "sender":
        query = query.where(Notice.sender_library_id == caller.library_id)
    elif as_ == "recipient":
        query = query.where(Notice.recipient_library_id == caller.library_id)
    else:
        query = query.where(or_(Notice.sender_library_id == caller.library_id,
                                Notice.recipient_library_id == caller.library_id))
    if status:
        query = query.where(Notice.status == status)
    return paginate(query, Notice.id, limit=limit, cursor=cursor)


_STAMPS = {"acknowledged": "acknowledged_at", "answered": "answered_at",
           "withdrawn": "withdrawn_at"}


def _act(caller: Caller, notice_id: str, action: str, **values) -> Notice:
    """Take an action if the caller's side may and the notice's state allows it (no race)."""
    notice = party_notice(caller, notice_id)
    side = "sender" if notice.sender_library_id == caller.library_id else "recipient"
    if rules.ACTORS[action] != side:
        who = "the library it was sent to" if rules.ACTORS[action] == "recipient" \
            else "the library that sent it"
        raise ForbiddenError(f"Only {who} can {action} this notice.", code="not_your_notice")
    target = rules.next_state(action, notice.status)
    if target is not None:
        record([notice.sender_library_id, notice.recipient_library_id], f"notice.{target}",
               {"notice_id": notice.id})
        # Conditional on the state read: of two racing answers, one moves it.
        moved = db.session.execute(
            update(Notice).where(Notice.id == notice.id, Notice.status == notice.status)
            .values(status=target, updated_at=utcnow(), **{_STAMPS[target]: utcnow()},
                    **values).execution_options(synchronize_session=False)).rowcount == 1
        if moved:
            db.session.commit()
            db.session.refresh(notice)
            return notice
        db.session.rollback()
        notice = party_notice(caller, notice_id)
    done = {"acknowledge": "acknowledged", "answer": "answered", "withdraw": "withdrawn"}
    raise ConflictError(f"This notice is {notice.status}: it can no longer be "
                        f"{done[action]}.",
                        code="notice_state_conflict", status_now=notice.status)


def acknowledge_notice(caller: Caller, notice_id: str) -> Notice:
    """The library told says it has received the notice."""
    return _act(caller, notice_id, "acknowledge")


def answer_notice(caller: Caller, notice_id: str, answer: str) -> Notice:
    """The library told answers in writing."""
    return _act(caller, notice_id, "answer", answer=answer)


def withdraw_notice(caller: Caller, notice_id: str) -> Notice:
    """The sending library withdraws its notice: a suspension can no longer point to it."""
    return _act(caller, notice_id, "withdraw")
