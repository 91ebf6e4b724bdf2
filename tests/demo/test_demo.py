"""The demo federation: 623 Illinois libraries, synthetic patrons, keys; loading is idempotent."""

import os
import stat

import pytest
from sqlalchemy import func, select

from app import create_app
from app.demo.service import card_prefix, demo_card, luhn_digit
from app.extensions import db
from app.libraries.models import ApiKey, Library
from app.patrons.models import Patron
from app.timestamps import today_in
from tests.conftest import BACKENDS, base_config
from tests.demo_template import copy_demo

# One worker loads the session's demo template and serves these modules' copies.
pytestmark = pytest.mark.xdist_group("demo")


def read_env(path) -> dict:
    """The variables instance/demo.env exports."""
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            values[name] = value
    return values


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, demo_template, tmp_path_factory):
    """The demo loaded twice (at the smallest scale): the session's first load, copied, then
    loaded again into the copy; with its own instance folder. Shared by this module's tests,
    which only read it."""
    from app.demo import load_demo

    template = demo_template(request.param)
    copy, cleanup = copy_demo(request, template, tmp_path_factory.mktemp("demo-loaded"))
    first_env = copy.env()
    app = create_app(base_config(copy.url), instance_path=str(copy.instance))
    lines = list(template.lines)
    with app.app_context():
        load_demo(app, scale=0, echo=lines.append)
    yield app, copy.env_path, first_env, lines
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    cleanup()


def test_the_demo_admits_all_623_illinois_libraries_with_synthetic_systems(loaded):
    """Every survey row is a member; regional systems are labelled as synthetic."""
    app, _, _, _ = loaded
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Library)) == 623
        systems = set(db.session.scalars(select(Library.system).distinct()))
        assert systems == {"SYNTHETIC-NORTH", "SYNTHETIC-CENTRAL", "SYNTHETIC-SOUTH"}
        aurora = db.session.scalar(select(Library).where(Library.code == "IL0029"))
        assert aurora.name == "Aurora Public Library"
        assert aurora.card_prefixes == ["20029"] and aurora.county == "Kane"


