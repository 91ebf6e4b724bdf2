"""Quarterly statements over HTTP: per counterparty, what was billed, paid and is still owed."""

import csv
import io

import pytest

from tests.bills.conftest import HOME, LEND, THIRD, current_period, in_print_item
from tests.dates import today
from tests.problems import PROBLEM

LEND_CARD = "20002 0000 5555"  # a patron of LEND, billed by HOME


def neighbour_period(period: str, step: int) -> str:
    """The quarter `step` quarters before (-1) or after (+1) `period`."""
    year, quarter = int(period[:4]), int(period[-1])
    index = year * 4 + quarter - 1 + step
    return f"{index // 4}-Q{index % 4 + 1}"


@pytest.fixture
def traffic(parties):
    """This quarter: LEND bills HOME three times (part paid, void, paid), HOME and THIRD bill
    LEND once each."""
    partly_paid = parties.bill(items=[in_print_item(2500)])
    reported = parties.pay(partly_paid["id"], 1000, parties.home)  # R8: LEND confirms it
    assert parties.act(partly_paid["id"], f"payments/{reported.get_json()['id']}/confirm",
                       parties.lend).status_code == 200
    void = parties.bill(items=[in_print_item(4000)])
    assert parties.act(void["id"], "void", parties.lend, {"reason": "Found."}).status_code == 200
    paid = parties.bill(items=[in_print_item(1500)])
    assert parties.pay(paid["id"], 1500, parties.lend, paid_by="home_library").status_code \
        == 201
    parties.bill(parties.home, card=LEND_CARD, home_library=LEND, items=[in_print_item(700)])
    parties.bill(parties.third, card=LEND_CARD, home_library=LEND, items=[in_print_item(300)])
    return parties


def statement(parties, headers, period=None, **params):
    """GET a statement; the response."""
    period = current_period() if period is None else period
    return parties.client.get("/api/v1/statements", headers=headers,
                              query_string={"period": period, **params})


def test_a_statement_shows_per_counterparty_what_was_billed_paid_and_is_owed(traffic):
    """Each row is one other library, seen from each side; a void bill is billed but not
    owed (R6)."""
    response = statement(traffic, traffic.lend)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    period = current_period()
    assert body["library"] == LEND and body["period"] == period
    assert body["currency"] == "USD"
    assert body["starts_on"] <= today().isoformat() <= body["ends_on"]
    rows = {row["library"]: row for row in body["rows"]}
    assert list(rows) == [HOME, THIRD]
    assert rows[HOME] == {
        "library": HOME, "name": f"Library {HOME}",
        "billed_by_you_cents": 2500 + 4000 + 1500, "billed_to_you_cents": 700,
        "received_cents": 1000 + 1500, "paid_cents": 0,
        "owed_to_you_cents": 1500, "you_owe_cents": 700, "you_owe_as_liable_cents": 0,
        "reported_to_you_cents": 0, "reported_by_you_cents": 0,
        "net_cents": 1500 - 700}
    assert rows[THIRD] == {
        "library": THIRD, "name": f"Library {THIRD}",
        "billed_by_you_cents": 0, "billed_to_you_cents": 300,
        "received_cents": 0, "paid_cents": 0,
        "owed_to_you_cents": 0, "you_owe_cents": 300, "you_owe_as_liable_cents": 0,
        "reported_to_you_cents": 0, "reported_by_you_cents": 0,
        "net_cents": -300}

    # HOME sees the same bills from its side; THIRD sees only its own bill to LEND (R16).
    home_rows = statement(traffic, traffic.home).get_json()["rows"]
    assert home_rows == [{
        "library": LEND, "name": f"Library {LEND}",
        "billed_by_you_cents": 700, "billed_to_you_cents": 8000,
        "received_cents": 0, "paid_cents": 2500,
        "owed_to_you_cents": 700, "you_owe_cents": 1500, "you_owe_as_liable_cents": 0,
        "reported_to_you_cents": 0, "reported_by_you_cents": 0,
        "net_cents": -800}]
    third_rows = statement(traffic, traffic.third).get_json()["rows"]
    assert [row["library"] for row in third_rows] == [LEND]
    assert third_rows[0]["owed_to_you_cents"] == 300


def test_balances_carry_into_the_next_quarter_and_do_not_exist_before(traffic):
    """Owed amounts are as at the quarter's end; billing and payments stay in their quarter."""
    before = statement(traffic, traffic.lend, neighbour_period(current_period(), -1))
    assert before.status_code == 200
    assert before.get_json()["rows"] == []

    after = {row["library"]: row for row in statement(
        traffic, traffic.lend, neighbour_period(current_period(), +1)).get_json()["rows"]}
    assert after[HOME]["billed_by_you_cents"] == 0 and after[HOME]["received_cents"] == 0
    assert after[HOME]["owed_to_you_cents"] == 1500  # the void bill is still not owed
    assert after[HOME]["you_owe_cents"] == 700
    assert after[THIRD]["net_cents"] == -300


def test_a_statement_as_csv_has_a_header_and_one_row_per_counterparty_in_cents(traffic):
    """format=csv: text/csv, the same numbers as the JSON; an empty quarter is a header."""
    response = statement(traffic, traffic.lend, format="csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    as_json = statement(traffic, traffic.lend).get_json()["rows"]
    assert len(rows) == len(as_json) == 2
    for row, expected in zip(rows, as_json):
        assert row["period"] == current_period()
        assert row["library"] == expected["library"]
        for column, value in expected.items():
            if column.endswith("_cents"):
                assert row[column] == str(value), column  # whole cents, never "15.00"

    # A quarter with no counterparties: a CSV with only its header.
    empty = statement(traffic, traffic.lend, neighbour_period(current_period(), -1),
                      format="csv").get_data(as_text=True).splitlines()
    assert len(empty) == 1 and empty[0].startswith("period,library,")


def test_a_period_that_is_not_a_quarter_is_refused(parties):
    """422 validation_failed naming `period`; never a 500 for a year the calendar lacks."""
    for bad in ("2026-Q5", "2026-Q0", "2026Q4", "26-Q1", "2026-q4", "2026-Q4x", "",
                "0000-Q1", "9999-Q4", "２０２６-Q1"):
        response = statement(parties, parties.lend, bad)
        assert response.status_code == 422, (bad, response.get_json())
        assert response.mimetype == PROBLEM
        assert response.get_json()["code"] == "validation_failed"
        assert "period" in response.get_json()["errors"]
    missing = parties.client.get("/api/v1/statements", headers=parties.lend)
    assert missing.status_code == 422 and "period" in missing.get_json()["errors"]
    assert statement(parties, parties.lend, format="xml").status_code == 422
    assert statement(parties, {}).status_code == 401
