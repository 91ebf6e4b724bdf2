"""Block requests the home library has not answered in time (R8): shown as overdue to both
parties and the office, and noted once with a `block.response_overdue` event.

Most tests here run with a response window that ended yesterday (BLOCK_RESPONSE_DAYS = -1),
so every new request is already late by the real clock the API and the CLI read.
"""

from datetime import timedelta

import pytest

from app.blocks.service import mark_overdue
from tests.blocks.conftest import HOME, LEND, LEND2, THIRD
from tests.dates import today

SAME_DAY = {"BLOCK_RESPONSE_DAYS": 0}


@pytest.fixture
def app_config(request):
    """Requests due yesterday, unless a test asks for another window."""
    return getattr(request, "param", {"BLOCK_RESPONSE_DAYS": -1})


def overdue_events(parties, code: str) -> list[str]:
    """The block ids of a library's block.response_overdue events, in feed order."""
    return [data["block_id"] for kind, data in parties.events(code)
            if kind == "block.response_overdue"]


def run_mark_overdue(app, day) -> int:
    """The sweep a scheduler runs, as of `day`."""
    with app.app_context():
        return mark_overdue(day)


def test_an_unanswered_request_past_its_due_date_is_overdue_to_both_parties_and_the_office(
        parties, patron):
    """R8: overdue: true for the requester, the home library and the office, and the
    `?overdue=` filter finds it; an answered request never is."""
    late = parties.block()
    assert late["response_due_on"] == (today() - timedelta(days=1)).isoformat()
    assert late["overdue"] is True
    answered = parties.block(kind="delinquent")
    parties.moved(answered["id"], "honor", HOME)
    refused = parties.block(lender=LEND2)
    parties.moved(refused["id"], "refuse", HOME)
    withdrawn = parties.block(lender=LEND2, kind="delinquent")
    parties.moved(withdrawn["id"], "withdraw", LEND2)

    for viewer in (LEND, HOME, None):
        assert parties.get(late["id"], viewer).get_json()["overdue"] is True
        assert parties.get(answered["id"], viewer).get_json()["overdue"] is False
    assert parties.get(refused["id"], LEND2).get_json()["overdue"] is False
    assert parties.get(withdrawn["id"], LEND2).get_json()["overdue"] is False

    def ids(by, **params):
        return sorted(b["id"] for b in parties.listed(by, **params))

    everything = sorted([late["id"], answered["id"], refused["id"], withdrawn["id"]])
    assert ids(None, overdue="true") == [late["id"]]
    assert ids(None, overdue="false") == sorted(set(everything) - {late["id"]})
    assert ids(HOME, **{"as": "home", "overdue": "true"}) == [late["id"]]
    assert ids(LEND, overdue="true") == [late["id"]]
    assert ids(LEND2, overdue="true") == []
    assert ids(THIRD, overdue="true") == []
    assert {b["id"]: b["overdue"] for b in parties.listed(None)} == {
        block_id: block_id == late["id"] for block_id in everything}

    # Answering late is still an answer: it stops being overdue.
    parties.moved(late["id"], "honor", HOME)
    assert parties.get(late["id"], LEND).get_json()["overdue"] is False
    assert ids(None, overdue="true") == []


def test_marking_overdue_requests_writes_one_event_per_request_even_when_run_twice(
        app, parties, patron):
    """R8: block.response_overdue once for each late request, to both parties only; answered
    requests are never marked."""
    first = parties.block()
    second = parties.block(lender=LEND2)
    answered = parties.block(kind="delinquent")
    parties.moved(answered["id"], "honor", HOME)
    withdrawn = parties.block(lender=LEND2, kind="delinquent")
    parties.moved(withdrawn["id"], "withdraw", LEND2)

    assert run_mark_overdue(app, today()) == 2
    assert run_mark_overdue(app, today()) == 0
    assert run_mark_overdue(app, today() + timedelta(days=30)) == 0
    assert overdue_events(parties, LEND) == [first["id"]]
    assert overdue_events(parties, LEND2) == [second["id"]]
    assert sorted(overdue_events(parties, HOME)) == sorted([first["id"], second["id"]])
    assert overdue_events(parties, THIRD) == []
    # Being noted changes nothing else: the request still waits for the home library's answer.
    assert parties.status(first["id"]) == "requested"
    assert parties.moved(first["id"], "honor", HOME)["overdue"] is False


def test_the_cli_marks_overdue_requests_once(app, parties, patron):
    """`reciprocity blocks mark-overdue` (for cron) notes each late request once."""
    block = parties.block()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["blocks", "mark-overdue"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 block request(s) newly overdue")
    again = runner.invoke(args=["blocks", "mark-overdue"])
    assert again.exit_code == 0 and again.output.startswith("0 block request(s)")
    assert overdue_events(parties, LEND) == overdue_events(parties, HOME) == [block["id"]]


@pytest.mark.parametrize("app_config", [SAME_DAY], indirect=True, ids=["answer-same-day"])
def test_a_request_is_not_overdue_until_the_day_after_it_is_due(app, parties, patron):
    """R8: response_due_on is the last day to answer; the request is late only after it."""
    block = parties.block()
    assert block["response_due_on"] == today().isoformat()
    assert block["overdue"] is False
    assert parties.listed(None, overdue="true") == []
    assert run_mark_overdue(app, today()) == 0
    assert overdue_events(parties, HOME) == []
    assert run_mark_overdue(app, today() + timedelta(days=1)) == 1
    assert overdue_events(parties, HOME) == overdue_events(parties, LEND) == [block["id"]]
