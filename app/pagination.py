"""Cursor pagination for every list: `?limit=&cursor=` in, `{items, next_cursor}` out.

One keyset paginator serves every list. It takes the page's size as an argument: the route
turns the caller's `limit` into one with `page_size` (the settings' default and cap), so no
list hard-codes a size and the paginator reads no settings of its own.

The event feed is the one list not paged here: its `after` is a position in the feed that a
reader keeps between reads for as long as it reads, not a cursor into one listing
(app/events/service.py).
"""

import base64
import binascii
from collections.abc import Mapping

from marshmallow import Schema, fields, validate

from app.errors import InvalidCursorError
from app.extensions import db

# What a cursor looks like: base64url without padding, as encode_cursor writes it. A string of
# this shape that this service never gave out is still refused, with 400 `invalid_cursor`.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*\Z"
CURSOR = [validate.Length(max=200),
          validate.Regexp(CURSOR_PATTERN, error="A cursor is a `next_cursor` this service gave "
                                                "out: letters, digits, - and _.")]
CURSOR_DESCRIPTION = ("The `next_cursor` of the previous page. A cursor this service did not "
                      "give out is refused with 400 `invalid_cursor`.")


def cursor_field(**kwargs) -> fields.String:
    """A paging cursor parameter: its shape in the document, its meaning checked when used."""
    metadata = {"description": CURSOR_DESCRIPTION, **kwargs.pop("metadata", {})}
    return fields.String(load_default=None, validate=CURSOR, metadata=metadata, **kwargs)


class PageQuerySchema(Schema):
    """The paging parameters every list accepts."""

    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=500),
                           metadata={"description": "Items per page (default 50, max 500)."})
    cursor = cursor_field()


class PageSchema(Schema):
    """The shape of a page: subclasses set `items`."""

    next_cursor = fields.String(allow_none=True, required=True)


def page_size(requested: int | None, config: Mapping) -> int:
    """The size of a page: what the caller asked for, else PAGE_SIZE, never above PAGE_SIZE_MAX."""
    return min(requested or int(config["PAGE_SIZE"]), int(config["PAGE_SIZE_MAX"]))


def paged(query: dict, config: Mapping) -> dict:
    """A list's query arguments with `limit` turned into the page's size."""
    return {**query, "limit": page_size(query.get("limit"), config)}


def encode_cursor(value: str) -> str:
    """Make an opaque cursor from the last key of a page."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """Read a cursor back, or raise 400 `invalid_cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError() from None


def _key_from(cursor: str, key_type: type):
    """The key a cursor holds, as the key column's type; 400 when it is not one."""
    text = decode_cursor(cursor)
    if key_type is int:
        # ASCII digits that fit a 64-bit column: anything else was never given out.
        if not (text.isascii() and text.isdigit()) or int(text) >= 2 ** 63:
            raise InvalidCursorError()
        return int(text)
    return text


def paginate(query, key_column, *, limit: int, cursor: str | None, descending: bool = False,
             key_type: type = str, rows: bool = False) -> dict:
    """Run `query` ordered by a unique column, one page of `limit` items after `cursor`.

    Items are the query's first entity, or with `rows` whole result rows (a query that selects
    an entity with a joined one); then `key_column` must be among the selected columns or the
    first entity's attributes, by the same name.
    """
    if cursor:
        key = _key_from(cursor, key_type)
        query = query.where(key_column < key if descending else key_column > key)
    order = key_column.desc() if descending else key_column
    result = db.session.execute(query.order_by(order).limit(limit + 1))
    found = result.all() if rows else result.scalars().all()
    items = found[:limit]
    next_cursor = None
    if len(found) > limit:
        last = items[-1]
        if not rows:
            value = getattr(last, key_column.key)
        elif key_column in last._mapping:
            value = last._mapping[key_column]
        else:
            value = getattr(last[0], key_column.key)
        next_cursor = encode_cursor(str(value))
    return {"items": items, "next_cursor": next_cursor}
