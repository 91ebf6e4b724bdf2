"""HTTP views for live home endpoints, peer federations and the calls peers make here."""

import time

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.errors import RuleError
from app.pagination import PageQuerySchema, paged
from app.reach import service
from app.reach.peerwire import HOPS_HEADER
from app.reach.schemas import (
    HomeEndpointInputSchema,
    HomeEndpointPageSchema,
    HomeEndpointSchema,
    PeerAnswerQuerySchema,
    PeerAnswerSchema,
    PeerCreateSchema,
    PeerEntryPageSchema,
    PeerEntrySchema,
    PeerLibraryPageSchema,
    PeerListSchema,
    PeerQuestionSchema,
    PeerSchema,
    PeerTrafficSchema,
    PeerUpdateSchema,
    SyncSchema,
    YearQuerySchema,
)
from app.timestamps import today_in, utcnow
from app.verification.schemas import VerificationSchema

home_blp = Blueprint("home_systems", __name__, url_prefix="/api/v1",
                     description="A home library's own system, asked live (R14).")
peers_blp = Blueprint("peers", __name__, url_prefix="/api/v1/peers",
                      description="Peer federations (R17): the office registers and syncs them.")
peer_calls_blp = Blueprint("peer_calls", __name__, url_prefix="/api/v1/peer",
                           description="What a peer federation calls here, with its peer key.")
peer_directory_blp = Blueprint("peer_directory", __name__, url_prefix="/api/v1/peer-directory",
                               description="Peer federations' libraries and policies, marked "
                                           "as theirs (R5, R17). No key needed.")
PUBLIC = {"security": []}
PEER_KEY = {"security": [{"bearer": []}],
            "description": "Authenticate with the peer key (rcpeer_...) this federation issued."}


def _reach():
    return current_app.extensions["reciprocity.reach"]


def _circuit_settings() -> tuple[int, float]:
    settings = _reach().settings
    return settings.threshold, settings.pause


def _page(query) -> dict:
    return paged({"limit": query["limit"], "cursor": query["cursor"]}, current_app.config)


@home_blp.route("/libraries/<code>/home-system")
class HomeSystem(MethodView):
    """A library's live endpoint: the library itself or the federation office."""

    @requires("member", "admin")
    @home_blp.arguments(HomeEndpointInputSchema())
    @home_blp.response(200, HomeEndpointSchema)
    def put(self, data, code, caller):
        """Register or replace the library's live endpoint (credentials sealed at rest)."""
        reach = _reach()
        endpoint, secret = service.register_home_endpoint(
            code, caller, data, reach.sealer, current_app.config["REACH_ALLOW_LOOPBACK"])
        return service.home_endpoint_view(endpoint, code, reach.sealer, utcnow(),
                                          *_circuit_settings(), secret=secret)

    @requires("member", "admin")
    @home_blp.response(200, HomeEndpointSchema)
    def get(self, code, caller):
        """The live endpoint and its circuit: state, failures and the last error."""
        endpoint, library = service.get_home_endpoint(code, caller)
        return service.home_endpoint_view(endpoint, library, _reach().sealer, utcnow(),
                                          *_circuit_settings())

    @requires("member", "admin")
    @home_blp.response(204)
    def delete(self, code, caller):
        """Remove the live endpoint: verifications answer from the registry again."""
        service.remove_home_endpoint(code, caller)


@home_blp.route("/home-systems", methods=["GET"])
@requires("admin")
@home_blp.arguments(PageQuerySchema(), location="query")
@home_blp.response(200, HomeEndpointPageSchema)
def home_systems(query, caller):
    """Every live endpoint with its circuit (federation office)."""
    page = service.list_home_endpoints(**_page(query))
    now, sealer = utcnow(), _reach().sealer
    page["items"] = [service.home_endpoint_view(endpoint, code, sealer, now,
                                                *_circuit_settings())
                     for endpoint, code in page["items"]]
    return page


@peers_blp.route("")
class Peers(MethodView):
    """Peer federations (federation office)."""

    @requires("admin")
    @peers_blp.response(200, PeerListSchema)
    def get(self, caller):
        """The registered peers with their circuits and last sync."""
        now = utcnow()
        return {"items": [service.peer_view(p, _reach().sealer, now, *_circuit_settings())
                          for p in service.list_peers()]}

    @requires("admin")
    @peers_blp.arguments(PeerCreateSchema())
    @peers_blp.response(201, PeerSchema)
    def post(self, data, caller):
        """Register a peer; the answer shows, once, the key the peer uses here."""
        peer, key = service.create_peer(data, _reach().sealer,
                                        current_app.config["REACH_ALLOW_LOOPBACK"])
        return service.peer_view(peer, _reach().sealer, utcnow(), *_circuit_settings(),
                                 key=key)


