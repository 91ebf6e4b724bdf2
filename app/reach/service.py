"""Use cases: live home endpoints (R14), peer federations (R17), and crossing traffic (R19)."""

import hashlib
import hmac
import ipaddress
import secrets
from datetime import date, datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.auth import Caller
from app.directory import rules as directory_rules
from app.directory import wording
from app.errors import ConflictError, DomainError, NotFoundError, RuleError, UnauthorizedError
from app.extensions import db
from app.ids import new_id
from app.libraries.models import CardPrefix, Library
from app.pagination import decode_cursor, encode_cursor, paginate
from app.reach import circuits, peerwire, sip2
from app.reach import rules as reach_rules
from app.reach.models import (
    Circuit,
    HomeEndpoint,
    Peer,
    PeerLibrary,
    PeerPrefix,
    PeerTraffic,
)
from app.reach.sealing import Sealer
from app.verification import rules as verification_rules
from app.webhooks import rules as url_rules
from federation import webhooks as signing

PEER_KEY_PREFIX = "rcpeer_"
# Which credential fields each protocol takes; the first list is required.
CREDENTIALS = {
    "ncip": (("to_agency_id",), ("from_agency_id", "agency_password")),
    "sip2": (("institution_id",), ("login_user", "login_password", "location_code",
                                   "terminal_password")),
    "json": ((), ()),
}
STORED_AS = {"agency_password": "password"}
CREDENTIALS_FIELDS = tuple(sorted({name for req, opt in CREDENTIALS.values()
                                   for name in req + opt}))


class UnavailableError(DomainError):
    """A peer federation that could not be asked in time (503)."""

    status = 503
    code = "peer_unavailable"


# Home endpoints (R14) --------------------------------------------------------------------

def _own_library(code: str, caller: Caller) -> Library:
    """The library itself, or any library for the office; another's is simply not found."""
    query = select(Library).where(Library.code == code)
    if not caller.is_admin:
        query = query.where(Library.id == caller.library_id)
    library = db.session.execute(query).scalar_one_or_none()
    if library is None:
        raise NotFoundError("No library with this code is yours to manage.",
                            code="library_not_found")
    return library


def _check_host(host: str, allow_loopback: bool, field: str) -> None:
    """Refuse address literals that are not public (loopback only when allowed)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host.lower() == "localhost" and not allow_loopback:
            raise RuleError("A home system must be reachable from the federation.",
                            code="address_refused", errors={field: "localhost"}) from None
        return
    if ip.is_loopback and allow_loopback:
        return
    if not ip.is_global:
        raise RuleError("A home system's address must be public.", code="address_refused",
                        errors={field: "Not a public address."})


def _check_address(protocol: str, address: str, allow_loopback: bool) -> str:
    """A URL for NCIP and JSON (https; http only to loopback when allowed), host:port for SIP2."""
    if protocol == "sip2":
        try:
            host, port = sip2.parse_address(address)
        except ValueError as error:
            raise RuleError(str(error), code="invalid_address",
                            errors={"address": str(error)}) from None
        _check_host(host, allow_loopback, "address")
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        target = url_rules.parse_url(address, allow_loopback=allow_loopback)
    except url_rules.UrlRefused as error:
        raise RuleError(str(error), code="invalid_address",
                        errors={"address": str(error)}) from None
    _check_host(target.host, allow_loopback, "address")
    return address


def register_home_endpoint(code: str, caller: Caller, data: dict, sealer: Sealer,
                           allow_loopback: bool) -> tuple[HomeEndpoint, str | None]:
    """Register (or replace) a library's live endpoint; the JSON secret is shown once."""
    library = _own_library(code, caller)
    protocol = data["protocol"]
    address = _check_address(protocol, data["address"], allow_loopback)
    required, optional = CREDENTIALS[protocol]
    missing = {name: "Required for this protocol." for name in required if not data.get(name)}
    if missing:
        raise RuleError(f"A {protocol} endpoint needs {', '.join(missing)}.",
                        code="validation_failed", errors=missing)
    extra = {name: "Not used by this protocol." for name in CREDENTIALS_FIELDS
             if data.get(name) and name not in required + optional}
    if extra:
        raise RuleError(f"These fields are not used by {protocol}.", code="validation_failed",
                        errors=extra)
    stored = {STORED_AS.get(name, name): data[name] for name in required + optional
              if data.get(name)}
    secret = None
    if protocol == "json":
        secret = signing.new_secret()
        stored["secret"] = secret
    old = db.session.execute(select(HomeEndpoint).where(
        HomeEndpoint.library_id == library.id)).scalar_one_or_none()
    if old is not None:
        db.session.execute(delete(Circuit).where(Circuit.name == f"home:{old.id}"))
        db.session.delete(old)
        db.session.flush()
    endpoint = HomeEndpoint(id=new_id("hse"), library_id=library.id, protocol=protocol,
                            address=address, sealed_credentials=sealer.seal(stored),
                            enabled=True)
    try:
        db.session.add(endpoint)
        db.session.flush()
        circuits.ensure(f"home:{endpoint.id}")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ConflictError("Another registration for this library happened at the same "
                            "moment; send it again.", code="endpoint_conflict") from None
    return endpoint, secret


