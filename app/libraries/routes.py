"""HTTP views for member libraries and keys: parse, call one service function, dump."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.idempotency import idempotent
from app.libraries import service
from app.libraries.schemas import (
    IssuedKeySchema,
    KeyCreateSchema,
    KeySchema,
    LibraryCreateSchema,
    LibraryListQuerySchema,
    LibraryPageSchema,
    LibrarySchema,
    LibraryUpdateSchema,
    MembershipActionCreateSchema,
    MembershipActionSchema,
)
from app.pagination import paged

blp = Blueprint("libraries", __name__, url_prefix="/api/v1/libraries",
                description="Member libraries and their API keys (federation office).")


@blp.route("")
class Libraries(MethodView):
    """The federation's member libraries."""

    @requires("member", "admin")
    @blp.arguments(LibraryListQuerySchema(), location="query")
    @blp.response(200, LibraryPageSchema)
    def get(self, query, caller):
        """List member libraries, by code."""
        return service.list_libraries(**paged(query, current_app.config))

    @requires("admin")
    @blp.arguments(LibraryCreateSchema())
    @blp.response(201, LibrarySchema)
    def post(self, data, caller):
        """Admit a member library (federation office)."""
        return service.admit_library(data)


@blp.route("/<code>")
class LibraryDetail(MethodView):
    """One member library."""

    @requires("member", "admin")
    @blp.response(200, LibrarySchema)
    def get(self, code, caller):
        """Show a member library."""
        return service.get_library(code)

    @requires("member", "admin")
    @blp.arguments(LibraryUpdateSchema())
    @blp.response(200, LibrarySchema)
    def patch(self, data, code, caller):
        """Change a library: the office any field; the library its contact and card prefixes."""
        return service.update_library(code, data, caller)


@blp.route("/<code>/keys")
class LibraryKeys(MethodView):
    """A library's API keys."""

    @requires("admin")
    @blp.response(200, KeySchema(many=True))
    def get(self, code, caller):
        """List a library's keys (never the keys themselves)."""
        return service.list_keys(code)

    @requires("admin")
    @blp.arguments(KeyCreateSchema(), required=False)
    @blp.response(201, IssuedKeySchema)
    def post(self, data, code, caller):
        """Issue a key for a library; the key is shown in this answer only."""
        data = data or {}
        record, key = service.issue_library_key(code, data.get("label"),
                                                data.get("scope", "full"))
        return {"id": record.id, "key": key, "prefix": record.prefix, "label": record.label,
                "scope": record.scope, "created_at": record.created_at}


@blp.route("/<code>/keys/<key_id>")
class LibraryKey(MethodView):
    """One of a library's keys."""

    @requires("admin")
    @blp.response(204)
    def delete(self, code, key_id, caller):
        """Revoke a key; it stops working at once."""
        service.revoke_key(code, key_id)


@blp.route("/<code>/membership-actions")
class MembershipActions(MethodView):
    """The federation office's actions on a library's membership (Plan VIII.2.c)."""

    @requires("member", "admin")
    @blp.response(200, MembershipActionSchema(many=True))
    def get(self, code, caller):
        """List a library's membership actions, newest first (the office; the library itself)."""
        return service.membership_actions(code, caller)

    @requires("admin")
    @blp.arguments(MembershipActionCreateSchema())
    @blp.response(201, MembershipActionSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 255}}])
    def post(self, data, code, caller):
        """Take a library out of full membership, or reinstate it; it is told in writing."""
        return idempotent(caller, MembershipActionSchema(), 201,
                          lambda hook: service.act_on_membership(code, data,
                                                                 before_commit=hook))
