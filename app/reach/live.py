"""The live path of a verification: ask the home system (R14) or forward to a peer (R17).

`Reach` is what `verify_card` is handed. It keeps the time budget: the whole verification,
from its first statement, ends within `VERIFY_BUDGET_SECONDS`; a remote call gets what is
left. Failures (time-outs, errors, an open circuit) never fail the desk's answer: the
registry answers instead, or, for a peer's card, a `refer` says the peer could not be asked.
"""

import time
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select

from app.extensions import db
from app.libraries.models import Library
from app.reach import circuits
from app.reach import rules as reach_rules
from app.reach.answers import HomeAnswer, HomeSystemError
from app.reach.cache import AnswerCache
from app.reach.clients import Outbound
from app.reach.models import (
    HomeEndpoint,
    Peer,
    PeerLibrary,
    PeerPrefix,
    RegistryFreshness,
)
from app.reach.peerwire import PeerDoesNotKnow, PeerError
from app.reach.sealing import Sealer, SealError

# The margin kept back from the budget for the work after a remote call (rules, the answer).
AFTER_CALL = 0.02

# One statement for the home library: when its registry was last fed, and its live endpoint.
_HOME_STATE = (
    select(RegistryFreshness.as_of, HomeEndpoint.id, HomeEndpoint.protocol,
           HomeEndpoint.address, HomeEndpoint.sealed_credentials)
    .select_from(Library)
    .outerjoin(RegistryFreshness, RegistryFreshness.library_id == Library.id)
    .outerjoin(HomeEndpoint, (HomeEndpoint.library_id == Library.id) & HomeEndpoint.enabled)
    .where(Library.id == bindparam("library_id"))
)
_PEER_COLUMNS = (PeerLibrary.code, PeerLibrary.name, PeerLibrary.contact, Peer.id.label("peer_id"),
                 Peer.code.label("peer_code"), Peer.name.label("peer_name"), Peer.base_url,
                 Peer.sealed_outgoing_key, Peer.active)
PEER_BY_CODE = (select(*_PEER_COLUMNS).join(Peer, Peer.id == PeerLibrary.peer_id)
                .where(PeerLibrary.code == bindparam("code")))
PEER_BY_PREFIX = (select(*_PEER_COLUMNS).join(Peer, Peer.id == PeerLibrary.peer_id)
                  .where(PeerLibrary.id == (
                      select(PeerPrefix.peer_library_id)
                      .where(PeerPrefix.prefix.in_(bindparam("prefixes", expanding=True)))
                      .order_by(func.length(PeerPrefix.prefix).desc()).limit(1)
                      .scalar_subquery())))


@dataclass(frozen=True)
class Consulted:
    """What the live path found for a card of this federation."""

    answer: HomeAnswer | None  # the home system's, or None: the registry answers
    as_of: datetime | None  # when the answer's source last knew
    stale: bool  # the registry answers and is older than the set age (R14)

    @property
    def source(self) -> str:
        """`home_system` or `registry`."""
        return "home_system" if self.answer is not None else "registry"


@dataclass(frozen=True)
class Settings:
    """The reach settings, read once from the app's config."""

    budget: float
    stale_hours: float
    threshold: int
    pause: float

    @classmethod
    def from_config(cls, config) -> "Settings":
        """Read VERIFY_BUDGET_SECONDS, REGISTRY_STALE_HOURS and the circuit settings."""
        return cls(budget=float(config["VERIFY_BUDGET_SECONDS"]),
                   stale_hours=float(config["REGISTRY_STALE_HOURS"]),
                   threshold=int(config["CIRCUIT_FAILURES"]),
                   pause=float(config["CIRCUIT_PAUSE_SECONDS"]))


