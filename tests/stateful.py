"""What the stateful rule tests share: fresh libraries for each example, and their settings.

Each example of a state machine plays in its own corner of one test database: library codes
and card prefixes carry the example's number, so examples never meet and no database has to
be made per example. Setup (admitting libraries, issuing keys) goes through the service
layer; every move a library makes goes through the HTTP API, as a member's system would.
"""

import itertools
import os

from hypothesis import HealthCheck, settings

from app.extensions import db
from app.libraries.service import admit_library, issue_library_key

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# 300 examples per database in CI (derandomized, so the same 300 each run); fewer on a
# laptop, where the randomized profile explores new ones each run.
EXAMPLES = int(os.environ.get("RULE_MACHINE_EXAMPLES") or (300 if IN_CI else 40))
MACHINE_SETTINGS = settings(
    max_examples=EXAMPLES, stateful_step_count=5,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much])

_examples = itertools.count(1)


class Corner:
    """One example's libraries: codes and card prefixes unique to the example."""

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.number = next(_examples)
        self.base = f"7{self.number:05d}"  # every prefix and card of the example starts so
        self.keys: dict[str, str] = {}

    def code(self, name: str) -> str:
        """The example's code for a library called `name` (A, H, L1...)."""
        return f"X{self.number}{name}"

    def admit(self, name: str, digit: str | None, **fields) -> str:
        """Admit a library with the prefix base+digit (or none) and a key; its code."""
        code = self.code(name)
        data = {"code": code, "name": f"Library {name}", "type": "public",
                "membership": "full", "card_prefixes": [self.base + digit] if digit else [],
                "contact": {"email": f"{name.lower()}@example.org"}, "address": {},
                "active": True, **fields}
        with self.app.app_context():
            admit_library(data)
            _, self.keys[code] = issue_library_key(code, "stateful")
            db.session.remove()
        return code

    def headers(self, code: str) -> dict:
        """A library's Authorization header."""
        return {"Authorization": f"Bearer {self.keys[code]}"}

    def get(self, path: str, code: str, **params):
        """GET as a library."""
        return self.client.get(f"/api/v1{path}", headers=self.headers(code),
                               query_string=params)

    def post(self, path: str, code: str, body: dict | None = None):
        """POST as a library."""
        return self.client.post(f"/api/v1{path}", headers=self.headers(code), json=body or {})

    def patch(self, path: str, code: str, body: dict):
        """PATCH as a library."""
        return self.client.patch(f"/api/v1{path}", headers=self.headers(code), json=body)
