"""The four member policies in ../shared/reference (000 to 003) fit the model without loss: each is
published through the API and the directory shows back every field, compared one by one."""

import pytest

from app.directory.versions import flatten
from tests.directory.reference_policies import (
    JCLS_000,
    JJAY_003,
    REFERENCE_POLICIES,
    SLS_002,
    WOU_001,
)


def published_fields(value) -> dict:
    """Leaves by dotted path, lists compared as sets where order carries no meaning."""
    return {path: sorted(leaf) if isinstance(leaf, list) and all(
        isinstance(item, str) for item in leaf) and path.split(".")[-1] not in (
        "eligible", "not_eligible") else leaf for path, leaf in flatten(value).items()}


@pytest.fixture
def members(federation, client):
    """The four source libraries admitted with their types; a directory helper."""
    from tests.directory.conftest import Directory

    helper = Directory(federation, client)
    for code, (kind, _, _) in REFERENCE_POLICIES.items():
        helper.admit(code, type=kind, name=f"Reference library {code}")
    return helper


def assert_shown_back(members, code: str, source: dict) -> dict:
    """Publish `source` as `code`; every field it set comes back unchanged in the directory."""
    assert members.publish(code, source).status_code == 201
    detail = members.get(f"/{code}").get_json()
    sent, shown = published_fields(source), published_fields(detail["policy"])
    for path, value in sent.items():
        assert shown.get(path) == value, (path, value, shown.get(path))
    return detail


def test_000_the_county_library_s_ill_notice(members):
    """../shared/reference/000_8ec8ec016ae27fdb.txt: two items at a time, a full-service card in
    good standing, the ILL department's phone, free lenders first, copyright on copies."""
    detail = assert_shown_back(members, "OR0000", JCLS_000)
    ill = " ".join(detail["summary"]["interlibrary_loan"])
    assert "(541) 582-6211" in ill and "2 items at a time" in ill
    assert "full-service card in good standing" in ill


def test_001_the_university_library_s_ill_policy(members):
    """../shared/reference/001_61c2e769e2c3ccf0.txt: two-week loans, one renewal, free, $1.00 a
    day overdue, eligible and ineligible users, materials not lent, hours."""
    detail = assert_shown_back(members, "OR0001", WOU_001)
    assert "Overdue interlibrary loan materials (interlibrary loan): $1.00 a day, also " \
           "charged to the library's own patrons." in detail["summary"]["fees"][0]
    ill = " ".join(detail["summary"]["interlibrary_loan"])
    assert "Loan period: 2 weeks, one renewal." in ill and "reference works" in ill
    answer = members.get("/OR0001/answers?format=book").get_json()
    assert answer["may_borrow"] is False


def test_002_the_school_library_system_s_handbook(members):
    """../shared/reference/002_a4c2e224153b480d.txt: four-week loans, what is not lent, lost
    items at list price or an equivalent title with a processing fee."""
    detail = assert_shown_back(members, "NY0002", SLS_002)
    ill = " ".join(detail["summary"]["interlibrary_loan"])
    assert "Loan period: 4 weeks." in ill
    assert "agreed equivalent title when out of print" in ill


def test_003_the_college_library_s_ill_faq(members):
    """../shared/reference/003_0aaf1d68051e7b03.txt: ten a week, eight-week loans, one renewal,
    non-profits and academic institutions anywhere, not law firms, free."""
    detail = assert_shown_back(members, "NY0003", JJAY_003)
    ill = " ".join(detail["summary"]["interlibrary_loan"])
    assert "Loan period: 8 weeks, one renewal." in ill
    assert "Does not lend to: law firms." in ill and "Interlibrary loan is free." in ill
    assert "10 requests a week" in ill
