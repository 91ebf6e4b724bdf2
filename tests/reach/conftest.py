"""Fixtures for reaching out: the sample home ILS in its own process, once per module."""

import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass

import pytest

SAMPLE_ILS = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "sample_ils.py")
LIVE_CONFIG = {"REACH_ALLOW_LOOPBACK": True, "VERIFY_BUDGET_SECONDS": 10,
               "HOME_CACHE_SECONDS": 0, "CIRCUIT_FAILURES": 3, "CIRCUIT_PAUSE_SECONDS": 3600,
               "CREDENTIALS_KEY": "11" * 32}


@dataclass
class Ils:
    """The running double: its HTTP root and SIP2 port."""

    http: str
    sip_port: int

    def control(self, path: str, body: dict | None = None) -> dict:
        """Call a control endpoint of the double."""
        data = json.dumps(body or {}).encode() if body is not None or "hits" not in path \
            else None
        request = urllib.request.Request(self.http + path, data=data, method="POST"
                                         if data is not None else "GET")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def hits(self, path: str) -> int:
        """How many questions reached `path` (e.g. /ncip/ok, /sip2/ok)."""
        return self.control("/control/hits").get(path, 0)


@pytest.fixture(scope="module")
def ils():
    """The home ILS double, one process for the module."""
    process = subprocess.Popen([sys.executable, SAMPLE_ILS],
                               stdout=subprocess.PIPE, text=True)
    try:
        http_port, sip_port = process.stdout.readline().split()
        yield Ils(f"http://127.0.0.1:{http_port}", int(sip_port))
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def app_config():
    """Loopback endpoints allowed, a generous budget (only the budget tests shrink it)."""
    return dict(LIVE_CONFIG)
