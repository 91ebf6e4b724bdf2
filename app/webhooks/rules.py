"""Pure decisions for push delivery: which URLs may receive events, and when to try again."""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

# Seconds to wait after the 1st, 2nd, ... consecutive failure before the next try (before
# jitter). It spans more than a day, so a receiver down over a night and a day loses nothing.
RETRY_SCHEDULE = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
# An endpoint is disabled only when it has failed past the schedule *and* for this long.
GIVE_UP_AFTER = 24 * 3600


class UrlRefused(ValueError):
    """A URL that may not receive events, with the sentence saying why."""


@dataclass(frozen=True)
class Target:
    """The parts of an endpoint URL that the address check needs."""

    scheme: str
    host: str
    port: int


def parse_url(url: str, *, allow_loopback: bool) -> Target:
    """Check a URL's form: https (plain http only to loopback when allowed), a host, no userinfo.

    Its port is checked by `check_port`, after its addresses.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("This is not a URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise UrlRefused("An endpoint is an https:// URL with a host name.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("An endpoint URL may not carry a user name or password.")
    if parts.fragment:
        raise UrlRefused("An endpoint URL may not have a #fragment.")
    host = parts.hostname
    if scheme == "http" and not (allow_loopback and _is_loopback_name(host)):
        raise UrlRefused("An endpoint must use https://.")
    return Target(scheme, host, port or (443 if scheme == "https" else 80))


def check_port(target: Target, *, allow_loopback: bool, allowed_ports=(443,)) -> None:
    """Refuse a port the office has not listed (443 by default): a member must not aim the
    service at another port of a public host (mail, databases, admin consoles).

    Where loopback is allowed (tests, local development) receivers listen on any port, some
    behind a name only a test resolver knows; a deployment allows only the listed ports.
    """
    if not allow_loopback and target.port not in allowed_ports:
        ports = ", ".join(str(p) for p in sorted({443, *allowed_ports}))
        raise UrlRefused(f"An endpoint listens on port {ports}, not {target.port}.")


def _is_loopback_name(host: str) -> bool:
    """True for 'localhost' and loopback address literals."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refused_address(address: str, *, allow_loopback: bool) -> str | None:
    """Why an address may not receive events (private, loopback, ...), or None when public.

    Anything not globally routable is refused, so a member cannot point the service at the
    federation's own network (server-side request forgery).
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        # 6to4, Teredo and NAT64 reach the IPv4 address inside: judge that one. A private or
        # loopback one is refused even where loopback is allowed: no test needs it.
        reason = refused_address(str(embedded), allow_loopback=False)
        if reason:
            return f"an IPv6 address embedding {reason} ({embedded})"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    for flag, name in (("is_multicast", "a multicast address"),
                       ("is_link_local", "a link-local address"),
                       ("is_private", "a private address"),
                       ("is_reserved", "a reserved address"),
                       ("is_unspecified", "an unspecified address")):
        if getattr(ip, flag):
            return name
    if not ip.is_global:
        return "an address that is not publicly routable"
    return None


# NAT64 prefixes: the well-known one (RFC 6052) and the local-use one (RFC 8215).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, Teredo or NAT64 IPv6 address carries, if it is one."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address (the server's is public by design)
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_addresses(addresses: list[str], *, allow_loopback: bool,
                    note: str = "events go only to public addresses.") -> None:
    """Raise UrlRefused unless every address a host resolves to is public (or allowed);
    `note` ends the sentence saying why (whose calls go only to public addresses)."""
    if not addresses:
        raise UrlRefused("The endpoint's host name does not resolve.")
    for address in addresses:
        reason = refused_address(address, allow_loopback=allow_loopback)
        if reason:
            raise UrlRefused(f"The endpoint's host resolves to {reason} ({address}); {note}")


def retry_delay(failures: int, random_fraction: float,
                schedule: tuple[float, ...] = RETRY_SCHEDULE) -> float:
    """Seconds to wait after `failures` consecutive failures: the schedule's step, full jitter.

    Full jitter (a uniform fraction of the step) spreads the retries of many endpoints that
    failed together, so a receiver coming back is not hit by all of them at once.
    """
    step = schedule[min(max(failures, 1), len(schedule)) - 1]
    return step * random_fraction


def should_give_up(failures: int, failing_for: float, *,
                   schedule: tuple[float, ...] = RETRY_SCHEDULE,
                   give_up_after: float = GIVE_UP_AFTER) -> bool:
    """True when an endpoint has failed past the whole schedule and for long enough."""
    return failures > len(schedule) and failing_for >= give_up_after


def outcome(status: int | None) -> str:
    """What an answer means: `succeeded` (2xx), `gone` (410: disable), `dead` (a permanent
    4xx: set this event aside), or `failed` (anything else: retry later)."""
    if status is None:
        return "failed"
    if 200 <= status < 300:
        return "succeeded"
    if status == 410:
        return "gone"
    if 400 <= status < 500 and status not in (408, 425, 429):
        return "dead"
    return "failed"
