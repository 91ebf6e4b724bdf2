"""The one check every error answer passes: RFC 9457 problem details with a stable code."""

PROBLEM = "application/problem+json"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is a complete problem+json with this status (and code); return its body."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.get_json()
    assert set(body) >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body
