"""Web pages for people: search the directory, read a library's policy and its history.

Server-rendered, no JavaScript: a plain GET form, so every search is a link one can share.
They show directory-reader data only (R5), never patron data (R16).
"""

from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from marshmallow import ValidationError
from sqlalchemy import select

from app.directory import rules, service, wording
from app.directory.routes import today, zone
from app.directory.schemas import DirectoryQuerySchema, DirectoryQuestionSchema
from app.errors import DomainError
from app.extensions import db
from app.libraries.models import LIBRARY_TYPES, Library

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

def _choices() -> dict:
    """The options of the search form's selects."""
    systems = db.session.execute(select(Library.system).where(
        Library.system.is_not(None), Library.active.is_(True)).distinct()
        .order_by(Library.system)).scalars().all()
    return {"types": LIBRARY_TYPES, "systems": systems,
            "formats": [(name, wording.label(name)) for name in rules.FORMATS]}


@pages.get("/directory")
def directory_page():
    """The directory's search page: a form, the number of matches, and one page of them."""
    # An empty select or box means "any": drop it before the schema reads the rest.
    raw = {key: value.strip() for key, value in request.args.items() if value.strip()}
    errors, page, filters = {}, None, {}
    try:
        filters = DirectoryQuerySchema().load(raw)
    except ValidationError as error:
        errors = {name: "; ".join(messages) if isinstance(messages, list) else str(messages)
                  for name, messages in error.messages.items()}
    status = 400 if errors else 200
    if not errors:
        limit, cursor = filters.pop("limit"), filters.pop("cursor")
        try:
            page = service.list_entries(filters, today(), limit=limit, cursor=cursor,
                                        zone=zone())
        except DomainError as error:  # a cursor this site did not give out
            errors, status = {"cursor": error.detail}, 400
    next_args = None
    if page and page["next_cursor"]:
        next_args = {**raw, "cursor": page["next_cursor"]}
    return render_template("directory/list.html", page=page, args=raw, errors=errors,
                           next_args=next_args, labels=wording.label, **_choices()), status


@pages.get("/directory/<code>")
def library_page(code):
    """A library's policy in plain language, its last review, a stale badge and its history."""
    try:
        detail = service.entry_detail(code, today(), zone())
    except DomainError as error:
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
