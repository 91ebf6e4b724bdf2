"""The receiver's Verifier: the Standard Webhooks example vector, the service's own signing,
stale timestamps, tampering, rotation; and `federation/` standing alone."""

import json
import subprocess
import sys
import time

import pytest

from federation.webhooks import Verifier, WebhookVerificationError, new_secret, sign, signature

# The example published with the Standard Webhooks specification and its reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def spec_headers(signatures: str = SPEC_SIGNATURE) -> dict:
    """The example's headers."""
    return {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TIMESTAMP),
            "webhook-signature": signatures}


def test_our_signature_matches_the_specifications_example():
    """Interoperability: the same bytes as the reference implementations."""
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_the_verifier_accepts_the_specifications_example():
    """At the example's own time; any one matching v1 signature among several is enough."""
    verifier = Verifier(SPEC_SECRET)
    assert verifier.verify(SPEC_BODY, spec_headers(), now=SPEC_TIMESTAMP) == {"test": 2432232314}
    mixed = "v1a,abc v1,bm9wZQ== " + SPEC_SIGNATURE
    assert verifier.verify(SPEC_BODY, spec_headers(mixed), now=SPEC_TIMESTAMP + 10)


def test_stale_or_future_timestamps_are_refused():
    """More than five minutes off, either way (the tolerance is configurable)."""
    verifier = Verifier(SPEC_SECRET)
    for now in (SPEC_TIMESTAMP + 301, SPEC_TIMESTAMP - 301):
        with pytest.raises(WebhookVerificationError, match="too far"):
            verifier.verify(SPEC_BODY, spec_headers(), now=now)
    assert Verifier(SPEC_SECRET, tolerance=3600).verify(SPEC_BODY, spec_headers(),
                                                        now=SPEC_TIMESTAMP + 3000)


@pytest.mark.parametrize("change", ["body", "id", "timestamp", "secret", "signature"])
def test_anything_changed_breaks_the_signature(change):
    """Body, id, timestamp, secret or signature altered: refused."""
    body, headers, secret = SPEC_BODY, spec_headers(), SPEC_SECRET
    if change == "body":
        body = b'{"test": 2432232315}'
    elif change == "id":
        headers["webhook-id"] = "msg_other"
    elif change == "timestamp":
        headers["webhook-timestamp"] = str(SPEC_TIMESTAMP + 1)
    elif change == "secret":
        secret = new_secret()
    else:
        headers["webhook-signature"] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF="
    with pytest.raises(WebhookVerificationError):
        Verifier(secret).verify(body, headers, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_refused(missing):
    """Each of the three headers is required."""
    headers = spec_headers()
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match="Missing"):
        Verifier(SPEC_SECRET).verify(SPEC_BODY, headers, now=SPEC_TIMESTAMP)


def test_a_non_numeric_timestamp_is_refused():
    """Not unix seconds: refused, not a crash."""
    with pytest.raises(WebhookVerificationError):
        Verifier(SPEC_SECRET).verify(SPEC_BODY, {**spec_headers(), "webhook-timestamp": "soon"})


def test_both_secrets_of_a_rotation_verify_what_the_service_signs():
    """The service's `sign` with two secrets: a receiver with either accepts (case-free names)."""
    old, new = new_secret(), new_secret()
    body = json.dumps({"type": "block.requested", "data": {"block_id": "blk_1"}}).encode()
    headers = sign([new, old], "evt_1", int(time.time()), body)
    upper = {name.title(): value for name, value in headers.items()}
    for secret in (old, new):
        assert Verifier(secret).verify(body, upper)["type"] == "block.requested"
    with pytest.raises(WebhookVerificationError):
        Verifier(new_secret()).verify(body, headers)


def test_a_secret_that_is_not_base64_is_refused_up_front():
    """A typo in the configured secret shows at start-up, not as refused deliveries."""
    with pytest.raises(ValueError):
        Verifier("whsec_not base64!")


def test_federation_never_imports_flask_or_app():
    """A member installs `federation` without the service: importing it pulls in neither."""
    code = ("import sys, federation, federation.client, federation.webhooks; "
            "print(sorted(m for m in sys.modules if m == 'flask' or m.startswith('flask.') "
            "or m == 'app' or m.startswith('app.')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"
