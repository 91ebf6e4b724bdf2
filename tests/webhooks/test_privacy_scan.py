"""R16: no card number and no patron name in any event, webhook delivery or log line, across a
patron's verification, a bill, a block, a notice and a suspension (the office's copies too).

Everything the service wrote or sent is collected and searched for the card number (in any of
the forms a caller may type it), its last digits run together with the prefix, and the
patron's surname and given name."""

import json
import logging
from datetime import timedelta

from sqlalchemy import select

from app.events.models import Event
from app.extensions import db
from tests.dates import days_ago, today

CARD = "20001 0000 4321"
DIGITS = CARD.replace(" ", "")
# The home library's own reference carries a given name here, as some systems' do: the
# service may show it to the home library (R16) but must never send it anywhere else.
SURNAME, GIVEN = "Abernathy-Quist", "Philippa"


def test_nothing_written_or_sent_carries_a_card_number_or_a_patron_name(
        app, federation, hooks, work, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    federation.admit("HOME", prefixes=["20001"])
    federation.admit("LEND", prefixes=["20002"])
    for code, path in (("HOME", "/home"), ("LEND", "/lend"), (None, "/office")):
        hooks.create(code, path)
    client, lend, home = federation.client, federation.headers("LEND"), \
        federation.headers("HOME")
    federation.register("HOME", CARD, surname=SURNAME, external_ref=f"{GIVEN}-77")
    assert federation.verify("LEND", CARD, surname=SURNAME).status_code == 200
    bill = client.post("/api/v1/bills", headers=lend, json={
        "card_number": CARD, "home_library": "HOME", "infraction_date": str(days_ago(30)),
        "items": [{"title": "Prairie Years", "barcode": "3123", "format": "book",
                   "kind": "lost", "in_print": True, "list_price_cents": 2500}]})
    assert bill.status_code == 201, bill.get_json()
    block = client.post("/api/v1/blocks", headers=lend, json={
        "card_number": CARD, "home_library": "HOME", "kind": "block",
        "bill_ids": [bill.get_json()["id"]]})
    assert block.status_code == 201, block.get_json()
    assert client.post(f"/api/v1/blocks/{block.get_json()['id']}/honor",
                       headers=home).status_code == 200
    notice = client.post("/api/v1/notices", headers=lend, json={
        "to": "HOME", "what_happened": "A patron of yours kept our items.",
        "policy": "Returns within 30 days.", "asks": "Help us get them back."}).get_json()
    suspension = client.post("/api/v1/suspensions", headers=lend, json={
        "suspended_library": "HOME", "measure": "suspension", "services": "both",
        "reason": "Items kept.", "notice_ids": [notice["id"]],
        "ends_on": str(today() + timedelta(days=10))})
    assert suspension.status_code == 201, suspension.get_json()
    assert federation.verify("LEND", CARD).get_json()["reasons"] == ["suspended_by_you",
                                                                     "federation_block"]
    work()

    with app.app_context():
        events = db.session.execute(select(Event.type, Event.data)).all()
        db.session.remove()
    assert {"bill.issued", "block.honored", "notice.sent", "suspension.imposed"} <= {
        kind for kind, _ in events}
    bodies = [arrival["body"].decode() for arrival in receiver.arrivals]
    assert {"/home", "/lend", "/office"} == {a["path"] for a in receiver.arrivals}
    written = "\n".join([json.dumps([list(row) for row in events]), *bodies, caplog.text,
                         *(json.dumps(dict(a["headers"])) for a in receiver.arrivals)])
    for secret in (CARD, DIGITS, "0000 4321", "00004321", SURNAME, SURNAME.lower(), GIVEN):
        assert secret not in written, secret