def home_endpoint_view(endpoint: HomeEndpoint, library_code: str, sealer: Sealer,
                       now: datetime, threshold: int, pause: float,
                       secret: str | None = None) -> dict:
    """What the library and the office see: never a password, a secret only when issued."""
    stored = sealer.open(endpoint.sealed_credentials)
    shown = {name: stored.get(STORED_AS.get(name, name)) for name in CREDENTIALS_FIELDS
             if "password" not in name}
    return {"library": library_code, "protocol": endpoint.protocol,
            "address": endpoint.address, "enabled": endpoint.enabled,
            "credentials": {k: v for k, v in shown.items() if v},
            "passwords_set": sorted(name for name in CREDENTIALS_FIELDS
                                    if "password" in name and stored.get(
                                        STORED_AS.get(name, name))),
            "secret": secret,
            "circuit": circuits.describe(circuits.read(f"home:{endpoint.id}"), now, threshold,
                                         pause),
            "created_at": endpoint.created_at, "updated_at": endpoint.updated_at}


def get_home_endpoint(code: str, caller: Caller) -> tuple[HomeEndpoint, str]:
    """The library's endpoint (the library itself or the office)."""
    library = _own_library(code, caller)
    endpoint = db.session.execute(select(HomeEndpoint).where(
        HomeEndpoint.library_id == library.id)).scalar_one_or_none()
    if endpoint is None:
        raise NotFoundError("This library has no live endpoint registered.",
                            code="endpoint_not_found")
    return endpoint, library.code


def remove_home_endpoint(code: str, caller: Caller) -> None:
    """Stop asking the library's system: verifications answer from the registry again."""
    endpoint, _ = get_home_endpoint(code, caller)
    db.session.execute(delete(Circuit).where(Circuit.name == f"home:{endpoint.id}"))
    db.session.delete(endpoint)
    db.session.commit()


def list_home_endpoints(*, limit: int, cursor: str | None) -> dict:
    """Every library's endpoint, by library code (the office): rows of (endpoint, code)."""
    query = select(HomeEndpoint, Library.code).join(Library,
                                                    Library.id == HomeEndpoint.library_id)
    return paginate(query, Library.code, limit=limit, cursor=cursor, rows=True)


# Peers (R17) -------------------------------------------------------------------------------

def _peer(code: str) -> Peer:
    """A registered peer by its code."""
    peer = db.session.execute(select(Peer).where(Peer.code == code)).scalar_one_or_none()
    if peer is None:
        raise NotFoundError("No peer federation has this code.", code="peer_not_found")
    return peer


