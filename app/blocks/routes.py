"""HTTP views for blocks (R8)."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.blocks import service
from app.blocks.schemas import (
    BlockListQuerySchema,
    BlockPageSchema,
    BlockRequestSchema,
    BlockSchema,
    RefuseSchema,
)
from app.idempotency import idempotent
from app.pagination import paged
from app.timestamps import today_in

blp = Blueprint("blocks", __name__, url_prefix="/api/v1/blocks",
                description="Cross-library blocks: request, honor or refuse, release (R8).")


def today():
    """Today in the federation's time zone."""
    return today_in(current_app.config["TIMEZONE"])


@blp.route("")
class Blocks(MethodView):
    """Block requests the caller made or received."""

    @requires("member", "admin")
    @blp.arguments(BlockListQuerySchema(), location="query")
    @blp.response(200, BlockPageSchema)
    def get(self, query, caller):
        """List blocks you asked for (`as=requester`) or received (`as=home`); the office: all."""
        return service.list_blocks(caller, today(), **paged(query, current_app.config))

    @requires("member", reciprocal=True)
    @blp.arguments(BlockRequestSchema())
    @blp.response(201, BlockSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 255}}])
    def post(self, data, caller):
        """Ask a patron's home library to block them, or mark them delinquent, for unpaid bills."""
        return idempotent(caller, BlockSchema(), 201, lambda hook: service.request_block(
            caller, data, current_app.config["HMAC_KEY"].encode("utf-8"), today(),
            int(current_app.config["BLOCK_RESPONSE_DAYS"]), before_commit=hook))


@blp.route("/<block_id>", methods=["GET"])
@requires("member", "admin")
@blp.response(200, BlockSchema)
def block_detail(block_id, caller):
    """Show a block you are party to."""
    return service.show_block(caller, block_id, today())


@blp.route("/<block_id>/honor", methods=["POST"])
@requires("member")
@blp.response(200, BlockSchema)
def honor(block_id, caller):
    """Honor a request (home library): the patron is blocked or marked delinquent."""
    return service.honor_block(caller, block_id, today())


@blp.route("/<block_id>/refuse", methods=["POST"])
@requires("member")
@blp.arguments(RefuseSchema())
@blp.response(200, BlockSchema)
def refuse(data, block_id, caller):
    """Refuse a request (home library), saying why: you become liable for its bills (R8)."""
    return service.refuse_block(caller, block_id, data["reason"], today())


@blp.route("/<block_id>/release", methods=["POST"])
@requires("member")
@blp.response(200, BlockSchema)
def release(block_id, caller):
    """Release an honored block you asked for: it is no longer needed (R8)."""
    return service.release_block(caller, block_id, today())


@blp.route("/<block_id>/withdraw", methods=["POST"])
@requires("member")
@blp.response(200, BlockSchema)
def withdraw(block_id, caller):
    """Withdraw a request you made that has not been answered."""
    return service.withdraw_block(caller, block_id, today())
