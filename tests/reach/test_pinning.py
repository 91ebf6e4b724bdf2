"""DNS rebinding on the live path (R14, R17): a home system is asked at the address its host
name was checked at, and at no other, as webhook deliveries are (app/outbound.py).

The outbound clients' resolver is replaced through its interface (`Outbound.resolve`, as the
webhook tests replace theirs); the home ILS double answers on 127.0.0.1 in its own process.
Names ending in .invalid resolve nowhere but in the test's resolver, so an answer from the
double proves the connection went to the address the resolver gave. Where a test refuses
loopback (`Outbound.allow_loopback`, from REACH_ALLOW_LOOPBACK), it plays a name turned
private after registration.
"""

import pytest

from tests.reach.test_home_systems import GOOD, ask, circuit, register

PUBLIC = "93.184.215.14"  # a globally routable address (example.com's); never connected to
SIP = {"protocol": "sip2", "institution_id": "OK", "login_user": "federation",
       "login_password": "sip-secret"}


class Resolver:
    """Answers fixed addresses for one name and nothing for others; counts its lookups."""

    def __init__(self, name: str, addresses: list[str]):
        self.name, self.addresses, self.lookups = name, addresses, []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return list(self.addresses) if host == self.name else []


@pytest.fixture
def fed(federation):
    """HOME (card prefix 30001) with a live system, LEND asking."""
    for code, prefixes in (("HOME", ["30001"]), ("LEND", ["40001"])):
        federation.admit(code, prefixes=prefixes, name=f"{code.title()} Public Library")
    federation.register("HOME", GOOD)
    return federation


@pytest.fixture
def outbound(app, monkeypatch):
    """The app's outbound clients; `use(resolver, allow_loopback=...)` swaps what they use."""
    clients = app.extensions["reciprocity.outbound"]

    def use(resolver: Resolver, allow_loopback: bool = True) -> Resolver:
        monkeypatch.setattr(clients, "resolve", resolver)
        monkeypatch.setattr(clients, "allow_loopback", allow_loopback)
        return resolver

    return use


def test_a_sip2_home_system_is_asked_at_the_address_its_name_was_checked_at(fed, ils,
                                                                            outbound):
    """A SIP2 server named only to our resolver answers: the one lookup per verification gave
    the address the connection went to."""
    resolver = outbound(Resolver("sip.invalid", ["127.0.0.1"]))
    assert register(fed, "HOME", {**SIP, "address": f"sip.invalid:{ils.sip_port}"}
                    ).status_code == 200
    asked = ils.hits("/sip2/ok")
    for _ in range(2):
        answer = ask(fed, GOOD, surname="Lindqvist")
        assert (answer["decision"], answer["source"]) == ("eligible", "home_system")
    assert resolver.lookups == ["sip.invalid", "sip.invalid"]
    assert ils.hits("/sip2/ok") == asked + 2


def test_an_ncip_responder_is_resolved_once_per_question(fed, ils, outbound):
    """Over HTTP the host is resolved by our resolver, once per question, and answered."""
    resolver = outbound(Resolver("localhost", ["127.0.0.1"]))
    port = ils.http.rsplit(":", 1)[1]
    assert register(fed, "HOME", {"protocol": "ncip", "to_agency_id": "HOME",
                                  "address": f"http://localhost:{port}/ncip/ok"}
                    ).status_code == 200
    answer = ask(fed, GOOD, surname="Lindqvist")
    assert (answer["source"], answer["identity"]) == ("home_system", "matched")
    assert resolver.lookups == ["localhost"]


@pytest.mark.parametrize("addresses", [["127.0.0.1"], [PUBLIC, "127.0.0.1"]],
                         ids=["loopback", "public-then-loopback"])
def test_a_sip2_name_turned_private_is_not_connected_to(fed, ils, outbound, addresses):
    """A name that resolves (in whole or in part) to loopback where loopback is not allowed:
    nothing reaches the server, the registry answers, and the circuit says why."""
    outbound(Resolver("sip.invalid", ["127.0.0.1"]))
    assert register(fed, "HOME", {**SIP, "address": f"sip.invalid:{ils.sip_port}"}
                    ).status_code == 200
    asked = ils.hits("/sip2/ok")
    outbound(Resolver("sip.invalid", addresses), allow_loopback=False)
    answer = ask(fed, GOOD)
    assert (answer["decision"], answer["source"]) == ("eligible", "registry")
    assert ils.hits("/sip2/ok") == asked
    assert circuit(fed)["last_error"] == (
        "Its address was refused: The endpoint's host resolves to a loopback address "
        "(127.0.0.1); home systems and peer federations are asked only at public addresses.")


def test_an_https_name_turned_private_is_refused_before_connecting(fed, outbound):
    """An NCIP responder registered by name that now resolves to 127.0.0.1 is never called:
    the refusal comes from the address check, not from a failed connection."""
    outbound(Resolver("ils.invalid", ["127.0.0.1"]))
    assert register(fed, "HOME", {"protocol": "ncip", "to_agency_id": "HOME",
                                  "address": "https://ils.invalid/ncip"}).status_code == 200
    resolver = outbound(Resolver("ils.invalid", [PUBLIC, "127.0.0.1"]), allow_loopback=False)
    answer = ask(fed, GOOD)
    assert (answer["decision"], answer["source"]) == ("eligible", "registry")
    assert resolver.lookups == ["ils.invalid"]
    assert "resolves to a loopback address (127.0.0.1)" in circuit(fed)["last_error"]