def _peer_key() -> tuple[str, str, str]:
    """A fresh incoming peer key: (key, its stored hash, its shown prefix)."""
    key = PEER_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, hashlib.sha256(key.encode()).hexdigest(), key[:14]


def _check_base_url(url: str, allow_loopback: bool) -> str:
    """A peer's base URL: https (http only to loopback when allowed), without /api/v1."""
    url = url.rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    try:
        target = url_rules.parse_url(url, allow_loopback=allow_loopback)
    except url_rules.UrlRefused as error:
        raise RuleError(str(error), code="invalid_address",
                        errors={"base_url": str(error)}) from None
    _check_host(target.host, allow_loopback, "base_url")
    return url


def create_peer(data: dict, sealer: Sealer, allow_loopback: bool) -> tuple[Peer, str]:
    """Register a peer federation; the key it uses here is shown once."""
    key, digest, prefix = _peer_key()
    peer = Peer(id=new_id("peer"), code=data["code"], name=data["name"],
                base_url=_check_base_url(data["base_url"], allow_loopback),
                sealed_outgoing_key=sealer.seal({"key": data["outgoing_key"]}),
                incoming_key_hash=digest, incoming_key_prefix=prefix, active=True)
    try:
        db.session.add(peer)
        db.session.flush()
        circuits.ensure(f"peer:{peer.id}")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ConflictError("A peer with this code is already registered.",
                            code="peer_exists", errors={"code": "Taken."}) from None
    return peer, key


def update_peer(code: str, data: dict, sealer: Sealer, allow_loopback: bool) -> Peer:
    """Change a peer's name, address, our key there, or take it out of use."""
    peer = _peer(code)
    if "name" in data:
        peer.name = data["name"]
    if "base_url" in data:
        peer.base_url = _check_base_url(data["base_url"], allow_loopback)
    if "outgoing_key" in data:
        peer.sealed_outgoing_key = sealer.seal({"key": data["outgoing_key"]})
    if "active" in data:
        peer.active = data["active"]
    db.session.commit()
    return peer


def rotate_incoming_key(code: str) -> tuple[Peer, str]:
    """Issue the peer a new key here; the old one stops working at once."""
    peer = _peer(code)
    key, peer.incoming_key_hash, peer.incoming_key_prefix = _peer_key()
    db.session.commit()
    return peer, key


def revoke_incoming_key(code: str) -> None:
    """The peer's key here stops working; its forwarded questions get 401."""
    peer = _peer(code)
    peer.incoming_key_hash = None
    peer.incoming_key_prefix = None
    db.session.commit()


def get_peer(code: str) -> Peer:
    """One peer federation."""
    return _peer(code)


def list_peers() -> list[Peer]:
    """Every registered peer, by code (a handful: no paging needed beyond the limit)."""
    return list(db.session.execute(select(Peer).order_by(Peer.code).limit(500)).scalars())


def _outgoing_key(sealed: bytes, sealer: Sealer) -> str | None:
    """Our key at the peer, or None when none is set (or it no longer opens)."""
    try:
        return sealer.open(sealed).get("key")
    except ValueError:
        return None


def peer_view(peer: Peer, sealer: Sealer, now: datetime, threshold: int, pause: float,
              key: str | None = None) -> dict:
    """What the office sees of a peer: never our key there; the peer's key here only once."""
    count = db.session.execute(select(db.func.count(PeerLibrary.id)).where(
        PeerLibrary.peer_id == peer.id)).scalar_one()
    return {"code": peer.code, "name": peer.name, "base_url": peer.base_url,
            "active": peer.active, "incoming_key": key,
            "incoming_key_prefix": peer.incoming_key_prefix,
            "outgoing_key_set": bool(_outgoing_key(peer.sealed_outgoing_key, sealer)),
            "libraries": count,
            "synced_at": peer.synced_at, "sync_error": peer.sync_error,
            "circuit": circuits.describe(circuits.read(f"peer:{peer.id}"), now, threshold,
                                         pause),
            "created_at": peer.created_at}