def test_loading_again_changes_nothing_and_keeps_the_keys(loaded):
    """Idempotent: the second run admits nobody, creates no patron and reuses the keys."""
    app, path, first_env, lines = loaded
    second = lines[len(lines) // 2:]
    assert second[0] == "Libraries: 0 admitted, 623 already members."
    assert second[1].startswith("Patrons: 0 created, 0 updated,")
    assert second[2] == "Bills: 0 demo bills made, 6 already there."
    assert second[3] == "Blocks: 0 demo blocks made, 7 already there."
    assert read_env(path) == first_env
    with app.app_context():
        # the admin, lender and home keys, issued once
        assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 3


def test_the_demo_env_file_is_private(loaded):
    """Keys are secrets: the file is readable by its owner only."""
    _, path, _, _ = loaded
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_each_demo_card_gives_the_decision_the_readme_promises(loaded):
    """The README's tour: every decision, through the real API with the demo keys."""
    app, _, env, _ = loaded
    client = app.test_client()
    headers = {"Authorization": f"Bearer {env['DEMO_LENDER_KEY']}"}

    def decide(card, **extra):
        body = client.post("/api/v1/verifications", json={"card_number": card, **extra},
                           headers=headers).get_json()
        return body["decision"], body["reasons"]

    assert decide(env["DEMO_CARD_GOOD"], surname=env["DEMO_SURNAME_GOOD"]) == ("eligible", [])
    assert decide(env["DEMO_CARD_GOOD"], surname="Smith") == ("refer", ["identity_mismatch"]) \
        or env["DEMO_SURNAME_GOOD"] == "Smith"
    assert decide(env["DEMO_CARD_BLOCKED"]) == ("not_eligible", ["home_block"])
    assert decide(env["DEMO_CARD_EXPIRED"]) == ("not_eligible", ["expired"])
    assert decide(env["DEMO_CARD_REPLACED"]) == ("not_eligible", ["card_replaced"])
    assert decide(env["DEMO_CARD_INACTIVE_HOME"]) == ("not_eligible",
                                                      ["home_not_participating"])
    assert decide(env["DEMO_CARD_UNKNOWN"]) == ("refer", ["unknown_card"])
    admin = {"Authorization": f"Bearer {env['DEMO_ADMIN_KEY']}"}
    assert client.get("/api/v1/libraries?limit=1", headers=admin).status_code == 200


def test_patrons_are_in_proportion_to_registered_borrowers(app, tmp_path):
    """At 1 per 1000 registered borrowers, Chicago (1,086,118) has 1,086 demo patrons.

    The loader's libraries and patrons steps at the default scale (the whole loader, at the
    smallest scale, is what the other tests read)."""
    from app.demo.service import DEFAULT_SCALE, _load_libraries, _load_patrons

    app.instance_path = str(tmp_path)
    with app.app_context():
        libraries = _load_libraries(lambda line: None)
        _load_patrons(libraries, app.config["HMAC_KEY"].encode(), DEFAULT_SCALE,
                      today_in(app.config["TIMEZONE"]), lambda line: None)
        counts = dict(db.session.execute(
            select(Library.code, func.count(Patron.id)).join(Patron)
            .group_by(Library.code)).all())
        standings = dict(db.session.execute(
            select(Patron.standing, func.count()).group_by(Patron.standing)).all())
    assert counts["IL0098"] == 1086 and counts["IL0029"] == 110
    assert min(counts.values()) == 12  # every library has a few, even with no survey count
    assert 0.05 < standings["blocked"] / sum(standings.values()) < 0.2


def test_demo_cards_are_14_digit_codabar_numbers_with_a_luhn_check_digit():
    """Cards look like real library cards: prefix 2 + FSCS number, serial, check digit."""
    card = demo_card("IL0003", 42)
    assert card.startswith(card_prefix("IL0003")) and len(card) == 14
    assert luhn_digit(card[:-1]) == card[-1]
    assert luhn_digit("7992739871") == "3"  # the textbook Luhn example


def test_the_demo_has_bills_in_every_state_with_their_events(loaded):
    """Bills in every state: open (one paid in part), disputed, paid, resolved and void."""
    from app.bills.models import Bill
    from app.events.models import Event

    app, _, env, _ = loaded
    with app.app_context():
        bills = db.session.scalars(select(Bill).where(Bill.note.like("Demo bill:%"))).all()
        assert sorted(b.status for b in bills) == ["disputed", "open", "open", "paid",
                                                   "resolved", "void"]
        assert any(0 < b.amount_paid_cents < b.amount_due_cents for b in bills)
        assert db.session.scalar(select(func.count()).select_from(Event)) > 12
    client = app.test_client()
    listed = client.get("/api/v1/bills?as=home", headers={
        "Authorization": f"Bearer {env['DEMO_HOME_KEY']}"}).get_json()["items"]
    assert len([b for b in listed if b["note"].startswith("Demo bill:")]) == 6


def test_the_demo_has_blocks_in_every_state_and_verification_shows_them(loaded):
    """Blocks in every state: requested (one overdue), honored, refused, withdrawn and
    released (R8)."""
    app, _, env, _ = loaded
    client = app.test_client()
    home = {"Authorization": f"Bearer {env['DEMO_HOME_KEY']}"}
    listed = client.get("/api/v1/blocks?as=home", headers=home).get_json()["items"]
    by_note = {block["note"]: block for block in listed}
    assert sorted(b["status"] for b in listed) == ["honored", "honored", "refused", "released",
                                                   "requested", "requested", "withdrawn"]
    assert by_note["Demo block: unanswered past its due date"]["overdue"] is True
    assert by_note["Demo block: awaiting an answer"]["overdue"] is False
    refused = by_note["Demo block: refused (Aurora is now liable)"]
    bill = client.get(f"/api/v1/bills/{refused['bill_ids'][0]}", headers=home).get_json()
    assert bill["liable_party"] == "home_library"  # R8
    lender = {"Authorization": f"Bearer {env['DEMO_LENDER_KEY']}"}

    def decide(card):
        body = client.post("/api/v1/verifications", json={"card_number": card},
                           headers=lender).get_json()
        return body["decision"], body["reasons"]

    assert decide(env["DEMO_CARD_FEDERATION_BLOCK"]) == ("not_eligible", ["federation_block"])
    assert decide(env["DEMO_CARD_DELINQUENT"]) == ("refer", ["delinquent"])


def test_every_demo_library_publishes_a_varied_policy_once(loaded):
    """Policies: a policy per library, caps 2-10, some excluding DVDs, R11-marked fees, some
    stale (R5), some late nonresident reports (R18); loading again adds no version."""
    from app.directory.models import DirectoryEntry, PolicyVersion

    app, _, _, lines = loaded
    assert lines[len(lines) // 2:][4] == "Policies: 0 published, 623 already in the directory."
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PolicyVersion)) == 623
        caps = set(db.session.scalars(select(DirectoryEntry.items_at_a_time).where(
            DirectoryEntry.participates.is_(True))))
        assert caps == set(range(2, 11))
        # A library that takes no part (R1: the library record says so) states no cap.
        assert set(db.session.scalars(select(DirectoryEntry.items_at_a_time).where(
            DirectoryEntry.participates.is_(False)))) <= {None}
        late = db.session.scalar(select(func.count()).where(
            DirectoryEntry.nonresident_report_late.is_(True)))
        assert 0 < late < 623
        policies = db.session.scalars(select(PolicyVersion.policy)).all()
    fees = [fee for policy in policies for fee in policy["fees"]]
    assert any(not fee["also_charged_to_own_patrons"] for fee in fees)
    assert all(fee["also_charged_to_own_patrons"] or fee["in_effect_since"] <= "2014-07-01"
               for fee in fees)
    client = app.test_client()
    stale = client.get("/api/v1/directory?stale=true&limit=1").get_json()
    no_dvds = client.get("/api/v1/directory?lends_format=dvd&limit=1").get_json()
    assert 0 < stale["total"] < 622 and 0 < no_dvds["total"] < 622
    naperville = client.get("/api/v1/directory/IL0368").get_json()
    assert naperville["policy"]["interlibrary_loan"]["lost_materials"][
        "processing_fee_cents"] >= 500  # the demo bills' processing fee stays allowed


