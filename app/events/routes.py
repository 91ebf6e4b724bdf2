"""HTTP view for a library's event feed."""

from flask import current_app
from flask_smorest import Blueprint

from app.auth import requires
from app.events import service
from app.events.schemas import FeedQuerySchema, FeedSchema
from app.pagination import page_size

blp = Blueprint("events", __name__, url_prefix="/api/v1/events",
                description="Your event feed: every change that concerns you. A member "
                            "library reads its own; the federation office reads the office's "
                            "(copies of suspensions, escalations and membership actions).")


@blp.route("", methods=["GET"])
@requires("member", "admin")
@blp.arguments(FeedQuerySchema(), location="query")
@blp.response(200, FeedSchema)
def feed(query, caller):
    """Read your events after a position, oldest first; poll with `after=next_cursor`."""
    return service.read_feed(service.feed_of(caller.library_id), after=query["after"],
                             limit=page_size(query["limit"], current_app.config),
                             types=query["type"])
