"""Credentials sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from settings.

The key (`CREDENTIALS_KEY`) never goes into the database; when it is not configured it is
generated once into instance/credentials.key, like HMAC_KEY. `CREDENTIALS_KEY_PREVIOUS`
still opens what the previous key sealed, so a key can be rotated without losing endpoints.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SealError(ValueError):
    """Sealed credentials that no configured key opens."""


def _fernet(key: str | int) -> Fernet:
    """A Fernet for a configured key: a Fernet key, or 64 hex digits (32 bytes)."""
    if isinstance(key, int):
        # RECIPROCITY_* variables are read as JSON: 64 hex digits that happen to all be
        # decimal digits arrive as a number, without their leading zeros.
        key = f"{key:064d}"
    key = key.strip()
    try:
        raw = bytes.fromhex(key)
    except ValueError:
        return Fernet(key.encode("ascii"))
    if len(raw) != 32:
        raise ValueError("CREDENTIALS_KEY must be a Fernet key or 64 hex digits.")
    return Fernet(base64.urlsafe_b64encode(raw))


class Sealer:
    """Seals and opens small JSON objects (passwords, shared secrets, keys)."""

    def __init__(self, key: str, previous: str | None = None):
        """Seal with `key`; open with it or with `previous`."""
        keys = [_fernet(key)] + ([_fernet(previous)] if previous else [])
        self._fernet = MultiFernet(keys)

    def seal(self, value: dict) -> bytes:
        """Encrypt and authenticate a JSON object."""
        return self._fernet.encrypt(json.dumps(value, sort_keys=True).encode("utf-8"))

    def open(self, token: bytes) -> dict:
        """Decrypt what `seal` produced, or raise SealError."""
        try:
            return json.loads(self._fernet.decrypt(bytes(token)))
        except InvalidToken:
            raise SealError("These credentials were sealed with a key no longer "
                            "configured.") from None
