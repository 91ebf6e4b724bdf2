"""A requests transport that connects to the address it checked, and to no other.

Checking a host name's addresses and then letting `requests` connect by name leaves a window:
the name is resolved again to connect, and a hostile DNS server can answer a public address
for the check and 127.0.0.1 or 169.254.169.254 for the connection (DNS rebinding). Here the
name is resolved once per request, every address is checked (`rules.check_addresses`: no
private, loopback, link-local ... address), and the connection pool is opened on the first
checked address. The URL's host stays in the Host header, in TLS SNI and in certificate
verification.
"""

from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter

from app.webhooks import rules
from app.webhooks.service import Resolver


class PinnedAdapter(HTTPAdapter):
    """Mount on a session: each request goes to the one address its host was checked at."""

    def __init__(self, resolve: Resolver, *, allow_loopback: bool, allowed_ports=(443,),
                 **kwargs):
        """`resolve` answers a host's addresses; loopback passes the check only when allowed."""
        self.resolve = resolve
        self.allow_loopback = allow_loopback
        self.allowed_ports = tuple(allowed_ports)
        super().__init__(**kwargs)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        """A pool on the checked address, verifying TLS against the URL's host name.

        Raises rules.UrlRefused when the URL or any address it resolves to is not allowed.
        Proxies are not used: a proxy would resolve the name itself, after our check.
        """
        target = rules.parse_url(request.url, allow_loopback=self.allow_loopback)
        addresses = self.resolve(target.host, target.port)
        rules.check_addresses(addresses, allow_loopback=self.allow_loopback)
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
            **{**host_params, "host": addresses[0]}, pool_kwargs=pool_kwargs)

    def add_headers(self, request, **kwargs):
        """Host is the URL's, or urllib3 would send the address the pool is opened on."""
        request.headers["Host"] = urlsplit(request.url).netloc
