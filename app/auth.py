"""API keys and roles: who is calling.

Keys are `rcp_` followed by 43 random URL-safe characters. Only their SHA-256 is stored; the
lookup is by that hash and the final comparison is constant-time.
"""

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import request
from sqlalchemy import bindparam, select

from app.errors import ForbiddenError, UnauthorizedError
from app.extensions import db
from app.ids import new_id
from app.libraries.models import ApiKey, Library

KEY_PREFIX = "rcp_"


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: a member library's key or the federation office's."""

    key_id: str
    role: str  # member | admin
    library_id: int | None = None
    library_code: str | None = None
    participates: bool = False  # in reciprocal borrowing (R1), as the library record says

    @property
    def is_admin(self) -> bool:
        """True for the federation office."""
        return self.role == "admin"


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_key(library: Library | None, label: str | None = None) -> tuple[ApiKey, str]:
    """Create a key for a library (or, with None, the federation office); the caller commits."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(id=new_id("key"), library_id=library.id if library else None,
                    role="member" if library else "admin", prefix=key[:12],
                    key_hash=hash_key(key), label=label)
    db.session.add(record)
    return record, key


_KEY_QUERY = (
    select(ApiKey.id, ApiKey.role, ApiKey.key_hash, ApiKey.library_id, Library.code,
           Library.active, Library.reciprocal_borrowing)
    .outerjoin(Library, Library.id == ApiKey.library_id)
    .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
)


def authenticate(header: str | None) -> Caller:
    """Resolve an Authorization header to a Caller, or raise 401."""
    if not header:
        raise UnauthorizedError("Send your key as 'Authorization: Bearer <key>'.",
                                code="missing_key", headers={"WWW-Authenticate": "Bearer"})
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX) or len(token) > 200:
        raise UnauthorizedError("The Authorization header must be 'Bearer rcp_...'.",
                                code="invalid_key", headers={"WWW-Authenticate": "Bearer"})
    digest = hash_key(token)
    # On the session's connection, as a Core statement: the ORM's result machinery cost about
    # a third of this look-up, on every authenticated request (measured by cProfile).
    row = db.session.connection().execute(_KEY_QUERY, {"key_hash": digest}).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise UnauthorizedError("This key is unknown or has been revoked.", code="invalid_key",
                                headers={"WWW-Authenticate": "Bearer"})
    if row.role == "member" and not row.active:
        # R1: a library that is not an active member can neither verify nor bill.
        raise UnauthorizedError("This key's library is not an active member of the federation.",
                                code="library_inactive", headers={"WWW-Authenticate": "Bearer"})
    return Caller(key_id=row.id, role=row.role, library_id=row.library_id,
                  library_code=row.code,
                  participates=bool(row.active and row.reciprocal_borrowing))


def requires(*roles: str, reciprocal: bool = False):
    """Decorate a view: authenticate, check the role, and pass on the Caller as `caller`.

    `reciprocal`: the view lends or bills under reciprocal borrowing, which a library that
    does not take part cannot do (R1: 403 `not_participating`).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            caller = authenticate(request.headers.get("Authorization"))
            if caller.role not in roles:
                who = "the federation office" if "admin" in roles else "a member library"
                raise ForbiddenError(f"Only {who} may do this.", code="forbidden_role")
            if reciprocal and not caller.is_admin and not caller.participates:
                raise ForbiddenError(
                    f"{caller.library_code} does not take part in reciprocal borrowing, so it "
                    "can neither verify cards nor bill or ask for blocks through the "
                    "federation (R1). An academic, school or special library takes part by "
                    "opting in: ask the federation office.", code="not_participating")
            return view(*args, caller=caller, **kwargs)

        return wrapper

    return decorator
