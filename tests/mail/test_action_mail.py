"""Email for what needs action: a block request, a bill, a dispute message (and an assistance
request) reach the other library's staff at its contact address, saying what to do and by
when (R8, R6, R13, R7). Each library chooses which kinds it takes, one setting per kind (on by
default for block requests and suspensions); notices and suspensions are letters the Plan
requires in writing (VIII.1.b, VIII.1.d) and are always mailed."""

from datetime import timedelta

from federation import Client
from tests.blocks.conftest import CARD, HOME, LEND, OTHER_CARD, THIRD, Parties
from tests.dates import today
from tests.mail.conftest import deliver
from tests.problems import assert_problem

HOME_MAIL = f"{HOME.lower()}@example.org"


def long_date(day) -> str:
    """A date as the emails write it."""
    return f"{day:%B} {day.day}, {day.year}"


def settings(parties, code=HOME, by=HOME):
    """GET a library's mail settings as `by`; the response."""
    return parties.client.get(f"/api/v1/libraries/{code}/mail-settings",
                              headers=parties.headers(by))


def change(parties, body: dict, code=HOME, by=HOME):
    """PATCH a library's mail settings as `by`; the response."""
    return parties.client.patch(f"/api/v1/libraries/{code}/mail-settings", json=body,
                                headers=parties.headers(by))


def test_a_block_request_emails_the_home_library_with_what_to_do_and_by_when(
        federation, client, inbox, app):
    """R8, on by default: the home library's staff are asked to honor or refuse by the due
    date; a bill, off by default, sends nothing until the home library turns it on."""
    parties = Parties(federation, client)
    federation.register(HOME, CARD)
    block = parties.block()
    deliver(app)
    [message] = inbox.to(HOME_MAIL)
    due = long_date(today() + timedelta(days=app.config["BLOCK_RESPONSE_DAYS"]))
    assert message["Subject"].strip() == \
        f"Block request from Lakeshore Lending Library: answer by {due}"
    body = message.get_body(("plain",)).get_content()
    assert block["id"] in body and f"honor or refuse it in Reciprocity by {due}" in body
    assert message.get_content_type() == "text/plain"  # no attachment: not a letter
    assert inbox.to(f"{LEND.lower()}@example.org") == []

    inbox.clear()
    parties.bill()  # bills are off by default
    deliver(app)
    assert inbox.messages == []
    assert change(parties, {"bill": True}).status_code == 200
    bill = parties.bill(cents=2500)
    deliver(app)
    [message] = inbox.to(HOME_MAIL)
    assert message["Subject"].strip() == "Bill from Lakeshore Lending Library: $25.00"
    assert bill in message.get_body(("plain",)).get_content()

    inbox.clear()
    assert change(parties, {"block_request": False}).status_code == 200
    federation.register(HOME, OTHER_CARD)
    parties.block(card=OTHER_CARD)  # a new bill (mailed) and a block request (now not)
    deliver(app)
    assert [m["Subject"].strip().split(":")[0] for m in inbox.to(HOME_MAIL)] == \
        ["Bill from Lakeshore Lending Library"]


def test_a_dispute_message_reaches_the_other_party_when_it_takes_them(
        federation, client, inbox, app):
    """R13: whoever writes, the other library is told (when it chose dispute messages)."""
    parties = Parties(federation, client)
    federation.register(HOME, CARD)
    bill = parties.bill()
    for code in (HOME, LEND):
        assert change(parties, {"dispute_message": True}, code=code, by=code).status_code == 200
    opened = client.post("/api/v1/disputes", headers=parties.headers(HOME), json={
        "subject_type": "bill", "subject_id": bill, "summary": "The book was returned."})
    assert opened.status_code == 201, opened.get_json()
    dispute = opened.get_json()["id"]
    for author, body in ((LEND, "We have no record of it."), (HOME, "Here is the receipt.")):
        posted = client.post(f"/api/v1/disputes/{dispute}/messages",
                             headers=parties.headers(author), json={"body": body})
        assert posted.status_code == 200, posted.get_json()
    deliver(app)
    to_home = [m for m in inbox.to(HOME_MAIL) if "wrote in dispute" in m["Subject"]]
    to_lend = [m for m in inbox.to(f"{LEND.lower()}@example.org")
               if "wrote in dispute" in m["Subject"]]
    assert [m["Subject"].strip() for m in to_home] == \
        [f"Lakeshore Lending Library wrote in dispute {dispute}"]
    assert [m["Subject"].strip() for m in to_lend] == \
        [f"Prairie Home Library wrote in dispute {dispute}"]


def test_each_library_reads_and_chooses_only_its_own_settings(federation, client, inbox):
    """Defaults as stated; letters cannot be turned off; nobody else changes them."""
    parties = Parties(federation, client)
    body = settings(parties).get_json()
    assert {kind: value["enabled"] for kind, value in body.items()} == {
        "block_request": True, "suspension": True, "notice": True, "assistance_request": False,
        "dispute_message": False, "bill": False}
    assert body["suspension"]["letter"] is True and body["bill"]["letter"] is False
    assert_problem(change(parties, {"suspension": False}), 422, "letter_required")
    assert_problem(change(parties, {"carrier_pigeon": True}), 422, "validation_failed")
    assert_problem(change(parties, {"bill": "sometimes"}), 422, "validation_failed")
    assert_problem(change(parties, {"bill": True}, by=LEND), 403, "not_your_library")
    assert_problem(settings(parties, by=THIRD), 403, "not_your_library")
    assert_problem(change(parties, {"bill": True}, by=None), 403, "forbidden_role")
    assert settings(parties, by=None).status_code == 200  # the office reads
    assert client.get(f"/api/v1/libraries/{HOME}/mail-settings").status_code == 401
    assert settings(parties).get_json()["bill"]["enabled"] is False  # nothing changed


def test_mail_settings_through_the_sdk(federation, client, live_server, inbox):
    """The SDK reads and changes a library's choice."""
    Parties(federation, client)
    home = Client(live_server, federation.keys[HOME], timeout=10)
    assert home.mail_settings(HOME)["bill"]["enabled"] is False
    assert home.change_mail_settings(HOME, bill=True, block_request=False)["bill"]["enabled"]
    assert home.mail_settings(HOME)["block_request"]["enabled"] is False
