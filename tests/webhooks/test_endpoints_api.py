"""Registering, changing and inspecting webhook endpoints over the API (own endpoints only)."""

import base64

import pytest

from tests.problems import assert_problem

A, B = "IL0601", "IL0602"


@pytest.fixture
def libraries(federation):
    """Two member libraries with keys."""
    federation.admit(A)
    federation.admit(B)


def test_registering_an_endpoint_shows_its_secret_once(libraries, hooks):
    """201 with a Standard Webhooks secret; the list and the detail never show it again."""
    created = hooks.create(A, description="Circulation desk")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"][len("whsec_"):])) == 32
    assert created["enabled"] is True and created["description"] == "Circulation desk"
    detail = hooks.endpoint(A, created["id"])
    assert "secret" not in detail and detail["url"] == created["url"]
    listed = hooks.call("GET", A).get_json()
    assert [e["id"] for e in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0] and listed["next_cursor"] is None
    assert created["secret"] not in hooks.call("GET", A).get_data(as_text=True)


def test_another_librarys_endpoint_is_not_found(libraries, hooks):
    """A foreign id is a 404 for every action, and nothing changes."""
    mine = hooks.create(A)
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate-secret"),
                         ("POST", "/enable"), ("GET", "/deliveries"),
                         ("POST", "/deliveries/whd_x/redeliver")):
        kwargs = {"json": {"enabled": False}} if method == "PATCH" else {}
        assert_problem(hooks.call(method, B, f"/{mine['id']}{path}", **kwargs), 404,
                       "endpoint_not_found")
    assert hooks.call("GET", B).get_json()["items"] == []
    assert hooks.endpoint(A, mine["id"])["enabled"] is True


@pytest.mark.parametrize("url", [
    "https://10.0.0.8/hook", "https://192.168.1.20/hook", "https://172.16.4.4/hook",
    "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/hook",
    "https://224.0.0.5/hook", "https://240.0.0.1/hook", "https://0.0.0.0/hook",
    "https://[::ffff:10.0.0.1]/hook", "https://100.64.0.1/hook", "https://[fd00::1]/hook",
    "https://[2002:7f00:1::]/hook", "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",
])
def test_urls_pointing_inside_are_refused(libraries, hooks, url):
    """Private, link-local, multicast, reserved and shared addresses: 422, nothing stored."""
    body = assert_problem(hooks.call("POST", A, json={"url": url}), 422,
                          "endpoint_url_not_allowed")
    assert "url" in body["errors"]
    assert hooks.call("GET", A).get_json()["items"] == []


@pytest.mark.parametrize("url", ["http://93.184.215.14/hook", "ftp://93.184.215.14/x",
                                 "https://user:pw@93.184.215.14/x", "not a url", "https:///x"])
def test_only_https_urls_with_a_host_are_accepted(libraries, hooks, url):
    """Plain http to a public host, other schemes, credentials in the URL: 422."""
    assert_problem(hooks.call("POST", A, json={"url": url}), 422, "endpoint_url_not_allowed")


def test_a_public_https_url_is_accepted(libraries, hooks):
    """A literal public address needs no DNS: accepted as given."""
    response = hooks.call("POST", A, json={"url": "https://93.184.215.14/reciprocity"})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("app_config", [{"WEBHOOK_ALLOWED_PORTS": [443, 8443]}])
def test_the_office_may_allow_other_ports(libraries, hooks, app_config):
    """WEBHOOK_ALLOWED_PORTS lists the ports besides 443 that an endpoint may name."""
    accepted = hooks.call("POST", A, json={"url": "https://93.184.215.14:8443/hook"})
    assert accepted.status_code == 201, accepted.get_json()
    for url in ("https://93.184.215.14:8080/hook", "https://93.184.215.14:25/hook",
                "https://93.184.215.14:6379/hook"):
        assert_problem(hooks.call("POST", A, json={"url": url}), 422,
                       "endpoint_url_not_allowed")


@pytest.mark.parametrize("app_config", [{"WEBHOOK_ALLOW_LOOPBACK": False}])
def test_loopback_is_refused_unless_configured(libraries, hooks, app_config):
    """By default 127.0.0.1, ::1 and localhost are refused like any internal address."""
    for url in ("https://127.0.0.1/hook", "https://[::1]/hook", "http://127.0.0.1:8080/hook",
                "https://localhost/hook"):
        assert_problem(hooks.call("POST", A, json={"url": url}), 422,
                       "endpoint_url_not_allowed")


