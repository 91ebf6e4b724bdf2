"""The pure rules of push delivery: retry schedule, outcomes, which addresses may receive."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.webhooks import rules


def test_the_schedule_spans_more_than_a_day():
    """5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: a receiver down for a day loses nothing."""
    assert sum(rules.RETRY_SCHEDULE) > 24 * 3600
    assert list(rules.RETRY_SCHEDULE) == sorted(rules.RETRY_SCHEDULE)


@given(failures=st.integers(min_value=0, max_value=100),
       fraction=st.floats(min_value=0, max_value=1))
def test_full_jitter_stays_within_the_step(failures, fraction):
    """The wait is a fraction of the step for this many failures; the last step repeats."""
    step = rules.RETRY_SCHEDULE[min(max(failures, 1), len(rules.RETRY_SCHEDULE)) - 1]
    assert 0 <= rules.retry_delay(failures, fraction) <= step
    assert rules.retry_delay(failures, 1.0) == step


def test_the_waits_grow_with_each_failure():
    """Exponential-ish: each step at least as long as the one before."""
    waits = [rules.retry_delay(n, 1.0) for n in range(1, 10)]
    assert waits[:3] == [5, 300, 1800] and waits == sorted(waits) and waits[-1] == 36000


def test_giving_up_needs_both_the_whole_schedule_and_a_day():
    """Fast failures do not disable an endpoint before a day has passed, nor early ones."""
    steps = len(rules.RETRY_SCHEDULE)
    assert not rules.should_give_up(steps, 10 * 24 * 3600)
    assert not rules.should_give_up(steps + 5, 3600)
    assert rules.should_give_up(steps + 1, 24 * 3600)


@pytest.mark.parametrize("status,meaning", [
    (200, "succeeded"), (204, "succeeded"), (299, "succeeded"), (410, "gone"),
    (400, "dead"), (401, "dead"), (404, "dead"), (422, "dead"), (408, "failed"),
    (429, "failed"), (301, "failed"), (500, "failed"), (503, "failed"), (None, "failed")])
def test_what_an_answer_means(status, meaning):
    """2xx delivered; 410 gone; other 4xx permanent except 408/429; the rest retried."""
    assert rules.outcome(status) == meaning


@pytest.mark.parametrize("address", ["10.1.2.3", "172.31.0.1", "192.168.0.1", "127.0.0.1",
                                     "::1", "169.254.169.254", "fe80::1", "224.0.0.1",
                                     "ff02::1", "240.0.0.1", "0.0.0.0", "::", "100.64.0.1",
                                     "fc00::1", "::ffff:192.168.0.1", "fe80::1%eth0"])
def test_internal_addresses_are_refused(address):
    """Private, loopback, link-local, multicast, reserved, unspecified, shared, mapped."""
    assert rules.refused_address(address, allow_loopback=False)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_accepted(address):
    """Globally routable addresses may receive events."""
    assert rules.refused_address(address, allow_loopback=False) is None


def test_loopback_only_when_allowed():
    """The allowance covers 127.0.0.0/8 and ::1, and nothing else internal."""
    for address in ("127.0.0.1", "127.8.9.10", "::1"):
        assert rules.refused_address(address, allow_loopback=True) is None
    assert rules.refused_address("10.0.0.1", allow_loopback=True)
    with pytest.raises(rules.UrlRefused):
        rules.check_addresses(["93.184.215.14", "10.0.0.1"], allow_loopback=False)
    with pytest.raises(rules.UrlRefused):
        rules.check_addresses([], allow_loopback=False)


def test_plain_http_only_to_loopback_and_only_when_allowed():
    """https everywhere; http://127.0.0.1 and http://localhost when loopback is allowed."""
    assert rules.parse_url("https://hooks.example.org/x", allow_loopback=False).port == 443
    assert rules.parse_url("http://127.0.0.1:9/x", allow_loopback=True).port == 9
    assert rules.parse_url("http://localhost/x", allow_loopback=True).host == "localhost"
    for url, allowed in (("http://127.0.0.1/x", False), ("http://hooks.example.org/", True),
                         ("https://u:p@hooks.example.org/", False), ("https://h:99999/", False),
                         ("https://h/#frag", False), ("javascript:alert(1)", True)):
        with pytest.raises(rules.UrlRefused):
            rules.parse_url(url, allow_loopback=allowed)


@pytest.mark.parametrize("address", [
    "2002:7f00:1::",            # 6to4 around 127.0.0.1
    "2002:a00:1::1",            # 6to4 around 10.0.0.1
    "2002:c0a8:101::",          # 6to4 around 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1 (obfuscated)
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "64:ff9b::7f00:1",          # NAT64 (RFC 6052) around 127.0.0.1
    "64:ff9b::a9fe:a9fe",       # NAT64 around 169.254.169.254, the cloud metadata address
    "64:ff9b:1::c0a8:1",        # local-use NAT64 (RFC 8215) around 192.168.0.1
])
def test_ipv6_forms_that_embed_an_internal_ipv4_address_are_refused(address):
    """6to4, Teredo and NAT64 reach the IPv4 address they carry: judged by that address,
    even where loopback is allowed (no test or development setup needs these)."""
    for allow_loopback in (False, True):
        reason = rules.refused_address(address, allow_loopback=allow_loopback)
        assert reason and "embedding" in reason, (address, reason)


@pytest.mark.parametrize("address", ["2002:5db8:d70e::1", "64:ff9b::808:808"])
def test_ipv6_forms_that_embed_a_public_ipv4_address_are_judged_as_ipv6(address):
    """6to4 around 93.184.215.14 and NAT64 around 8.8.8.8 embed nothing internal."""
    reason = rules.refused_address(address, allow_loopback=False)
    assert reason is None or "embedding" not in reason


def test_an_endpoint_port_is_443_unless_the_office_allows_another():
    """Port 25, 5432, 8443 on a public host: refused; allowed when listed; any port where
    loopback is allowed (tests and local development, never a deployment)."""
    for url in ("https://hooks.example.org:25/", "https://hooks.example.org:5432/x",
                "https://hooks.example.org:8443/x", "https://93.184.215.14:22/"):
        target = rules.parse_url(url, allow_loopback=False)
        with pytest.raises(rules.UrlRefused, match="port"):
            rules.check_port(target, allow_loopback=False)
        rules.check_port(target, allow_loopback=True)
    rules.check_port(rules.parse_url("https://hooks.example.org:443/x", allow_loopback=False),
                     allow_loopback=False)
    rules.check_port(rules.parse_url("https://hooks.example.org:8443/x", allow_loopback=False),
                     allow_loopback=False, allowed_ports=(443, 8443))
