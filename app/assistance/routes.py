"""HTTP views for assistance requests (R7, Plan V.1.b.iii-iv)."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.assistance import service
from app.assistance.schemas import (
    AssistanceAnswerSchema,
    AssistanceCreateSchema,
    AssistanceListQuerySchema,
    AssistancePageSchema,
    AssistanceSchema,
)
from app.auth import requires
from app.idempotency import idempotent
from app.pagination import paged
from app.timestamps import today_in

blp = Blueprint("assistance", __name__, url_prefix="/api/v1/assistance",
                description="Assistance requests (R7): a lending library asks a patron's home "
                            "library to help retrieve delinquent material or collect a bill.")


def today():
    """Today in the federation's time zone."""
    return today_in(current_app.config["TIMEZONE"])


def sealer():
    """What seals the patron details a home library passes (R16)."""
    return current_app.extensions["reciprocity.reach"].sealer


@blp.route("")
class AssistanceRequests(MethodView):
    """Assistance requests the caller made or received."""

    @requires("member", "admin")
    @blp.arguments(AssistanceListQuerySchema(), location="query")
    @blp.response(200, AssistancePageSchema)
    def get(self, query, caller):
        """List requests you made (`as=requester`) or received (`as=home`); the office: all."""
        return service.list_requests(caller, today(), sealer(),
                                     **paged(query, current_app.config))

    @requires("member", reciprocal=True)
    @blp.arguments(AssistanceCreateSchema())
    @blp.response(201, AssistanceSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 255}}])
    def post(self, data, caller):
        """Ask a patron's home library to help retrieve material or collect a bill (R7)."""
        return idempotent(caller, AssistanceSchema(), 201, lambda hook: (
            service.request_assistance(caller, data, today(),
                                       int(current_app.config["ASSISTANCE_DUE_DAYS"]),
                                       before_commit=hook)))


@blp.route("/<assistance_id>", methods=["GET"])
@requires("member", "admin")
@blp.response(200, AssistanceSchema)
def assistance_detail(assistance_id, caller):
    """Show an assistance request you are party to."""
    return service.show_request(caller, assistance_id, today(), sealer())


@blp.route("/<assistance_id>/answer", methods=["POST"])
@requires("member")
@blp.arguments(AssistanceAnswerSchema())
@blp.response(200, AssistanceSchema)
def answer(data, assistance_id, caller):
    """Answer a request about your patron (home library): contacted, details passed, declined."""
    return service.answer_request(caller, assistance_id, data, today(), sealer())


@blp.route("/<assistance_id>/withdraw", methods=["POST"])
@requires("member")
@blp.response(200, AssistanceSchema)
def withdraw(assistance_id, caller):
    """Withdraw a request you made that has not been answered."""
    return service.withdraw_request(caller, assistance_id, today(), sealer())


@blp.route("/<assistance_id>/close", methods=["POST"])
@requires("member")
@blp.response(200, AssistanceSchema)
def close(assistance_id, caller):
    """Close an answered request you made: you need nothing more."""
    return service.close_request(caller, assistance_id, today(), sealer())
