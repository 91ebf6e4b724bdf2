"""The federation office's record of the Plan's processes: notices (R12), suspensions (R12)
and disputes between libraries (R13), across the federation, filtered and paged.

Disputes come escalated first (the office has to act on those), then open, then closed; each
kind pages by its own keyset, so a page costs one indexed query however long the record is.
"""

from flask import abort, render_template, request, url_for
from sqlalchemy import case, or_, select

from app.console.routes import caller, console, staff_may, today
from app.disputes.models import LibraryDispute
from app.errors import NotFoundError
from app.extensions import db
from app.libraries.models import Library
from app.notices.models import STATES as NOTICE_STATES
from app.notices.models import Notice
from app.pagination import decode_cursor, encode_cursor, paginate
from app.suspensions import service as suspensions

KINDS = {"disputes": "Disputes", "notices": "Notices",
         "suspensions": "Suspensions and restrictions"}
DISPUTE_STATES = {"escalated": "Escalated to the office", "open": "Open between the libraries",
                  "closed": "Closed"}
NOTICE_WORDS = {"sent": "Sent, not yet acknowledged", "acknowledged": "Acknowledged",
                "answered": "Answered", "withdrawn": "Withdrawn"}
SUSPENSION_STATES = {"in_force": "In force today", "not_in_force": "Not in force today"}
dispute_rank = case((LibraryDispute.status == "escalated", 0), (LibraryDispute.status == "open", 1),
             else_=2)
PAGE = 25


def _library_id(code: str | None) -> int | None:
    """The id of the library a filter names, or 404 when there is none with the code."""
    if not code:
        return None
    found = db.session.execute(select(Library.id).where(Library.code == code)).scalar()
    if found is None:
        raise NotFoundError(f"No member library has the code {code}.", code="library_not_found")
    return found


def dispute_page(status: str | None, library_id: int | None, cursor: str | None) -> dict:
    """Disputes, escalated first, then open, then closed; by id within each."""
    query = select(LibraryDispute, dispute_rank.label("rank"))
    if status:
        query = query.where(LibraryDispute.status == status)
    if library_id is not None:
        query = query.where(or_(LibraryDispute.opened_by_library_id == library_id,
                                LibraryDispute.other_library_id == library_id))
    if cursor:
        rank, _, after = decode_cursor(cursor).partition(":")
        if not rank.isdigit():
            abort(400)
        query = query.where(or_(dispute_rank > int(rank),
                                (dispute_rank == int(rank)) & (LibraryDispute.id > after)))
    rows = db.session.execute(query.order_by(dispute_rank, LibraryDispute.id).limit(PAGE + 1)
                              ).unique().all()
    items = rows[:PAGE]
    next_cursor = (encode_cursor(f"{items[-1].rank}:{items[-1][0].id}")
                   if len(rows) > PAGE else None)
    return {"items": [row[0] for row in items], "next_cursor": next_cursor}


def notice_page(status: str | None, library_id: int | None, cursor: str | None) -> dict:
    """Notices by id, of one state or any, sent or received by one library or any."""
    query = select(Notice)
    if status:
        query = query.where(Notice.status == status)
    if library_id is not None:
        query = query.where(or_(Notice.sender_library_id == library_id,
                                Notice.recipient_library_id == library_id))
    return paginate(query, Notice.id, limit=PAGE, cursor=cursor)


@console.get("/office/records")
@staff_may("office")
def office_records():
    """The record the Plan's processes leave, across the federation, for the office."""
    kind = request.args.get("kind") or "disputes"
    if kind not in KINDS:
        abort(404)
    states = {"disputes": DISPUTE_STATES, "notices": NOTICE_WORDS,
              "suspensions": SUSPENSION_STATES}[kind]
    status = request.args.get("status") or None
    if status not in (None, *states):
        status = None
    code = (request.args.get("library") or "").strip().upper() or None
    cursor = request.args.get("cursor") or None
    error = None
    page = {"items": [], "next_cursor": None}
    try:
        library_id = _library_id(code)
        if kind == "disputes":
            page = dispute_page(status, library_id, cursor)
        elif kind == "notices":
            page = notice_page(status, library_id, cursor)
        else:
            in_force = {"in_force": True, "not_in_force": False}.get(status)
            page = suspensions.list_suspensions(caller(), today(), in_force=in_force,
                                                library=code, limit=PAGE, cursor=cursor)
    except NotFoundError as refusal:
        error = refusal.detail
    args = {k: v for k, v in (("kind", kind), ("status", status), ("library", code)) if v}
    next_url = (url_for("console.office_records", cursor=page["next_cursor"], **args)
                if page["next_cursor"] else None)
    return render_template("console/office_records.html", kind=kind, kinds=KINDS,
                           states=states, status=status, library=code or "", page=page,
                           error=error, next_url=next_url, today=today(),
                           notice_words=NOTICE_WORDS, dispute_words=DISPUTE_STATES,
                           notice_states=NOTICE_STATES), 404 if error else 200
