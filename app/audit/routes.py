"""HTTP view of the audit trail."""

from flask import current_app
from flask_smorest import Blueprint

from app.audit import service
from app.audit.schemas import AuditPageSchema, AuditQuerySchema
from app.auth import requires
from app.pagination import paged

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="The hash-chained audit trail: the federation office reads it "
                            "all, a library the entries it acted in or is party to.")


@blp.route("", methods=["GET"])
@requires("member", "admin")
@blp.arguments(AuditQuerySchema(), location="query")
@blp.response(200, AuditPageSchema)
def audit_trail(query, caller):
    """Read the audit trail, oldest first."""
    page = service.list_entries(caller, **paged(query, current_app.config))
    codes = service.library_codes({entry.library_id for entry in page["items"]} - {None})
    return {**page, "items": [{**service.as_dict(entry),
                               "library": codes.get(entry.library_id)}
                              for entry in page["items"]]}
