"""The peer-federation client: forward a verification, read a peer's libraries and directory.

A peer is another Reciprocity service. Forwarded verifications carry `Reciprocity-Hops`; the
peer answers from its own registry (or its home library's system) and never forwards again.
Everything the peer sends is checked field by field before it reaches a desk.
"""

import json
import re

import requests

HOPS_HEADER = "Reciprocity-Hops"
MAX_ANSWER_BYTES = 64 * 1024
MAX_PAGE_BYTES = 8 * 1024 * 1024
MAX_LINE_BYTES = 256 * 1024  # one library's directory entry with its policy
_REASON = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$")
DECISIONS = ("eligible", "not_eligible", "refer")


class PeerError(Exception):
    """The peer could not be asked, refused our key, or answered nonsense (no card, no name)."""


class PeerDoesNotKnow(Exception):
    """The peer answered that the card or home library is not one of its own."""


def _read(response: requests.Response, limit: int) -> bytes:
    """The body, refusing one larger than `limit`."""
    payload = response.raw.read(limit + 1, decode_content=True)
    if len(payload) > limit:
        raise PeerError("The peer's answer is too large.")
    return payload


def _request(session, method: str, url: str, key: str | None, timeout: float, limit: int,
             **kwargs) -> tuple[int, object]:
    """One call: (status, parsed JSON), every failure a PeerError."""
    headers = kwargs.pop("headers", {})
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        response = session.request(method, url, headers=headers, timeout=timeout, stream=True,
                                   **kwargs)
        with response:
            status = response.status_code
            payload = _read(response, limit)
    except requests.Timeout:
        raise PeerError("The peer did not answer in time.") from None
    except requests.RequestException as error:
        raise PeerError(f"The peer could not be reached ({type(error).__name__}).") from None
    try:
        return status, json.loads(payload)
    except ValueError:
        raise PeerError(f"The peer answered HTTP {status} with a body that is not JSON.") \
            from None


def _text(value, limit: int, *, optional: bool = False) -> str | None:
    """A string field of bounded length."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise PeerError("The peer's answer has a malformed field.")
    return value


def check_verification(data) -> dict:
    """The peer's verification answer, with only the fields a desk needs, each checked."""
    if not isinstance(data, dict) or data.get("decision") not in DECISIONS:
        raise PeerError("The peer's answer has no decision.")
    reasons = data.get("reasons")
    if not isinstance(reasons, list) or len(reasons) > 20 or not all(
            isinstance(r, str) and _REASON.match(r) for r in reasons):
        raise PeerError("The peer's answer has malformed reasons.")
    home = data.get("home_library")
    if not isinstance(home, dict) or not CODE.match(str(home.get("code", ""))):
        raise PeerError("The peer's answer names no home library.")
    contact = home.get("contact") if isinstance(home.get("contact"), dict) else {}
    return {
        "decision": data["decision"], "reasons": tuple(reasons),
        "home_library": {"code": home["code"], "name": _text(home.get("name"), 200),
                         "contact": {"email": _text(contact.get("email"), 254, optional=True),
                                     "phone": _text(contact.get("phone"), 40, optional=True)}},
        "expires_on": _text(data.get("expires_on"), 10, optional=True),
        "identity": data.get("identity") if data.get("identity") in (
            "matched", "mismatched", "not_checked") else "not_checked",
        "source": data.get("source") if data.get("source") in (
            "registry", "home_system") else "registry",
        "as_of": _text(data.get("as_of"), 40, optional=True),
        "advice": _text(data.get("advice"), 1000, optional=True),
    }


