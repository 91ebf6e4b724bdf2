"""The four member policies in tests/directory/sources (000 to 003) in the directory: every
line of each source is accounted for (a field, notes, a value R5 requires that the source
lacks, or deliberately left out with the reason), each published through the API and read back
field by field; and a reader can answer from the directory alone, for each library, whether
their library's patron can get a DVD from it, for how long, with how many renewals, what a lost
item costs and whom to call."""

import re
from pathlib import Path

import pytest

from tests.directory.reference_policies import (
    LEDGERS,
    REFERENCE_POLICIES,
    Field,
    Left,
    Notes,
)

SOURCES = Path(__file__).parent / "sources"
_MARKER = re.compile(r"^(?:[•\-]|\d+\.|[a-z]\.)\s+")


def source_lines(name: str) -> list[str]:
    """The non-empty lines of a source document, spaces (non-breaking too) made one."""
    text = (SOURCES / name).read_text(encoding="utf-8")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _starts(line: str, quote: str) -> bool:
    """A line begins with the quote (ignoring a bullet or list marker)."""
    return line.startswith(quote) or _MARKER.sub("", line).startswith(quote)


def covered_lines(lines: list[str], ledger) -> set[int]:
    """The indexes of the lines some ledger entry covers; each quote must be found."""
    covered = set()
    for quote, _ in ledger:
        if isinstance(quote, tuple):
            start, end = quote
            starts = [index for index, line in enumerate(lines) if _starts(line, start)]
            assert starts, f"span start not in the source: {start!r}"
            for first in starts:
                last = next(index for index in range(first, len(lines)) if end in lines[index])
                covered.update(range(first, last + 1))
        else:
            found = [index for index, line in enumerate(lines) if quote in line]
            assert found, f"quote not in the source: {quote!r}"
            covered.update(found)
    return covered


def at(document, path: str):
    """The value at a dotted path ('interlibrary_loan.conditional_formats.0.lends')."""
    value = document
    for name in path.split("."):
        value = value[int(name)] if isinstance(value, list) else value[name]
    return value


@pytest.mark.parametrize("code", list(REFERENCE_POLICIES))
def test_every_line_of_the_source_is_accounted_for(code):
    """No line of a source document is silently dropped: each is mapped or left with a reason."""
    _, _, name = REFERENCE_POLICIES[code]
    lines = source_lines(name)
    ledger, supplied = LEDGERS[code]
    missing = [line[:100] for index, line in enumerate(lines)
               if index not in covered_lines(lines, ledger)]
    assert missing == []
    for _, fate in ledger:
        if isinstance(fate, Left):
            assert len(fate.reason) > 10
    assert all(item.reason for item in supplied)


@pytest.fixture
def members(federation, client):
    """The four source libraries admitted with their types; a directory helper."""
    from tests.directory.conftest import Directory

    helper = Directory(federation, client)
    for code, (kind, _, _) in REFERENCE_POLICIES.items():
        helper.admit(code, type=kind, name=f"Reference library {code}")
    return helper


# What a reader asks of each library (a DVD through their own library): the ILL answer's
# lending term, loan days, renewals, what a lost item costs, and whom to call.
ANSWERS = {
    "OR0000": ("not_stated", None, None, "the current list price", "(541) 582-6211"),
    "OR0001": ("not_stated", 14, 1, "the current list price", "ill@wou.example.org"),
    "NY0002": ("everyone", 28, None, "a replacement copy", "sls@hfm.example.org"),
    "NY0003": ("groups_only", 56, 1, "the current list price", "ill@jjay.example.org"),
}


def test_each_policy_publishes_reads_back_and_answers_a_reader(members):
    """Every ledger field reads back from the directory; notes hold their words; what R5
    requires and the source lacks is there; and the DVD question is answered for each."""
    for code, (_, source, _) in REFERENCE_POLICIES.items():
        response = members.publish(code, source)
        assert response.status_code == 201, response.get_json()
        detail = members.get(f"/{code}").get_json()
        shown = detail["policy"]
        ledger, supplied = LEDGERS[code]
        for quote, fate in ledger:
            if isinstance(fate, Field):
                assert at(shown, fate.path) == fate.value, (code, quote, fate)
            elif isinstance(fate, Notes):
                assert fate.words in at(shown, fate.path), (code, quote, fate)
        for item in supplied:
            assert at(shown, item.path) not in (None, [], ""), (code, item)
        lends, days, renewals, lost, reach = ANSWERS[code]
        answer = members.get(f"/{code}/answers?format=dvd").get_json()
        ill = answer["interlibrary_loan"]
        assert ill["lends"] == lends, (code, ill)
        if lends not in ("not_stated", "not_lent"):
            assert ill["loan_days"] == days and ill["renewals"] == renewals, (code, ill)
            assert lost in ill["answer"], (code, ill["answer"])
        assert reach in ill["answer"], (code, ill["answer"])


def test_the_words_read_as_a_librarian_writes(members):
    """The conditional DVD loan, renewals with their exceptions, several ways to replace a
    lost item with an unstated fee, the review cycle and confidentiality, in plain words."""
    for code, (_, source, _) in REFERENCE_POLICIES.items():
        assert members.publish(code, source).status_code == 201
    jjay = members.get("/NY0003").get_json()["summary"]["interlibrary_loan"]
    assert "DVDs: lent only to members of CUNY. Email to confirm the title can be lent." in jjay
    assert ("Requests are served first from members of CUNY, then members of IDS, then "
            "libraries in New York.") in jjay
    assert "Requests by: OCLC (symbol VVJ), the ALA request form and email." in jjay
    assert "Its own patrons may make up to 10 requests a week." in jjay
    dvd = members.get("/NY0003/answers?format=dvd").get_json()["interlibrary_loan"]["answer"]
    assert dvd.startswith("Only for some libraries: Reference library NY0003 lends DVDs by "
                          "interlibrary loan only to members of CUNY, for 8 weeks, with one "
                          "renewal.")
    wou = members.get("/OR0001").get_json()
    ill = wou["summary"]["interlibrary_loan"]
    assert ("One renewal of 2 weeks is allowed, except when another patron has placed a "
            "hold on the item or once the item is 1 week overdue.") in ill
    assert "Items may be recalled at any time." in ill
    assert wou["review_cycle_months"] == 24 and wou["summary"]["review"][0].startswith(
        "The library reviews this policy every 2 years; the next review is due by August 15, "
        "2028.")
    assert wou["summary"]["confidentiality"][0] == (
        "Circulation and interlibrary loan records are confidential, released only on a court "
        "order or other due process of law.")
    assert wou["summary"]["opening_hours"][0] == "Monday to Friday: 8:00 a.m. to 5:00 p.m."
    sls = " ".join(members.get("/NY0002").get_json()["summary"]["interlibrary_loan"])
    assert ("Lost items: a replacement copy; or the current list price, or an agreed "
            "equivalent title when the item is out of print. A processing fee may apply; no "
            "amount is published, so a bill shows it as its own line and the home library may "
            "dispute it.") in sls
    assert "Loan period: 4 weeks, unless the lending library sets another." in sls
    assert ("Not lent on a usual basis, but possibly by special agreement (ask the "
            "interlibrary loan contact): bulky or fragile items, items in demand, rare books "
            "and manuscripts, and reference works.") in sls
    assert "A processing fee may apply; no amount is published" in sls
    jcls = " ".join(members.get("/OR0000").get_json()["summary"]["interlibrary_loan"])
    assert "Its own patrons may have up to 2 items requested or checked out at a time." in jcls
