"""The console's pages: thin views that read a form, call one service function, and render.

Every page is reached by a signed-in staff account whose role allows it; what a page loads is
scoped to the account's library inside the query (a block or bill of another library is simply
not found). Card numbers travel only in POST bodies, never in a URL or a title (R16).
"""

import functools
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError
from sqlalchemy import select

from app.auth import SCOPE_WORDS
from app.bills import service as bills
from app.blocks import service as blocks
from app.console import forms, policy_form, rules, service
from app.directory import rules as directory_rules
from app.directory import service as directory
from app.directory import versions as directory_versions
from app.directory import wording as directory_wording
from app.errors import DomainError, NotFoundError
from app.extensions import db
from app.libraries import service as libraries
from app.libraries.models import Library
from app.timestamps import today_in, utcnow
from app.verification import service as verification

console = Blueprint("console", __name__, url_prefix="/console", static_folder="static",
                    static_url_path="/static")

# Pages of the console: no inline script or style, nothing from another origin, never framed.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; form-action 'self'; base-uri 'none'; "
                           "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

# Plain words for a desk, per reason a verification gives (the API's codes in brackets).
REASON_WORDS = {
    "home_not_participating": "The patron's home library does not take part in reciprocal "
                              "borrowing.",
    "suspended_by_you": "Your library has suspended service to this home library's patrons.",
    "card_replaced": "This card was replaced by a newer one: ask for the patron's current card.",
    "home_block": "The home library has blocked this account.",
    "federation_block": "A block requested through the federation is in force on this account.",
    "expired": "The card has expired: the patron renews it at the home library.",
    "unknown_card": "The home library has not registered this card with the federation.",
    "delinquent": "The home library has marked this patron delinquent.",
    "identity_mismatch": "The surname given does not match the home library's record: check "
                         "an ID.",
}
DECISION_WORDS = {
    "eligible": ("Lend", "In good standing: lend under your reciprocal borrowing policy."),
    "not_eligible": ("Do not lend", "Not in good standing: do not lend under reciprocal "
                                    "borrowing."),
    "refer": ("Check first", "In doubt: contact the home library before lending."),
}
BLOCK_STATUS_WORDS = {"requested": "Awaiting an answer", "honored": "Honored (in force)",
                      "refused": "Refused", "withdrawn": "Withdrawn", "released": "Released"}
BILL_STATUS_WORDS = {"open": "Open", "disputed": "Disputed", "paid": "Paid",
                     "resolved": "Resolved by agreement", "void": "Void"}


@console.after_request
def security_headers(response):
    """Headers every console page sends; pages are never cached (they may hold patron data)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


@console.app_template_filter("money")
def money(cents) -> str:
    """Integer cents as dollars: 2495 -> $24.95."""
    if cents is None:
        return "—"
    sign = "−" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


@console.app_template_global()
def may(permission: str) -> bool:
    """True when the signed-in account's role allows this."""
    return current_user.is_authenticated and rules.may(current_user.role, permission)


def today() -> date:
    """Today in the federation's time zone (R9)."""
    return today_in(current_app.config["TIMEZONE"])


def hmac_key() -> bytes:
    """The key that hashes card numbers (R16)."""
    return current_app.config["HMAC_KEY"].encode("utf-8")