def sync_peer(code: str, outbound, sealer: Sealer, now: datetime, timeout: float) -> dict:
    """Read the peer's libraries, card prefixes and directory; replace what we held.

    A code or prefix a library of this federation already has stays ours (local first); one
    another peer claims stays with that peer. Either way it is skipped and counted.
    """
    peer = _peer(code)
    try:
        key = _outgoing_key(peer.sealed_outgoing_key, sealer)
        if not key:
            raise peerwire.PeerError("No key is set for calls to this peer.")
        libraries = outbound.peer_libraries(peer.base_url, key, timeout)
        entries = {e["code"]: e for e in outbound.peer_directory(peer.base_url, timeout)}
    except (peerwire.PeerError, ValueError) as error:
        peer.sync_error = str(error)[:500]
        db.session.commit()
        raise UnavailableError(f"The peer could not be read: {error}") from None
    local_codes = set(db.session.execute(select(Library.code)).scalars())
    local_prefixes = set(db.session.execute(select(CardPrefix.prefix)).scalars())
    others = PeerLibrary.peer_id != peer.id
    taken_codes = set(db.session.execute(select(PeerLibrary.code).where(others)).scalars())
    taken_prefixes = set(db.session.execute(
        select(PeerPrefix.prefix).join(PeerLibrary).where(others)).scalars())
    db.session.execute(delete(PeerLibrary).where(PeerLibrary.peer_id == peer.id))
    db.session.flush()
    kept = skipped = 0
    seen_prefixes: set[str] = set()
    for item in libraries:
        if item["code"] in local_codes | taken_codes:
            skipped += 1
            continue
        library = PeerLibrary(peer_id=peer.id, code=item["code"], name=item["name"],
                              contact=item["contact"], entry=entries.get(item["code"]),
                              synced_at=now)
        db.session.add(library)
        db.session.flush()
        for prefix in item["card_prefixes"]:
            if prefix in local_prefixes | taken_prefixes | seen_prefixes:
                continue
            seen_prefixes.add(prefix)
            db.session.add(PeerPrefix(prefix=prefix, peer_library_id=library.id))
        kept += 1
    peer.synced_at = now
    peer.sync_error = None
    db.session.commit()
    return {"peer": peer.code, "libraries": kept, "skipped": skipped,
            "prefixes": len(seen_prefixes), "synced_at": now}


def sync_all(outbound, sealer: Sealer, now: datetime, timeout: float) -> list[dict]:
    """Sync every active peer; a peer that cannot be read is reported, the others go on."""
    results = []
    for peer in list_peers():
        if not peer.active:
            continue
        try:
            results.append(sync_peer(peer.code, outbound, sealer, now, timeout))
        except UnavailableError as error:
            results.append({"peer": peer.code, "error": error.detail})
    return results


# The peer-facing side ---------------------------------------------------------------------

_PEER_BY_KEY = select(Peer.id, Peer.code, Peer.name, Peer.incoming_key_hash, Peer.active).where(
    Peer.incoming_key_hash == bindparam("digest"))


def authenticate_peer(header: str | None):
    """The peer federation behind an Authorization header, or 401 (peer keys only)."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PEER_KEY_PREFIX) or len(token) > 200:
        raise UnauthorizedError("Peer calls need 'Authorization: Bearer rcpeer_...'.",
                                code="invalid_key", headers={"WWW-Authenticate": "Bearer"})
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.connection().execute(_PEER_BY_KEY, {"digest": digest}).first()
    if row is None or not hmac.compare_digest(row.incoming_key_hash, digest) or not row.active:
        raise UnauthorizedError("This peer key is unknown or has been revoked.",
                                code="invalid_key", headers={"WWW-Authenticate": "Bearer"})
    return row


def local_libraries(*, limit: int, cursor: str | None) -> dict:
    """Participating libraries with their card prefixes, for a peer's sync (R15, R17)."""
    query = select(Library).where(Library.active, Library.reciprocal_borrowing)
    return paginate(query, Library.code, limit=limit, cursor=cursor)


