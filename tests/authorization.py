"""The authorization matrix: for every route, what each kind of caller gets (R16, R8, R1).

One entry per route and method of `app.url_map`; tests/test_authorization_matrix.py fails
for a route without one. Callers:

- `anonymous`: no key;
- `office`: the federation office's key;
- `lender`: the library that made the object (the bill's issuer, the block's requester, the
  webhook endpoint's owner, the library in the path);
- `home`: the other party (the patron's home library: it owns the patron, and is billed and
  asked to block);
- `third`: a member library party to nothing.

A status is what that caller gets; a tuple lists the answers a caller allowed past the
authorization check may get depending on the object's state (409, 422 are rules speaking).
Entries run in order, the callers of one entry in the order above, all on one world of real
objects built by `World` (tests/test_authorization_matrix.py). To cover a new route (a staff
console, NCIP, SIP2, a new record), add an entry here, and an object to `World` if it needs one.
"""

from dataclasses import dataclass, field

CALLERS = ("anonymous", "office", "lender", "home", "third")
OK = (200, 201, 204)
RULED = (200, 201, 204, 409, 422)  # past authorization: the rules decide


@dataclass(frozen=True)
class Entry:
    """What each caller gets from one route and method."""

    method: str
    rule: str  # exactly as in app.url_map
    expect: dict
    path: dict = field(default_factory=dict)  # url_map argument -> World object name
    body: dict | None = None
    query: dict | None = None


def seen(anonymous, office, lender, home, third) -> dict:
    """One status per caller, in the order of CALLERS."""
    return dict(zip(CALLERS, (anonymous, office, lender, home, third), strict=True))


def everyone(status=OK) -> dict:
    """Every caller, key or not."""
    return dict.fromkeys(CALLERS, status)


def keyed(office=OK, lender=OK, home=OK, third=OK) -> dict:
    """A key is needed; then these."""
    return {"anonymous": 401, "office": office, "lender": lender, "home": home, "third": third}


def members(lender=OK, home=OK, third=OK) -> dict:
    """Member libraries only: the office's key is refused (403)."""
    return keyed(403, lender, home, third)


def office_only() -> dict:
    """The federation office only."""
    return keyed(OK, 403, 403, 403)


def parties(lender=RULED, home=RULED) -> dict:
    """The two parties of a bill or block; a third library does not learn it exists (404)."""
    return members(lender, home, 404)


BILL = {"bill_id": "bill"}
BLOCK_BODY = {"card_number": "2000100009999", "home_library": "IL0101", "kind": "block",
              "bill_ids": ["bil_unknown"]}
BILL_BODY = {"card_number": "2000100009999", "home_library": "IL0101",
             "infraction_date": "2026-01-02",
             "items": [{"title": "A", "barcode": "1", "format": "book", "kind": "lost",
                        "in_print": True, "list_price_cents": 100}]}