def test_the_demo_has_notices_a_suspension_and_a_dispute(loaded):
    """R12: Aurora suspended reciprocal borrowing for Naperville's patrons, resting on its
    answered notice; Aurora's desk says `suspended_by_you`; Naperville's desk (the tour's) is
    untouched; Naperville's dispute of it is with the office (R13); loading again adds
    nothing."""
    from app.demo.service import HOME as AURORA
    from app.demo.service import LENDER as NAPERVILLE
    from app.notices.models import Notice
    from app.suspensions.models import Suspension

    app, _, env, lines = loaded
    assert "Between libraries: the demo notices and suspension are already there." in lines
    with app.app_context():
        assert sorted(db.session.scalars(select(Notice.status))) == ["acknowledged", "answered"]
        assert db.session.scalar(select(func.count()).select_from(Suspension)) == 1
    client = app.test_client()
    home = {"Authorization": f"Bearer {env['DEMO_HOME_KEY']}"}
    lender = {"Authorization": f"Bearer {env['DEMO_LENDER_KEY']}"}
    at_aurora = client.post("/api/v1/verifications", headers=home,
                            json={"card_number": demo_card(NAPERVILLE, 1)}).get_json()
    assert at_aurora["reasons"] == ["suspended_by_you"]
    assert "Until the held items are back (demo)." in at_aurora["advice"]
    at_naperville = client.post("/api/v1/verifications", headers=lender,
                                json={"card_number": env["DEMO_CARD_GOOD"]}).get_json()
    assert at_naperville["decision"] == "eligible"
    listed = client.get(f"/api/v1/directory/{AURORA}/suspensions", headers=lender).get_json()
    assert [s["suspended_library"] for s in listed["items"]] == [NAPERVILLE]
    office = {"Authorization": f"Bearer {env['DEMO_ADMIN_KEY']}"}
    disputes = client.get("/api/v1/disputes", headers=office).get_json()["items"]
    # Aurora's dispute of its demo bill is a dispute like the others (R13), still open.
    assert sorted((d["subject_type"], d["status"], d["opened_by"]) for d in disputes) == [
        ("bill", "open", AURORA), ("suspension", "escalated", NAPERVILLE)]


def test_the_demo_has_an_answered_assistance_request(loaded):
    """R7: Naperville asked Aurora to help collect its open bill; Aurora contacted the patron
    itself. Loading again adds nothing."""
    from app.demo.service import HOME as AURORA
    from app.demo.service import LENDER as NAPERVILLE

    app, _, env, lines = loaded
    assert "Assistance: the demo request is already there." in lines
    client = app.test_client()
    lender = {"Authorization": f"Bearer {env['DEMO_LENDER_KEY']}"}
    items = client.get("/api/v1/assistance", headers=lender).get_json()["items"]
    assert [(a["requester"], a["home_library"], a["kind"], a["status"], a["response"])
            for a in items] == [(NAPERVILLE, AURORA, "collect_bill", "answered",
                                 "contacted_patron")]