def count_crossing(peer_id: str, direction: str, library_id: int, remote_library: str,
                   month: str, decision: str) -> None:
    """Count one verification that crossed federations (R19), in its own transaction."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {"eligible": 0, "not_eligible": 0, "refer": 0, decision: 1}
    statement = insert(PeerTraffic).values(peer_id=peer_id, direction=direction,
                                           library_id=library_id,
                                           remote_library=remote_library[:16], month=month,
                                           **values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["peer_id", "direction", "library_id", "remote_library", "month"],
        set_={decision: getattr(PeerTraffic, decision) + 1}))
    db.session.commit()


def peer_verification(target, lending_library_id: int, answer: dict | None, now: datetime,
                      today: date):
    """The desk's answer for a peer library's card: the peer's, or refer when it was silent."""
    from app.verification.service import Verification

    if answer is None:
        contact = target.contact or {}
        result = Verification(
            decision="refer", reasons=("peer_unavailable",),
            home_library={"code": target.code, "name": target.name, "contact": contact},
            expires_on=None, identity="not_checked", checked_at=now, source="none",
            advice=reach_rules.peer_unavailable_advice(target.name, contact),
            as_of=None, peer={"code": target.peer_code, "name": target.peer_name,
                              "source": None})
    else:
        home = answer["home_library"]
        advice = answer.get("advice") or verification_rules.advice(
            verification_rules.Decision(answer["decision"], tuple(
                r for r in answer["reasons"] if r in verification_rules.ADVICE)),
            home["name"], home["contact"])
        result = Verification(
            decision=answer["decision"], reasons=tuple(answer["reasons"]), home_library=home,
            expires_on=_date(answer.get("expires_on")), identity=answer["identity"],
            checked_at=now, source="peer", advice=advice, as_of=_instant(answer.get("as_of")),
            peer={"code": target.peer_code, "name": target.peer_name,
                  "source": answer["source"]})
    count_crossing(target.peer_id, "out", lending_library_id, target.code,
                   today.strftime("%Y-%m"), result.decision)
    return result


def _date(value: str | None) -> date | None:
    """A date the peer sent, or None when it is not one."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _instant(value: str | None) -> datetime | None:
    """An instant the peer sent, or None when it is not one."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def peer_traffic(library_id: int | None, year: int) -> dict:
    """A year's crossings (R19): a member sees its own rows, the office every row."""
    query = (select(PeerTraffic.month, Peer.code.label("peer"), PeerTraffic.direction,
                    Library.code.label("library"), PeerTraffic.remote_library,
                    PeerTraffic.eligible, PeerTraffic.not_eligible, PeerTraffic.refer)
             .join(Peer, Peer.id == PeerTraffic.peer_id)
             .join(Library, Library.id == PeerTraffic.library_id)
             .where(PeerTraffic.month.like(f"{year:04d}-%"))
             .order_by(PeerTraffic.month, Peer.code, PeerTraffic.direction, Library.code,
                       PeerTraffic.remote_library))
    if library_id is not None:
        query = query.where(PeerTraffic.library_id == library_id)
    return {"year": year, "items": [dict(row._mapping) for row in db.session.execute(query)]}


# The directory across federations ----------------------------------------------------------

def peer_directory(*, limit: int, cursor: str | None) -> dict:
    """Peer libraries as last synced, each marked with its federation (R5, R17)."""
    query = (select(PeerLibrary, Peer).join(Peer, Peer.id == PeerLibrary.peer_id)
             .where(Peer.active))
    page = paginate(query, PeerLibrary.code, limit=limit, cursor=cursor, rows=True)
    return {"items": [_peer_entry(library, peer) for library, peer in page["items"]],
            "next_cursor": page["next_cursor"]}


