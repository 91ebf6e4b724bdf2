"""HTTP views for suspensions (R12), and the directory's view of those in force."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.idempotency import idempotent
from app.pagination import paged
from app.suspensions import service
from app.suspensions.schemas import (
    DirectorySuspensionsQuerySchema,
    LiftSchema,
    RenewSchema,
    SuspensionCreateSchema,
    SuspensionListQuerySchema,
    SuspensionPageSchema,
    SuspensionSchema,
)
from app.timestamps import today_in

blp = Blueprint("suspensions", __name__, url_prefix="/api/v1/suspensions",
                description="Suspensions and restrictions of service between libraries (R12): "
                            "in writing, for a term, with a copy to the federation office.")
directory_blp = Blueprint("directory_suspensions", __name__, url_prefix="/api/v1/directory",
                          description="Suspensions in force, shown to the federation office "
                                      "and the two libraries only (R3, R12).")


def today():
    """Today in the federation's time zone."""
    return today_in(current_app.config["TIMEZONE"])


def max_days() -> int:
    """The longest term a suspension (or renewal) may run from today."""
    return int(current_app.config["SUSPENSION_MAX_DAYS"])


@blp.route("")
class Suspensions(MethodView):
    """Suspensions the caller imposed or is under."""

    @requires("member", "admin")
    @blp.arguments(SuspensionListQuerySchema(), location="query")
    @blp.response(200, SuspensionPageSchema)
    def get(self, query, caller):
        """List suspensions you imposed (`as=suspending`) or are under (`as=suspended`)."""
        return service.list_suspensions(caller, today(), **paged(query, current_app.config))

    @requires("member")
    @blp.arguments(SuspensionCreateSchema())
    @blp.response(201, SuspensionSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 255}}])
    def post(self, data, caller):
        """Suspend or restrict service to another library's patrons for a term (R12)."""
        return idempotent(caller, SuspensionSchema(), 201, lambda hook:
                          service.impose_suspension(caller.library_id, data, today(),
                                                    max_days(), before_commit=hook))


@blp.route("/<suspension_id>", methods=["GET"])
@requires("member", "admin")
@blp.response(200, SuspensionSchema)
def suspension_detail(suspension_id, caller):
    """Show a suspension you are party to."""
    return service.party_suspension(caller, suspension_id)


@blp.route("/<suspension_id>/renew", methods=["POST"])
@requires("member")
@blp.arguments(RenewSchema())
@blp.response(200, SuspensionSchema)
def renew(data, suspension_id, caller):
    """Extend a suspension you imposed to a later end date."""
    return service.renew_suspension(caller, suspension_id, data["ends_on"], data["reason"],
                                    today(), max_days())


@blp.route("/<suspension_id>/lift", methods=["POST"])
@requires("member")
@blp.arguments(LiftSchema())
@blp.response(200, SuspensionSchema)
def lift(data, suspension_id, caller):
    """Lift a suspension you imposed before its end date."""
    return service.lift_suspension(caller, suspension_id, data["reason"], today())


@directory_blp.route("/<code>/suspensions", methods=["GET"])
@requires("member", "admin")
@directory_blp.arguments(DirectorySuspensionsQuerySchema(), location="query")
@directory_blp.response(200, SuspensionPageSchema)
def directory_suspensions(query, code, caller):
    """Suspensions in force today that involve this library: the office sees them all, a
    library those it is party to; never the public (R3: the only way to treat one library's
    patrons differently)."""
    return service.list_suspensions(caller, today(), library=code, in_force=True,
                                     **paged(query, current_app.config))
