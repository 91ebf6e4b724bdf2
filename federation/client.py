"""The member SDK: one session, a timeout on every call, retries where they are safe, typed
answers and typed errors.

Retries: GETs, read-only POSTs and creating POSTs are retried on a network failure, a 5xx or a
429, with exponential backoff and full jitter (or the server's Retry-After). A creating POST
carries an `Idempotency-Key` the client makes up (uuid4) and sends again, unchanged, on every
retry, so the service does the work once. Other actions (honor, void, pay without a key...)
are never retried: the caller decides.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import IO, Any

import requests

from federation.errors import ProblemError, TransportError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HomeLibrary:
    """The card's home library and how to reach it."""

    code: str
    name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Verification:
    """The service's answer about a card."""

    decision: str  # eligible | not_eligible | refer
    reasons: tuple[str, ...]
    home_library: HomeLibrary
    expires_on: date | None
    identity: str
    checked_at: datetime
    source: str  # registry | home_system | peer | none
    advice: str
    as_of: datetime | None = None  # when the source last knew
    peer: str | None = None  # the peer federation's code, for a peer library's card

    @property
    def may_lend(self) -> bool:
        """True only for `eligible` (R2); `refer` means call the home library first (R14)."""
        return self.decision == "eligible"


def _instant(value: str | None) -> datetime | None:
    """An ISO 8601 instant from the service (with Z or an offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _build(cls, data: dict):
    """A result dataclass from an answer: known fields converted, the whole answer in `raw`."""
    values = {}
    for item in fields(cls):
        if item.name == "raw":
            continue
        value = data.get(item.name)
        # Annotations stay strings (postponed evaluation), so this runs on Python 3.9 too.
        kinds = {part.strip() for part in str(item.type).split("|")}
        if value is not None and "date" in kinds and isinstance(value, str):
            value = date.fromisoformat(value)
        elif value is not None and "datetime" in kinds:
            value = _instant(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[item.name] = value
    return cls(**values, raw=data)


@dataclass(frozen=True)
class Patron:
    """One of your patrons as the registry holds it (never the card number or surname)."""

    id: str
    card_last4: str
    expires_on: date | None
    standing: str
    block_reasons: tuple[str, ...]
    category: str | None
    external_ref: str | None
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class ImportSummary:
    """What a roster import did."""

    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: tuple[dict, ...]
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Bill:
    """A bill for lost or damaged items (amounts in cents, R10)."""

    id: str
    status: str
    issuer: str
    home_library: str
    infraction_date: date
    deadline: date
    amount_due_cents: int
    amount_paid_cents: int
    balance_cents: int
    liable_party: str
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Payment:
    """A payment recorded on a bill."""

    id: str
    bill_id: str
    amount_cents: int
    paid_by: str
    reference: str | None
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Resolution:
    """Alternate terms proposed on a bill (R6)."""

    id: str
    bill_id: str
    proposed_by: str
    terms: str
    detail: str
    status: str
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Block:
    """A block request and where it stands (R8)."""

    id: str
    kind: str
    status: str
    requester: str
    home_library: str
    card_last4: str
    bill_ids: tuple[str, ...]
    overdue: bool
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Notice:
    """A notice of non-compliance between two libraries (Plan VIII.1.b)."""

    id: str
    sender: str
    recipient: str
    what_happened: str
    policy: str
    asks: str
    status: str  # sent | acknowledged | answered | withdrawn
    answer: str | None
    sent_on: date
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Letter:
    """A letter: the written record of a notice, suspension, escalation, office answer or
    decision, or membership action; its PDF comes from `letter_pdf`."""

    reference: str
    kind: str
    title: str
    subject_type: str
    subject_id: str
    libraries: tuple
    created_at: datetime
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class MembershipAction:
    """The federation office took a library out of full membership or reinstated it."""

    id: str
    library: str
    action: str  # removed | reinstated
    reason: str
    requirements: str | None
    created_at: datetime
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Suspension:
    """One library's suspension or restriction of service to another (R12)."""

    id: str
    suspending_library: str
    suspended_library: str
    measure: str  # suspension | restriction
    services: str  # reciprocal_borrowing | interlibrary_loan | both
    item_cap: int | None
    terms: str | None
    reason: str
    notice_ids: tuple[str, ...]
    starts_on: date
    ends_on: date
    status: str  # scheduled | in_force | ended | lifted
    lifted_on: date | None
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Dispute:
    """A dispute about a bill, block, suspension or notice (R13); `messages` in order."""

    id: str
    subject_type: str
    subject_id: str
    opened_by: str
    other_library: str
    status: str  # open | escalated | closed
    outcome: str | None  # withdrawn | decided
    decision: str | None
    messages: tuple[dict, ...]
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class AssistanceRequest:
    """A lending library's request for the home library's help (R7).

    `patron_details` is what the home library passed: shown to the requesting library alone,
    None for anyone else and once purged (R16).
    """

    id: str
    requester: str
    home_library: str
    kind: str  # retrieve_materials | collect_bill
    bill_id: str | None
    block_id: str | None
    message: str
    status: str  # requested | answered | closed
    response_due_on: date
    overdue: bool
    response: str | None  # contacted_patron | details_passed | declined
    note: str | None
    patron_details: str | None
    details_purged: bool
    closed_because: str | None  # withdrawn | completed
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class PublishedPolicy:
    """What publishing a policy did: a new version, or none when nothing changed (R5)."""

    code: str
    version: int
    changed: bool
    stale: bool
    nonresident_report_late: bool
    warnings: tuple[dict, ...]
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class DirectoryEntry:
    """A member library as the public directory shows it; `raw` has the policy when read
    one by one (`policy`, and `summary`: the policy in plain sentences)."""

    code: str
    name: str
    type: str
    county: str | None
    published: bool
    version: int | None
    reviewed_on: date | None
    stale: bool
    items_at_a_time: int | None
    lends_formats: tuple[str, ...]
    nonresident_cards: bool | None
    # Where it is (street, city, zip, county) and a map of it; when it last published (the
    # federation's calendar date); its own review cycle beside R5's 12-month `stale`.
    address: dict | None = None
    map_url: str | None = None
    published_on: date | None = None
    participates: bool | None = None
    review_cycle_months: int | None = None
    review_due_on: date | None = None
    review_overdue: bool | None = None
    raw: dict = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One event of your feed: a type and ids, never patron data (R16)."""

    id: str
    seq: int
    type: str
    occurred_at: datetime
    data: dict = field(compare=False)
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class Endpoint:
    """A webhook endpoint; `secret` only in the answers to creating and rotating."""

    id: str
    url: str
    description: str | None
    enabled: bool
    disabled_reason: str | None
    delivered_seq: int
    failures: int
    secret: str | None = field(default=None, repr=False)
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver one event to an endpoint."""

    id: str
    event_id: str
    event_seq: int
    event_type: str
    status: str
    response_status: int | None
    error: str | None
    attempted_at: datetime
    raw: dict = field(repr=False, compare=False)