def _peer_entry(library: PeerLibrary, peer: Peer) -> dict:
    """A peer library's directory entry as the peer published it, marked as the peer's."""
    entry = dict(library.entry or {})
    return {"code": library.code, "name": library.name, "peer": {
        "code": peer.code, "name": peer.name}, "synced_at": library.synced_at,
        "published": entry.get("published", False), "reviewed_on": entry.get("reviewed_on"),
        "stale": entry.get("stale"), "participates": entry.get("participates"),
        "items_at_a_time": entry.get("items_at_a_time"),
        "lends_formats": entry.get("lends_formats") or [], "contact": library.contact,
        "city": entry.get("city"), "county": entry.get("county"),
        "system": entry.get("system")}


def _peer_library(code: str) -> tuple[PeerLibrary, Peer]:
    """A peer library by code."""
    row = db.session.execute(select(PeerLibrary, Peer).join(Peer, Peer.id ==
                                                            PeerLibrary.peer_id)
                             .where(PeerLibrary.code == code, Peer.active)).first()
    if row is None:
        raise NotFoundError("No peer federation's library has this code.",
                            code="library_not_found")
    return row[0], row[1]


def peer_directory_entry(code: str) -> dict:
    """One peer library's entry."""
    return _peer_entry(*_peer_library(code))


# The directory's web pages across federations (R5, R17) ------------------------------------

def _peer_page_item(library: PeerLibrary, peer: Peer, today: date) -> dict:
    """A peer library as the directory's pages show it: the peer's entry, with staleness and
    whether nonresident cards are in effect judged today, by the same rules as here (R5, R18)."""
    item = _peer_entry(library, peer)
    entry = library.entry or {}
    policy = entry.get("policy") if isinstance(entry.get("policy"), dict) else None
    reviewed = _date(item["reviewed_on"]) if isinstance(item["reviewed_on"], str) else None
    published = bool(item["published"]) and reviewed is not None
    try:
        nonresident = (directory_rules.nonresident_in_effect(
            (policy or {}).get("nonresident_cards"), today) if published else None)
    except (TypeError, ValueError, AttributeError):  # dates the peer wrote that we cannot read
        nonresident = bool(entry.get("nonresident_cards")) if published else None
    item.update(published=published, reviewed_on=reviewed,
                stale=published and directory_rules.is_stale(reviewed, today),
                type=entry.get("type") if isinstance(entry.get("type"), str) else None,
                nonresident_cards=nonresident, policy=policy,
                peer_synced_at=peer.synced_at, peer_sync_error=peer.sync_error,
                peer_url=f"{peer.base_url}/directory/{library.code}")
    return item


def _peer_matches(item: dict, filters: dict) -> bool:
    """The directory page's search and filters, applied to a peer library as to one here."""
    if filters.get("q"):
        needle = filters["q"].strip().lower()
        if not any(needle in (item.get(name) or "").lower() for name in ("name", "city", "code")):
            return False
    for name in ("type", "system"):
        if filters.get(name) and item.get(name) != filters[name]:
            return False
    if filters.get("county") and (
            (item.get("county") or "").lower() != filters["county"].strip().lower()):
        return False
    if filters.get("lends_format") and filters["lends_format"] not in item["lends_formats"]:
        return False
    published, stale = item["published"], item["published"] and item["stale"]
    if filters.get("nonresident_cards") is not None and (
            not published or bool(item["nonresident_cards"]) != filters["nonresident_cards"]):
        return False
    if filters.get("stale") is not None and (not published or stale != filters["stale"]):
        return False
    return {"not_published": not published, "not_published_or_stale": not published or stale,
            "stale": stale, "current": published and not stale}.get(filters.get("status"), True)


