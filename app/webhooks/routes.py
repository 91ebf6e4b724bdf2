"""HTTP views for webhook endpoints: a library's own, or the federation office's for its
feed (another's id is a 404)."""

from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.events.service import feed_of
from app.idempotency import idempotent
from app.pagination import PageQuerySchema, paged
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryPageSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    EndpointCreateSchema,
    EndpointPageSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    EndpointWithSecretSchema,
)

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks/endpoints",
                description="Signed push delivery of your event feed to your own HTTPS "
                            "endpoints (Standard Webhooks). The federation office registers "
                            "endpoints for the office's feed with its own key.")


def url_settings() -> dict:
    """How URLs are checked: whether loopback is allowed, and the resolver."""
    return {"allow_loopback": bool(current_app.config["WEBHOOK_ALLOW_LOOPBACK"]),
            "allowed_ports": tuple(int(p) for p in current_app.config["WEBHOOK_ALLOWED_PORTS"]),
            "resolve": current_app.extensions.get("reciprocity.webhook_resolver",
                                                  service.resolve_host)}


@blp.route("")
class Endpoints(MethodView):
    """The caller's endpoints."""

    @requires("member", "admin")
    @blp.arguments(PageQuerySchema(), location="query")
    @blp.response(200, EndpointPageSchema)
    def get(self, query, caller):
        """List your endpoints (never their secrets)."""
        return service.list_endpoints(feed_of(caller.library_id),
                                      **paged(query, current_app.config))

    @requires("member", "admin")
    @blp.arguments(EndpointCreateSchema())
    @blp.response(201, EndpointWithSecretSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 255}}])
    def post(self, data, caller):
        """Register an https URL for your events; the answer shows its secret, this once."""
        return idempotent(caller, EndpointWithSecretSchema(), 201, lambda hook:
                          service.create_endpoint(
                              feed_of(caller.library_id), data, **url_settings(),
                              max_endpoints=int(current_app.config["WEBHOOK_MAX_ENDPOINTS"]),
                              before_commit=hook))


@blp.route("/<endpoint_id>")
class EndpointDetail(MethodView):
    """One of the caller's endpoints."""

    @requires("member", "admin")
    @blp.response(200, EndpointSchema)
    def get(self, endpoint_id, caller):
        """Show one of your endpoints."""
        return service.get_endpoint(feed_of(caller.library_id), endpoint_id)

    @requires("member", "admin")
    @blp.arguments(EndpointUpdateSchema())
    @blp.response(200, EndpointSchema)
    def patch(self, data, endpoint_id, caller):
        """Change an endpoint's URL or description, or switch it off (enabled: false) and on."""
        return service.update_endpoint(feed_of(caller.library_id), endpoint_id, data,
                                       **url_settings())

    @requires("member", "admin")
    @blp.response(204)
    def delete(self, endpoint_id, caller):
        """Delete an endpoint: nothing more is sent to it."""
        service.delete_endpoint(feed_of(caller.library_id), endpoint_id)


@blp.route("/<endpoint_id>/rotate-secret", methods=["POST"])
@requires("member", "admin")
@blp.response(200, EndpointWithSecretSchema)
def rotate_secret(endpoint_id, caller):
    """Give an endpoint a new secret (shown once); the old one also signs for a while."""
    hours = float(current_app.config["WEBHOOK_SECRET_ROTATION_HOURS"])
    return service.rotate_secret(feed_of(caller.library_id), endpoint_id,
                                 overlap=timedelta(hours=hours))


@blp.route("/<endpoint_id>/enable", methods=["POST"])
@requires("member", "admin")
@blp.response(200, EndpointSchema)
def enable(endpoint_id, caller):
    """Resume delivery to a disabled endpoint from the first event it did not acknowledge."""
    return service.enable_endpoint(feed_of(caller.library_id), endpoint_id)


@blp.route("/<endpoint_id>/deliveries", methods=["GET"])
@requires("member", "admin")
@blp.arguments(DeliveryQuerySchema(), location="query")
@blp.response(200, DeliveryPageSchema)
def deliveries(query, endpoint_id, caller):
    """The endpoint's delivery attempts, newest first (kept for a limited time)."""
    return service.list_deliveries(feed_of(caller.library_id), endpoint_id,
                                   **paged(query, current_app.config))


@blp.route("/<endpoint_id>/deliveries/<delivery_id>/redeliver", methods=["POST"])
@requires("member", "admin")
@blp.response(202, DeliverySchema)
def redeliver(endpoint_id, delivery_id, caller):
    """Send a dead-lettered event again; the worker sends it ahead of new events."""
    return service.redeliver(feed_of(caller.library_id), endpoint_id, delivery_id)
