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
from app.libraries.models import KEY_SCOPES, ApiKey, Library

KEY_PREFIX = "rcp_"

# What a key may do. `verify`: card verification only (a desk terminal or an ILS); `read`:
# verification and every read (GET); `full`: everything its role may do. Keys issued before
# scopes existed are `full`. The scope narrows a role, never widens it.
SCOPE_WORDS = {"verify": "verification only", "read": "read-only", "full": "full access"}


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: a member library's key or the federation office's."""

    key_id: str
    role: str  # member | admin
    library_id: int | None = None
    library_code: str | None = None
    scope: str = "full"

    @property
    def is_admin(self) -> bool:
        """True for the federation office."""
        return self.role == "admin"


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_key(library: Library | None, label: str | None = None,
              scope: str = "full") -> tuple[ApiKey, str]:
    """Create a key for a library (or, with None, the federation office); the caller commits."""
    if scope not in KEY_SCOPES:
        raise ValueError(f"unknown key scope {scope!r}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(id=new_id("key"), library_id=library.id if library else None,
                    role="member" if library else "admin", prefix=key[:12],
                    key_hash=hash_key(key), label=label, scope=scope)
    db.session.add(record)
    return record, key


_KEY_QUERY = (
    select(ApiKey.id, ApiKey.role, ApiKey.key_hash, ApiKey.library_id, ApiKey.scope,
           Library.code, Library.active)
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
                  library_code=row.code, scope=row.scope or "full")


def check_scope(caller: Caller, method: str, *, verification: bool = False) -> None:
    """Refuse (403 `key_scope`) a request outside what the caller's key was issued for."""
    if caller.scope == "full":
        return
    if verification or (caller.scope == "read" and method in ("GET", "HEAD", "OPTIONS")):
        return
    allowed = ("card verification only" if caller.scope == "verify"
               else "card verification and reads (GET)")
    raise ForbiddenError(f"This key is limited to {allowed}; use a key with full access, "
                         "or ask your library's administrator for one.", code="key_scope",
                         scope=caller.scope)


def requires(*roles: str, verification: bool = False):
    """Decorate a view: authenticate, check the role and the key's scope, pass on `caller`.

    `verification` marks the card-verification route, which every scope may use.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            caller = authenticate(request.headers.get("Authorization"))
            if caller.role not in roles:
                who = "the federation office" if "admin" in roles else "a member library"
                raise ForbiddenError(f"Only {who} may do this.", code="forbidden_role")
            check_scope(caller, request.method, verification=verification)
            return view(*args, caller=caller, **kwargs)

        return wrapper

    return decorator