class Reach:
    """Home systems and peers, as one verification sees them."""

    def __init__(self, settings: Settings, outbound: Outbound, cache: AnswerCache,
                 sealer: Sealer, traffic=None):
        """Built once per app (app/__init__.py); `traffic` counts peer crossings (R19)."""
        self.settings = settings
        self.outbound = outbound
        self.cache = cache
        self.sealer = sealer
        self.traffic = traffic

    def deadline(self, started: float, budget: float | None = None) -> float:
        """The monotonic instant by which a verification started at `started` must answer."""
        return started + (self.settings.budget if budget is None else budget)

    def consult_home(self, lending_library_id: int | None, home_library_id: int, card: str,
                     digest: bytes, surname: str | None, surname_digest: bytes | None,
                     now: datetime, deadline: float, *, ask: bool = True) -> Consulted:
        """Ask the home library's own system when it has one; else the registry's age.

        `ask` False (a home library that does not take part, R1) reads only the age.
        """
        row = db.session.connection().execute(
            _HOME_STATE, {"library_id": home_library_id}).first()
        as_of = row.as_of if row else None
        endpoint = row if ask and row is not None and row.id is not None else None
        if endpoint is not None:
            answer = self._ask(lending_library_id, endpoint, card, digest, surname,
                               surname_digest, now, deadline)
            if answer is not None:
                return Consulted(answer, now, False)
        stale = reach_rules.registry_stale(as_of, now, self.settings.stale_hours)
        return Consulted(None, as_of, stale)

    def _ask(self, lending_library_id, endpoint, card, digest, surname, surname_digest, now,
             deadline) -> HomeAnswer | None:
        """The home system's answer (from the cache, or live), or None after any failure."""
        key = (lending_library_id, endpoint.id, digest, surname_digest)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        name = f"home:{endpoint.id}"
        circuit = circuits.read(name)
        if not circuits.allow(circuit, now, self.settings.threshold, self.settings.pause):
            return None
        try:
            credentials = self.sealer.open(endpoint.sealed_credentials)
            answer = self.outbound.ask_home(
                endpoint.protocol, endpoint.address, credentials, card, surname,
                deadline - time.monotonic() - AFTER_CALL)
        except (HomeSystemError, SealError) as error:
            circuits.failed(circuit, now, str(error), self.settings.threshold)
            return None
        circuits.succeeded(circuit, now)
        self.cache.put(key, answer)
        return answer

    # Peers (R17) ------------------------------------------------------------------------------

    def find_peer_library(self, card: str, home_code: str | None):
        """The peer library a card belongs to (named, or by the longest prefix), or None."""
        connection = db.session.connection()
        if home_code:
            return connection.execute(PEER_BY_CODE, {"code": home_code}).first()
        prefixes = [card[:n] for n in range(1, min(len(card), 16) + 1)]
        return connection.execute(PEER_BY_PREFIX, {"prefixes": prefixes}).first()

    def forward(self, lending_library_id: int, card: str, home_code: str | None,
                surname: str | None, now: datetime, today: date, deadline: float, hops: int):
        """Ask the peer federation a card belongs to; None when no peer claims it.

        `hops` counts how many federations the question has crossed already: a question that
        came from a peer (hops >= 1) is never forwarded again, so no loop can form.
        """
        if hops >= 1:
            return None
        target = self.find_peer_library(card, home_code)
        if target is None or not target.active:
            return None
        from app.reach import service

        lending = db.session.execute(select(Library.code, Library.name).where(
            Library.id == lending_library_id)).one()
        name = f"peer:{target.peer_id}"
        circuit = circuits.read(name)
        answer = None
        if circuits.allow(circuit, now, self.settings.threshold, self.settings.pause):
            question = {"card_number": card, "home_library": target.code,
                        "lending_library": {"code": lending.code, "name": lending.name},
                        "budget_ms": int(max(0.0, deadline - time.monotonic()) * 1000)}
            if surname:
                question["surname"] = surname
            try:
                key = self.sealer.open(target.sealed_outgoing_key).get("key")
                if not key:
                    raise PeerError("No key is set for calls to this peer.")
                answer = self.outbound.forward(target.base_url, key, question, hops + 1,
                                               deadline - time.monotonic() - AFTER_CALL)
            except PeerDoesNotKnow:
                circuits.succeeded(circuit, now)
                answer = {"decision": "refer", "reasons": ("unknown_card",),
                          "home_library": {"code": target.code, "name": target.name,
                                           "contact": target.contact or {}},
                          "expires_on": None, "identity": "not_checked", "as_of": None,
                          "source": "registry", "advice": None}
            except (PeerError, SealError) as error:
                circuits.failed(circuit, now, str(error), self.settings.threshold)
            else:
                circuits.succeeded(circuit, now)
        return service.peer_verification(target, lending_library_id, answer, now, today)
