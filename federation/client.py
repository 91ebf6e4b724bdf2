"""A small client for member systems: one session, a timeout on every call, typed answers."""

from dataclasses import dataclass
from datetime import date, datetime

import requests

from federation.errors import ProblemError, TransportError


@dataclass(frozen=True)
class HomeLibrary:
    """The card's home library and how to reach it."""

    code: str
    name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Verification:
    """The service's answer about a card."""

    decision: str  # eligible | not_eligible | refer
    reasons: tuple[str, ...]
    home_library: HomeLibrary
    expires_on: date | None
    identity: str
    checked_at: datetime
    source: str
    advice: str

    @property
    def may_lend(self) -> bool:
        """True only for `eligible` (R2); `refer` means call the home library first (R14)."""
        return self.decision == "eligible"


class Client:
    """Calls Reciprocity's API with a member library's key."""

    def __init__(self, base_url: str, key: str, *, timeout: float = 10.0,
                 session: requests.Session | None = None):
        """`base_url` like https://reciprocity.example/api/v1."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {key}",
                                     "Accept": "application/json"})

    def _post(self, path: str, body: dict) -> dict:
        """POST JSON; return the JSON answer or raise a FederationError."""
        try:
            response = self.session.post(self.base_url + path, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            raise TransportError(f"Could not reach the service: {error}") from error
        if response.status_code >= 400:
            raise _problem(response)
        try:
            return response.json()
        except ValueError as error:
            raise TransportError("The service answered with something other than JSON.") \
                from error

    def verify(self, card_number: str, *, home_library: str | None = None,
               surname: str | None = None) -> Verification:
        """Ask whether a visiting patron's card is in good standing."""
        body = {"card_number": card_number}
        if home_library:
            body["home_library"] = home_library
        if surname:
            body["surname"] = surname
        data = self._post("/verifications", body)
        home = data["home_library"]
        contact = home.get("contact") or {}
        return Verification(
            decision=data["decision"], reasons=tuple(data["reasons"]),
            home_library=HomeLibrary(home["code"], home["name"], contact.get("email"),
                                     contact.get("phone")),
            expires_on=date.fromisoformat(data["expires_on"]) if data.get("expires_on")
            else None,
            identity=data["identity"],
            checked_at=datetime.fromisoformat(data["checked_at"].replace("Z", "+00:00")),
            source=data["source"], advice=data["advice"])


def _problem(response: requests.Response) -> ProblemError:
    """Turn an error answer into a ProblemError (a bare 5xx from a proxy too)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    retry = response.headers.get("Retry-After")
    return ProblemError(response.status_code, body.get("code") or f"http_{response.status_code}",
                        body.get("detail") or response.reason or "", body.get("errors"),
                        int(retry) if retry and retry.isdigit() else None)
