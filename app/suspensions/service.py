"""Use cases for suspensions (R12): impose, renew, lift, end on the end date, and the terms a
verification of the suspended library's cards must name.

Every change writes its event for both libraries and a copy for the federation office.
"""

from datetime import date

from sqlalchemy import and_, bindparam, or_, select, update

from app.auth import Caller
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.libraries.models import Library
from app.notices.models import Notice
from app.notices.rules import STANDING
from app.notices.service import counterparty
from app.pagination import paginate
from app.suspensions import rules
from app.suspensions.models import Suspension
from app.timestamps import utcnow


def _refused(refusal: rules.TermsRefused) -> RuleError:
    """The 422 for terms the rules do not allow."""
    return RuleError(str(refusal), code="terms_not_allowed", errors={refusal.field: str(refusal)})


def _live(today: date):
    """Not lifted and not yet past its end date: scheduled or in force on `today`."""
    return and_(Suspension.lifted_on.is_(None), Suspension.ends_on >= today)


def impose_suspension(suspending_id: int, data: dict, today: date, max_days: int,
                      before_commit=None) -> Suspension:
    """Suspend or restrict service to another library for a term, pointing to notices (R12)."""
    suspended = counterparty(data["suspended_library"], suspending_id, "suspended_library")
    terms = rules.Terms(measure=data["measure"], services=data["services"],
                        item_cap=data.get("item_cap"),
                        starts_on=data.get("starts_on") or today, ends_on=data["ends_on"])
    try:
        rules.check_terms(terms, today, max_days)
    except rules.TermsRefused as refusal:
        raise _refused(refusal) from None
    wanted = sorted(set(data["notice_ids"]))
    notices = db.session.execute(select(Notice).where(
        Notice.id.in_(wanted), Notice.sender_library_id == suspending_id,
        Notice.recipient_library_id == suspended.id,
        Notice.status.in_(STANDING))).scalars().all()
    missing = [n for n in wanted if n not in {notice.id for notice in notices}]
    if missing:
        raise RuleError("A suspension points to notices you sent this library that stand "
                        "(not withdrawn): written notice comes first (Plan VIII.1.b).",
                        code="notice_not_found",
                        errors={"notice_ids": f"Not your standing notice to "
                                              f"{suspended.code}: {', '.join(missing)}."})
    # Lock the suspending library's row: two impositions against the same library at once
    # would each find no overlap (SQLite holds its write lock from the first write anyway).
    db.session.execute(select(Library.id).where(Library.id == suspending_id).with_for_update())
    overlapping = db.session.execute(select(Suspension.id).where(
        Suspension.suspending_library_id == suspending_id,
        Suspension.suspended_library_id == suspended.id, _live(today),
        Suspension.starts_on <= terms.ends_on,
        Suspension.ends_on >= terms.starts_on).limit(1)).scalar()
    if overlapping:
        raise ConflictError(f"You already have a suspension of {suspended.code} for this time: "
                            f"{overlapping}. Renew or lift it instead.",
                            code="suspension_exists", existing_suspension_id=overlapping)
    suspension = Suspension(
        id=new_id("sus"), suspending_library_id=suspending_id,
        suspended_library_id=suspended.id, measure=terms.measure, services=terms.services,
        item_cap=terms.item_cap, terms=data.get("terms"), reason=data["reason"],
        starts_on=terms.starts_on, ends_on=terms.ends_on, renewals=0, notices=notices)
    db.session.add(suspension)
    record([suspending_id, suspended.id], "suspension.imposed",
           {"suspension_id": suspension.id}, office=True)
    db.session.flush()
    if before_commit is not None:
        before_commit(suspension)
    db.session.commit()
    return suspension


def party_suspension(caller: Caller, suspension_id: str) -> Suspension:
    """A suspension the caller is party to (the federation office sees all); else 404."""
    query = select(Suspension).where(Suspension.id == suspension_id)
    if not caller.is_admin:
        query = query.where(or_(Suspension.suspending_library_id == caller.library_id,
                                Suspension.suspended_library_id == caller.library_id))
    suspension = db.session.execute(query).scalar_one_or_none()
    if suspension is None:
        raise NotFoundError("You have no suspension with this id.",
                            code="suspension_not_found")
    return suspension


def list_suspensions(caller: Caller, today: date, *, as_=None, in_force=None, library=None,
                     limit=None, cursor=None) -> dict:
    """A page of suspensions the caller is party to (the office: all), optionally only those
    in force today, or only those with one other library."""
    query = select(Suspension)
    if not caller.is_admin:
        mine = {"suspending": Suspension.suspending_library_id == caller.library_id,
                "suspended": Suspension.suspended_library_id == caller.library_id}
        query = query.where(mine[as_] if as_ else or_(*mine.values()))
    if library:
        other = db.session.execute(select(Library.id).where(Library.code == library)).scalar()
        if other is None:
            raise NotFoundError(f"No member library has the code {library}.",
                                code="library_not_found")
        query = query.where(or_(Suspension.suspending_library_id == other,
                                Suspension.suspended_library_id == other))
    if in_force is not None:
        now_in_force = and_(Suspension.lifted_on.is_(None), Suspension.starts_on <= today,
                            Suspension.ends_on >= today)
        query = query.where(now_in_force if in_force else ~now_in_force)
    return paginate(query, Suspension.id, limit=limit, cursor=cursor)


