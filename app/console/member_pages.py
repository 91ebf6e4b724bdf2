"""The console's forms for what a member does through the API: patrons, rosters, bills,
statements. Each form's input is read by the API's own schema and handled by the same service
function, so a person sees the same rule errors an integrator gets, next to the field.
"""

import csv
import io
import itertools

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_template,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import func, select

from app.bills import rules as bill_rules
from app.bills import service as bills
from app.bills.schemas import BillCreateSchema, parse_period
from app.console import forms, policy_form
from app.console.routes import audit, console, hmac_key, money, staff_may, today
from app.directory import service as directory
from app.errors import DomainError
from app.extensions import db
from app.libraries.models import CardPrefix, Library
from app.patrons import service as patrons
from app.patrons.roster import READERS, RosterFormatError
from app.patrons.schemas import PatronUpdateSchema, PatronUpsertSchema, ReplaceCardSchema

STANDING_WORDS = {"good": "In good standing", "blocked": "Blocked by your library"}


def _errors(error) -> dict[str, str]:
    """A ValidationError's or DomainError's messages by field (the API's dotted names)."""
    if isinstance(error, ValidationError):
        return policy_form._flatten(error.messages)
    return dict(error.errors or {}) or {"_form": error.detail}


def _patron_data(form, *, with_card: bool) -> dict:
    """The form's fields as the API's JSON body (empty boxes left out)."""
    data = {"expires_on": form.expires_on.data.isoformat() if form.expires_on.data else None,
            "standing": form.standing.data,
            "block_reasons": [r.strip() for r in (form.block_reasons.data or "").split(",")
                              if r.strip()],
            "category": form.category.data or None, "surname": form.surname.data or None,
            "external_ref": form.external_ref.data or None}
    if with_card:
        data["card_number"] = form.card_number.data
    return {k: v for k, v in data.items() if v is not None}


@console.route("/patrons", methods=["GET", "POST"])
@staff_may("patrons")
def patron_search():
    """Find one of the library's patrons by card, or register a new one."""
    lookup, register = forms.LookupForm(prefix="find"), forms.PatronForm(prefix="new")
    errors, status = {}, 200
    if request.method == "POST" and request.form.get("intent") == "lookup":
        if lookup.validate_on_submit():
            try:
                patron = patrons.lookup_patron(current_user.library_id,
                                               lookup.card_number.data, hmac_key())
            except DomainError as error:
                errors, status = {"find-card_number": error.detail}, error.status
            else:
                return redirect(url_for("console.patron_page", patron_id=patron.id))
        else:
            status = 400
    elif request.method == "POST":
        if register.validate_on_submit():
            try:
                data = PatronUpsertSchema().load(_patron_data(register, with_card=True))
                patron, created = patrons.upsert_patron(current_user.library_id, data,
                                                        hmac_key())
            except (ValidationError, DomainError) as error:
                errors = {f"new-{k}": v for k, v in _errors(error).items()}
                status = 422
            else:
                audit("patron.registered" if created else "patron.updated", patron.id)
                flash("Registered." if created else "This card was already registered: its "
                      "record is updated.", "success")
                return redirect(url_for("console.patron_page", patron_id=patron.id))
        else:
            status = 400
    lookup.card_number.data = register.card_number.data = ""  # never sent back (R16)
    return render_template("console/patrons.html", lookup=lookup, register=register,
                           errors=errors, upload=forms.RosterForm()), status


@console.route("/patrons/<patron_id>", methods=["GET", "POST"])
@staff_may("patrons")
def patron_page(patron_id):
    """One patron: change the record, or give the patron a new card."""
    patron = patrons.get_patron(current_user.library_id, patron_id)
    change = forms.PatronChangeForm(prefix="edit", obj=None if request.method == "POST" else
                                    _change_defaults(patron))
    replace = forms.ReplaceCardForm(prefix="card")
    errors, status = {}, 200
    if request.method == "POST":
        intent = request.form.get("intent")
        form = replace if intent == "replace" else change
        if form.validate_on_submit():
            try:
                if intent == "replace":
                    card = ReplaceCardSchema().load(
                        {"new_card_number": replace.new_card_number.data})["new_card_number"]
                    patrons.replace_card(current_user.library_id, patron.id, card, hmac_key())
                    audit("patron.card_replaced", patron.id)
                    flash("The new card is on the record; the old one now verifies as "
                          "replaced.", "success")
                else:
                    data = PatronUpdateSchema().load(_patron_data(change, with_card=False))
                    patrons.update_patron(current_user.library_id, patron.id, data, hmac_key())
                    audit("patron.changed", patron.id)
                    flash("Saved.", "success")
            except (ValidationError, DomainError) as error:
                prefix = "card-" if intent == "replace" else "edit-"
                errors = {prefix + k: v for k, v in _errors(error).items()}
                status = 422
            else:
                return redirect(url_for("console.patron_page", patron_id=patron.id))
        else:
            status = 400
        replace.new_card_number.data = ""
    return render_template("console/patron.html", patron=patron, change=change,
                           replace=replace, errors=errors, words=STANDING_WORDS), status


