"""The federation office's forms: admit a library, change its membership, issue and revoke its
keys. Read by the API's own schemas and handled by the same service functions (R1)."""

from flask import flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.auth import SCOPE_WORDS
from app.console import forms
from app.console.member_pages import _errors
from app.console.routes import audit, caller, console, staff_may
from app.errors import DomainError
from app.libraries import service as libraries
from app.libraries.schemas import LibraryCreateSchema, LibraryUpdateSchema


def _prefixes(text: str | None) -> list[str]:
    """Card prefixes typed with commas or spaces."""
    return [p for p in (text or "").replace(",", " ").split() if p]


@console.route("/office/libraries/new", methods=["GET", "POST"])
@staff_may("office")
def office_admit():
    """Admit a member library (R1: a public full member takes part in reciprocal borrowing)."""
    form = forms.AdmitForm()
    errors, status = {}, 200
    if form.validate_on_submit():
        body = {"code": form.code.data.strip().upper(), "name": form.name.data.strip(),
                "type": form.type.data, "membership": form.membership.data,
                "card_prefixes": _prefixes(form.card_prefixes.data),
                "contact": {"email": form.email.data or None, "phone": form.phone.data or None},
                "address": {"city": form.city.data or None, "county": form.county.data or None},
                "system": form.system.data or None}
        try:
            library = libraries.admit_library(LibraryCreateSchema().load(body))
        except (ValidationError, DomainError) as error:
            errors, status = _errors(error), getattr(error, "status", 422)
        else:
            audit("library.admitted", library.code)
            flash(f"{library.name} is a member. Issue its first key below, or make its "
                  "administrator's account with `reciprocity staff create`.", "success")
            return redirect(url_for("console.office_library", code=library.code))
    elif form.is_submitted():
        status = 400
    return render_template("console/office_admit.html", form=form, errors=errors), status


@console.route("/office/libraries/<code>", methods=["GET", "POST"])
@staff_may("office")
def office_library(code):
    """One member: its membership (active, type, membership) and its API keys."""
    library = libraries.get_library(code)
    membership = forms.MembershipForm(prefix="m", obj=None if request.method == "POST" else
                                      library)
    key_form = forms.KeyForm(prefix="k")
    errors, issued, status = {}, None, 200
    if request.method == "POST":
        if request.form.get("intent") == "key" and key_form.validate_on_submit():
            record, key = libraries.issue_library_key(code, key_form.label.data,
                                                      key_form.scope.data)
            audit("key.issued", record.id)
            issued = {"key": key, "label": record.label, "scope": SCOPE_WORDS[record.scope]}
            key_form = forms.KeyForm(prefix="k", formdata=None)
        elif request.form.get("intent") == "membership" and membership.validate_on_submit():
            body = {"active": membership.active.data, "type": membership.type.data,
                    "membership": membership.membership.data}
            try:
                libraries.update_library(code, LibraryUpdateSchema().load(body), caller())
            except (ValidationError, DomainError) as error:
                errors, status = _errors(error), 422
            else:
                audit("library.changed", code)
                flash("Saved.", "success")
                return redirect(url_for("console.office_library", code=code))
        else:
            status = 400
    return render_template("console/office_library.html", library=library,
                           membership=membership, key_form=key_form, issued=issued,
                           keys=libraries.list_keys(code), scopes=SCOPE_WORDS, errors=errors,
                           action=forms.ActionForm()), status


@console.post("/office/libraries/<code>/keys/<key_id>/revoke")
@staff_may("office")
def office_revoke_key(code, key_id):
    """Revoke one of a library's keys: it stops working at once."""
    if not forms.ActionForm().validate_on_submit():
        return redirect(url_for("console.office_library", code=code))
    libraries.revoke_key(code, key_id)
    audit("key.revoked", key_id)
    flash("The key is revoked: it stopped working now.", "success")
    return redirect(url_for("console.office_library", code=code))
