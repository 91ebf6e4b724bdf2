"""Two publishes of one library racing over real HTTP: one version per number, never a 500."""

import requests
from sqlalchemy import select

from app.directory.models import PolicyVersion
from app.extensions import db
from app.libraries.models import Library
from tests.directory.conftest import policy
from tests.problems import PROBLEM
from tests.racing import race

ROUNDS = 4


def test_two_publishes_racing_make_distinct_versions_and_the_entry_the_newest(
        directory, live_server, app):
    """Each round: one publish is version N+1, the other N+2 or 409 policy_publish_conflict;
    the directory ends on the highest version, with that version's policy."""
    directory.published("IL0001", policy())
    url = f"{live_server}/libraries/IL0001/policy"
    # Two clients allowed to publish IL0001: the library itself and the federation office.
    clients = [directory.federation.headers("IL0001"), directory.federation.headers()]
    current = 1
    for round_ in range(ROUNDS):
        loan_days = [14 + 2 * round_, 15 + 2 * round_]  # different from each other and before
        results = race([
            (lambda session, days=days, headers=headers: session.put(
                url, json=policy(**{"reciprocal_borrowing.loan_days": days}),
                headers=headers, timeout=30))
            for days, headers in zip(loan_days, clients)])
        statuses = [response.status_code for response in results]
        assert sorted(statuses) in ([201, 201], [201, 409]), [r.text for r in results]
        for response in results:
            if response.status_code == 409:
                assert response.headers["Content-Type"].startswith(PROBLEM)
                assert response.json()["code"] == "policy_publish_conflict"
        won = sorted((r.json()["version"], r.json()["policy"]["reciprocal_borrowing"][
            "loan_days"]) for r in results if r.status_code == 201)
        assert [version for version, _ in won] == list(range(current + 1,
                                                             current + 1 + len(won)))
        current = won[-1][0]
        detail = requests.get(f"{live_server}/directory/IL0001", timeout=30).json()
        assert detail["version"] == current
        assert detail["policy"]["reciprocal_borrowing"]["loan_days"] == won[-1][1]
    history = requests.get(f"{live_server}/directory/IL0001/history", timeout=30).json()
    assert [item["version"] for item in history["items"]] == list(range(current, 0, -1))
    with app.app_context():
        numbers = db.session.execute(select(PolicyVersion.version).join(
            Library, Library.id == PolicyVersion.library_id).where(
            Library.code == "IL0001")).scalars().all()
        db.session.remove()
    assert sorted(numbers) == list(range(1, current + 1))
