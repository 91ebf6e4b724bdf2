"""Health probes for load balancers and schedulers: no key needed."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.errors import DomainError
from app.extensions import db

blp = Blueprint("health", __name__, description="Liveness and readiness.")


class UnavailableError(DomainError):
    """The database cannot be reached."""

    status = 503
    code = "database_unavailable"


@blp.route("/healthz")
class Liveness(MethodView):
    """The process is up."""

    @blp.doc(security=[])
    @blp.response(200)
    def get(self):
        """Liveness: the process answers."""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    """The database is reachable."""

    @blp.doc(security=[])
    @blp.response(200)
    def get(self):
        """Readiness: the database answers a query."""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            raise UnavailableError("The database cannot be reached.") from None
        return {"status": "ok", "database": db.session.get_bind().dialect.name}