def peer_directory_search(filters: dict, today: date, *, federation: str | None = None,
                          limit: int = 50, cursor: str | None = None,
                          batch: int = 500) -> dict:
    """Peer libraries matching the directory page's filters, by code: one page, the number
    matching in all, and the peers' regional systems (choices for the page's select).

    A peer's entry is kept as the peer published it (JSON), so the filters run here over rows
    read in batches of `batch` by code: memory holds one batch and one page, however many
    libraries the peers have. `federation` keeps one peer's libraries (by the peer's code).
    """
    query = (select(PeerLibrary, Peer).join(Peer, Peer.id == PeerLibrary.peer_id)
             .where(Peer.active).order_by(PeerLibrary.code).limit(batch))
    if federation:
        query = query.where(Peer.code == federation)
    after = decode_cursor(cursor) if cursor else None
    items, total, systems, more, last = [], 0, set(), False, None
    while True:
        rows = db.session.execute(query.where(PeerLibrary.code > last) if last is not None
                                  else query).all()
        for library, peer in rows:
            item = _peer_page_item(library, peer, today)
            if item["system"]:
                systems.add(item["system"])
            if not _peer_matches(item, filters):
                continue
            total += 1
            if after is not None and library.code <= after:
                continue
            if len(items) < limit:
                items.append(item)
            else:
                more = True
        if len(rows) < batch:
            break
        last = rows[-1][0].code
    next_cursor = encode_cursor(items[-1]["code"]) if more else None
    return {"items": items, "total": total, "next_cursor": next_cursor,
            "systems": sorted(systems)}


def peer_directory_page(code: str, today: date) -> dict:
    """One peer library for the directory's page: its entry, policy in plain words, its peer."""
    item = _peer_page_item(*_peer_library(code), today)
    item["summary"] = {}
    if item["published"] and item["policy"]:
        try:
            item["summary"] = wording.summarize(item["policy"], today)
        except (KeyError, TypeError, ValueError, AttributeError):
            item["summary"] = None  # a shape this version cannot read: the peer's page can
    return item


def active_peers() -> list[tuple[str, str]]:
    """(code, name) of every active peer federation, by name."""
    return [tuple(row) for row in db.session.execute(
        select(Peer.code, Peer.name).where(Peer.active).order_by(Peer.name))]


def peer_directory_answer(code: str, term: str, outbound, timeout: float) -> dict:
    """"May I borrow this here?" for a peer library, asked of the peer live (R17)."""
    library, peer = _peer_library(code)
    try:
        answer = outbound.directory_answer(peer.base_url, code, term, timeout)
    except (peerwire.PeerError, peerwire.PeerDoesNotKnow) as error:
        raise UnavailableError(f"{peer.name} could not be asked about {library.name} just "
                               f"now ({error}). Try again shortly.") from None
    answer["peer"] = {"code": peer.code, "name": peer.name}
    return answer



class _NotCounted:
    """The registry's traffic counts are per lending library here; a peer's desk is counted
    in peer_traffic instead (R19)."""

    def add(self, *args) -> None:
        """Count nothing."""


def answer_peer(peer, data: dict, hops: int, started: float, now: datetime, today: date,
                reach, key: bytes):
    """Answer a peer's forwarded verification from here, never forwarding it on (R17)."""
    from app.verification.service import verify_card

    lending = data["lending_library"]
    lender = lending.get("code") if isinstance(lending, dict) else None
    if not isinstance(lender, str) or not peerwire.CODE.match(lender):
        raise RuleError("Name the asking library: lending_library.code.",
                        code="validation_failed",
                        errors={"lending_library": "A library code is required."})
    budget = reach.settings.budget
    if data.get("budget_ms") is not None:
        # Answer before the caller gives up, keeping back a little for the way back.
        budget = min(budget, max(0.0, data["budget_ms"] / 1000 - 0.05))
    result = verify_card(None, data["card_number"], data["home_library"], data["surname"], key,
                         now, today, _NotCounted(), reach=reach, hops=hops, started=started,
                         budget=budget)
    home_id = db.session.execute(select(Library.id).where(
        Library.code == result.home_library["code"])).scalar_one()
    count_crossing(peer.id, "in", home_id, lender, today.strftime("%Y-%m"), result.decision)
    return result