class _Defaults:
    """A patron's stored fields in the shape the change form reads."""

    def __init__(self, patron):
        self.expires_on = patron.expires_on
        self.standing = patron.standing
        self.block_reasons = ", ".join(patron.block_reasons or [])
        self.category = patron.category
        self.external_ref = patron.external_ref
        self.surname = ""


def _change_defaults(patron):
    """The change form's starting values."""
    return _Defaults(patron)


@console.post("/patrons/import")
@staff_may("patrons")
def roster_import():
    """Upload a roster (CSV with a header): the page shows how far the import has got while it
    runs (streamed, so it works without script), then the summary with each rejected line.

    Every batch commits on its own: an import cut short (the connection dropped, the tab
    closed) keeps what it stored, and uploading the same file again finishes it, reporting the
    lines stored the first time as unchanged.
    """
    request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"])
    form = forms.RosterForm()
    if not form.validate_on_submit():
        flash(" ".join(form.errors.get("roster", ["Choose a CSV file."])), "error")
        return redirect(url_for("console.patron_search"))
    upload = form.roster.data
    # The page streams after the view returns, when the request closes its files: the import
    # keeps the uploaded file's stream for itself and closes it when done.
    raw, upload.stream = upload.stream, io.BytesIO()
    size = _size(raw)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
    rows = READERS["csv"](text)
    try:
        first = next(rows, None)  # the header is read (and checked) before the page starts
    except RosterFormatError as error:
        text.close()
        flash(f"The file could not be read: {error}", "error")
        return redirect(url_for("console.patron_search"))
    state = {"summary": patrons.ImportSummary(), "error": None}
    steps = _import_steps(itertools.chain([first] if first else [], rows), text, raw, size,
                          state)
    return Response(stream_with_context(stream_template(
        "console/import.html", steps=steps, state=state,
        name=upload.filename or "the roster")), mimetype="text/html")


def _size(stream) -> int | None:
    """The uploaded file's size in bytes (Werkzeug has it on disk or in memory already)."""
    try:
        here = stream.tell()
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
        stream.seek(here)
        return size
    except (OSError, AttributeError, ValueError):
        return None


def _import_steps(rows, text, raw, size: int | None, state: dict):
    """Import `rows` a batch at a time, committing each, and yield the progress after each
    (at most one report per 2% of the file, so a huge roster makes a page of reasonable size).
    """
    batch = int(current_app.config["IMPORT_BATCH_SIZE"])
    summary = state["summary"]
    library_id, key = current_user.library_id, hmac_key()
    shown = -1
    try:
        while True:
            chunk = list(itertools.islice(rows, batch))
            if not chunk:
                break
            part = patrons.import_roster(library_id, iter(chunk), key, batch_size=batch)
            summary.add(part)
            summary.through_line = part.through_line
            percent = _percent(raw, size)
            if percent is None or percent >= shown + 2 or percent == 100:
                shown = percent if percent is not None else shown
                yield {"percent": percent, "through_line": summary.through_line,
                       "stored": summary.created + summary.updated + summary.unchanged,
                       "rejected": summary.rejected}
    except RosterFormatError as error:
        state["error"] = f"The file could not be read past line {summary.through_line}: {error}"
    finally:
        text.close()  # and the uploaded file under it
    audit("patron.roster_imported")


def _percent(raw, size: int | None) -> int | None:
    """How much of the uploaded file has been read, in percent (None when unknown)."""
    if not size:
        return None
    try:
        return min(100, int(raw.tell() * 100 / size))
    except (OSError, ValueError):
        return None


# Bills ------------------------------------------------------------------------------------------

