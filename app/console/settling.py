"""The console's pages for settling a bill between two libraries: void it (the lender), answer
the home library's dispute of it, propose and accept other terms (R6), open and write in a
dispute with the other library (R13), and ask the home library to block the patron (R8).

Every action loads the bill (or the dispute) through the services' party-scoped queries first,
so another library's staff get 404 before any form is read; the services then apply the same
rules as the API, and their refusals are shown next to the field they concern.
"""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app.bills import service as bills
from app.bills.models import Resolution
from app.blocks import service as blocks
from app.console import forms
from app.console.routes import (
    _bill_page,
    audit,
    caller,
    console,
    hmac_key,
    names_of,
    staff_may,
    today,
)
from app.disputes import rules as dispute_rules
from app.disputes import service as disputes
from app.disputes.models import LibraryDispute
from app.errors import DomainError
from app.extensions import db

TERMS_WORDS = dict(forms.ResolutionForm.terms.kwargs["choices"])
DISPUTE_STATUS_WORDS = {"open": "Open between the two libraries",
                        "escalated": "Escalated to the federation office",
                        "closed": "Closed"}
MESSAGE_WORDS = {"opening": "opened the dispute", "message": "wrote",
                 "escalation": "escalated it to the federation office",
                 "office_answer": "answered for the federation office",
                 "decision": "decided it for the federation office",
                 "withdrawal": "withdrew it"}


def bill_context(bill, given: dict) -> dict:
    """What the bill page needs for these forms: the forms (as submitted, when one was), the
    open proposal, and the bill's disputes between the libraries."""
    proposal = db.session.execute(select(Resolution).where(
        Resolution.bill_id == bill.id, Resolution.status == "proposed")).scalar_one_or_none()
    library_disputes = db.session.execute(select(LibraryDispute).where(
        LibraryDispute.subject_type == "bill", LibraryDispute.subject_id == bill.id)
        .order_by(LibraryDispute.created_at)).unique().scalars().all()
    return {"void_form": given.get("void_form") or forms.VoidForm(),
            "answer_form": given.get("answer_form") or forms.AnswerForm(),
            "resolution_form": given.get("resolution_form") or forms.ResolutionForm(),
            "open_dispute_form": given.get("open_dispute_form") or forms.OpenDisputeForm(),
            "block_form": given.get("block_form") or forms.BlockFromBillForm(),
            "proposal": proposal, "terms_words": TERMS_WORDS,
            "library_disputes": library_disputes, "dispute_words": DISPUTE_STATUS_WORDS,
            "open_bill_dispute": next((d for d in bill.disputes if d.closed_at is None), None)}


def _refused(bill_id: str, error: DomainError, form_name: str, form, field: str):
    """The bill page again with the service's rule error next to the form's field; a record
    not found, an action not this side's, or a state that no longer allows it is a page of
    its own (the console's error page says which)."""
    if error.status in (403, 404, 409):
        raise error
    errors = {name.replace("bill_ids", field): message
              for name, message in (error.errors or {}).items()}
    if not errors or not any(name in form._fields for name in errors):
        errors = {field: error.detail}
    return _bill_page(bill_id, errors=errors, status=error.status, **{form_name: form})


@console.post("/bills/<bill_id>/void")
@staff_may("bills")
def bill_void(bill_id):
    """The lending library voids its bill, saying why."""
    bills.party_bill(current_user.library_id, bill_id)  # another library's: 404 first
    form = forms.VoidForm()
    if not form.validate_on_submit():
        return _bill_page(bill_id, void_form=form, status=400)
    try:
        bills.void_bill(current_user.library_id, bill_id, form.void_reason.data, today())
    except DomainError as error:
        return _refused(bill_id, error, "void_form", form, "void_reason")
    audit("bill.voided", bill_id)
    flash("Voided: the home library no longer owes this bill.", "success")
    return redirect(url_for("console.bill_page", bill_id=bill_id))


@console.post("/bills/<bill_id>/answer")
@staff_may("bills")
def bill_answer(bill_id):
    """The lending library answers the home library's dispute of its bill."""
    bills.party_bill(current_user.library_id, bill_id)
    form = forms.AnswerForm()
    if not form.validate_on_submit():
        return _bill_page(bill_id, answer_form=form, status=400)
    try:
        bills.answer_dispute(current_user.library_id, bill_id, form.answer.data)
    except DomainError as error:
        return _refused(bill_id, error, "answer_form", form, "answer")
    audit("bill.dispute_answered", bill_id)
    flash("Answered: the home library reads your answer on the bill.", "success")
    return redirect(url_for("console.bill_page", bill_id=bill_id))


