"""Cursor pagination for every list: `?limit=&cursor=` in, `{items, next_cursor}` out."""

import base64
import binascii

from flask import current_app
from marshmallow import Schema, fields, validate

from app.errors import BadRequestError
from app.extensions import db


class PageQuerySchema(Schema):
    """The paging parameters every list accepts."""

    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=500),
                           metadata={"description": "Items per page (default 50, max 500)."})
    cursor = fields.String(load_default=None, validate=validate.Length(max=200),
                           metadata={"description": "The `next_cursor` of the previous page."})


def encode_cursor(value: str) -> str:
    """Make an opaque cursor from the last key of a page."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """Read a cursor back, or raise 400 `invalid_cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequestError("The cursor is not one this service gave out.",
                              code="invalid_cursor") from None


def paginate(query, key_column, *, limit: int | None, cursor: str | None) -> dict:
    """Run `query` ordered by a unique string column, one page after `cursor`."""
    limit = limit or current_app.config["PAGE_SIZE"]
    limit = min(limit, current_app.config["PAGE_SIZE_MAX"])
    if cursor:
        query = query.where(key_column > decode_cursor(cursor))
    rows = db.session.execute(query.order_by(key_column).limit(limit + 1)).scalars().all()
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(getattr(items[-1], key_column.key))
    return {"items": items, "next_cursor": next_cursor}


class PageSchema(Schema):
    """The shape of a page: subclasses set `items`."""

    next_cursor = fields.String(allow_none=True, required=True)
