"""Delivering events to a real receiver on 127.0.0.1: signed, thin, in order, retried,
dead-lettered, disabled and resumed (the worker run in-process, one claim at a time)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from federation.webhooks import Verifier, WebhookVerificationError

A, B = "IL0701", "IL0702"


@pytest.fixture
def libraries(federation):
    """Two member libraries with keys."""
    federation.admit(A)
    federation.admit(B)


def test_events_arrive_signed_thin_and_in_order(libraries, hooks, emit, work):
    """Standard Webhooks headers, a body with type, timestamp and ids only, feed order."""
    created = hooks.create(A, "/a")
    emit(A, 3)
    emit(B, 2)  # another library's events never reach A's endpoint
    work()
    feed = hooks.feed(A)
    assert hooks.receiver.ids("/a") == [event["id"] for event in feed]
    first = hooks.receiver.arrivals[0]
    assert set(first["payload"]) == {"type", "timestamp", "data"}
    assert first["payload"]["type"] == "bill.issued"
    assert first["payload"]["data"] == feed[0]["data"]
    assert first["headers"]["webhook-signature"].startswith("v1,")
    assert int(first["headers"]["webhook-timestamp"]) > 0
    assert first["headers"]["Content-Type"] == "application/json"
    log = hooks.deliveries(A, created["id"])
    assert [d["status"] for d in log] == ["succeeded"] * 3
    assert [d["event_seq"] for d in log] == [3, 2, 1]  # newest first
    assert all(d["response_status"] == 200 for d in log)
    assert hooks.endpoint(A, created["id"])["delivered_seq"] == 3


def test_an_endpoint_receives_only_what_happens_after_it_is_registered(libraries, hooks, emit,
                                                                      work):
    """Earlier events stay in the feed; push starts from registration."""
    emit(A, 2)
    hooks.create(A, "/a")
    emit(A, 1)
    work()
    assert hooks.receiver.ids("/a") == [hooks.feed(A)[-1]["id"]]


def test_a_signature_from_a_wrong_secret_is_refused_by_the_receiver(libraries, hooks, emit,
                                                                    work):
    """The receiver's Verifier accepts only what the endpoint's own secret signed."""
    hooks.create(A, "/a")
    emit(A, 1)
    work(rounds=1)
    delivered = hooks.receiver.arrivals[0]
    impostor = Verifier("whsec_" + "A" * 43 + "=")
    with pytest.raises(WebhookVerificationError):
        impostor.verify(delivered["body"], delivered["headers"])
    tampered = delivered["body"].replace(b"bill.issued", b"bill.voided")
    with pytest.raises(WebhookVerificationError):
        Verifier(hooks.receiver.secrets["/a"][0]).verify(tampered, delivered["headers"])


def test_during_a_rotation_both_secrets_sign(libraries, hooks, emit, work):
    """Two v1 signatures; a receiver with either secret accepts the delivery."""
    created = hooks.create(A, "/a")
    old = created["secret"]
    new = hooks.call("POST", A, f"/{created['id']}/rotate-secret").get_json()["secret"]
    emit(A, 1)
    work()
    delivered = hooks.receiver.arrivals[0]
    assert len(delivered["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Verifier(secret).verify(delivered["body"], delivered["headers"])["type"] == \
            "bill.issued"


@pytest.mark.parametrize("app_config", [{"WEBHOOK_ALLOW_LOOPBACK": True,
                                         "WEBHOOK_SECRET_ROTATION_HOURS": 0}])
def test_after_the_rotation_window_only_the_new_secret_signs(libraries, hooks, emit, work,
                                                             app_config):
    """Once the old secret has expired, a receiver still holding it refuses deliveries."""
    created = hooks.create(A, "/a")
    hooks.receiver.secrets["/a"] = [created["secret"]]
    new = hooks.call("POST", A, f"/{created['id']}/rotate-secret").get_json()["secret"]
    emit(A, 1)
    work(rounds=1)
    assert hooks.receiver.arrivals == [] and len(hooks.receiver.rejected) == 1
    rejected = hooks.receiver.rejected[0]
    assert len(rejected["headers"]["webhook-signature"].split(" ")) == 1
    assert Verifier(new).verify(rejected["body"], rejected["headers"])


def test_a_failure_keeps_the_event_and_the_order(libraries, hooks, emit, work):
    """A 500 and a 503: logged as failed, retried, then everything arrives once, in order."""
    created = hooks.create(A, "/a")
    hooks.receiver.answers["/a"] = [500, 503]
    emit(A, 3)
    work(rounds=1)
    endpoint = hooks.endpoint(A, created["id"])
    assert endpoint["delivered_seq"] == 0 and endpoint["failures"] == 1
    assert endpoint["next_attempt_at"] is not None
    work()
    assert hooks.receiver.ids("/a") == [event["id"] for event in hooks.feed(A)]
    log = hooks.deliveries(A, created["id"])
    assert [(d["event_seq"], d["status"], d["response_status"]) for d in reversed(log)] == [
        (1, "failed", 500), (1, "failed", 503), (1, "succeeded", 200), (2, "succeeded", 200),
        (3, "succeeded", 200)]
    assert hooks.endpoint(A, created["id"])["failures"] == 0


@pytest.mark.parametrize("app_config", [{"WEBHOOK_ALLOW_LOOPBACK": True,
                                         "WEBHOOK_RETRY_SCHEDULE": [3600]}])
def test_a_failed_endpoint_waits_for_its_next_attempt(libraries, hooks, emit, work,
                                                      app_config):
    """With its next attempt an hour away, the worker leaves the endpoint alone."""
    created = hooks.create(A, "/a")
    hooks.receiver.answers["/a"] = [500]
    emit(A, 1)
    assert work(jitter=1.0) == 1
    assert work(jitter=1.0) == 0
    log = hooks.deliveries(A, created["id"])
    assert [d["status"] for d in log] == ["failed"]
    endpoint = hooks.endpoint(A, created["id"])
    waited = (datetime.fromisoformat(endpoint["next_attempt_at"])
              - datetime.fromisoformat(log[0]["attempted_at"]))
    assert waited == timedelta(hours=1)


def test_a_410_disables_the_endpoint_and_the_feed_says_so(libraries, hooks, emit, work):
    """Gone: disabled at once, an endpoint.disabled event; enabling resumes where it stopped."""
    created = hooks.create(A, "/a")
    hooks.receiver.answers["/a"] = [410]
    emit(A, 2)
    work()
    endpoint = hooks.endpoint(A, created["id"])
    assert endpoint["enabled"] is False and endpoint["disabled_reason"] == "gone"
    disabled = [e for e in hooks.feed(A) if e["type"] == "endpoint.disabled"]
    assert [e["data"] for e in disabled] == [{"endpoint_id": created["id"], "reason": "gone"}]
    assert hooks.receiver.ids("/a") == []
    hooks.call("POST", A, f"/{created['id']}/enable")
    work()
    # Everything, the disabling notice included, arrives in feed order.
    assert hooks.receiver.ids("/a") == [event["id"] for event in hooks.feed(A)]


def test_an_endpoint_that_keeps_failing_is_disabled(libraries, hooks, emit, work):
    """Past the retry schedule (and the give-up time): disabled as failing, feed says so."""
    created = hooks.create(A, "/a")
    hooks.receiver.answers["/a"] = [500] * 10
    emit(A, 1)
    work()
    endpoint = hooks.endpoint(A, created["id"])
    assert endpoint["enabled"] is False and endpoint["disabled_reason"] == "failing"
    assert len(hooks.deliveries(A, created["id"])) == 4  # the schedule has 3 steps
    assert hooks.feed(A)[-1]["type"] == "endpoint.disabled"
    assert hooks.feed(A)[-1]["data"]["reason"] == "failing"


def test_a_permanent_refusal_is_dead_lettered_and_can_be_redelivered(libraries, hooks, emit,
                                                                     work):
    """A 400 sets that event aside so the next ones flow; redeliver sends it again."""
    created = hooks.create(A, "/a")
    hooks.receiver.answers["/a"] = [400]
    emit(A, 3)
    work()
    feed = hooks.feed(A)
    assert hooks.receiver.ids("/a") == [feed[1]["id"], feed[2]["id"]]
    log = hooks.deliveries(A, created["id"])
    dead = [d for d in log if d["status"] == "dead"]
    assert [(d["event_id"], d["response_status"]) for d in dead] == [(feed[0]["id"], 400)]
    succeeded = [d for d in log if d["status"] == "succeeded"]
    conflict = hooks.call("POST", A, f"/{created['id']}/deliveries/{succeeded[0]['id']}"
                                     "/redeliver")
    assert conflict.status_code == 409 and conflict.get_json()["code"] == "delivery_not_dead"
    missing = hooks.call("POST", A, f"/{created['id']}/deliveries/whd_nope/redeliver")
    assert missing.status_code == 404 and missing.get_json()["code"] == "delivery_not_found"
    asked = hooks.call("POST", A, f"/{created['id']}/deliveries/{dead[0]['id']}/redeliver")
    assert asked.status_code == 202 and asked.get_json()["redelivery_requested"] is True
    work()
    assert hooks.receiver.ids("/a")[-1] == feed[0]["id"]
    assert hooks.deliveries(A, created["id"])[0]["status"] == "succeeded"
    assert all(not d["redelivery_requested"] for d in hooks.deliveries(A, created["id"]))


def test_the_address_is_checked_again_at_delivery_time(libraries, hooks, emit, work):
    """A URL that has become internal (DNS rebinding) is not called: a failed attempt."""
    created = hooks.create(A, "/a")
    emit(A, 1)
    work(rounds=1, allow_loopback=False)
    assert hooks.receiver.arrivals == [] and hooks.receiver.rejected == []
    attempt = hooks.deliveries(A, created["id"])[0]
    assert attempt["status"] == "failed" and attempt["error"].startswith("url_not_allowed")


def test_a_disabled_endpoint_gets_nothing(libraries, hooks, emit, work):
    """Switched off by its library: the worker skips it."""
    created = hooks.create(A, "/a")
    hooks.call("PATCH", A, f"/{created['id']}", json={"enabled": False})
    emit(A, 2)
    assert work() == 0
    assert hooks.receiver.arrivals == []


def test_deliveries_page_newest_first(libraries, hooks, emit, work):
    """The attempts log pages with limit and next_cursor, without repeats or gaps."""
    created = hooks.create(A, "/a")
    emit(A, 5)
    work()
    first = hooks.call("GET", A, f"/{created['id']}/deliveries",
                       query_string={"limit": 2}).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert [d["event_seq"] for d in hooks.deliveries(A, created["id"])] == [5, 4, 3, 2, 1]


def test_a_block_request_reaches_the_home_library_by_push(federation, hooks, work):
    """A real block request through the API arrives at the home library's receiver."""
    federation.admit("IL0711", prefixes=["20711"])
    federation.admit("IL0712", prefixes=["20712"])
    federation.register("IL0711", "207110000001")
    hooks.create("IL0711", "/home")
    bill = hooks.client.post("/api/v1/bills", headers=federation.headers("IL0712"), json={
        "card_number": "207110000001", "home_library": "IL0711",
        "infraction_date": (datetime.now(UTC) - timedelta(days=20)).date().isoformat(),
        "items": [{"title": "Atlas", "barcode": "1", "format": "book", "kind": "lost",
                   "in_print": True, "list_price_cents": 1500}]})
    assert bill.status_code == 201, bill.get_json()
    block = hooks.client.post("/api/v1/blocks", headers=federation.headers("IL0712"), json={
        "card_number": "207110000001", "home_library": "IL0711", "kind": "block",
        "bill_ids": [bill.get_json()["id"]]})
    assert block.status_code == 201, block.get_json()
    work()
    payloads = [a["payload"] for a in hooks.receiver.arrivals]
    assert [p["type"] for p in payloads] == ["bill.issued", "block.requested"]
    assert payloads[1]["data"] == {"block_id": block.get_json()["id"]}
    # R16: no card number in anything pushed.
    assert all(b"207110000001" not in a["body"] for a in hooks.receiver.arrivals)
    assert json.loads(hooks.receiver.arrivals[1]["body"])["type"] == "block.requested"
