"""docs/between-libraries.md's tour, run as written: its shell blocks in bash, with curl,
against the service on 127.0.0.1, and their output compared with the page's output blocks.

The demo's names for things (DEMO_LENDER is Naperville, IL0368; DEMO_HOME is Aurora, IL0029)
are given to a small federation built here: loading the whole demo would add a minute."""

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "between-libraries.md"
CARD = "2002900000012"


def tour() -> tuple[str, list[str]]:
    """The tour's shell blocks (one script) and the lines its output blocks promise."""
    text = PAGE.read_text()
    section = text[text.index("## A tour"):text.index("## In the SDK")]
    blocks = re.findall(r"```(\w*)\n(.*?)```", section, re.S)
    script = "\n".join(body for kind, body in blocks if kind == "sh")
    expected = [line for kind, body in blocks if kind == "" for line in body.splitlines()]
    return script, expected


def test_the_tour_runs_as_written(app, federation, live_server, tmp_path):
    if shutil.which("curl") is None:
        if IN_CI:
            pytest.fail("curl is required in CI")
        pytest.skip("curl is not installed")
    script, expected = tour()
    # The page's mail catcher listens on 8025; this run takes a free port instead, so two runs
    # at once (both databases) never meet.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    script = script.replace("8025", port)
    lender = federation.admit("IL0368", prefixes=["20368"], name="Naperville Public Library")
    home = federation.admit("IL0029", prefixes=["20029"], name="Aurora Public Library")
    federation.register("IL0029", CARD)
    env = {"PATH": os.environ["PATH"], "API": live_server, "DEMO_LENDER": "IL0368",
           "DEMO_HOME": "IL0029", "DEMO_LENDER_KEY": lender, "DEMO_HOME_KEY": home,
           "DEMO_ADMIN_KEY": federation.admin_key, "DEMO_CARD_GOOD": CARD,
           # The delivery worker the tour runs uses this test's database, as `scripts/serve`'s
           # instance folder would give it.
           "RECIPROCITY_DATABASE_URL": app.config["DATABASE_URL"],
           "RECIPROCITY_HMAC_KEY": app.config["HMAC_KEY"],
           "RECIPROCITY_INSTANCE_PATH": str(tmp_path)}
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:3] == expected[:3]
    lines = run.stdout.splitlines()
    # The verification prints its advice on a second line, which the page paraphrases.
    advice = lines.pop(lines.index(next(line for line in lines
                                        if line.startswith("Do not lend"))))
    assert advice.startswith("Do not lend under reciprocal borrowing.")
    assert "Your library's suspension: reciprocal borrowing suspended through" in advice
    assert advice.endswith("Terms: Until the four items are returned.")
    assert lines == expected