class Client:
    """Calls Reciprocity's API with a member library's key (or the federation office's)."""

    def __init__(self, base_url: str, key: str, *, timeout: float = 10.0,
                 session: requests.Session | None = None, retries: int = 3,
                 backoff: float = 0.5, max_wait: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        """`base_url` like https://reciprocity.example/api/v1; `retries` after the first try."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {key}",
                                     "Accept": "application/json"})

    # The transport ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                 data: Any = None, headers: dict | None = None, retry: bool = False,
                 idempotent_create: bool = False, stream: bool = False) -> requests.Response:
        """Send one call (retrying when safe); the response, or a FederationError."""
        headers = dict(headers or {})
        if idempotent_create:
            # One key for every try of this call: the service does the work at most once.
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
            retry = True
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.session.request(method, self.base_url + path, json=json,
                                                params=params, data=data, headers=headers,
                                                timeout=self.timeout, stream=stream)
            except requests.RequestException as error:
                if last:
                    raise TransportError(f"Could not reach the service: {error}") from error
                self._sleep(self._wait(attempt, None))
                continue
            if response.status_code in RETRY_STATUSES and not last:
                self._sleep(self._wait(attempt, response.headers.get("Retry-After")))
                continue
            if response.status_code >= 400:
                raise _problem(response)
            return response
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before the next try: the server's Retry-After, else backoff, full jitter."""
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_wait)
        return random.uniform(0, min(self.max_wait, self.backoff * 2 ** attempt))

    def _json(self, response: requests.Response) -> Any:
        """The JSON of a success answer."""
        try:
            return response.json()
        except ValueError as error:
            raise TransportError("The service answered with something other than JSON.") \
                from error

    def _call(self, method: str, path: str, **kwargs) -> Any:
        """A call whose answer is JSON."""
        return self._json(self._request(method, path, **kwargs))

    def _post(self, path: str, body: dict) -> dict:
        """POST JSON once (no retry); the JSON answer."""
        return self._call("POST", path, json=body)

    def _pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        """Every item of a list, following next_cursor."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        while True:
            page = self._call("GET", path, params=params, retry=True)
            yield from page["items"]
            if not page.get("next_cursor"):
                return
            params["cursor"] = page["next_cursor"]

    # Verification ----------------------------------------------------------------------------
    def verify(self, card_number: str, *, home_library: str | None = None,
               surname: str | None = None) -> Verification:
        """Ask whether a visiting patron's card is in good standing."""
        body = {"card_number": card_number}
        if home_library:
            body["home_library"] = home_library
        if surname:
            body["surname"] = surname
        data = self._post("/verifications", body)
        home = data["home_library"]
        contact = home.get("contact") or {}
        return Verification(
            decision=data["decision"], reasons=tuple(data["reasons"]),
            home_library=HomeLibrary(home["code"], home["name"], contact.get("email"),
                                     contact.get("phone")),
            expires_on=date.fromisoformat(data["expires_on"]) if data.get("expires_on")
            else None,
            identity=data["identity"],
            checked_at=datetime.fromisoformat(data["checked_at"].replace("Z", "+00:00")),
            source=data["source"], advice=data["advice"], as_of=_instant(data.get("as_of")),
            peer=(data.get("peer") or {}).get("code"))

    # Patrons (your own: R16) ---------------------------------------------------------------

    def upsert_patron(self, card_number: str, expires_on: date | str, **fields_) -> Patron:
        """Create or update one of your patrons by card number (safe to retry: an upsert)."""
        body = {"card_number": card_number, "expires_on": str(expires_on), **fields_}
        return _build(Patron, self._call("POST", "/patrons", json=body, retry=True))

    def get_patron(self, patron_id: str) -> Patron:
        """One of your patrons."""
        return _build(Patron, self._call("GET", f"/patrons/{patron_id}", retry=True))

    def lookup_patron(self, card_number: str) -> Patron:
        """Find one of your patrons by card (the number goes in the body, never the URL)."""
        return _build(Patron, self._call("POST", "/patrons/lookup",
                                         json={"card_number": card_number}, retry=True))

    def update_patron(self, patron_id: str, **fields_) -> Patron:
        """Change one of your patrons (standing, expiry, category, ...)."""
        return _build(Patron, self._call("PATCH", f"/patrons/{patron_id}", json=fields_))

    def delete_patron(self, patron_id: str) -> None:
        """Remove one of your patrons."""
        self._request("DELETE", f"/patrons/{patron_id}")

    def replace_card(self, patron_id: str, new_card_number: str) -> Patron:
        """Give a patron a new card; the old one then verifies as card_replaced."""
        return _build(Patron, self._post(f"/patrons/{patron_id}/replace-card",
                                         {"new_card_number": new_card_number}))

    def patrons(self, **filters) -> Iterator[Patron]:
        """All your patrons (filters: standing, external_ref), page after page."""
        return (_build(Patron, item) for item in self._pages("/patrons", filters))

    def import_roster(self, roster: IO[bytes] | bytes, *, format: str = "csv") -> ImportSummary:
        """Upload a roster (CSV or NDJSON), streamed from an open binary file; not retried."""
        media = {"csv": "text/csv", "ndjson": "application/x-ndjson"}[format]
        return _build(ImportSummary, self._call("POST", "/patrons/import", data=roster,
                                                headers={"Content-Type": media}))

    # Bills (R6, R9, R10) ---------------------------------------------------------------------

    def issue_bill(self, card_number: str, home_library: str, infraction_date: date | str,
                   items: list[dict], note: str | None = None) -> Bill:
        """Bill a patron's home library (R9: within a year); retried safely with a key."""
        body = {"card_number": card_number, "home_library": home_library,
                "infraction_date": str(infraction_date), "items": items}
        if note is not None:
            body["note"] = note
        return _build(Bill, self._call("POST", "/bills", json=body, idempotent_create=True))

    def get_bill(self, bill_id: str) -> Bill:
        """A bill you are party to."""
        return _build(Bill, self._call("GET", f"/bills/{bill_id}", retry=True))

    def bills(self, *, as_: str | None = None, status: str | None = None) -> Iterator[Bill]:
        """Bills you issued (as_="issuer"), received ("home"), or both."""
        return (_build(Bill, item) for item in self._pages("/bills", {"as": as_,
                                                                      "status": status}))

    def record_payment(self, bill_id: str, amount_cents: int, paid_by: str,
                       reference: str | None = None) -> Payment:
        """Record a payment (retried safely with a key: never recorded twice)."""
        body = {"amount_cents": amount_cents, "paid_by": paid_by}
        if reference is not None:
            body["reference"] = reference
        return _build(Payment, self._call("POST", f"/bills/{bill_id}/payments", json=body,
                                          idempotent_create=True))

    def void_bill(self, bill_id: str, reason: str) -> Bill:
        """Void a bill you issued."""
        return _build(Bill, self._post(f"/bills/{bill_id}/void", {"reason": reason}))

    def dispute_bill(self, bill_id: str, reason: str) -> Bill:
        """Dispute a bill sent to you (R13)."""
        return _build(Bill, self._post(f"/bills/{bill_id}/dispute", {"reason": reason}))

    def answer_dispute(self, bill_id: str, answer: str) -> Bill:
        """Answer the home library's dispute of your bill."""
        return _build(Bill, self._post(f"/bills/{bill_id}/dispute/answer", {"answer": answer}))

    def withdraw_dispute(self, bill_id: str) -> Bill:
        """Withdraw your dispute; the bill is open again."""
        return _build(Bill, self._post(f"/bills/{bill_id}/dispute/withdraw", {}))

    def propose_resolution(self, bill_id: str, terms: str, detail: str) -> Resolution:
        """Propose alternate terms to the other party (R6); retried safely with a key."""
        return _build(Resolution, self._call("POST", f"/bills/{bill_id}/resolutions",
                                             json={"terms": terms, "detail": detail},
                                             idempotent_create=True))

    def accept_resolution(self, bill_id: str, resolution_id: str) -> Bill:
        """Accept the other party's proposal: the bill is resolved."""
        return _build(Bill, self._post(f"/bills/{bill_id}/resolutions/{resolution_id}/accept",
                                       {}))

    def statement(self, period: str) -> dict:
        """A quarter's statement (period like 2026-Q4): per library, owed and owing."""
        return self._call("GET", "/statements", params={"period": period}, retry=True)

    # Blocks (R8) -----------------------------------------------------------------------------

    def request_block(self, card_number: str, home_library: str, bill_ids: list[str], *,
                      kind: str = "block", note: str | None = None) -> Block:
        """Ask a patron's home library to block them for unpaid bills; retried with a key."""
        body = {"card_number": card_number, "home_library": home_library, "kind": kind,
                "bill_ids": list(bill_ids)}
        if note is not None:
            body["note"] = note
        return _build(Block, self._call("POST", "/blocks", json=body, idempotent_create=True))

    def get_block(self, block_id: str) -> Block:
        """A block you are party to."""
        return _build(Block, self._call("GET", f"/blocks/{block_id}", retry=True))

    def blocks(self, *, as_: str | None = None, status: str | None = None) -> Iterator[Block]:
        """Blocks you asked for (as_="requester") or received ("home")."""
        return (_build(Block, item) for item in self._pages("/blocks", {"as": as_,
                                                                        "status": status}))

    def honor_block(self, block_id: str) -> Block:
        """Honor a request (home library)."""
        return _build(Block, self._post(f"/blocks/{block_id}/honor", {}))

    def refuse_block(self, block_id: str, reason: str) -> Block:
        """Refuse a request (home library): you become liable for its bills (R8)."""
        return _build(Block, self._post(f"/blocks/{block_id}/refuse", {"reason": reason}))

    def release_block(self, block_id: str) -> Block:
        """Release a block you asked for: no longer needed."""
        return _build(Block, self._post(f"/blocks/{block_id}/release", {}))

    def withdraw_block(self, block_id: str) -> Block:
        """Withdraw a request not yet answered."""
        return _build(Block, self._post(f"/blocks/{block_id}/withdraw", {}))

    # Notices of non-compliance (Plan VIII.1.b) ----------------------------------------------

    def send_notice(self, to: str, what_happened: str, policy: str, asks: str, *,
                    policy_version: int | None = None) -> Notice:
        """Tell another library it failed to observe one of your published policies."""
        body = {"to": to, "what_happened": what_happened, "policy": policy, "asks": asks}
        if policy_version is not None:
            body["policy_version"] = policy_version
        return _build(Notice, self._call("POST", "/notices", json=body,
                                         idempotent_create=True))

    def get_notice(self, notice_id: str) -> Notice:
        """A notice you sent or received."""
        return _build(Notice, self._call("GET", f"/notices/{notice_id}", retry=True))

    def notices(self, *, as_: str | None = None, status: str | None = None) -> Iterator[Notice]:
        """Notices you sent (as_="sender") or received ("recipient")."""
        return (_build(Notice, item) for item in self._pages("/notices", {"as": as_,
                                                                          "status": status}))

    def acknowledge_notice(self, notice_id: str) -> Notice:
        """Acknowledge a notice sent to you."""
        return _build(Notice, self._post(f"/notices/{notice_id}/acknowledge", {}))

    def answer_notice(self, notice_id: str, answer: str) -> Notice:
        """Answer a notice sent to you, in writing."""
        return _build(Notice, self._post(f"/notices/{notice_id}/answer", {"answer": answer}))

    def withdraw_notice(self, notice_id: str) -> Notice:
        """Withdraw a notice you sent."""
        return _build(Notice, self._post(f"/notices/{notice_id}/withdraw", {}))

    # Suspensions (R12) -----------------------------------------------------------------------

    def impose_suspension(self, suspended_library: str, *, services: str, reason: str,
                          notice_ids: list[str], ends_on: date | str,
                          measure: str = "suspension", item_cap: int | None = None,
                          terms: str | None = None,
                          starts_on: date | str | None = None) -> Suspension:
        """Suspend (or, with an item cap, restrict) service to another library's patrons."""
        body = {"suspended_library": suspended_library, "measure": measure,
                "services": services, "reason": reason, "notice_ids": list(notice_ids),
                "ends_on": str(ends_on)}
        optional = {"item_cap": item_cap, "terms": terms,
                    "starts_on": str(starts_on) if starts_on else None}
        body.update({k: v for k, v in optional.items() if v is not None})
        return _build(Suspension, self._call("POST", "/suspensions", json=body,
                                             idempotent_create=True))

    def get_suspension(self, suspension_id: str) -> Suspension:
        """A suspension you imposed or are under."""
        return _build(Suspension, self._call("GET", f"/suspensions/{suspension_id}",
                                             retry=True))

    def suspensions(self, *, as_: str | None = None,
                    in_force: bool | None = None) -> Iterator[Suspension]:
        """Suspensions you imposed (as_="suspending") or are under ("suspended")."""
        flag = None if in_force is None else str(in_force).lower()
        return (_build(Suspension, item)
                for item in self._pages("/suspensions", {"as": as_, "in_force": flag}))

    def renew_suspension(self, suspension_id: str, ends_on: date | str,
                         reason: str | None = None) -> Suspension:
        """Extend a suspension you imposed to a later end date."""
        body = {"ends_on": str(ends_on), **({"reason": reason} if reason else {})}
        return _build(Suspension, self._post(f"/suspensions/{suspension_id}/renew", body))

    def lift_suspension(self, suspension_id: str, reason: str | None = None) -> Suspension:
        """Lift a suspension you imposed before its end date."""
        body = {"reason": reason} if reason else {}
        return _build(Suspension, self._post(f"/suspensions/{suspension_id}/lift", body))

    def suspensions_in_force(self, code: str) -> Iterator[Suspension]:
        """The directory's view: suspensions in force involving `code` that you may see."""
        return (_build(Suspension, item)
                for item in self._pages(f"/directory/{code}/suspensions"))

    # Disputes (R13) --------------------------------------------------------------------------

    def open_dispute(self, subject_type: str, subject_id: str, summary: str) -> Dispute:
        """Open a dispute with the other party to a bill, block, suspension or notice."""
        body = {"subject_type": subject_type, "subject_id": subject_id, "summary": summary}
        return _build(Dispute, self._call("POST", "/disputes", json=body,
                                          idempotent_create=True))

    def get_dispute(self, dispute_id: str) -> Dispute:
        """A dispute you are party to, with every message."""
        return _build(Dispute, self._call("GET", f"/disputes/{dispute_id}", retry=True))

    def disputes(self, *, status: str | None = None,
                 subject_type: str | None = None) -> Iterator[Dispute]:
        """Disputes you are party to (the office: all)."""
        return (_build(Dispute, item) for item in self._pages(
            "/disputes", {"status": status, "subject_type": subject_type}))

    def write_in_dispute(self, dispute_id: str, body: str) -> Dispute:
        """Write to the other library in a dispute."""
        return _build(Dispute, self._post(f"/disputes/{dispute_id}/messages", {"body": body}))

    def escalate_dispute(self, dispute_id: str, body: str) -> Dispute:
        """Ask the federation office for help in writing; the other library gets a copy."""
        return _build(Dispute, self._post(f"/disputes/{dispute_id}/escalate", {"body": body}))

    def withdraw_dispute_case(self, dispute_id: str, body: str) -> Dispute:
        """Withdraw a dispute you opened (`withdraw_dispute` is the bill's own dispute)."""
        return _build(Dispute, self._post(f"/disputes/{dispute_id}/withdraw", {"body": body}))

    def answer_escalation(self, dispute_id: str, body: str) -> Dispute:
        """The federation office answers both parties to an escalated dispute."""
        return _build(Dispute, self._post(f"/disputes/{dispute_id}/answer", {"body": body}))

    def decide_dispute(self, dispute_id: str, decision: str) -> Dispute:
        """The federation office closes an escalated dispute with its decision."""
        return _build(Dispute, self._post(f"/disputes/{dispute_id}/decide",
                                          {"body": decision}))

    # Assistance requests (R7) -----------------------------------------------------------------

    def request_assistance(self, home_library: str, kind: str, message: str, *,
                           bill_id: str | None = None,
                           block_id: str | None = None) -> AssistanceRequest:
        """Ask a patron's home library to help retrieve material (`retrieve_materials`) or
        collect a bill (`collect_bill`), about your bill or block request to it."""
        body = {"home_library": home_library, "kind": kind, "message": message,
                **({"bill_id": bill_id} if bill_id else {}),
                **({"block_id": block_id} if block_id else {})}
        return _build(AssistanceRequest, self._call("POST", "/assistance", json=body,
                                                    idempotent_create=True))

    def get_assistance(self, assistance_id: str) -> AssistanceRequest:
        """An assistance request you made or received."""
        return _build(AssistanceRequest, self._call("GET", f"/assistance/{assistance_id}",
                                                    retry=True))

    def assistance_requests(self, *, as_: str | None = None, status: str | None = None,
                            overdue: bool | None = None) -> Iterator[AssistanceRequest]:
        """Requests you made (as_="requester") or received ("home"); the office: all."""
        params = {"as": as_, "status": status,
                  "overdue": None if overdue is None else str(overdue).lower()}
        return (_build(AssistanceRequest, item) for item in self._pages("/assistance", params))

    def answer_assistance(self, assistance_id: str, response: str, *,
                          note: str | None = None,
                          patron_details: str | None = None) -> AssistanceRequest:
        """Answer a request about your patron: `contacted_patron`, `details_passed` (with
        `patron_details`, where your policy allows) or `declined` (with a `note`)."""
        body = {"response": response, **({"note": note} if note else {}),
                **({"patron_details": patron_details} if patron_details else {})}
        return _build(AssistanceRequest, self._post(f"/assistance/{assistance_id}/answer",
                                                    body))

    def withdraw_assistance(self, assistance_id: str) -> AssistanceRequest:
        """Withdraw a request you made that has not been answered."""
        return _build(AssistanceRequest, self._post(f"/assistance/{assistance_id}/withdraw",
                                                    {}))

    def close_assistance(self, assistance_id: str) -> AssistanceRequest:
        """Close an answered request you made: you need nothing more."""
        return _build(AssistanceRequest, self._post(f"/assistance/{assistance_id}/close", {}))

    # The audit trail -------------------------------------------------------------------------

    def audit_entries(self, *, record_type: str | None = None,
                      record_id: str | None = None) -> Iterator[dict]:
        """The hash-chained audit trail, oldest first: the office reads it all, a library the
        entries it acted in or is party to."""
        return self._pages("/audit", {"record_type": record_type, "record_id": record_id})

    # Letters and membership (Plan VIII.1, VIII.2.c) -----------------------------------------

    def letters(self) -> Iterator[Letter]:
        """Letters concerning your library, newest first (the office: all)."""
        return (_build(Letter, item) for item in self._pages("/letters"))

    def letter_pdf(self, reference: str) -> bytes:
        """A letter's PDF, exactly as it was mailed."""
        return self._request("GET", f"/letters/{reference}", retry=True).content

    def mail_settings(self, code: str) -> dict:
        """Which kinds of email reach a library's contact address: kind -> {enabled, ...}."""
        return self._call("GET", f"/libraries/{code}/mail-settings", retry=True)

    def change_mail_settings(self, code: str, **kinds: bool) -> dict:
        """Turn kinds of email on or off for your library (block_request=True, bill=False)."""
        return self._call("PATCH", f"/libraries/{code}/mail-settings", json=kinds, retry=True)

    def act_on_membership(self, code: str, action: str, reason: str, *,
                          requirements: str | None = None) -> MembershipAction:
        """The office: take a library out of full membership (`removed`) or reinstate it."""
        body = {"action": action, "reason": reason,
                **({"requirements": requirements} if requirements else {})}
        return _build(MembershipAction, self._call(
            "POST", f"/libraries/{code}/membership-actions", json=body, idempotent_create=True))

    def membership_actions(self, code: str) -> list[MembershipAction]:
        """A library's membership actions, newest first (the office, or the library itself)."""
        return [_build(MembershipAction, item) for item in self._call(
            "GET", f"/libraries/{code}/membership-actions", retry=True)]

    # The directory (R5): publishing needs your key, reading needs none -----------------------

    def publish_policy(self, code: str, policy: dict) -> PublishedPolicy:
        """Publish your library's whole policy; the same policy again changes nothing, so a
        retry is safe (PUT)."""
        return _build(PublishedPolicy, self._call("PUT", f"/libraries/{code}/policy",
                                                  json=policy, retry=True))

    def directory(self, **filters) -> Iterator[DirectoryEntry]:
        """Every library matching the filters (q, type, county, system, lends_format,
        nonresident_cards, stale, status), page after page."""
        params = {name: (str(value).lower() if isinstance(value, bool) else value)
                  for name, value in filters.items()}
        return (_build(DirectoryEntry, item) for item in self._pages("/directory", params))

    def directory_records(self, **filters) -> Iterator[dict]:
        """Every matching library with its whole policy, one dict each, streamed from the
        directory's JSON Lines (memory stays flat however large the directory)."""
        params = {name: (str(value).lower() if isinstance(value, bool) else value)
                  for name, value in filters.items()}
        response = self._request("GET", "/directory.jsonl", params=params, retry=True,
                                 stream=True)
        with response:
            for line in response.iter_lines(decode_unicode=True):
                if line:
                    yield json.loads(line)

    def directory_entry(self, code: str) -> DirectoryEntry:
        """One library's entry with its published policy (in `raw["policy"]`)."""
        return _build(DirectoryEntry, self._call("GET", f"/directory/{code}", retry=True))

    def policy_history(self, code: str) -> Iterator[dict]:
        """A library's policy versions, newest first, each with its field-by-field changes."""
        return self._pages(f"/directory/{code}/history")

    def ask_directory(self, code: str, format: str) -> dict:
        """'May I borrow <format> here, how many, for how long?', from the published policy:
        in person (`answer`, `may_borrow`) and through one's own library by interlibrary loan
        (`interlibrary_loan`: `lends`, `groups`, `loan_days`, `renewals`, `answer`)."""
        return self._call("GET", f"/directory/{code}/answers", params={"format": format},
                          retry=True)

    # The event feed --------------------------------------------------------------------------

    def events(self, after: str | int | None = None, *, types: list[str] | None = None,
               limit: int | None = None, follow: bool = False,
               poll_interval: float = 5.0) -> Iterator[Event]:
        """Your events after a position, oldest first; with `follow`, poll forever.

        Resume later from the last event's `seq` (`after=event.seq`).
        """
        cursor = None if after is None else str(after)
        while True:
            params = {"after": cursor, "type": types, "limit": limit}
            page = self._call("GET", "/events", retry=True,
                              params={k: v for k, v in params.items() if v is not None})
            for item in page["items"]:
                yield _build(Event, item)
            moved = page["next_cursor"] != cursor
            cursor = page["next_cursor"]
            if page["items"] and moved:
                continue
            if not follow:
                return
            self._sleep(poll_interval)

    # Webhook endpoints -----------------------------------------------------------------------

    def create_endpoint(self, url: str, description: str | None = None) -> Endpoint:
        """Register an https URL for your events; keep the returned `secret` (shown once)."""
        body = {"url": url, **({"description": description} if description else {})}
        return _build(Endpoint, self._call("POST", "/webhooks/endpoints", json=body,
                                           idempotent_create=True))

    def endpoints(self) -> Iterator[Endpoint]:
        """Your endpoints (never their secrets)."""
        return (_build(Endpoint, item) for item in self._pages("/webhooks/endpoints"))

    def get_endpoint(self, endpoint_id: str) -> Endpoint:
        """One of your endpoints."""
        return _build(Endpoint, self._call("GET", f"/webhooks/endpoints/{endpoint_id}",
                                           retry=True))

    def update_endpoint(self, endpoint_id: str, **changes) -> Endpoint:
        """Change url, description or enabled."""
        return _build(Endpoint, self._call("PATCH", f"/webhooks/endpoints/{endpoint_id}",
                                           json=changes))

    def delete_endpoint(self, endpoint_id: str) -> None:
        """Delete an endpoint."""
        self._request("DELETE", f"/webhooks/endpoints/{endpoint_id}")

    def rotate_endpoint_secret(self, endpoint_id: str) -> Endpoint:
        """A new secret (in `secret`); the old one keeps signing for a while."""
        return _build(Endpoint, self._post(f"/webhooks/endpoints/{endpoint_id}/rotate-secret",
                                           {}))

    def enable_endpoint(self, endpoint_id: str) -> Endpoint:
        """Resume delivery to a disabled endpoint."""
        return _build(Endpoint, self._post(f"/webhooks/endpoints/{endpoint_id}/enable", {}))

    def deliveries(self, endpoint_id: str) -> Iterator[Delivery]:
        """An endpoint's delivery attempts, newest first."""
        return (_build(Delivery, item)
                for item in self._pages(f"/webhooks/endpoints/{endpoint_id}/deliveries"))

    def redeliver(self, endpoint_id: str, delivery_id: str) -> Delivery:
        """Send a dead-lettered event again."""
        return _build(Delivery, self._post(
            f"/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver", {}))


def _problem(response: requests.Response) -> ProblemError:
    """Turn an error answer into a ProblemError (a bare 5xx from a proxy too)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    retry = response.headers.get("Retry-After")
    return ProblemError(response.status_code, body.get("code") or f"http_{response.status_code}",
                        body.get("detail") or response.reason or "", body.get("errors"),
                        int(retry) if retry and retry.isdigit() else None)
