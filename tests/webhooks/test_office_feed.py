"""The federation office has its own event feed and webhook endpoints: copies of what it must
know (suspensions, escalations, membership actions: R12, R13) reach it, a library's own events
do not, and nobody else reads or changes the office's endpoints."""

from sqlalchemy import select

from app.events.service import record
from app.events.types import EVENT_TYPES
from app.extensions import db
from app.libraries.models import Library
from tests.problems import assert_problem


def write(app, codes, type_, *, office):
    """Record one event for these libraries (and the office copy), committed."""
    with app.app_context():
        ids = db.session.execute(select(Library.id).where(Library.code.in_(codes))).scalars()
        record(list(ids), type_, {"suspension_id": "sus_test"}, office=office)
        db.session.commit()
        db.session.remove()


def test_office_copies_reach_the_office_feed_and_its_webhooks_only(app, federation, hooks,
                                                                   work, receiver):
    federation.admit("LEND")
    federation.admit("HOME")
    office_endpoint = hooks.create(None, "/office")
    hooks.create("LEND", "/lend")

    write(app, ["LEND"], "bill.issued", office=False)            # a library's own business
    write(app, ["LEND", "HOME"], "suspension.imposed", office=True)  # copied to the office

    office = hooks.feed(None)
    assert [(e["type"], e["seq"]) for e in office] == [("suspension.imposed", 1)]
    assert [e["type"] for e in hooks.feed("LEND")] == ["bill.issued", "suspension.imposed"]
    assert [e["type"] for e in hooks.feed("HOME")] == ["suspension.imposed"]

    work()
    office_arrivals = [a for a in receiver.arrivals if a["path"] == "/office"]
    assert [a["payload"]["type"] for a in office_arrivals] == ["suspension.imposed"]
    assert [a["id"] for a in office_arrivals] == [office[0]["id"]]
    assert len(receiver.ids("/lend")) == 2
    assert hooks.endpoint(None, office_endpoint["id"])["url"].endswith("/office")


def test_the_office_endpoints_are_the_offices_alone(federation, hooks):
    """A library cannot see, change or delete the office's endpoint, nor the office a library's."""
    federation.admit("LEND")
    office_endpoint = hooks.create(None, "/office")
    library_endpoint = hooks.create("LEND", "/lend")

    assert [e["id"] for e in hooks.call("GET", "LEND").get_json()["items"]] == [
        library_endpoint["id"]]
    assert [e["id"] for e in hooks.call("GET", None).get_json()["items"]] == [
        office_endpoint["id"]]
    assert_problem(hooks.call("GET", "LEND", f"/{office_endpoint['id']}"), 404,
                   "endpoint_not_found")
    assert_problem(hooks.call("DELETE", "LEND", f"/{office_endpoint['id']}"), 404,
                   "endpoint_not_found")
    assert_problem(hooks.call("PATCH", None, f"/{library_endpoint['id']}",
                              json={"enabled": False}), 404, "endpoint_not_found")
    anonymous = hooks.client.get("/api/v1/events")
    assert_problem(anonymous, 401, "missing_key")


def test_the_office_registers_an_endpoint_with_the_sdks_idempotency_key(federation, hooks,
                                                                          receiver):
    """The SDK sends an Idempotency-Key with every creating call; the office's is accepted
    (and, as keys are remembered per library, not replayed)."""
    response = hooks.call("POST", None, headers={"Idempotency-Key": "k1"},
                          json={"url": receiver.url("/office")})
    assert response.status_code == 201, response.get_json()
    assert [e["id"] for e in hooks.call("GET", None).get_json()["items"]] == [
        response.get_json()["id"]]


def test_an_unknown_event_type_is_a_clear_error(federation, hooks):
    """The feed's `type=` takes the registered types only (a typo would match nothing)."""
    federation.admit("LEND")
    response = hooks.client.get("/api/v1/events", query_string={"type": "bill.isued"},
                                headers=federation.headers("LEND"))
    assert_problem(response, 422)
    assert "suspension.imposed" in EVENT_TYPES
