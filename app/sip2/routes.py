"""HTTP views for a member library's SIP accounts (the SIP2 door's logins)."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.sip2 import service
from app.sip2.schemas import SipAccountSchema, SipPasswordSchema

blp = Blueprint("sip_accounts", __name__, url_prefix="/api/v1/sip-accounts",
                description="Your library's logins for the SIP2 door (see docs/ncip-sip2.md).")


@blp.route("")
class SipAccounts(MethodView):
    """Your library's SIP accounts."""

    @requires("member")
    @blp.response(200, SipAccountSchema(many=True))
    def get(self, caller):
        """List your library's SIP accounts (never their passwords)."""
        return service.list_accounts(caller.library_id)


@blp.route("/<login>")
class SipAccountDetail(MethodView):
    """One SIP account."""

    @requires("member")
    @blp.arguments(SipPasswordSchema())
    @blp.response(200, SipAccountSchema)
    def put(self, data, login, caller):
        """Create a SIP account for your library, or set its password (reinstates it)."""
        return service.set_account(caller.library_id, login, data["password"],
                                   service.configured_hasher(current_app.config))

    @requires("member")
    @blp.response(204)
    def delete(self, login, caller):
        """Revoke a SIP account: logins with it fail from now on."""
        service.revoke_account(caller.library_id, login)