def forward_verification(session, base_url: str, key: str, question: dict, hops: int,
                         timeout: float) -> dict:
    """Ask the peer about one of its cards; its checked answer, or PeerError/PeerDoesNotKnow."""
    status, data = _request(session, "POST", f"{base_url}/api/v1/peer/verifications", key,
                            timeout, MAX_ANSWER_BYTES, json=question,
                            headers={HOPS_HEADER: str(hops)})
    if status == 200:
        return check_verification(data)
    code = data.get("code") if isinstance(data, dict) else None
    if status in (404, 422) and code in ("unknown_home_library", "home_library_required"):
        raise PeerDoesNotKnow(code)
    if status in (401, 403):
        raise PeerError(f"The peer refused this federation's key ({code or status}).")
    raise PeerError(f"The peer answered HTTP {status}" + (f" ({code})." if code else "."))


def _pages(session, url: str, key: str | None, timeout: float):
    """Every item of a paginated list (`items`, `next_cursor`)."""
    cursor = None
    for _ in range(10_000):
        params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        status, data = _request(session, "GET", url, key, timeout, MAX_PAGE_BYTES,
                                params=params)
        if status in (401, 403):
            raise PeerError("The peer refused this federation's key.")
        if status != 200 or not isinstance(data, dict) or not isinstance(data.get("items"),
                                                                          list):
            raise PeerError(f"The peer's list at {url} answered HTTP {status} without items.")
        yield from data["items"]
        cursor = data.get("next_cursor")
        if not cursor:
            return
    raise PeerError("The peer's list does not end.")


def peer_libraries(session, base_url: str, key: str, timeout: float):
    """The peer's participating libraries with their codes and card prefixes (peer key)."""
    for item in _pages(session, f"{base_url}/api/v1/peer/libraries", key, timeout):
        if not isinstance(item, dict) or not CODE.match(str(item.get("code", ""))):
            raise PeerError("The peer listed a library without a valid code.")
        prefixes = item.get("card_prefixes") or []
        if not isinstance(prefixes, list) or not all(
                isinstance(p, str) and p.isdigit() and 0 < len(p) <= 16 for p in prefixes):
            raise PeerError("The peer listed malformed card prefixes.")
        contact = item.get("contact") if isinstance(item.get("contact"), dict) else {}
        yield {"code": item["code"], "name": _text(item.get("name"), 200),
               "card_prefixes": prefixes,
               "contact": {"email": _text(contact.get("email"), 254, optional=True),
                           "phone": _text(contact.get("phone"), 40, optional=True)}}


def peer_directory(session, base_url: str, timeout: float):
    """The peer's public directory entries, each with the policy it published (no key).

    Read from the peer's JSON Lines export, one entry at a time: the whole directory never
    sits in memory at once, and no line may be longer than MAX_LINE_BYTES.
    """
    url = f"{base_url}/api/v1/directory.jsonl"
    try:
        response = session.get(url, timeout=timeout, stream=True)
        with response:
            if response.status_code != 200:
                raise PeerError(f"The peer's directory answered HTTP {response.status_code}.")
            for line in response.iter_lines(chunk_size=64 * 1024):
                if len(line) > MAX_LINE_BYTES:
                    raise PeerError("A line of the peer's directory is too long.")
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except ValueError:
                    raise PeerError("The peer's directory holds a line that is not JSON.") \
                        from None
                if isinstance(item, dict) and CODE.match(str(item.get("code", ""))):
                    if not isinstance(item.get("policy"), dict):
                        item["policy"] = None
                    yield item
    except requests.Timeout:
        raise PeerError("The peer's directory did not answer in time.") from None
    except requests.RequestException as error:
        raise PeerError(f"The peer's directory could not be read ({type(error).__name__}).") \
            from None


def directory_answer(session, base_url: str, code: str, term: str, timeout: float) -> dict:
    """The peer's answer to "may I borrow this format here?" for one of its libraries."""
    status, data = _request(session, "GET", f"{base_url}/api/v1/directory/{code}/answers",
                            None, timeout, MAX_ANSWER_BYTES, params={"format": term})
    if status == 404:
        raise PeerDoesNotKnow("unknown_library")
    if status != 200 or not isinstance(data, dict) or "may_borrow" not in data:
        raise PeerError(f"The peer's directory answered HTTP {status} without an answer.")
    return data