def _home_for(card: str) -> str | None:
    """The member whose card prefix is the longest match for this card (R15), or None."""
    digits = "".join(ch for ch in card if ch.isalnum())
    prefixes = [digits[:n] for n in range(1, min(len(digits), 16) + 1)]
    if not prefixes:
        return None
    return db.session.execute(
        select(Library.code).join(CardPrefix, CardPrefix.library_id == Library.id)
        .where(CardPrefix.prefix.in_(prefixes))
        .order_by(func.length(CardPrefix.prefix).desc()).limit(1)).scalar_one_or_none()


@console.route("/bills/new", methods=["GET", "POST"])
@staff_may("bills")
def bill_new():
    """Bill a patron's home library for a lost or damaged item, within a year (R9)."""
    form = forms.BillForm()
    cap = directory.processing_fee_cap(current_user.library_id)
    errors, deadline, status = {}, None, 200
    if form.validate_on_submit():
        check = bill_rules.check_deadline(form.infraction_date.data, today())
        deadline = {"date": check.deadline, "allowed": check.allowed, "code": check.code}
        if request.form.get("intent") == "issue":
            home = ((form.home_library.data or "").strip().upper()
                    or _home_for(form.card_number.data))
            body = {"card_number": form.card_number.data, "home_library": home or "",
                    "infraction_date": form.infraction_date.data.isoformat(),
                    "note": form.note.data or None,
                    "items": [{"title": form.title.data, "barcode": form.barcode.data,
                               "format": form.format.data, "kind": form.kind.data,
                               "in_print": form.in_print.data,
                               "list_price_cents": forms.cents(form.list_price.data),
                               "equivalent_title": form.equivalent_title.data or None,
                               "processing_fee_cents": forms.cents(form.processing_fee.data)}]}
            if not home:
                errors["home_library"] = ("No member library's card prefix matches this "
                                          "card: enter its home library's code.")
            else:
                try:
                    bill = bills.issue_bill(current_user.library_id,
                                            BillCreateSchema().load(body), hmac_key(), today())
                except (ValidationError, DomainError) as error:
                    errors = _bill_errors(_errors(error))
                else:
                    audit("bill.issued", bill.id)
                    flash(f"Bill sent to the home library for {money(bill.amount_due_cents)}.",
                          "success")
                    return redirect(url_for("console.bill_page", bill_id=bill.id))
            status = 422 if errors else 200
    elif form.is_submitted():
        status = 400
    form.card_number.data = ""  # never sent back (R16)
    return render_template("console/bill_new.html", form=form, cap=cap, errors=errors,
                           deadline=deadline, today=today()), status


# The API's item paths, by the form's field names.
_BILL_FIELDS = {"items.0.title": "title", "items.0.barcode": "barcode",
                "items.0.format": "format", "items.0.kind": "kind",
                "items.0.in_print": "in_print", "items.0.list_price_cents": "list_price",
                "items.0.equivalent_title": "equivalent_title",
                "items.0.processing_fee_cents": "processing_fee"}


def _bill_errors(errors: dict) -> dict:
    """The API's field names as the form's."""
    return {_BILL_FIELDS.get(name, name): text for name, text in errors.items()}


# Statements ---------------------------------------------------------------------------------

def _quarter(value: str | None) -> tuple[int, int]:
    """The quarter asked for, or this one."""
    try:
        return parse_period(value or "")
    except ValidationError:
        now = today()
        return now.year, (now.month + 2) // 3


@console.get("/statements")
@staff_may("statements")
def statements():
    """A quarter's statement: per library, what was billed, paid, owed; CSV to download."""
    year, quarter = _quarter(request.args.get("period"))
    result = bills.statement(current_user.library_id, year, quarter)
    now = today()
    periods = []
    y, q = now.year, (now.month + 2) // 3
    for _ in range(8):
        periods.append(f"{y}-Q{q}")
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    if request.args.get("format") == "csv":
        return _statement_csv(result)
    return render_template("console/statements.html", result=result, periods=periods)


def _statement_csv(result: dict) -> Response:
    """The statement as CSV (amounts in cents, as the API's)."""
    columns = ["library", "name", "billed_by_you_cents", "billed_to_you_cents",
               "received_cents", "paid_cents", "owed_to_you_cents", "you_owe_cents",
               "you_owe_as_liable_cents", "net_cents"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["period", *columns])
    writer.writeheader()
    for row in result["rows"]:
        writer.writerow({"period": result["period"], **{c: row[c] for c in columns}})
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="statement-{result["library"]}-{result["period"]}.csv"')
    return response
