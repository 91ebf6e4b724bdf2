"""HTTP views for disputes between libraries and their escalation to the office (R13)."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.disputes import service
from app.disputes.schemas import (
    DisputeWriteSchema,
    LibraryDisputeCreateSchema,
    LibraryDisputeListQuerySchema,
    LibraryDisputePageSchema,
    LibraryDisputeSchema,
)
from app.idempotency import idempotent
from app.pagination import paged

blp = Blueprint("disputes", __name__, url_prefix="/api/v1/disputes",
                description="Disputes about a bill, block, suspension or notice: in writing "
                            "between the two libraries, then with the federation office (R13).")


@blp.route("")
class Disputes(MethodView):
    """Disputes the caller is party to."""

    @requires("member", "admin")
    @blp.arguments(LibraryDisputeListQuerySchema(), location="query")
    @blp.response(200, LibraryDisputePageSchema)
    def get(self, query, caller):
        """List disputes you are party to; the office: all."""
        return service.list_disputes(caller, **paged(query, current_app.config))

    @requires("member")
    @blp.arguments(LibraryDisputeCreateSchema())
    @blp.response(201, LibraryDisputeSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 255}}])
    def post(self, data, caller):
        """Open a dispute with the other party to a bill, block, suspension or notice."""
        return idempotent(caller, LibraryDisputeSchema(), 201, lambda hook: service.open_dispute(
            caller.library_id, data, before_commit=hook))


@blp.route("/<dispute_id>", methods=["GET"])
@requires("member", "admin")
@blp.response(200, LibraryDisputeSchema)
def dispute_detail(dispute_id, caller):
    """Show a dispute you are party to, with every message."""
    return service.party_dispute(caller, dispute_id)


def _action(name: str, path: str, summary: str, roles: tuple[str, ...]):
    """Register POST /<dispute_id>/<path>: one written act in a dispute."""

    @requires(*roles)
    @blp.arguments(DisputeWriteSchema())
    @blp.response(200, LibraryDisputeSchema)
    def view(data, dispute_id, caller):
        return service.act(caller, dispute_id, name, data["body"])

    view.__name__ = f"dispute_{name}"
    view.__doc__ = summary
    blp.route(f"/<dispute_id>/{path}", methods=["POST"])(view)


_action("message", "messages", "Write to the other library (either party) in an open or "
        "escalated dispute.", ("member",))
_action("escalate", "escalate", "Ask the federation office for help in writing; the other "
        "library gets a copy (R13).", ("member",))
_action("withdraw", "withdraw", "Withdraw a dispute you opened.", ("member",))
_action("office_answer", "answer", "The federation office answers both libraries in an "
        "escalated dispute.", ("admin",))
_action("decide", "decide", "The federation office closes an escalated dispute with its "
        "decision.", ("admin",))