@console.post("/bills/<bill_id>/resolutions")
@staff_may("bills")
def bill_propose(bill_id):
    """Either library proposes other terms for settling the bill (R6)."""
    bills.party_bill(current_user.library_id, bill_id)
    form = forms.ResolutionForm()
    if not form.validate_on_submit():
        return _bill_page(bill_id, resolution_form=form, status=400)
    try:
        bills.propose_resolution(current_user.library_id, bill_id,
                                 {"terms": form.terms.data, "detail": form.detail.data})
    except DomainError as error:
        return _refused(bill_id, error, "resolution_form", form, "detail")
    audit("bill.resolution_proposed", bill_id)
    flash("Proposed: the bill is settled on these terms once the other library accepts them.",
          "success")
    return redirect(url_for("console.bill_page", bill_id=bill_id))


@console.post("/bills/<bill_id>/resolutions/<resolution_id>/accept")
@staff_may("bills")
def bill_accept(bill_id, resolution_id):
    """The other library accepts the proposed terms: the bill is resolved (R6)."""
    bills.party_bill(current_user.library_id, bill_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    bills.accept_resolution(current_user.library_id, bill_id, resolution_id, today())
    audit("bill.resolved", bill_id)
    flash("Accepted: the bill is resolved on the terms both libraries agreed.", "success")
    return redirect(url_for("console.bill_page", bill_id=bill_id))


@console.post("/bills/<bill_id>/disputes")
@staff_may("bills")
def bill_open_dispute(bill_id):
    """Either library opens a dispute with the other about the bill (R13)."""
    bills.party_bill(current_user.library_id, bill_id)
    form = forms.OpenDisputeForm()
    if not form.validate_on_submit():
        return _bill_page(bill_id, open_dispute_form=form, status=400)
    try:
        dispute = disputes.open_dispute(current_user.library_id, {
            "subject_type": "bill", "subject_id": bill_id, "summary": form.summary.data})
    except DomainError as error:
        return _refused(bill_id, error, "open_dispute_form", form, "summary")
    audit("dispute.opened", dispute.id)
    flash("Opened: the other library reads it and answers here.", "success")
    return redirect(url_for("console.dispute_page", dispute_id=dispute.id))


@console.post("/bills/<bill_id>/block")
@staff_may("blocks")
def bill_block(bill_id):
    """The lending library asks the home library to block the patron of this bill (R8)."""
    bill = bills.party_bill(current_user.library_id, bill_id)
    form = forms.BlockFromBillForm()
    if not form.validate_on_submit():
        return _bill_page(bill_id, block_form=form, status=400)
    home = names_of([bill.home_library_id])[bill.home_library_id]
    try:
        block = blocks.request_block(caller(), {
            "home_library": home.code, "card_number": form.block_card.data,
            "kind": form.kind.data, "bill_ids": [bill_id], "note": form.note.data or None},
            hmac_key(), today(), int(current_app.config["BLOCK_RESPONSE_DAYS"]))
    except DomainError as error:
        return _refused(bill_id, error, "block_form", form, "block_card")
    audit("block.requested", block.id)
    flash(f"Requested: {home.name} answers by {block.response_due_on.isoformat()}.", "success")
    return redirect(url_for("console.block_page", block_id=block.id))


# Disputes between libraries (R13) -------------------------------------------------------------

def _dispute_page(dispute_id: str, form=None, status: int = 200):
    """One dispute: its record, its letters, and what this library may do in it."""
    dispute = disputes.party_dispute(caller(), dispute_id)
    me = current_user.library_id
    is_opener = dispute.opened_by_library_id == me
    allowed = [action for action in ("message", "escalate", "withdraw")
               if dispute_rules.next_state(action, dispute.status)
               and dispute_rules.may_act(action, is_office=False, is_opener=is_opener)]
    subject_url = (url_for("console.bill_page", bill_id=dispute.subject_id)
                   if dispute.subject_type == "bill" else
                   url_for("console.block_page", block_id=dispute.subject_id)
                   if dispute.subject_type == "block" else None)
    return render_template("console/dispute.html", dispute=dispute, allowed=allowed,
                           form=form or forms.MessageForm(), words=DISPUTE_STATUS_WORDS,
                           message_words=MESSAGE_WORDS, subject_url=subject_url,
                           other=dispute.other if is_opener else dispute.opened_by), status


@console.get("/disputes/<dispute_id>")
@staff_may("bills")
def dispute_page(dispute_id):
    """A dispute this library is party to."""
    return _dispute_page(dispute_id)


@console.post("/disputes/<dispute_id>/<action>")
@staff_may("bills")
def dispute_action(dispute_id, action):
    """Write in a dispute, escalate it to the office, or (the opener) withdraw it (R13)."""
    if action not in ("message", "escalate", "withdraw"):
        abort(404)
    disputes.party_dispute(caller(), dispute_id)  # another library's: 404 first
    form = forms.MessageForm()
    if not form.validate_on_submit():
        return _dispute_page(dispute_id, form, 400)
    disputes.act(caller(), dispute_id, action, form.body.data)
    audit(f"dispute.{action}", dispute_id)
    flash({"message": "Sent: the other library reads it here.",
           "escalate": "Escalated: the federation office reads the dispute and answers.",
           "withdraw": "Withdrawn: the dispute is closed."}[action], "success")
    return redirect(url_for("console.dispute_page", dispute_id=dispute_id))
