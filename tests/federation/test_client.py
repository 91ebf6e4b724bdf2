"""The member client against the real service on 127.0.0.1, and against failures."""

import pytest
import requests
import responses

from federation import Client, ProblemError, TransportError


def test_a_member_system_verifies_a_card_over_http(federation, live_server):
    """A typed answer: decision, reasons and the home library's contact."""
    federation.admit("HOME", prefixes=["20001"], name="Home Library")
    key = federation.admit("LEND")
    federation.register("HOME", "2000100000001", surname="Okafor", expires_on="2030-01-31")
    federation.register("HOME", "2000100000002", standing="blocked")
    client = Client(live_server, key, timeout=5)
    answer = client.verify("20001 0000 0001", surname="okafor")
    assert answer.may_lend and answer.identity == "matched"
    assert answer.home_library.name == "Home Library"
    assert answer.expires_on.isoformat() == "2030-01-31"
    blocked = client.verify("2000100000002")
    assert not blocked.may_lend and blocked.reasons == ("home_block",)


def test_a_refusal_is_a_problem_error_carrying_the_code(federation, live_server):
    """The problem details' code reaches the member's code."""
    key = federation.admit("LEND")
    with pytest.raises(ProblemError) as caught:
        Client(live_server, key).verify("99990001")
    assert caught.value.status == 422 and caught.value.code == "home_library_required"
    with pytest.raises(ProblemError) as caught:
        Client(live_server, "rcp_wrong").verify("99990001")
    assert caught.value.code == "invalid_key"


@responses.activate
def test_timeouts_and_bare_server_errors_become_federation_errors():
    """A timeout is a TransportError; a proxy's HTML 502 is a ProblemError with http_502."""
    url = "https://reciprocity.test/api/v1/verifications"
    responses.post(url, body=requests.exceptions.ConnectTimeout("timed out"))
    with pytest.raises(TransportError):
        Client("https://reciprocity.test/api/v1", "rcp_x", timeout=1).verify("1")
    responses.replace(responses.POST, url, body="<html>Bad gateway</html>", status=502)
    with pytest.raises(ProblemError) as caught:
        Client("https://reciprocity.test/api/v1", "rcp_x").verify("1")
    assert (caught.value.status, caught.value.code) == (502, "http_502")