@peers_blp.route("/<code>")
class PeerDetail(MethodView):
    """One peer federation."""

    @requires("admin")
    @peers_blp.response(200, PeerSchema)
    def get(self, code, caller):
        """A peer, its circuit and its last sync."""
        return service.peer_view(service.get_peer(code), _reach().sealer, utcnow(),
                                 *_circuit_settings())

    @requires("admin")
    @peers_blp.arguments(PeerUpdateSchema())
    @peers_blp.response(200, PeerSchema)
    def patch(self, data, code, caller):
        """Change a peer's name, address or our key there, or take it out of use."""
        peer = service.update_peer(code, data, _reach().sealer,
                                   current_app.config["REACH_ALLOW_LOOPBACK"])
        return service.peer_view(peer, _reach().sealer, utcnow(), *_circuit_settings())


@peers_blp.route("/<code>/incoming-key")
class PeerKey(MethodView):
    """The key the peer uses here."""

    @requires("admin")
    @peers_blp.response(201, PeerSchema)
    def post(self, code, caller):
        """Issue the peer a new key (shown once); the old one stops working at once."""
        peer, key = service.rotate_incoming_key(code)
        return service.peer_view(peer, _reach().sealer, utcnow(), *_circuit_settings(),
                                 key=key)

    @requires("admin")
    @peers_blp.response(204)
    def delete(self, code, caller):
        """Revoke the peer's key: its forwarded questions get 401 until a new one is issued."""
        service.revoke_incoming_key(code)


@peers_blp.route("/<code>/sync", methods=["POST"])
@requires("admin")
@peers_blp.response(200, SyncSchema)
def sync(code, caller):
    """Read the peer's libraries, card prefixes and directory now."""
    return service.sync_peer(code, _reach().outbound, _reach().sealer, utcnow(),
                             float(current_app.config["PEER_SYNC_TIMEOUT"]))


@peers_blp.route("/traffic", methods=["GET"])
@requires("member", "admin")
@peers_blp.arguments(YearQuerySchema(), location="query")
@peers_blp.response(200, PeerTrafficSchema)
def traffic(query, caller):
    """Verifications that crossed federations this year (R19): a member sees its own."""
    return service.peer_traffic(None if caller.is_admin else caller.library_id, query["year"])


@peer_calls_blp.before_request
def _authenticate_peer():
    """A peer call without a working peer key is refused (401) before its body is read."""
    if request.method != "OPTIONS":
        g.peer = service.authenticate_peer(request.headers.get("Authorization"))


@peer_calls_blp.route("/verifications", methods=["POST"])
@peer_calls_blp.arguments(PeerQuestionSchema())
@peer_calls_blp.response(200, VerificationSchema)
@peer_calls_blp.doc(**PEER_KEY)
def peer_verify(data):
    """Answer a peer federation's forwarded verification from this federation (one hop)."""
    started = time.monotonic()
    peer = g.peer
    try:
        hops = int(request.headers.get(HOPS_HEADER, "1"))
    except ValueError:
        hops = 99
    if hops != 1:  # R17: one hop; this federation answers and never forwards it on
        raise RuleError("A verification crosses at most one federation: this one came "
                        f"through {hops}.", code="forwarding_loop")
    now = utcnow()
    return service.answer_peer(peer, data, hops, started, now,
                               today_in(current_app.config["TIMEZONE"], now), _reach(),
                               current_app.config["HMAC_KEY"].encode("utf-8"))


@peer_calls_blp.route("/libraries", methods=["GET"])
@peer_calls_blp.arguments(PageQuerySchema(), location="query")
@peer_calls_blp.response(200, PeerLibraryPageSchema)
@peer_calls_blp.doc(**PEER_KEY)
def peer_libraries(query):
    """Participating libraries and their card prefixes, for a peer's sync."""
    return service.local_libraries(**_page(query))


@peer_directory_blp.route("", methods=["GET"])
@peer_directory_blp.arguments(PageQuerySchema(), location="query")
@peer_directory_blp.response(200, PeerEntryPageSchema)
@peer_directory_blp.doc(**PUBLIC)
def peer_directory(query):
    """Peer federations' libraries, as last synced, each marked with its federation."""
    return service.peer_directory(**_page(query))


@peer_directory_blp.route("/<code>", methods=["GET"])
@peer_directory_blp.response(200, PeerEntrySchema)
@peer_directory_blp.doc(**PUBLIC)
def peer_directory_entry(code):
    """One peer library, marked with its federation, reviewed_on and staleness."""
    return service.peer_directory_entry(code)


@peer_directory_blp.route("/<code>/answers", methods=["GET"])
@peer_directory_blp.arguments(PeerAnswerQuerySchema(), location="query")
@peer_directory_blp.response(200, PeerAnswerSchema)
@peer_directory_blp.doc(**PUBLIC)
def peer_directory_answer(query, code):
    """"May I borrow it here?" at a peer library: the peer's own answer, asked live."""
    return service.peer_directory_answer(code, query["format"], _reach().outbound,
                                         float(_reach().settings.budget))
