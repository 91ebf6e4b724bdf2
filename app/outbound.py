"""The way out to addresses members register: resolve once, check, connect to what was checked.

Webhook deliveries (app/webhooks) and the live checks of home systems and peer federations
(app/reach: NCIP, the JSON receiver, SIP2) all leave through here.

A requests transport (`PinnedAdapter`) and a TCP connect (`connect`) that go to the address
they checked, and to no other.

Checking a host name's addresses and then letting `requests` connect by name leaves a window:
the name is resolved again to connect, and a hostile DNS server can answer a public address
for the check and 127.0.0.1 or 169.254.169.254 for the connection (DNS rebinding). Here the
name is resolved once per request, every address is checked (`rules.check_addresses`: no
private, loopback, link-local ... address), and the connection pool is opened on the first
checked address. The URL's host stays in the Host header, in TLS SNI and in certificate
verification.
"""

import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter

from app.webhooks import rules

Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    # In the system's order (RFC 6724: the preferred address first), without repeats: the
    # connection goes to the first one.
    return list(dict.fromkeys(info[4][0] for info in infos))


EVENTS = "events go only to public addresses."


def checked_address(host: str, port: int, resolve: Resolver, *, allow_loopback: bool,
                    note: str = EVENTS) -> str:
    """The one address to connect to for `host`: resolved once, every address checked.

    Raises rules.UrlRefused when the name does not resolve or any address is not public
    (loopback passes only when allowed).
    """
    addresses = resolve(host, port)
    rules.check_addresses(addresses, allow_loopback=allow_loopback, note=note)
    return addresses[0]


def connect(host: str, port: int, resolve: Resolver, *, allow_loopback: bool,
            timeout: float, note: str = EVENTS) -> socket.socket:
    """A TCP connection to the checked address of `host` (for protocols other than HTTP).

    Raises rules.UrlRefused before any connection when an address is refused, and OSError
    (TimeoutError included) when the connection fails.
    """
    address = checked_address(host, port, resolve, allow_loopback=allow_loopback, note=note)
    return socket.create_connection((address, port), timeout=timeout)


class PinnedAdapter(HTTPAdapter):
    """Mount on a session: each request goes to the one address its host was checked at."""

    def __init__(self, resolve: Resolver, *, allow_loopback: bool, allowed_ports=(443,),
                 note: str = EVENTS, **kwargs):
        """`resolve` answers a host's addresses; loopback passes the check only when allowed.

        `allowed_ports` None: any port (a home system's NCIP responder listens where its
        vendor put it; the address was checked when it was registered).
        """
        self.resolve = resolve
        self.allow_loopback = allow_loopback
        self.note = note  # the end of a refusal's sentence
        self.allowed_ports = None if allowed_ports is None else tuple(allowed_ports)
        super().__init__(**kwargs)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        """A pool on the checked address, verifying TLS against the URL's host name.

        Raises rules.UrlRefused when the URL or any address it resolves to is not allowed.
        Proxies are not used: a proxy would resolve the name itself, after our check.
        """
        target = rules.parse_url(request.url, allow_loopback=self.allow_loopback)
        address = checked_address(target.host, target.port, self.resolve,
                                  allow_loopback=self.allow_loopback, note=self.note)
        if self.allowed_ports is not None:
            rules.check_port(target, allow_loopback=self.allow_loopback,
                             allowed_ports=self.allowed_ports)
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(
            request, verify, cert)
        if target.scheme == "https":
            # SNI and the certificate check use the name, not the address we connect to;
            # both are part of urllib3's pool key, so pools for two names never mix.
            pool_kwargs["server_hostname"] = target.host
            pool_kwargs["assert_hostname"] = target.host
        return self.poolmanager.connection_from_host(
            **{**host_params, "host": address}, pool_kwargs=pool_kwargs)

    def add_headers(self, request, **kwargs):
        """Host is the URL's, or urllib3 would send the address the pool is opened on."""
        request.headers["Host"] = urlsplit(request.url).netloc
