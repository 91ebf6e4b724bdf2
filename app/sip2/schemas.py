"""The wire format for SIP accounts (the SIP2 protocol itself is in protocol.py)."""

from marshmallow import Schema, fields


class SipPasswordSchema(Schema):
    """The password a library sets for one of its SIP logins."""

    # The document states what service.check_password_text refuses (invalid_sip_password).
    password = fields.String(required=True, load_only=True, metadata={
        "description": "10-128 printable ASCII characters without '|'; stored only as an "
                       "argon2id hash.",
        "minLength": 10, "maxLength": 128, "pattern": "^[ -{}~]{10,128}$"})


class SipAccountSchema(Schema):
    """A SIP account as its library sees it: never the password or its hash."""

    login = fields.String()
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    revoked_at = fields.DateTime(format="iso", allow_none=True)
