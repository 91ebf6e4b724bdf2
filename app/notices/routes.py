"""HTTP views for notices of non-compliance (Plan VIII.1.b)."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.idempotency import idempotent
from app.notices import service
from app.notices.schemas import (
    NoticeAnswerSchema,
    NoticeCreateSchema,
    NoticeListQuerySchema,
    NoticePageSchema,
    NoticeSchema,
)
from app.pagination import paged
from app.timestamps import today_in

blp = Blueprint("notices", __name__, url_prefix="/api/v1/notices",
                description="Notices of non-compliance between libraries (Plan VIII.1.b): the "
                            "written step before a suspension.")


@blp.route("")
class Notices(MethodView):
    """Notices the caller sent or received."""

    @requires("member", "admin")
    @blp.arguments(NoticeListQuerySchema(), location="query")
    @blp.response(200, NoticePageSchema)
    def get(self, query, caller):
        """List notices you sent (`as=sender`) or received (`as=recipient`); the office: all."""
        return service.list_notices(caller, **paged(query, current_app.config))

    @requires("member")
    @blp.arguments(NoticeCreateSchema())
    @blp.response(201, NoticeSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 255}}])
    def post(self, data, caller):
        """Tell another library it failed to observe one of your published policies."""
        return idempotent(caller, NoticeSchema(), 201, lambda hook: service.send_notice(
            caller.library_id, data, today_in(current_app.config["TIMEZONE"]),
            before_commit=hook))


@blp.route("/<notice_id>", methods=["GET"])
@requires("member", "admin")
@blp.response(200, NoticeSchema)
def notice_detail(notice_id, caller):
    """Show a notice you are party to."""
    return service.party_notice(caller, notice_id)


@blp.route("/<notice_id>/acknowledge", methods=["POST"])
@requires("member")
@blp.response(200, NoticeSchema)
def acknowledge(notice_id, caller):
    """Acknowledge a notice sent to you."""
    return service.acknowledge_notice(caller, notice_id)


@blp.route("/<notice_id>/answer", methods=["POST"])
@requires("member")
@blp.arguments(NoticeAnswerSchema())
@blp.response(200, NoticeSchema)
def answer(data, notice_id, caller):
    """Answer a notice sent to you, in writing."""
    return service.answer_notice(caller, notice_id, data["answer"])


@blp.route("/<notice_id>/withdraw", methods=["POST"])
@requires("member")
@blp.response(200, NoticeSchema)
def withdraw(notice_id, caller):
    """Withdraw a notice you sent."""
    return service.withdraw_notice(caller, notice_id)
