"""The issue's 'done when': the example member script verifies a card with the SDK and
reacts to a block request that arrives by signed push (run as its own process)."""

import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta

from federation import Client

HOME, LEND = "IL0951", "IL0952"
CARD = "2095100000001"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_member_script_verifies_and_hears_of_a_block_request(federation, live_server,
                                                                 work, tmp_path):
    """Its output names the decision, then the block request pushed to it."""
    home = Client(live_server, federation.admit(HOME, prefixes=["20951"]))
    lender = Client(live_server, federation.admit(LEND, prefixes=["20952"]))
    home.upsert_patron(CARD, "2030-01-31")
    port = free_port()
    endpoint = home.create_endpoint(f"http://127.0.0.1:{port}/reciprocity")
    out = tmp_path / "script.out"
    script = subprocess.Popen(
        [sys.executable, "-m", "federation.examples.desk_and_blocks", CARD],
        env={**os.environ, "RECIPROCITY_API": live_server,
             "RECIPROCITY_KEY": federation.keys[HOME],
             "RECIPROCITY_WEBHOOK_SECRET": endpoint.secret, "PORT": str(port)},
        stdout=out.open("wb"), stderr=(tmp_path / "script.err").open("wb"))
    try:
        deadline = time.monotonic() + 30
        while "card" not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        bill = lender.issue_bill(CARD, HOME, date.today() - timedelta(days=5),
                                 [{"title": "Atlas", "barcode": "1", "format": "book",
                                   "kind": "lost", "in_print": True, "list_price_cents": 900}])
        lender.request_block(CARD, HOME, [bill.id])
        while "block requested" not in out.read_text() and time.monotonic() < deadline:
            work()
            time.sleep(0.05)
    finally:
        script.terminate()
        script.wait(timeout=10)
    lines = out.read_text().splitlines()
    assert lines[0] == f"card {CARD}: eligible"
    assert lines[1].startswith(f"block requested by {LEND} for card *0001: honor or refuse by")
    assert [d.status for d in home.deliveries(endpoint.id)] == ["succeeded", "succeeded"]
