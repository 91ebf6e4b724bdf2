"""Verification is rate limited per key so no member can sweep card numbers."""

import pytest

from app.verification.ratelimit import TokenBucketLimiter


@pytest.fixture
def app_config():
    """Three verifications a minute per key."""
    return {"VERIFY_RATE_LIMIT": 3}


def test_the_fourth_verification_in_a_minute_is_refused_with_retry_after(federation):
    """429 problem details with Retry-After; another key of another library is unaffected."""
    federation.admit("HOME", prefixes=["20001"])
    federation.admit("LEND")
    federation.admit("OTHER")
    for _ in range(3):
        assert federation.verify("LEND", "2000100000001").status_code == 200
    refused = federation.verify("LEND", "2000100000001")
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "rate_limited"
    assert refused.mimetype == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    assert federation.verify("OTHER", "2000100000001").status_code == 200


def test_the_bucket_refills_with_time():
    """After waiting Retry-After seconds, the next request is allowed."""
    now = [1000.0]
    limiter = TokenBucketLimiter(60, clock=lambda: now[0])
    for _ in range(60):
        assert limiter.acquire("k") == 0
    wait = limiter.acquire("k")
    assert wait == pytest.approx(1.0)
    now[0] += wait
    assert limiter.acquire("k") == 0
    assert limiter.acquire("other") == 0


def test_a_rate_of_zero_disables_the_limit():
    """Configuration can turn the limit off (benchmarks, trusted deployments)."""
    limiter = TokenBucketLimiter(0)
    assert all(limiter.acquire("k") == 0 for _ in range(1000))