def test_changing_an_endpoint_checks_the_new_url(libraries, hooks):
    """PATCH changes the URL and description; a refused URL leaves the endpoint as it was."""
    created = hooks.create(A)
    assert_problem(hooks.call("PATCH", A, f"/{created['id']}", json={"url": "https://10.1.1.1/"}),
                   422, "endpoint_url_not_allowed")
    assert hooks.endpoint(A, created["id"])["url"] == created["url"]
    changed = hooks.call("PATCH", A, f"/{created['id']}",
                         json={"url": hooks.receiver.url("/other"), "description": "new"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["url"].endswith("/other")
    assert changed.get_json()["description"] == "new"
    assert_problem(hooks.call("PATCH", A, f"/{created['id']}", json={"enabled": "no"}), 422,
                   "validation_failed")
    assert_problem(hooks.call("PATCH", A, f"/{created['id']}", json={"secret": "x"}), 422,
                   "validation_failed")


def test_switching_off_and_on_and_deleting(libraries, hooks):
    """enabled false says by_library; enable resumes; DELETE forgets it."""
    created = hooks.create(A)
    off = hooks.call("PATCH", A, f"/{created['id']}", json={"enabled": False}).get_json()
    assert off["enabled"] is False and off["disabled_reason"] == "by_library"
    on = hooks.call("POST", A, f"/{created['id']}/enable").get_json()
    assert on["enabled"] is True and on["disabled_reason"] is None
    assert hooks.call("DELETE", A, f"/{created['id']}").status_code == 204
    assert_problem(hooks.call("GET", A, f"/{created['id']}"), 404, "endpoint_not_found")


def test_rotating_shows_a_new_secret_and_when_the_old_one_stops(libraries, hooks):
    """The new secret is shown once; the old one keeps signing for 24 hours by default."""
    created = hooks.create(A)
    rotated = hooks.call("POST", A, f"/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    body = rotated.get_json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    assert body["previous_secret_expires_at"] is not None
    assert "secret" not in hooks.endpoint(A, created["id"])


def test_a_retried_registration_with_the_same_key_registers_once(libraries, hooks):
    """Idempotency-Key: the second call replays the first answer, secret included."""
    headers = {"Idempotency-Key": "reg-1"}
    body = {"url": hooks.receiver.url("/hook")}
    first = hooks.call("POST", A, json=body, headers=headers)
    again = hooks.call("POST", A, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["secret"] == again.get_json()["secret"]
    assert len(hooks.call("GET", A).get_json()["items"]) == 1


@pytest.mark.parametrize("app_config", [{"WEBHOOK_ALLOW_LOOPBACK": True,
                                         "WEBHOOK_MAX_ENDPOINTS": 2}])
def test_a_library_has_a_limited_number_of_endpoints(libraries, hooks, app_config):
    """Past the limit: 422 too_many_endpoints."""
    hooks.create(A, "/1")
    hooks.create(A, "/2")
    assert_problem(hooks.call("POST", A, json={"url": hooks.receiver.url("/3")}), 422,
                   "too_many_endpoints")


def test_bad_input_is_a_clear_problem(libraries, hooks):
    """No url, a huge one, a bad cursor, no key; the office's key sees only the office's own
    endpoints (none here), never a library's."""
    assert_problem(hooks.call("POST", A, json={}), 422, "validation_failed")
    assert_problem(hooks.call("POST", A, json={"url": "https://a.example/" + "x" * 2100}), 422,
                   "validation_failed")
    created = hooks.create(A)
    assert_problem(hooks.call("GET", A, f"/{created['id']}/deliveries",
                              query_string={"cursor": "!!"}), 422, "validation_failed")
    assert_problem(hooks.call("GET", A, f"/{created['id']}/deliveries",
                              query_string={"cursor": "YWJj"}), 400, "invalid_cursor")
    office = hooks.client.get("/api/v1/webhooks/endpoints", headers=hooks.federation.headers())
    assert office.status_code == 200 and office.get_json()["items"] == []
    assert_problem(hooks.client.get("/api/v1/webhooks/endpoints"), 401, "missing_key")