ENTRIES = [
    # Health and documents: anyone.
    Entry("GET", "/healthz", everyone()),
    Entry("GET", "/readyz", everyone()),
    Entry("GET", "/api/v1/openapi.json", everyone()),
    Entry("GET", "/api/docs", everyone()),
    Entry("GET", "/static/<path:filename>", everyone(404), {"filename": "missing"}),
    # The directory: public reads; the library itself (or the office) publishes its policy (R5).
    Entry("GET", "/api/v1/directory", everyone()),
    Entry("GET", "/api/v1/directory/<code>", everyone(), {"code": "lender_code"}),
    Entry("GET", "/api/v1/directory/<code>/history", everyone(), {"code": "lender_code"}),
    Entry("GET", "/api/v1/directory/<code>/answers", everyone(), {"code": "lender_code"},
          query={"format": "book"}),
    Entry("GET", "/api/v1/directory.csv", everyone()),
    Entry("GET", "/directory", everyone()),
    Entry("GET", "/directory/<code>", everyone(), {"code": "lender_code"}),
    Entry("PUT", "/api/v1/libraries/<code>/policy", keyed(RULED, RULED, 403, 403),
          {"code": "lender_code"}, body="policy"),
    # Libraries and keys: the office admits and issues keys; members read.
    Entry("GET", "/api/v1/libraries", keyed()),
    Entry("POST", "/api/v1/libraries", office_only(),
          body={"code": "IL0999", "name": "New", "type": "public", "membership": "full"}),
    Entry("GET", "/api/v1/libraries/<code>", keyed(), {"code": "lender_code"}),
    Entry("PATCH", "/api/v1/libraries/<code>", keyed(OK, OK, 403, 403),
          {"code": "lender_code"}, body={"contact": {"email": "desk@example.org"}}),
    Entry("GET", "/api/v1/libraries/<code>/keys", office_only(), {"code": "lender_code"}),
    Entry("POST", "/api/v1/libraries/<code>/keys", office_only(), {"code": "lender_code"},
          body={}),
    # Patrons: the home library's own; anyone else's id is simply not found (R16).
    Entry("GET", "/api/v1/patrons", members()),
    Entry("POST", "/api/v1/patrons", members(RULED, RULED, RULED),
          body={"card_number": "2000100005555", "expires_on": "2030-01-31"}),
    Entry("GET", "/api/v1/patrons/<patron_id>", members(404, OK, 404), {"patron_id": "patron"}),
    Entry("PATCH", "/api/v1/patrons/<patron_id>", members(404, OK, 404),
          {"patron_id": "patron"}, body={"category": "adult"}),
    Entry("POST", "/api/v1/patrons/lookup", members(404, OK, 404),
          body={"card_number": "20001 0000 4321"}),
    Entry("POST", "/api/v1/patrons/<patron_id>/replace-card", members(404, OK, 404),
          {"patron_id": "spare_patron"}, body={"new_card_number": "2000100006666"}),
    Entry("POST", "/api/v1/patrons/import", members(), body="roster"),
    # Verification and traffic (R2, R19).
    Entry("POST", "/api/v1/verifications", members(OK, OK, OK),
          body={"card_number": "20001 0000 4321"}),
    Entry("GET", "/api/v1/traffic", keyed(), query={"year": 2026}),
    # Bills: the two parties (R6, R9, R10).
    Entry("GET", "/api/v1/bills", members()),
    Entry("POST", "/api/v1/bills", members(RULED, RULED, RULED), body=BILL_BODY),
    Entry("GET", "/api/v1/bills/<bill_id>", members(OK, OK, 404), BILL),
    Entry("POST", "/api/v1/bills/<bill_id>/payments", parties(), BILL,
          body={"amount_cents": 100, "paid_by": "patron"}),
    Entry("POST", "/api/v1/bills/<bill_id>/dispute", parties(lender=403), BILL,
          body={"reason": "Returned in June."}),
    Entry("POST", "/api/v1/bills/<bill_id>/dispute/answer", parties(home=403), BILL,
          body={"answer": "Not on our shelves."}),
    Entry("POST", "/api/v1/bills/<bill_id>/dispute/withdraw", parties(lender=403), BILL),
    Entry("POST", "/api/v1/bills/<bill_id>/resolutions", parties(), BILL,
          body={"terms": "replacement_copy", "detail": "A new copy."}),
    Entry("POST", "/api/v1/bills/<bill_id>/resolutions/<resolution_id>/accept",
          parties(lender=403), {"bill_id": "resolved_bill", "resolution_id": "resolution"}),
    Entry("POST", "/api/v1/bills/<bill_id>/void", parties(home=403), {"bill_id": "void_bill"},
          body={"reason": "Found on the shelf."}),
    Entry("GET", "/api/v1/statements", members(), query={"period": "2026-Q1"}),
    # Blocks: the requester releases or withdraws, the home library honors or refuses (R8).
    Entry("GET", "/api/v1/blocks", keyed()),
    Entry("POST", "/api/v1/blocks", members(RULED, RULED, RULED), body=BLOCK_BODY),
    Entry("GET", "/api/v1/blocks/<block_id>", keyed(OK, OK, OK, 404), {"block_id": "block"}),
    Entry("POST", "/api/v1/blocks/<block_id>/honor", parties(lender=403),
          {"block_id": "block"}, body={}),
    Entry("POST", "/api/v1/blocks/<block_id>/refuse", parties(lender=403),
          {"block_id": "refused_block"}, body={"reason": "Our board does not block."}),
    Entry("POST", "/api/v1/blocks/<block_id>/release", parties(home=403),
          {"block_id": "block"}, body={}),
    Entry("POST", "/api/v1/blocks/<block_id>/withdraw", parties(home=403),
          {"block_id": "withdrawn_block"}, body={}),
    # Events: each library its own feed, the federation office its own.
    Entry("GET", "/api/v1/events", keyed()),
    # Webhook endpoints: the owner's alone (the office has its own); another's id is not found.
    Entry("GET", "/api/v1/webhooks/endpoints", keyed()),
    Entry("POST", "/api/v1/webhooks/endpoints", keyed(RULED, RULED, RULED, RULED),
          body={"url": "https://127.0.0.1/other"}),
    Entry("GET", "/api/v1/webhooks/endpoints/<endpoint_id>", keyed(404, OK, 404, 404),
          {"endpoint_id": "endpoint"}),
    Entry("PATCH", "/api/v1/webhooks/endpoints/<endpoint_id>", keyed(404, OK, 404, 404),
          {"endpoint_id": "endpoint"}, body={"description": "Circulation"}),
    Entry("POST", "/api/v1/webhooks/endpoints/<endpoint_id>/rotate-secret",
          keyed(404, OK, 404, 404), {"endpoint_id": "endpoint"}),
    Entry("POST", "/api/v1/webhooks/endpoints/<endpoint_id>/enable", keyed(404, OK, 404, 404),
          {"endpoint_id": "endpoint"}),
    Entry("GET", "/api/v1/webhooks/endpoints/<endpoint_id>/deliveries",
          keyed(404, OK, 404, 404), {"endpoint_id": "endpoint"}),
    Entry("POST",
          "/api/v1/webhooks/endpoints/<endpoint_id>/deliveries/<delivery_id>/redeliver",
          keyed(404, RULED + (404,), 404, 404),
          {"endpoint_id": "endpoint", "delivery_id": "delivery"}),
    # The audit trail: the office reads all, a library the entries it is party to.
    Entry("GET", "/api/v1/audit", keyed()),
    # Assistance requests (R7, R16): the lender asked the home library about the bill.
    Entry("GET", "/api/v1/assistance", keyed()),
    Entry("POST", "/api/v1/assistance", members(RULED, RULED, RULED), body={}),
    Entry("GET", "/api/v1/assistance/<assistance_id>", keyed(OK, OK, OK, 404),
          {"assistance_id": "assistance"}),
    Entry("POST", "/api/v1/assistance/<assistance_id>/answer", parties(lender=403),
          {"assistance_id": "assistance"}, body={"response": "contacted_patron"}),
    Entry("POST", "/api/v1/assistance/<assistance_id>/close", parties(home=403),
          {"assistance_id": "assistance"}),
    Entry("POST", "/api/v1/assistance/<assistance_id>/withdraw", parties(home=403),
          {"assistance_id": "assistance"}),
    # Reported payments, office-visible suspensions, notices, disputes (R7, R8, R12, R13),
    # live home systems and peers (R14, R17), SIP accounts: asked about ids that do not
    # exist, so a member learns nothing (404) and the role checks speak (401, 403).
    Entry("POST", "/api/v1/bills/<bill_id>/payments/<payment_id>/confirm",
          seen(401, 403, 404, 404, 404),
          {"bill_id": "missing", "payment_id": "missing"}, body={}),
    Entry("POST", "/api/v1/bills/<bill_id>/payments/<payment_id>/decline",
          seen(401, 403, 422, 422, 422),
          {"bill_id": "missing", "payment_id": "missing"}, body={}),
    Entry("GET", "/api/v1/directory.jsonl", seen(200, 200, 200, 200, 200)),
    Entry("GET", "/api/v1/directory/<code>/suspensions", seen(401, 200, 200, 200, 200),
          {"code": "lender_code"}),
    Entry("GET", "/api/v1/disputes", seen(401, 200, 200, 200, 200)),
    Entry("POST", "/api/v1/disputes", seen(401, 403, 422, 422, 422), {}, body={}),
    Entry("GET", "/api/v1/disputes/<dispute_id>", seen(401, 404, 404, 404, 404),
          {"dispute_id": "missing"}),
    Entry("POST", "/api/v1/disputes/<dispute_id>/answer", seen(401, 422, 403, 403, 403),
          {"dispute_id": "missing"}, body={}),
    Entry("POST", "/api/v1/disputes/<dispute_id>/decide", seen(401, 422, 403, 403, 403),
          {"dispute_id": "missing"}, body={}),
    Entry("POST", "/api/v1/disputes/<dispute_id>/escalate", seen(401, 403, 422, 422, 422),
          {"dispute_id": "missing"}, body={}),
    Entry("POST", "/api/v1/disputes/<dispute_id>/messages", seen(401, 403, 422, 422, 422),
          {"dispute_id": "missing"}, body={}),
    Entry("POST", "/api/v1/disputes/<dispute_id>/withdraw", seen(401, 403, 422, 422, 422),
          {"dispute_id": "missing"}, body={}),
    Entry("GET", "/api/v1/home-systems", seen(401, 200, 403, 403, 403)),
    Entry("DELETE", "/api/v1/libraries/<code>/home-system", seen(401, 404, 404, 404, 404),
          {"code": "lender_code"}),
    Entry("GET", "/api/v1/libraries/<code>/home-system", seen(401, 404, 404, 404, 404),
          {"code": "lender_code"}),
    Entry("PUT", "/api/v1/libraries/<code>/home-system", seen(401, 422, 422, 422, 422),
          {"code": "lender_code"}, body={}),
    Entry("GET", "/api/v1/letters", seen(401, 200, 200, 200, 200)),
    Entry("GET", "/api/v1/letters/<reference>", seen(401, 404, 404, 404, 404),
          {"reference": "missing"}),
    Entry("GET", "/api/v1/libraries/<code>/membership-actions", seen(401, 200, 200, 403, 403),
          {"code": "lender_code"}),
    Entry("POST", "/api/v1/libraries/<code>/membership-actions", seen(401, 422, 403, 403, 403),
          {"code": "lender_code"}, body={}),
    Entry("GET", "/api/v1/libraries/<code>/mail-settings", seen(401, 200, 200, 403, 403),
          {"code": "lender_code"}),
    Entry("PATCH", "/api/v1/libraries/<code>/mail-settings", seen(401, 403, 200, 403, 403),
          {"code": "lender_code"}, body={}),
    Entry("GET", "/api/v1/notices", seen(401, 200, 200, 200, 200)),
    Entry("POST", "/api/v1/notices", seen(401, 403, 422, 422, 422), {}, body={}),
    Entry("GET", "/api/v1/notices/<notice_id>", seen(401, 404, 404, 404, 404),
          {"notice_id": "missing"}),
    Entry("POST", "/api/v1/notices/<notice_id>/acknowledge", seen(401, 403, 404, 404, 404),
          {"notice_id": "missing"}, body={}),
    Entry("POST", "/api/v1/notices/<notice_id>/answer", seen(401, 403, 422, 422, 422),
          {"notice_id": "missing"}, body={}),
    Entry("POST", "/api/v1/notices/<notice_id>/withdraw", seen(401, 403, 404, 404, 404),
          {"notice_id": "missing"}, body={}),
    Entry("GET", "/api/v1/peer-directory", seen(200, 200, 200, 200, 200)),
    Entry("GET", "/api/v1/peer-directory/<code>", seen(404, 404, 404, 404, 404),
          {"code": "lender_code"}),
    Entry("GET", "/api/v1/peer-directory/<code>/answers", seen(422, 422, 422, 422, 422),
          {"code": "lender_code"}),
    Entry("GET", "/api/v1/peer/libraries", seen(401, 401, 401, 401, 401)),
    # No member or office key is a peer key: refused before the (malformed) body is read.
    Entry("POST", "/api/v1/peer/verifications", seen(401, 401, 401, 401, 401), {}, body={}),
    Entry("GET", "/api/v1/peers", seen(401, 200, 403, 403, 403)),
    Entry("POST", "/api/v1/peers", seen(401, 422, 403, 403, 403), {}, body={}),
    Entry("GET", "/api/v1/peers/<code>", seen(401, 404, 403, 403, 403), {"code": "lender_code"}),
    Entry("PATCH", "/api/v1/peers/<code>", seen(401, 404, 403, 403, 403),
          {"code": "lender_code"}, body={}),
    Entry("DELETE", "/api/v1/peers/<code>/incoming-key", seen(401, 404, 403, 403, 403),
          {"code": "lender_code"}),
    Entry("POST", "/api/v1/peers/<code>/incoming-key", seen(401, 404, 403, 403, 403),
          {"code": "lender_code"}, body={}),
    Entry("POST", "/api/v1/peers/<code>/sync", seen(401, 404, 403, 403, 403),
          {"code": "lender_code"}, body={}),
    Entry("GET", "/api/v1/peers/traffic", seen(401, 422, 422, 422, 422)),
    Entry("GET", "/api/v1/sip-accounts", seen(401, 403, 200, 200, 200)),
    Entry("DELETE", "/api/v1/sip-accounts/<login>", seen(401, 403, 404, 404, 404),
          {"login": "missing"}),
    Entry("PUT", "/api/v1/sip-accounts/<login>", seen(401, 403, 422, 422, 422),
          {"login": "missing"}, body={}),
    Entry("GET", "/api/v1/suspensions", seen(401, 200, 200, 200, 200)),
    Entry("POST", "/api/v1/suspensions", seen(401, 403, 422, 422, 422), {}, body={}),
    Entry("GET", "/api/v1/suspensions/<suspension_id>", seen(401, 404, 404, 404, 404),
          {"suspension_id": "missing"}),
    Entry("POST", "/api/v1/suspensions/<suspension_id>/lift", seen(401, 403, 404, 404, 404),
          {"suspension_id": "missing"}, body={}),
    Entry("POST", "/api/v1/suspensions/<suspension_id>/renew", seen(401, 403, 422, 422, 422),
          {"suspension_id": "missing"}, body={}),
    # The staff console signs people in: an API key opens no page (302 to sign in), a form
    # without a session's CSRF token is refused (400); tests/console checks each role.
    Entry("GET", "/console/", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/activity", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/bills", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/bills/<bill_id>", seen(302, 302, 302, 302, 302), {"bill_id": "missing"}),
    Entry("POST", "/console/bills/<bill_id>/dispute", seen(302, 302, 302, 302, 302),
          {"bill_id": "missing"}),
    Entry("POST", "/console/bills/<bill_id>/payments", seen(302, 302, 302, 302, 302),
          {"bill_id": "missing"}),
    Entry("POST", "/console/bills/<bill_id>/void", seen(302, 302, 302, 302, 302),
          {"bill_id": "missing"}),
    Entry("POST", "/console/bills/<bill_id>/answer", seen(302, 302, 302, 302, 302),
          {"bill_id": "missing"}),
    Entry("POST", "/console/bills/<bill_id>/resolutions", seen(302, 302, 302, 302, 302),
          {"bill_id": "missing"}),
    Entry("POST", "/console/bills/<bill_id>/resolutions/<resolution_id>/accept",
          seen(302, 302, 302, 302, 302), {"bill_id": "missing", "resolution_id": "missing"}),
    Entry("POST", "/console/bills/<bill_id>/disputes", seen(302, 302, 302, 302, 302),
          {"bill_id": "missing"}),
    Entry("POST", "/console/bills/<bill_id>/block", seen(302, 302, 302, 302, 302),
          {"bill_id": "missing"}),
    Entry("GET", "/console/disputes/<dispute_id>", seen(302, 302, 302, 302, 302),
          {"dispute_id": "missing"}),
    Entry("POST", "/console/disputes/<dispute_id>/<action>", seen(302, 302, 302, 302, 302),
          {"dispute_id": "missing", "action": "message"}),
    Entry("GET", "/console/bills/new", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/bills/new", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/blocks", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/blocks/<block_id>", seen(302, 302, 302, 302, 302),
          {"block_id": "missing"}),
    Entry("POST", "/console/blocks/<block_id>/<action>", seen(302, 302, 302, 302, 302),
          {"block_id": "missing", "action": "missing"}),
    Entry("GET", "/console/desk", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/desk", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/inbox", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/keys", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/keys", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/keys/<key_id>/revoke", seen(302, 302, 302, 302, 302),
          {"key_id": "missing"}),
    Entry("GET", "/console/office/libraries", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/office/libraries/<code>", seen(302, 302, 302, 302, 302),
          {"code": "lender_code"}),
    Entry("POST", "/console/office/libraries/<code>", seen(302, 302, 302, 302, 302),
          {"code": "lender_code"}),
    Entry("POST", "/console/office/libraries/<code>/keys/<key_id>/revoke",
          seen(302, 302, 302, 302, 302),
          {"code": "lender_code", "key_id": "missing"}),
    Entry("GET", "/console/office/libraries/new", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/office/libraries/new", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/office/records", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/office/survey", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/password/<token>", seen(404, 404, 404, 404, 404), {"token": "missing"}),
    Entry("POST", "/console/password/<token>", seen(404, 404, 404, 404, 404), {"token": "missing"}),
    Entry("GET", "/console/patrons", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/patrons", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/patrons/<patron_id>", seen(302, 302, 302, 302, 302),
          {"patron_id": "missing"}),
    Entry("POST", "/console/patrons/<patron_id>", seen(302, 302, 302, 302, 302),
          {"patron_id": "missing"}),
    Entry("POST", "/console/patrons/import", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/policy", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/policy", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/forgot-password", seen(200, 200, 200, 200, 200)),
    Entry("POST", "/console/forgot-password", seen(400, 400, 400, 400, 400)),
    Entry("GET", "/console/sign-in", seen(200, 200, 200, 200, 200)),
    Entry("POST", "/console/sign-in", seen(400, 400, 400, 400, 400)),
    Entry("POST", "/console/sign-out", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/staff", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/staff", seen(302, 302, 302, 302, 302)),
    Entry("POST", "/console/staff/<staff_id>/<action>", seen(302, 302, 302, 302, 302),
          {"staff_id": "missing", "action": "missing"}),
    Entry("GET", "/console/statements", seen(302, 302, 302, 302, 302)),
    Entry("GET", "/console/static/<path:filename>", seen(404, 404, 404, 404, 404),
          {"filename": "missing"}),
    # NCIP answers XML only (a JSON body is 415 whoever sends it); tests/ncip checks keys.
    Entry("POST", "/ncip", seen(415, 415, 415, 415, 415), body={}),
    # Deletions last: they end the objects the entries above use.
    Entry("DELETE", "/api/v1/webhooks/endpoints/<endpoint_id>", keyed(404, OK, 404, 404),
          {"endpoint_id": "endpoint"}),
    Entry("DELETE", "/api/v1/patrons/<patron_id>", members(404, OK, 404),
          {"patron_id": "spare_patron"}),
    Entry("DELETE", "/api/v1/libraries/<code>/keys/<key_id>", office_only(),
          {"code": "lender_code", "key_id": "spare_key"}),
]
