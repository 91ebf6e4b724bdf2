"""The wire format of the audit trail: ids, states and hashes, never patron data (R16)."""

from marshmallow import Schema, fields, validate

from app.pagination import PageQuerySchema, PageSchema


class AuditQuerySchema(PageQuerySchema):
    """Which entries to read."""

    record_type = fields.String(load_default=None, validate=validate.Length(max=32), metadata={
        "description": "Only entries about this kind of record (bill, block, notice, ...)."})
    record_id = fields.String(load_default=None, validate=validate.Length(max=64))


class AuditEntrySchema(Schema):
    """One state change, and its link in the chain."""

    seq = fields.Integer(metadata={"description": "Position in the chain (1, 2, 3, ...)."})
    at = fields.DateTime(format="iso")
    library = fields.String(allow_none=True, metadata={
        "description": "The acting library's code (null: the federation office or the "
                       "system)."})
    actor = fields.String(metadata={
        "description": "The API key id, `staff:<account id>`, or `system`."})
    record_type = fields.String()
    record_id = fields.String()
    action = fields.String()
    previous_state = fields.String(allow_none=True)
    new_state = fields.String(allow_none=True)
    detail = fields.Dict(metadata={"description": "Ids and counts; never patron data."})
    prev_hash = fields.String()
    hash = fields.String(metadata={
        "description": "SHA-256 over prev_hash and the entry's content."})


class AuditPageSchema(PageSchema):
    """A page of the audit trail, oldest first."""

    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