def staff_may(permission: str):
    """Decorate a page: a signed-in account whose role allows `permission`, else 403."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not rules.may(current_user.role, permission):
                abort(403)
            # Who, in the audit trail: the staff account, never the library's key.
            g.audit_actor = (current_user.library_id, f"staff:{current_user.id}")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def caller():
    """The Caller the services see for the signed-in account."""
    return service.as_caller(current_user)


def audit(action: str, target: str | None = None) -> None:
    """Record what the signed-in account did (the console's audit trail)."""
    service.record_action(current_user, action, target)


def field_errors(error: DomainError) -> dict:
    """A service's `errors` ({field: message}) for showing next to each field."""
    return dict(error.errors or {})


def names_of(ids) -> dict[int, Library]:
    """Libraries by id, for showing names in lists."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {lib.id: lib for lib in db.session.execute(
        select(Library).where(Library.id.in_(ids))).scalars()}


@console.errorhandler(DomainError)
def domain_error(error: DomainError):
    """A refusal from a service, as a page (the API answers the same with problem+json)."""
    title = {404: "Not found", 403: "Not allowed", 409: "Not possible now"}.get(
        error.status, "Not possible")
    return render_template("console/error.html", title=title,
                           message=error.detail), error.status


@console.errorhandler(403)
def forbidden(error):
    """A page the account's role does not allow."""
    return render_template("console/error.html", title="Not allowed",
                           message="Your role does not allow this page. Ask your library's "
                                   "administrator if you need it."), 403


@console.errorhandler(404)
def not_found(error):
    """Not found, or not this library's to see."""
    return render_template("console/error.html", title="Not found",
                           message="There is nothing here, or it belongs to another "
                                   "library."), 404


# Signing in and out ---------------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    if target and target.startswith("/console/") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return url_for("console.home")


@console.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Sign in with an email address and password; repeated failures lock the account."""
    form = forms.SignInForm()
    message = None
    status = 200
    if form.validate_on_submit():
        try:
            staff = service.sign_in(form.email.data, form.password.data)
        except service.SignInRefused as refused:
            message = refused.message
            if refused.locked_until:
                minutes = max(1, round((refused.locked_until - utcnow()).total_seconds() / 60))
                message += f" Try again in about {minutes} minute{'s' if minutes != 1 else ''}."
            status = 401
        else:
            login_user(staff)
            return redirect(_safe_next(request.args.get("next")))
    elif form.is_submitted():
        status = 400
    return render_template("console/sign_in.html", form=form, message=message), status


@console.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a one-time password link by email; the same answer whether or not the address
    has an account."""
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        base = (current_app.config.get("CONSOLE_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
        service.request_password_reset(
            form.email.data, lambda token: f"{base}/console/password/{token}")
        return render_template("console/forgot_password.html", form=form, sent=True,
                               hours=service.RESET_LINK_HOURS)
    status = 400 if form.is_submitted() else 200
    return render_template("console/forgot_password.html", form=form, sent=False,
                           hours=service.RESET_LINK_HOURS), status


@console.post("/sign-out")
@login_required
def sign_out():
    """Sign out (a form with a CSRF token, so no other site can sign a person out)."""
    form = forms.ActionForm()
    if not form.validate_on_submit():
        abort(400)
    audit("staff.signed_out", current_user.id)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("console.sign_in"))


@console.route("/password/<token>", methods=["GET", "POST"])
def set_password(token):
    """Choose a password with a one-time link (a new account's first, or a reset)."""
    try:
        staff = service.reset_token_account(token)
    except DomainError as error:
        return render_template("console/error.html", title="This link does not work",
                               message=error.detail), 404
    form = forms.SetPasswordForm()
    errors = {}
    if form.validate_on_submit():
        try:
            service.set_password_with_token(token, form.password.data)
        except DomainError as error:
            errors = field_errors(error) or {"password": error.detail}
        else:
            logout_user()
            flash("Your password is set. Sign in with it now.", "info")
            return redirect(url_for("console.sign_in"))
    return render_template("console/set_password.html", form=form, staff=staff,
                           errors=errors, minimum=rules.PASSWORD_MIN), 400 if errors else 200


# Home ------------------------------------------------------------------------------------------

@console.get("/")
@login_required
def home():
    """Where each role starts: the desk's card box, or what needs doing."""
    if current_user.role == "office":
        return redirect(url_for("console.office_libraries"))
    if current_user.role == "desk":
        return redirect(url_for("console.desk"))
    return redirect(url_for("console.inbox"))


# The desk --------------------------------------------------------------------------------------

def _own_caps() -> dict:
    """This library's published terms for reciprocal borrowers, in plain sentences."""
    try:
        detail = directory.entry_detail(current_user.library.code, today(),
                                        current_app.config["TIMEZONE"])
    except DomainError:
        return {"published": False, "lines": []}
    return {"published": bool(detail.get("policy")),
            "lines": detail["summary"].get("reciprocal_borrowing", [])}


@console.route("/desk", methods=["GET", "POST"])
@staff_may("verify")
def desk():
    """Verify a visiting patron's card: the decision in words and colour, and what to do."""
    form = forms.VerifyForm()
    result, error, status = None, None, 200
    if form.validate_on_submit():
        try:
            answer = verification.verify_card(
                current_user.library_id, form.card_number.data, None,
                form.surname.data or None, hmac_key(), utcnow(), today(),
                current_app.extensions["reciprocity.traffic"])
        except DomainError as refusal:
            error, status = refusal.detail, 422
            if refusal.code == "home_library_required":
                error = ("No member library issues cards that start like this one. Check the "
                         "number, or call the library that issued the card.")
        else:
            word, meaning = DECISION_WORDS[answer.decision]
            card = "".join(ch for ch in form.card_number.data if ch.isalnum())
            result = {"decision": answer.decision, "word": word, "meaning": meaning,
                      "reasons": [REASON_WORDS.get(r, r) for r in answer.reasons],
                      "codes": list(answer.reasons), "home": answer.home_library,
                      "expires_on": answer.expires_on, "identity": answer.identity,
                      "last4": card[-4:]}
    elif form.is_submitted():
        status = 400
    # The box is emptied for the next card: the number is never sent back to the browser.
    form.card_number.data = ""
    form.surname.data = ""
    return render_template("console/desk.html", form=form, result=result, error=error,
                           caps=_own_caps()), status


# The inbox and records -------------------------------------------------------------------------

INBOX_KINDS = {
    "requests": "Block requests to answer",
    "bills": "Bills to pay or dispute",
    "disputes": "Your bills under dispute",
    "overdue": "Your requests past their due date",
}


@console.get("/inbox")
@staff_may("inbox")
def inbox():
    """What needs this library's action, oldest first, with due dates."""
    shown = request.args.get("show", "")
    if shown and shown not in INBOX_KINDS:
        shown = ""
    me = caller()
    now = today()
    lists = {}
    if shown in ("", "requests"):
        page = blocks.list_blocks(me, now, as_="home", status="requested",
                                  limit=_limit(), cursor=_cursor("requests"))
        lists["requests"] = page
    if shown in ("", "bills"):
        lists["bills"] = _bills(me.library_id, "home", ("open", "disputed"))
    if shown in ("", "disputes"):
        lists["disputes"] = _bills(me.library_id, "issuer", ("disputed",))
    if shown in ("", "overdue"):
        lists["overdue"] = blocks.list_blocks(me, now, as_="requester", status="requested",
                                              overdue=True, limit=_limit(),
                                              cursor=_cursor("overdue"))
    others = names_of([b.requester_library_id for b in lists.get("requests", {"items": []})
                       ["items"]]
                      + [b.home_library_id for b in lists.get("overdue", {"items": []})["items"]]
                      + [b.issuer_library_id for b in lists.get("bills", {"items": []})["items"]]
                      + [b.home_library_id for b in lists.get("disputes", {"items": []})
                         ["items"]])
    for key in ("requests", "overdue"):
        if key in lists:
            lists[key]["items"] = sorted(lists[key]["items"], key=lambda b: b.requested_at)
    return render_template("console/inbox.html", lists=lists, kinds=INBOX_KINDS, shown=shown,
                           others=others, today=now, block_words=BLOCK_STATUS_WORDS,
                           bill_words=BILL_STATUS_WORDS)


def _limit() -> int:
    """The page size of a list."""
    return 25


def _cursor(name: str) -> str | None:
    """The cursor of one list of the inbox (each pages on its own)."""
    if request.args.get("show") == name:
        return request.args.get("cursor") or None
    return None


def _bills(library_id: int, as_: str, statuses: tuple) -> dict:
    """The first page of bills in each of some states, oldest first; `more` links the rest."""
    items, more = [], None
    for status in statuses:
        page = bills.list_bills(library_id, as_=as_, status=status, limit=_limit())
        items.extend(page["items"])
        if page["next_cursor"]:
            more = url_for("console.bill_list", status=status, **{"as": as_})
    items.sort(key=lambda b: (b.sent_on, b.id))
    return {"items": items, "next_cursor": None, "more": more}


@console.get("/blocks")
@staff_may("blocks")
def block_list():
    """Every block this library asked for or received, filtered by side and state."""
    side = request.args.get("as") if request.args.get("as") in ("home", "requester") else None
    status = request.args.get("status") if request.args.get("status") in BLOCK_STATUS_WORDS \
        else None
    page = blocks.list_blocks(caller(), today(), as_=side, status=status, limit=_limit(),
                              cursor=request.args.get("cursor") or None)
    others = names_of([b.requester_library_id for b in page["items"]]
                      + [b.home_library_id for b in page["items"]])
    return render_template("console/blocks.html", page=page, side=side, status=status,
                           others=others, words=BLOCK_STATUS_WORDS, today=today(),
                           next_url=_next_url("console.block_list", page, side, status))


def _block_page(block_id: str, refuse=None, status: int = 200):
    """Render one block with the forms of this library's side."""
    block = blocks.party_block(caller(), block_id)
    mine_as = "home" if block.home_library_id == current_user.library_id else "requester"
    return render_template(
        "console/block.html", block=block, mine_as=mine_as, covered=block.bills,
        parties=names_of([block.requester_library_id, block.home_library_id]),
        words=BLOCK_STATUS_WORDS, bill_words=BILL_STATUS_WORDS, action=forms.ActionForm(),
        refuse=refuse or forms.RefuseForm(), today=today(),
        history=service.actions_on(current_user.library_id, block.id),
        # R16: the home library's own reference for its patron, shown to the home only.
        external_ref=block.patron.external_ref if mine_as == "home" else None), status


@console.get("/blocks/<block_id>")
@staff_may("blocks")
def block_page(block_id):
    """One block: the whole record, its bills, its history, and the actions this side has."""
    return _block_page(block_id)


@console.post("/blocks/<block_id>/<action>")
@staff_may("blocks")
def block_action(block_id, action):
    """Honor, refuse, withdraw or release a block, as this library's side allows (R8)."""
    if action not in ("honor", "refuse", "withdraw", "release"):
        abort(404)
    form = forms.RefuseForm() if action == "refuse" else forms.ActionForm()
    if not form.validate_on_submit():
        if action == "refuse":
            return _block_page(block_id, refuse=form, status=400)
        abort(400)
    me = caller()
    if action == "honor":
        blocks.honor_block(me, block_id, today())
        done = "Honored: the patron is blocked at every member library."
    elif action == "refuse":
        blocks.refuse_block(me, block_id, form.reason.data, today())
        done = "Refused: your library is now responsible for the bills this request covers."
    elif action == "withdraw":
        blocks.withdraw_block(me, block_id, today())
        done = "Withdrawn."
    else:
        blocks.release_block(me, block_id, today())
        done = "Released: the block no longer applies."
    audit(f"block.{action}", block_id)
    flash(done, "success")
    return redirect(url_for("console.block_page", block_id=block_id))


@console.get("/bills")
@staff_may("bills")
def bill_list():
    """Bills this library issued or received, filtered by side and state."""
    side = request.args.get("as") if request.args.get("as") in ("home", "issuer") else None
    status = request.args.get("status") if request.args.get("status") in BILL_STATUS_WORDS \
        else None
    page = bills.list_bills(current_user.library_id, as_=side, status=status, limit=_limit(),
                            cursor=request.args.get("cursor") or None)
    others = names_of([b.issuer_library_id for b in page["items"]]
                      + [b.home_library_id for b in page["items"]])
    return render_template("console/bills.html", page=page, side=side, status=status,
                           others=others, words=BILL_STATUS_WORDS,
                           next_url=_next_url("console.bill_list", page, side, status))


def _next_url(endpoint: str, page: dict, side: str | None, status: str | None) -> str | None:
    """The next page of a filtered list, keeping its filters."""
    if not page["next_cursor"]:
        return None
    args = {"cursor": page["next_cursor"]}
    if side:
        args["as"] = side
    if status:
        args["status"] = status
    return url_for(endpoint, **args)


def _bill_page(bill_id, *, payment=None, dispute=None, errors=None, status=200, **given):
    """Render one bill with its forms (`given`: forms as submitted, to show their errors)."""
    from app.console import settling

    bill = bills.party_bill(current_user.library_id, bill_id)
    return render_template(
        "console/bill.html", bill=bill, words=BILL_STATUS_WORDS,
        parties=names_of([bill.issuer_library_id, bill.home_library_id]),
        mine_as="home" if bill.home_library_id == current_user.library_id else "issuer",
        payment=payment or forms.PaymentForm(), dispute=dispute or forms.ReasonForm(),
        errors=errors or {}, history=service.actions_on(current_user.library_id, bill.id),
        **settling.bill_context(bill, given)), status


@console.get("/bills/<bill_id>")
@staff_may("bills")
def bill_page(bill_id):
    """One bill: its items, payments, disputes, and the actions this side has."""
    return _bill_page(bill_id)


@console.post("/bills/<bill_id>/payments")
@staff_may("payments")
def bill_payment(bill_id):
    """Record money received for a bill (more than the balance is refused)."""
    form = forms.PaymentForm()
    errors = {}
    if form.validate_on_submit():
        amount = forms.cents(form.amount.data)
        if not amount:
            errors["amount_cents"] = "Enter an amount in dollars and cents, like 12.50."
        else:
            try:
                payment = bills.record_payment(current_user.library_id, bill_id, {
                    "amount_cents": amount, "paid_by": form.paid_by.data,
                    "reference": form.reference.data or None}, today())
            except DomainError as error:
                if error.status == 404:
                    raise
                errors = field_errors(error) or {"amount_cents": error.detail}
            else:
                audit("bill.payment_recorded", bill_id)
                flash(f"Payment of {money(payment.amount_cents)} recorded.", "success")
                return redirect(url_for("console.bill_page", bill_id=bill_id))
    return _bill_page(bill_id, payment=form, errors=errors, status=422 if errors else 400)


@console.post("/bills/<bill_id>/dispute")
@staff_may("bills")
def bill_dispute(bill_id):
    """The home library disputes a bill, saying why (R13)."""
    form = forms.ReasonForm()
    if form.validate_on_submit():
        bills.dispute_bill(current_user.library_id, bill_id, form.reason.data)
        audit("bill.disputed", bill_id)
        flash("Disputed: the lending library sees your reason.", "success")
        return redirect(url_for("console.bill_page", bill_id=bill_id))
    return _bill_page(bill_id, dispute=form, status=400)


# Staff accounts and API keys (library administrator) --------------------------------------------

@console.route("/staff", methods=["GET", "POST"])
@staff_may("staff")
def staff():
    """The library's staff accounts; add a colleague (who sets a password from a link)."""
    form = forms.StaffForm()
    errors, link, status = {}, None, 200
    if form.validate_on_submit():
        try:
            account, token = service.create_library_staff(current_user, {
                "name": form.name.data, "email": form.email.data, "role": form.role.data})
        except DomainError as error:
            errors, status = field_errors(error) or {"email": error.detail}, error.status
        else:
            link = url_for("console.set_password", token=token, _external=True)
            flash(f"Account made for {account.name}. Give them the link below: it lets them "
                  f"choose a password, once, within {service.RESET_LINK_HOURS} hours.",
                  "success")
            form = forms.StaffForm(formdata=None)
    elif form.is_submitted():
        status = 400
    return render_template("console/staff.html", form=form, errors=errors, link=link,
                           accounts=service.library_staff(current_user.library_id),
                           action=forms.ActionForm(), words=rules.ROLE_WORDS), status


@console.post("/staff/<staff_id>/<action>")
@staff_may("staff")
def staff_action(staff_id, action):
    """Turn an account off or on, or make a new password link for it."""
    if action not in ("disable", "enable", "reset-link"):
        abort(404)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    link = None
    if action == "reset-link":
        token = service.reset_link_for(current_user, staff_id)
        link = url_for("console.set_password", token=token, _external=True)
        flash("A new password link is below. It works once, within "
              f"{service.RESET_LINK_HOURS} hours; earlier links stop working.", "success")
    else:
        account = service.set_staff_active(current_user, staff_id, action == "enable")
        flash(f"{account.name}'s account is {'on' if account.active else 'off'}.", "success")
    return render_template("console/staff.html", form=forms.StaffForm(formdata=None),
                           errors={}, link=link,
                           accounts=service.library_staff(current_user.library_id),
                           action=forms.ActionForm(), words=rules.ROLE_WORDS)


@console.route("/keys", methods=["GET", "POST"])
@staff_may("keys")
def keys():
    """The library's API keys: issue one (shown once), see what each may do, revoke."""
    form = forms.KeyForm()
    issued, status = None, 200
    if form.validate_on_submit():
        record, key = libraries.issue_library_key(current_user.library.code, form.label.data,
                                                  form.scope.data)
        audit("key.issued", record.id)
        issued = {"key": key, "label": record.label, "scope": SCOPE_WORDS[record.scope]}
        form = forms.KeyForm(formdata=None)
    elif form.is_submitted():
        status = 400
    return render_template("console/keys.html", form=form, issued=issued,
                           keys=libraries.list_keys(current_user.library.code),
                           action=forms.ActionForm(), scopes=SCOPE_WORDS), status


@console.post("/keys/<key_id>/revoke")
@staff_may("keys")
def revoke_key(key_id):
    """Revoke one of the library's keys: it stops working at once."""
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    libraries.revoke_key(current_user.library.code, key_id)
    audit("key.revoked", key_id)
    flash("The key is revoked: it stopped working now.", "success")
    return redirect(url_for("console.keys"))


@console.get("/activity")
@staff_may("audit")
def activity():
    """Who did what in this library's console, newest first."""
    return render_template("console/activity.html",
                           actions=service.recent_actions(current_user.library_id))


# The policy editor (library administrator) -----------------------------------------------------

@console.route("/policy", methods=["GET", "POST"])
@staff_may("policy")
def policy():
    """Edit the published policy as a form; preview it; publish it. Rule errors show inline."""
    code = current_user.library.code
    current = _current_policy(code)
    form = forms.PolicyForm(data=policy_form.form_data(current, today())
                            if request.method == "GET" else None)
    policy_form.set_choices(form)
    errors, preview, status = {}, None, 200
    if form.validate_on_submit():
        document, errors = policy_form.document(form, current)
        if not errors:
            try:
                loaded = _policy_schema().load(document)
            except ValidationError as error:
                errors = policy_form.form_errors(error.messages)
            else:
                if request.form.get("intent") == "publish":
                    try:
                        result = directory.publish_policy(code, loaded, caller(), today())
                    except DomainError as error:
                        errors = policy_form.form_errors(error.errors or {},
                                                         fallback=error.detail)
                    else:
                        audit("policy.published", f"v{result['version']}")
                        flash(f"Published as version {result['version']}." if result["changed"]
                              else "Nothing changed: the directory already shows this policy.",
                              "success")
                        for warning in result["warnings"]:
                            flash(warning["message"], "info")
                        return redirect(url_for("console.policy"))
                else:
                    verdict = directory_rules.validate_policy(
                        loaded, library_type=current_user.library.type,
                        membership=current_user.library.membership,
                        others=directory.member_terms(), own_code=code, today=today())
                    errors = policy_form.form_errors(verdict.errors)
                    preview = {"summary": directory_wording.summarize(
                        directory_versions.canonical(loaded), today()),
                        "warnings": verdict.warnings}
        status = 422 if errors else 200
    elif form.is_submitted():
        errors = {name: "; ".join(messages) for name, messages in form.errors.items()}
        status = 400
    return render_template("console/policy.html", form=form, errors=errors, preview=preview,
                           published=current is not None, code=code), status


def _current_policy(code: str) -> dict | None:
    """The library's published policy document, or None."""
    try:
        return directory.entry_detail(code, today(), current_app.config["TIMEZONE"])["policy"]
    except NotFoundError:
        return None


def _policy_schema():
    """The API's own policy schema: the form's document is read exactly as a PUT would be."""
    from app.directory.schemas import PolicySchema

    return PolicySchema()


# The federation office -----------------------------------------------------------------------

@console.get("/office/libraries")
@staff_may("office")
def office_libraries():
    """Member libraries with their directory state: stale policies, late reports."""
    from app.directory.schemas import DirectoryQuerySchema

    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    try:
        filters = DirectoryQuerySchema().load(raw)
    except ValidationError:
        filters = DirectoryQuerySchema().load({})
    limit, cursor = filters.pop("limit"), filters.pop("cursor")
    page = directory.list_entries(filters, today(), limit=min(limit or 50, 100), cursor=cursor)
    return render_template("console/office_libraries.html", page=page, args=raw)


@console.get("/office/survey")
@staff_may("office")
def office_survey():
    """The traffic survey (R19) for a year: who lends to whom, as a chart and a table."""
    try:
        year = int(request.args.get("year") or today().year)
    except ValueError:
        year = today().year
    year = min(max(year, 2000), today().year)
    data = verification.traffic(None, year, current_app.extensions["reciprocity.traffic"])
    chart = survey_chart(data["items"])
    return render_template("console/survey.html", year=year, chart=chart,
                           years=list(range(today().year, today().year - 5, -1)))


def survey_chart(rows: list[dict], top: int = 12) -> dict:
    """The year's verifications summed per lending and home library, the largest pairs first.

    Drawn on the server as SVG bars (no script): each bar is one lender -> home pair.
    """
    pairs: dict[tuple[str, str], int] = {}
    lent: dict[str, int] = {}
    for row in rows:
        total = row["eligible"] + row["not_eligible"] + row["refer"]
        key = (row["lending_library"], row["home_library"])
        pairs[key] = pairs.get(key, 0) + total
        lent[row["lending_library"]] = lent.get(row["lending_library"], 0) + total
    ranked = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:top]
    codes = {code for pair, _ in ranked for code in pair}
    names = {lib.code: lib.name for lib in db.session.execute(
        select(Library).where(Library.code.in_(codes))).scalars()} if codes else {}
    biggest = max((count for _, count in ranked), default=0)
    bar_height, gap, label_width, width = 34, 10, 0, 400
    bars = []
    for index, ((lender, home), count) in enumerate(ranked):
        length = 0 if not biggest else max(2, round((width - 80) * count / biggest))
        bars.append({"y": index * (bar_height + gap), "length": length, "count": count,
                     "lender": names.get(lender, lender), "home": names.get(home, home),
                     "lender_code": lender, "home_code": home, "height": bar_height,
                     "label_x": label_width + length + 6})
    return {"bars": bars, "height": max(1, len(bars)) * (bar_height + gap) + 20,
            "width": width, "total": sum(pairs.values()), "pairs": len(pairs),
            "lenders": sorted(lent.items(), key=lambda item: (-item[1], item[0]))[:10],
            "names": names}

