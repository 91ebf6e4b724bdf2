"""HTTP views for bills and statements: parse, call one service function, dump."""

import csv
import io

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.bills import service
from app.bills.schemas import (
    AnswerSchema,
    BillCreateSchema,
    BillListQuerySchema,
    BillPageSchema,
    BillSchema,
    PaymentInSchema,
    PaymentSchema,
    ReasonSchema,
    ResolutionInSchema,
    ResolutionSchema,
    StatementQuerySchema,
    StatementRowSchema,
    StatementSchema,
    parse_period,
)
from app.idempotency import idempotent
from app.pagination import paged
from app.timestamps import today_in

blp = Blueprint("bills", __name__, url_prefix="/api/v1/bills",
                description="Bills for lost and damaged items (R6, R7, R9, R10).")
statements_blp = Blueprint("statements", __name__, url_prefix="/api/v1/statements",
                           description="Quarterly statements between libraries.")


def today():
    """Today in the federation's time zone (R9)."""
    return today_in(current_app.config["TIMEZONE"])


def hmac_key() -> bytes:
    """The key that hashes card numbers."""
    return current_app.config["HMAC_KEY"].encode("utf-8")


@blp.route("")
class Bills(MethodView):
    """Bills the caller issued or received."""

    @requires("member")
    @blp.arguments(BillListQuerySchema(), location="query")
    @blp.response(200, BillPageSchema)
    def get(self, query, caller):
        """List bills you issued (`as=issuer`), received (`as=home`), or both."""
        return service.list_bills(caller.library_id, **paged(query, current_app.config))

    @requires("member", reciprocal=True)
    @blp.arguments(BillCreateSchema())
    @blp.response(201, BillSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 255}}])
    def post(self, data, caller):
        """Bill a patron's home library for lost or damaged items (R9: within one year)."""
        return idempotent(caller, BillSchema(), 201, lambda hook: service.issue_bill(
            caller.library_id, data, hmac_key(), today(), before_commit=hook))


@blp.route("/<bill_id>", methods=["GET"])
@requires("member")
@blp.response(200, BillSchema)
def bill_detail(bill_id, caller):
    """Show a bill you are party to."""
    return service.show_bill(caller.library_id, bill_id)


@blp.route("/<bill_id>/payments", methods=["POST"])
@requires("member")
@blp.arguments(PaymentInSchema())
@blp.response(201, PaymentSchema)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                      "schema": {"type": "string", "maxLength": 255}}])
def pay(data, bill_id, caller):
    """Record a payment: yours is confirmed; the home library's is reported until you confirm it."""
    return idempotent(caller, PaymentSchema(), 201, lambda hook: service.record_payment(
        caller.library_id, bill_id, data, today(), before_commit=hook))


@blp.route("/<bill_id>/payments/<payment_id>/confirm", methods=["POST"])
@requires("member")
@blp.response(200, BillSchema)
def confirm_payment(bill_id, payment_id, caller):
    """Confirm you received a payment the home library reported (lending library, R8)."""
    return service.confirm_payment(caller.library_id, bill_id, payment_id, today())


@blp.route("/<bill_id>/payments/<payment_id>/decline", methods=["POST"])
@requires("member")
@blp.arguments(ReasonSchema())
@blp.response(200, BillSchema)
def decline_payment(data, bill_id, payment_id, caller):
    """Say a payment the home library reported never reached you, and why (lending library)."""
    return service.decline_payment(caller.library_id, bill_id, payment_id, data["reason"],
                                   today())


@blp.route("/<bill_id>/void", methods=["POST"])
@requires("member")
@blp.arguments(ReasonSchema())
@blp.response(200, BillSchema)
def void(data, bill_id, caller):
    """Void a bill you issued, saying why."""
    return service.void_bill(caller.library_id, bill_id, data["reason"], today())


@blp.route("/<bill_id>/dispute", methods=["POST"])
@requires("member")
@blp.arguments(ReasonSchema())
@blp.response(200, BillSchema)
def dispute(data, bill_id, caller):
    """Dispute a bill sent to you (home library), saying why (R13)."""
    return service.dispute_bill(caller.library_id, bill_id, data["reason"])


@blp.route("/<bill_id>/dispute/answer", methods=["POST"])
@requires("member")
@blp.arguments(AnswerSchema())
@blp.response(200, BillSchema)
def answer(data, bill_id, caller):
    """Answer the home library's dispute of a bill you issued."""
    return service.answer_dispute(caller.library_id, bill_id, data["answer"])


@blp.route("/<bill_id>/dispute/withdraw", methods=["POST"])
@requires("member")
@blp.response(200, BillSchema)
def withdraw(bill_id, caller):
    """Withdraw your dispute of a bill (home library); the bill is open again."""
    return service.withdraw_dispute(caller.library_id, bill_id)


@blp.route("/<bill_id>/resolutions", methods=["POST"])
@requires("member")
@blp.arguments(ResolutionInSchema())
@blp.response(201, ResolutionSchema)
def propose(data, bill_id, caller):
    """Propose alternate terms (replacement copy, equivalent title, waiver) to the other party."""
    return idempotent(caller, ResolutionSchema(), 201, lambda hook: service.propose_resolution(
        caller.library_id, bill_id, data, before_commit=hook))


@blp.route("/<bill_id>/resolutions/<resolution_id>/accept", methods=["POST"])
@requires("member")
@blp.response(200, BillSchema)
def accept(bill_id, resolution_id, caller):
    """Accept the other party's proposal; the bill is then resolved (R6: both agree)."""
    return service.accept_resolution(caller.library_id, bill_id, resolution_id, today())


@statements_blp.route("", methods=["GET"])
@requires("member")
@statements_blp.arguments(StatementQuerySchema(), location="query")
@statements_blp.response(200, StatementSchema)
@statements_blp.alt_response(200, content_type="text/csv", description="With format=csv.",
                             success=True, schema=None)
def statement(query, caller):
    """A quarter's statement: per library, what you billed, were paid, are owed and owe."""
    year, quarter = parse_period(query["period"])
    result = service.statement(caller.library_id, year, quarter)
    if query["format"] == "csv":
        return _csv(result)
    return result


def _csv(result: dict) -> Response:
    """The statement as CSV, one row per counterparty, amounts in cents."""
    columns = list(StatementRowSchema().fields)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["period", *columns])
    writer.writeheader()
    for row in StatementRowSchema(many=True).dump(result["rows"]):
        writer.writerow({"period": result["period"], **row})
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="statement-{result["library"]}-{result["period"]}.csv"')
    return response
