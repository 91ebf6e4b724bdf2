"""DNS rebinding: a delivery goes to the address its host name was checked at, and to no
other, with the URL's host kept for the Host header, TLS SNI and the certificate check.

The worker's and the API's resolvers are replaced through their interfaces (`Sender(...,
resolve)` and the `reciprocity.webhook_resolver` extension); the receivers are real servers on
127.0.0.1, https ones with certificates from a throwaway CA made with openssl.
"""

import ssl
import subprocess

import pytest

from tests.webhooks.conftest import Hooks, Receiver

A = "IL0721"
PUBLIC = "93.184.215.14"  # a globally routable address (example.com's); never connected to


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA and, signed by it, certificates for a few host names: {name: (cert, key)}."""
    folder = tmp_path_factory.mktemp("pki")

    def run(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test webhooks CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    found = {"ca": str(folder / "ca.pem")}
    for name in ("hooks.invalid", "other.invalid", "localhost"):
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        (folder / f"{name}.ext").write_text(
            f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\n"
            "extendedKeyUsage=serverAuth\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
        found[name] = (str(folder / f"{name}.pem"), str(folder / f"{name}.key"))
    return found


@pytest.fixture
def serve(federation, client, app, monkeypatch):
    """Start a receiver reached by a host name that only the test's resolver knows.

    `serve(name, cert=...)` returns Hooks driving it; the API resolves `name` to 127.0.0.1.
    """
    started = []

    def start(name: str, tls=None) -> Hooks:
        receiver = Receiver(tls=tls, host=name)
        started.append(receiver)
        monkeypatch.setitem(app.extensions, "reciprocity.webhook_resolver",
                            lambda host, port: ["127.0.0.1"] if host == name else [])
        return Hooks(federation, client, receiver)

    federation.admit(A)
    yield start
    for receiver in started:
        receiver.close()


def tls_context(pki, name: str) -> ssl.SSLContext:
    """A server context presenting the certificate made for `name`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pki[name])
    return context


class Resolver:
    """Answers fixed addresses for one name and nothing for others; counts its lookups."""

    def __init__(self, name: str, addresses: list[str]):
        self.name, self.addresses, self.lookups = name, addresses, []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return list(self.addresses) if host == self.name else []


def test_a_delivery_goes_to_the_checked_address_with_the_urls_host(serve, pki, emit, work):
    """A name the system cannot resolve (.invalid) arrives over https: the connection went to
    the address our resolver gave, looked up once per delivery, and the Host header, SNI and
    certificate check used the name."""
    hooks = serve("hooks.invalid", tls=tls_context(pki, "hooks.invalid"))
    created = hooks.create(A, "/a")
    emit(A, 2)
    resolver = Resolver("hooks.invalid", ["127.0.0.1"])
    work(ca_bundle=pki["ca"], resolve=resolver)
    assert len(hooks.receiver.ids("/a")) == 2
    port = hooks.receiver.server.server_port
    assert {a["headers"]["Host"] for a in hooks.receiver.arrivals} == {f"hooks.invalid:{port}"}
    assert resolver.lookups == ["hooks.invalid", "hooks.invalid"]
    assert [d["status"] for d in hooks.deliveries(A, created["id"])] == ["succeeded"] * 2


def test_every_address_is_checked_not_only_the_first(serve, pki, emit, work):
    """A name answering a public address and then 127.0.0.1 is refused when loopback is not
    allowed: nothing reaches the receiver on 127.0.0.1, and the attempt says why."""
    hooks = serve("localhost", tls=tls_context(pki, "localhost"))
    created = hooks.create(A, "/a")
    emit(A, 1)
    work(rounds=1, allow_loopback=False, ca_bundle=pki["ca"], timeout=2,
         resolve=Resolver("localhost", [PUBLIC, "127.0.0.1"]))
    assert hooks.receiver.arrivals == [] and hooks.receiver.rejected == []
    attempt = hooks.deliveries(A, created["id"])[0]
    assert attempt["status"] == "failed" and attempt["response_status"] is None
    assert attempt["error"] == (
        "url_not_allowed: The endpoint's host resolves to a loopback address (127.0.0.1); "
        "events go only to public addresses.")


def test_https_refuses_a_certificate_for_another_name(serve, pki, emit, work):
    """A trusted certificate for a different name fails: nothing is sent, the attempt says
    it was the certificate."""
    hooks = serve("hooks.invalid", tls=tls_context(pki, "other.invalid"))
    created = hooks.create(A, "/a")
    emit(A, 1)
    work(rounds=1, ca_bundle=pki["ca"], resolve=Resolver("hooks.invalid", ["127.0.0.1"]))
    assert hooks.receiver.arrivals == [] and hooks.receiver.rejected == []
    attempt = hooks.deliveries(A, created["id"])[0]
    assert attempt["status"] == "failed" and attempt["error"].startswith("SSLError")
    assert "hooks.invalid" in attempt["error"]


def test_https_refuses_a_certificate_from_an_untrusted_ca(serve, pki, emit, work):
    """Without the test CA (the system's trust store), the same receiver is refused."""
    hooks = serve("hooks.invalid", tls=tls_context(pki, "hooks.invalid"))
    created = hooks.create(A, "/a")
    emit(A, 1)
    work(rounds=1, resolve=Resolver("hooks.invalid", ["127.0.0.1"]))
    assert hooks.receiver.arrivals == []
    attempt = hooks.deliveries(A, created["id"])[0]
    assert attempt["status"] == "failed" and "CERTIFICATE_VERIFY_FAILED" in attempt["error"]
