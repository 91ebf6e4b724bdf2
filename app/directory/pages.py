"""Web pages for people: search the directory, read a library's policy and its history.

Server-rendered, no JavaScript: a plain GET form, so every search is a link one can share.
They show directory-reader data only (R5), never patron data (R16).
"""

from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from marshmallow import ValidationError
from sqlalchemy import select

from app.directory import rules, service, wording
from app.directory.routes import today, zone
from app.directory.schemas import DirectoryQuerySchema, DirectoryQuestionSchema
from app.errors import DomainError
from app.extensions import db
from app.libraries.models import LIBRARY_TYPES, Library
from app.reach import service as reach_service

pages = Blueprint("directory_pages", __name__)


@pages.app_template_filter("federation_date")
def federation_date(value) -> str:
    """An instant or a date as the federation's calendar date, as a librarian writes it
    ('December 2, 2026'): a policy published on a Chicago evening shows that evening's date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(zone())).date()
    return wording.long_date(value)

def _choices(peer_systems=()) -> dict:
    """The options of the search form's selects (regional systems of peers' libraries too)."""
    systems = db.session.execute(select(Library.system).where(
        Library.system.is_not(None), Library.active.is_(True)).distinct()
        .order_by(Library.system)).scalars().all()
    return {"types": LIBRARY_TYPES, "systems": sorted({*systems, *peer_systems}),
            "formats": [(name, wording.label(name)) for name in rules.FORMATS],
            "peers": reach_service.active_peers()}


@pages.get("/directory")
def directory_page():
    """The directory's search page: a form, the number of matches, and one page of them;
    then the peer federations' libraries matching the same search (R17), paged on their own.

    `federation` picks whose libraries: any (empty), `here` (this federation's), or a peer's
    code; `peer_cursor` pages the peers' libraries as `cursor` pages this federation's.
    """
    # An empty select or box means "any": drop it before the schema reads the rest.
    raw = {key: value.strip() for key, value in request.args.items() if value.strip()}
    federation = raw.get("federation")
    peer_cursor = raw.get("peer_cursor")
    query = {k: v for k, v in raw.items() if k not in ("federation", "peer_cursor")}
    errors, page, peer_page, filters = {}, None, None, {}
    peers = dict(reach_service.active_peers())
    if federation not in (None, "here", *peers):
        errors["federation"] = "Choose a federation from the list."
    try:
        filters = DirectoryQuerySchema().load(query)
    except ValidationError as error:
        errors.update({name: "; ".join(messages) if isinstance(messages, list)
                       else str(messages) for name, messages in error.messages.items()})
    status = 400 if errors else 200
    if not errors:
        limit, cursor = filters.pop("limit"), filters.pop("cursor")
        try:
            if federation in (None, "here"):
                page = service.list_entries(filters, today(), limit=limit, cursor=cursor,
                                            zone=zone())
            if federation != "here" and peers:
                peer_page = reach_service.peer_directory_search(
                    filters, today(), federation=federation, limit=limit or 50,
                    cursor=peer_cursor)
        except DomainError as error:  # a cursor this site did not give out
            errors, status = {"cursor": error.detail}, 400
    next_args = peer_next_args = None
    if page and page["next_cursor"]:
        next_args = {**raw, "cursor": page["next_cursor"]}
    if peer_page and peer_page["next_cursor"]:
        peer_next_args = {**raw, "peer_cursor": peer_page["next_cursor"]}
    choices = _choices(peer_page["systems"] if peer_page else ())
    return render_template("directory/list.html", page=page, peer_page=peer_page, args=raw,
                           errors=errors, next_args=next_args, peer_next_args=peer_next_args,
                           labels=wording.label, **choices), status


@pages.get("/directory/<code>")
def library_page(code):
    """A library's policy in plain language, its last review, a stale badge and its history."""
    try:
        detail = service.entry_detail(code, today(), zone())
    except DomainError as error:
        try:
            return peer_library_page(code)
        except DomainError:
            pass
        return render_template("directory/missing.html", code=code,
                               message=error.detail), error.status
    versions = service.history(code, limit=500)["items"] if detail["published"] else []
    answer, answer_error = None, None
    if request.args.get("format"):
        try:
            term = DirectoryQuestionSchema().load({"format": request.args["format"]})["format"]
            answer = service.answer(code, term, today(), zone())
        except ValidationError:
            answer_error = "Choose a format from the list."
    return render_template("directory/detail.html", entry=detail, versions=versions,
                           answer=answer, answer_error=answer_error,
                           ask_url=_ask_url(detail),
                           formats=[(name, wording.label(name)) for name in rules.FORMATS],
                           chosen=request.args.get("format", "")), 400 if answer_error else 200


def _ask_url(detail: dict) -> str | None:
    """A mailto: link to the library's ILL contact, with a subject naming the library."""
    contact = ((detail.get("policy") or {}).get("interlibrary_loan") or {}).get("contact") or {}
    if not contact.get("email"):
        return None
    subject = quote(f"Interlibrary loan question for {detail['name']}")
    return f"mailto:{contact['email']}?subject={subject}"


def peer_library_page(code: str):
    """A peer federation's library: its policy as the peer published it, when it was last
    synced, and "may I borrow it here?" asked of the peer itself (R5, R17)."""
    entry = reach_service.peer_directory_page(code, today())
    answer, answer_error, status = None, None, 200
    if request.args.get("format"):
        reach = current_app.extensions["reciprocity.reach"]
        try:
            term = DirectoryQuestionSchema().load({"format": request.args["format"]})["format"]
            answer = reach_service.peer_directory_answer(code, term, reach.outbound,
                                                         float(reach.settings.budget))
        except ValidationError:
            answer_error, status = "Choose a format from the list.", 400
        except DomainError as error:  # the peer could not be asked just now
            answer_error, status = error.detail, error.status
    return render_template("directory/peer.html", entry=entry, answer=answer,
                           answer_error=answer_error, ask_url=_ask_url(entry),
                           formats=[(name, wording.label(name)) for name in rules.FORMATS],
                           chosen=request.args.get("format", "")), status