def _own(caller: Caller, suspension_id: str, action: str) -> Suspension:
    """A suspension the caller imposed (only the suspending library renews or lifts it)."""
    suspension = party_suspension(caller, suspension_id)
    if suspension.suspending_library_id != caller.library_id:
        raise ForbiddenError(f"Only the library that imposed this suspension can {action} it "
                             "(R12).", code="not_your_suspension")
    return suspension


def _move(suspension: Suspension, today: date, event: str, **values) -> Suspension:
    """Change a live suspension, unless a concurrent change ended or lifted it first."""
    record([suspension.suspending_library_id, suspension.suspended_library_id], event,
           {"suspension_id": suspension.id}, office=True)
    moved = db.session.execute(
        update(Suspension).where(Suspension.id == suspension.id, _live(today),
                                 Suspension.ends_on == suspension.ends_on)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not moved:
        db.session.rollback()
        raise _not_live(db.session.get(Suspension, suspension.id), today)
    db.session.commit()
    db.session.refresh(suspension)
    return suspension


def _not_live(suspension: Suspension, today: date) -> ConflictError:
    """The 409 for a suspension that has been lifted or has ended."""
    now = rules.status(suspension.starts_on, suspension.ends_on, suspension.lifted_on, today)
    return ConflictError(f"This suspension is {now.replace('_', ' ')}: impose a new one if "
                         "service must stay suspended.", code="suspension_not_live",
                         status_now=now)


def renew_suspension(caller: Caller, suspension_id: str, ends_on: date, reason: str | None,
                     today: date, max_days: int) -> Suspension:
    """Extend a live suspension's end date (a new written term, R12)."""
    suspension = _own(caller, suspension_id, "renew")
    if rules.status(suspension.starts_on, suspension.ends_on, suspension.lifted_on,
                    today) not in (rules.SCHEDULED, rules.IN_FORCE):
        raise _not_live(suspension, today)
    if ends_on <= suspension.ends_on:
        raise RuleError("A renewal moves the end date later; lift the suspension to end it "
                        "sooner.", code="terms_not_allowed",
                        errors={"ends_on": f"After {suspension.ends_on.isoformat()}."})
    try:
        rules.check_end(ends_on, today, max_days)
    except rules.TermsRefused as refusal:
        raise _refused(refusal) from None
    values = {"ends_on": ends_on, "renewals": suspension.renewals + 1}
    if reason:
        values["reason"] = f"{suspension.reason}\n\nRenewed {today.isoformat()}: {reason}"
    return _move(suspension, today, "suspension.renewed", **values)


def lift_suspension(caller: Caller, suspension_id: str, reason: str | None,
                    today: date) -> Suspension:
    """End a suspension before its end date: from today the other library's cards verify as
    any other's."""
    suspension = _own(caller, suspension_id, "lift")
    if rules.status(suspension.starts_on, suspension.ends_on, suspension.lifted_on,
                    today) not in (rules.SCHEDULED, rules.IN_FORCE):
        raise _not_live(suspension, today)
    return _move(suspension, today, "suspension.lifted", lifted_on=today, lift_reason=reason)


def record_ended(today: date) -> int:
    """Write `suspension.ended` once for each term that ran out before `today`; how many.

    A suspension stops being in force by itself after its end date (verifications read the
    dates); this only tells the parties and the office. Safe to run at any time, any number of
    times: the conditional UPDATE marks each suspension once even when two runs overlap.
    """
    due = db.session.execute(select(
        Suspension.id, Suspension.suspending_library_id, Suspension.suspended_library_id)
        .where(Suspension.lifted_on.is_(None), Suspension.ends_on < today,
               Suspension.ended_recorded_at.is_(None)).order_by(Suspension.id)).all()
    ended = 0
    for suspension_id, suspending_id, suspended_id in due:
        record([suspending_id, suspended_id], "suspension.ended",
               {"suspension_id": suspension_id}, office=True)
        won = db.session.execute(
            update(Suspension).where(Suspension.id == suspension_id,
                                     Suspension.ended_recorded_at.is_(None))
            .values(ended_recorded_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount == 1
        if won:
            db.session.commit()
            ended += 1
        else:
            db.session.rollback()
    return ended


# The verification hook's one indexed look-up: the lending library's live terms against a home
# library, on `today`; at most one row (impositions never overlap).
IN_FORCE_AGAINST = (
    select(Suspension.measure, Suspension.services, Suspension.item_cap, Suspension.ends_on,
           Suspension.terms)
    .where(Suspension.suspending_library_id == bindparam("suspending"),
           Suspension.suspended_library_id == bindparam("suspended"),
           Suspension.ends_on >= bindparam("today"),
           Suspension.starts_on <= bindparam("today"),
           Suspension.lifted_on.is_(None),
           Suspension.services.in_(("reciprocal_borrowing", "both")))
    .limit(1))


def lending_terms(suspending_id: int, suspended_id: int, today: date):
    """The suspending library's terms in force on lending to the suspended library's patrons
    (R12), or None; run on the session's connection, as the verification's own look-up is."""
    if suspending_id == suspended_id:
        return None
    return db.session.connection().execute(IN_FORCE_AGAINST, {
        "suspending": suspending_id, "suspended": suspended_id, "today": today}).first()
