"""API keys and roles: who is calling.

Keys are `rcp_` followed by 43 random URL-safe characters. Only their SHA-256 is stored; the
lookup is by that hash and the final comparison is constant-time.

A verified key is remembered by the process for KEY_CACHE_SECONDS (the federation office's
bound on how long a revoked key may go on working), so most requests make no round trip for it.
A change to keys or libraries committed by this process empties its cache at once; the other
processes and hosts see it when their entries expire.
"""

import functools
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from flask import current_app, g, has_app_context, request
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

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
    participates: bool = False  # in reciprocal borrowing (R1), as the library record says
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
           Library.code, Library.active, Library.reciprocal_borrowing)
    .outerjoin(Library, Library.id == ApiKey.library_id)
    .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
)


class KeyCache:
    """Verified keys for a few seconds, bounded in number; failures are never cached."""

    def __init__(self, seconds: float, size: int) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: dict[str, tuple[float, Caller]] = {}  # oldest first
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, digest: str) -> Caller | None:
        """The cached caller for a key's hash, if it has not expired."""
        entry = self._entries.get(digest)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def ticket(self) -> tuple[int, float]:
        """Taken before the look-up: an entry expires counting from it, and a clear voids it."""
        return self._generation, time.monotonic()

    def put(self, digest: str, caller: Caller, ticket: tuple[int, float]) -> None:
        """Remember a verified key, unless a change was committed since its look-up began."""
        generation, looked_up_at = ticket
        with self._lock:
            if generation != self._generation:
                return
            self._entries.pop(digest, None)
            self._entries[digest] = (looked_up_at + self.seconds, caller)
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        """Forget every key (a key or library changed)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def key_cache() -> KeyCache | None:
    """This app's key cache, or None when KEY_CACHE_SECONDS is 0."""
    cache = current_app.extensions.get("reciprocity.key_cache")
    if cache is None:
        seconds = float(current_app.config.get("KEY_CACHE_SECONDS") or 0)
        if seconds <= 0:
            return None
        cache = current_app.extensions.setdefault("reciprocity.key_cache", KeyCache(
            seconds, int(current_app.config.get("KEY_CACHE_SIZE") or 10000)))
    return cache


@event.listens_for(Session, "after_flush")
def _note_key_changes(session, flush_context):
    """Remember that this transaction changed a key or a library (revoked, deactivated)."""
    if any(isinstance(obj, (ApiKey, Library)) for obj in (*session.dirty, *session.deleted)):
        session.info["keys_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_key_changes(state):
    """The same for UPDATE and DELETE statements run through the session."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in (ApiKey, Library):
        state.session.info["keys_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_changed_keys(session):
    """A committed change to keys or libraries empties this process's cache at once."""
    if session.info.pop("keys_changed", False) and has_app_context():
        cache = current_app.extensions.get("reciprocity.key_cache")
        if cache is not None:
            cache.clear()


@event.listens_for(Session, "after_rollback")
def _drop_key_change_note(session):
    """A rolled-back change changed nothing."""
    session.info.pop("keys_changed", None)


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
    cache = key_cache()
    if cache is not None:
        caller = cache.get(digest)
        if caller is not None:
            return caller
        ticket = cache.ticket()
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
    caller = Caller(key_id=row.id, role=row.role, library_id=row.library_id,
                    library_code=row.code,
                    participates=bool(row.active and row.reciprocal_borrowing),
                    scope=row.scope or "full")
    if cache is not None:
        cache.put(digest, caller, ticket)
    return caller


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


def requires(*roles: str, reciprocal: bool = False, verification: bool = False):
    """Decorate a view: authenticate, check the role and the key's scope, pass on `caller`.

    `reciprocal`: the view lends or bills under reciprocal borrowing, which a library that
    does not take part cannot do (R1: 403 `not_participating`). `verification` marks the
    card-verification route, which every key scope may use.
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
            g.caller_library_id = caller.library_id  # whose writes to read back (app/replicas)
            g.audit_actor = (caller.library_id, caller.key_id)  # who, in the audit trail
            check_scope(caller, request.method, verification=verification)
            return view(*args, caller=caller, **kwargs)

        return wrapper

    return decorator
