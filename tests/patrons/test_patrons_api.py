"""The patron registry over HTTP: a home library keeps and sees only its own patrons (R2, R16)."""

import hashlib

CARD = "20001 0000 1234"
CARD_PLAIN = "2000100001234"
SURNAME = "Núñez-O'Brien"
PROBLEM = "application/problem+json"


def register(client, headers, card=CARD, **fields):
    """POST a patron; return the response."""
    body = {"card_number": card, "expires_on": "2030-06-30", **fields}
    return client.post("/api/v1/patrons", json=body, headers=headers)


def assert_no_secrets(response, *secrets):
    """R16: the raw body names none of the secrets, in any of the forms they were sent."""
    body = response.get_data(as_text=True).lower()
    for secret in secrets:
        for form in {secret.lower(), secret.lower().replace(" ", ""),
                     secret.lower().replace(" ", "").replace("-", "")}:
            assert form not in body, f"{form!r} leaked in {body}"


# Upsert ---------------------------------------------------------------------------------------

def test_registering_a_card_creates_then_updates_the_same_patron(client, home):
    """Upsert by card number: 201 for a new card, 200 for the same card typed differently."""
    created = register(client, home, category="adult", external_ref="P-1")
    assert created.status_code == 201
    again = register(client, home, card="20001-0000-1234", category="juvenile")
    assert again.status_code == 200
    assert again.get_json()["id"] == created.get_json()["id"]
    assert again.get_json()["category"] == "juvenile"
    assert again.get_json()["external_ref"] == "P-1"  # absent fields keep their value


def test_the_answer_shows_only_the_last_four_digits_and_never_the_surname(client, home):
    """R16: the card number and surname go in but never come out."""
    response = register(client, home, surname=SURNAME, category="adult")
    body = response.get_json()
    assert body["card_last4"] == "1234"
    assert body["identity_check"] is True
    assert "card_number" not in body and "surname" not in body
    assert_no_secrets(response, CARD, CARD_PLAIN, SURNAME, "nunez", "brien")
    assert set(body) == {"id", "card_last4", "expires_on", "standing", "block_reasons",
                         "category", "external_ref", "identity_check", "created_at",
                         "updated_at"}


def test_no_answer_about_a_patron_reveals_the_card_or_surname(client, home):
    """R16: every patron endpoint (get, list, lookup, patch, replace-card) shows last4 only."""
    patron = register(client, home, surname=SURNAME).get_json()
    url = f"/api/v1/patrons/{patron['id']}"
    answers = [
        client.get(url, headers=home),
        client.get("/api/v1/patrons", headers=home),
        client.post("/api/v1/patrons/lookup", json={"card_number": CARD}, headers=home),
        client.patch(url, json={"surname": "Garcia"}, headers=home),
        client.post(f"{url}/replace-card", json={"new_card_number": "20001 0000 9876"},
                    headers=home),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.get_json()
        assert_no_secrets(answer, CARD, CARD_PLAIN, SURNAME, "nunez", "garcia",
                          "2000100009876")
    assert answers[-1].get_json()["card_last4"] == "9876"


def test_the_database_holds_no_card_number_or_surname_in_the_clear(client, home, raw_rows):
    """R16: every column of patrons and replaced_cards, read raw, is free of plaintext."""
    patron = register(client, home, surname=SURNAME, external_ref="P-7").get_json()
    client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                json={"new_card_number": "20001-0000-5555"}, headers=home)
    secrets = ["2000100001234", "2000100005555", "100001234", "100005555", "nunez", "núñez",
               "obrien", "o'brien"]
    plain_hashes = {hashlib.sha256(c.encode()).digest()
                    for c in ("2000100001234", "2000100005555", "nunezobrien")}
    rows = raw_rows("patrons") + raw_rows("replaced_cards")
    assert len(rows) == 2
    for row in rows:
        for value in row:
            if isinstance(value, (bytes, memoryview)):
                value = bytes(value)
                assert value not in plain_hashes
                assert all(s.encode() not in value.lower() for s in secrets)
            else:
                assert all(s not in str(value).lower() for s in secrets), row


def test_a_patron_without_a_standing_is_created_in_good_standing(client, home):
    """R2: a new patron is in good standing unless the home library says otherwise."""
    body = register(client, home).get_json()
    assert (body["standing"], body["block_reasons"]) == ("good", [])


def test_updating_a_blocked_patron_without_a_standing_keeps_the_block(client, home):
    """R2: only the home library unblocks, and only by saying so: an upsert that omits
    `standing` (e.g. to renew the card) must not silently put a blocked patron in good standing."""
    register(client, home, standing="blocked", block_reasons=["fines"])
    renewed = register(client, home, expires_on="2031-06-30")
    assert renewed.status_code == 200
    body = renewed.get_json()
    assert (body["standing"], body["block_reasons"], body["expires_on"]) == (
        "blocked", ["fines"], "2031-06-30")


def test_unblocking_clears_the_block_reasons(client, home):
    """R2: a patron back in good standing carries no reasons for the old block."""
    register(client, home, standing="blocked", block_reasons=["fines", "lost_items"])
    body = register(client, home, standing="good").get_json()
    assert (body["standing"], body["block_reasons"]) == ("good", [])


def test_block_reasons_on_a_patron_in_good_standing_are_refused(client, home):
    """R2: block reasons describe a block; with standing good they are a 422."""
    response = register(client, home, standing="good", block_reasons=["fines"])
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_failed"
    assert "block_reasons" in response.get_json()["errors"]


def test_block_reasons_for_a_new_patron_need_a_block(client, home):
    """R2: a new patron given reasons but no standing would be 'good with reasons': 422."""
    response = register(client, home, block_reasons=["fines"])
    assert response.status_code == 422
    assert "block_reasons" in response.get_json()["errors"]
    assert client.get("/api/v1/patrons", headers=home).get_json()["items"] == []


def test_block_reasons_for_a_patron_in_good_standing_need_a_block(client, home):
    """R2: reasons without `standing` on a patron in good standing are refused, not stored."""
    register(client, home)
    response = register(client, home, block_reasons=["fines"])
    assert response.status_code == 422
    assert "block_reasons" in response.get_json()["errors"]
    body = client.post("/api/v1/patrons/lookup", json={"card_number": CARD},
                       headers=home).get_json()
    assert (body["standing"], body["block_reasons"]) == ("good", [])


def test_block_reasons_on_a_blocked_patron_can_change_without_restating_the_block(client, home):
    """Reasons alone update a patron who is already blocked."""
    register(client, home, standing="blocked", block_reasons=["fines"])
    body = register(client, home, block_reasons=["lost_items"]).get_json()
    assert (body["standing"], body["block_reasons"]) == ("blocked", ["lost_items"])


# One test per table of cases: each test costs a fresh database on two backends.
INVALID_BODIES = [
    ({"card_number": "2000/1234", "expires_on": "2030-01-01"}, "card_number"),
    ({"card_number": "", "expires_on": "2030-01-01"}, "card_number"),
    ({"card_number": "1" * 41, "expires_on": "2030-01-01"}, "card_number"),
    ({"card_number": 2000100001234, "expires_on": "2030-01-01"}, "card_number"),
    ({"expires_on": "2030-01-01"}, "card_number"),
    ({"card_number": CARD}, "expires_on"),
    ({"card_number": CARD, "expires_on": "2030-02-30"}, "expires_on"),
    ({"card_number": CARD, "expires_on": "next year"}, "expires_on"),
    ({"card_number": CARD, "expires_on": "2030-01-01", "standing": "suspended"}, "standing"),
    ({"card_number": CARD, "expires_on": "2030-01-01", "standing": "blocked",
      "block_reasons": ["Unpaid Fines!"]}, "block_reasons.0"),
    ({"card_number": CARD, "expires_on": "2030-01-01", "category": "x" * 41}, "category"),
    ({"card_number": CARD, "expires_on": "2030-01-01", "surname": ""}, "surname"),
    ({"card_number": CARD, "expires_on": "2030-01-01", "external_ref": "r" * 101},
     "external_ref"),
    ({"card_number": CARD, "expires_on": "2030-01-01", "card_last4": "9999"}, "card_last4"),
    # Names and ids hold no control characters.
    ({"card_number": CARD, "expires_on": "2030-01-01", "category": "a\x1bb"}, "category"),
    ({"card_number": CARD, "expires_on": "2030-01-01", "external_ref": "a\nb"},
     "external_ref"),
    ({"card_number": CARD, "expires_on": "2030-01-01", "surname": "a\x07b"}, "surname"),
]


def test_invalid_patron_fields_are_a_422_problem_naming_the_field(client, home):
    """Validation errors are problem+json with `errors` keyed by field, and nothing is stored."""
    for body, field in INVALID_BODIES:
        response = client.post("/api/v1/patrons", json=body, headers=home)
        assert response.status_code == 422, body
        assert response.mimetype == PROBLEM
        problem = response.get_json()
        assert problem["code"] == "validation_failed"
        assert field in problem["errors"], (body, problem)
    assert client.get("/api/v1/patrons", headers=home).get_json()["items"] == []


def test_a_nul_character_is_refused_not_a_server_error(client, home):
    """PostgreSQL cannot store a NUL: the request is refused (4xx), never a 500."""
    response = register(client, home, external_ref="a\x00b")
    assert response.status_code in (400, 422)
    assert response.mimetype == PROBLEM
    assert client.get("/api/v1/patrons", headers=home).get_json()["items"] == []


def test_the_federation_office_has_no_patrons_of_its_own(client, federation, home):
    """Patrons belong to member libraries: the office's key is a 403 here."""
    response = register(client, federation.headers())
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden_role"


def test_a_request_without_a_key_is_a_401(client, home):
    """No key, no patrons."""
    assert client.get("/api/v1/patrons").status_code == 401


# One library cannot see another's patrons (R16) ----------------------------------------------

def test_another_librarys_patron_is_not_found(client, home, other):
    """R16: a foreign patron id is a 404 on every verb, and the patron is left untouched."""
    theirs = register(client, other, card="20002 0000 0001", category="adult").get_json()
    url = f"/api/v1/patrons/{theirs['id']}"
    attempts = [
        client.get(url, headers=home),
        client.patch(url, json={"category": "stolen"}, headers=home),
        client.delete(url, headers=home),
        client.post(f"{url}/replace-card", json={"new_card_number": "20001 9999"},
                    headers=home),
    ]
    for attempt in attempts:
        assert attempt.status_code == 404
        assert attempt.get_json()["code"] == "patron_not_found"
    unchanged = client.get(url, headers=other).get_json()
    assert unchanged == theirs


def test_looking_up_another_librarys_card_is_not_found(client, home, other):
    """R16: lookup finds only the caller's own patrons."""
    register(client, other, card="20002 0000 0001")
    response = client.post("/api/v1/patrons/lookup", json={"card_number": "2000200000001"},
                           headers=home)
    assert response.status_code == 404
    assert response.get_json()["code"] == "patron_not_found"


def test_the_same_card_number_at_two_libraries_is_two_patrons(client, home, other, unprefixed):
    """Each library's registry is its own: the same digits elsewhere are a different patron."""
    mine = register(client, home, standing="blocked", block_reasons=["fines"])
    theirs = register(client, other)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert theirs.get_json()["standing"] == "good"


def test_the_list_shows_only_the_callers_patrons(client, home, other):
    """R16: another library's patrons never appear in the caller's list."""
    mine = register(client, home).get_json()["id"]
    register(client, other, card="20002 0000 0001")
    items = client.get("/api/v1/patrons", headers=home).get_json()["items"]
    assert [p["id"] for p in items] == [mine]


# Get, patch, delete, lookup ------------------------------------------------------------------

def test_a_patron_can_be_read_back_and_looked_up_by_card(client, home):
    """GET by id and lookup by card (in the body, however typed) find the same patron."""
    created = register(client, home, category="adult").get_json()
    got = client.get(f"/api/v1/patrons/{created['id']}", headers=home)
    found = client.post("/api/v1/patrons/lookup", json={"card_number": "２０００１-0000-1234"},
                        headers=home)
    assert got.get_json() == created == found.get_json()


def test_looking_up_an_unknown_card_is_not_found(client, home):
    """A card the library never registered is a 404."""
    response = client.post("/api/v1/patrons/lookup", json={"card_number": "20001 7777"},
                           headers=home)
    assert response.status_code == 404


def test_patch_changes_only_the_fields_sent(client, home):
    """PATCH sets what it names and keeps the rest."""
    patron = register(client, home, category="adult", external_ref="P-1",
                      surname="Garcia").get_json()
    response = client.patch(f"/api/v1/patrons/{patron['id']}", headers=home,
                            json={"standing": "blocked", "block_reasons": ["fines"],
                                  "expires_on": "2032-01-31"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["standing"], body["block_reasons"], body["expires_on"]) == (
        "blocked", ["fines"], "2032-01-31")
    assert (body["category"], body["external_ref"], body["identity_check"]) == (
        "adult", "P-1", True)
    assert client.get(f"/api/v1/patrons/{patron['id']}", headers=home).get_json() == body


def test_patch_can_clear_the_surname_and_optional_fields(client, home):
    """Null removes a surname (no more identity checks) and optional text fields."""
    patron = register(client, home, category="adult", surname="Garcia").get_json()
    body = client.patch(f"/api/v1/patrons/{patron['id']}", headers=home,
                        json={"surname": None, "category": None}).get_json()
    assert (body["identity_check"], body["category"]) == (False, None)


def test_patch_refuses_block_reasons_for_a_patron_in_good_standing(client, home):
    """R2: a PATCH adding reasons to a patron in good standing is a 422, and changes nothing."""
    patron = register(client, home).get_json()
    response = client.patch(f"/api/v1/patrons/{patron['id']}", headers=home,
                            json={"block_reasons": ["fines"]})
    assert response.status_code == 422
    assert "block_reasons" in response.get_json()["errors"]
    assert client.get(f"/api/v1/patrons/{patron['id']}", headers=home).get_json() == patron


def test_patch_unblocking_clears_the_reasons(client, home):
    """R2: PATCH standing good lifts the block and its reasons."""
    patron = register(client, home, standing="blocked", block_reasons=["fines"]).get_json()
    body = client.patch(f"/api/v1/patrons/{patron['id']}", headers=home,
                        json={"standing": "good"}).get_json()
    assert (body["standing"], body["block_reasons"]) == ("good", [])


def test_patch_cannot_change_the_card_number(client, home):
    """The card changes only through replace-card, so its history is kept."""
    patron = register(client, home).get_json()
    response = client.patch(f"/api/v1/patrons/{patron['id']}", headers=home,
                            json={"card_number": "20001 5555"})
    assert response.status_code == 422
    assert "card_number" in response.get_json()["errors"]


def test_an_unknown_patron_id_is_not_found(client, home):
    """An id nobody has is a 404 problem."""
    response = client.get("/api/v1/patrons/pat_nosuchpatron", headers=home)
    assert response.status_code == 404
    assert response.mimetype == PROBLEM


def test_deleting_a_patron_removes_it_and_its_card(client, home):
    """After DELETE the id and the card are unknown; the card can be registered afresh."""
    patron = register(client, home).get_json()
    url = f"/api/v1/patrons/{patron['id']}"
    assert client.delete(url, headers=home).status_code == 204
    assert client.get(url, headers=home).status_code == 404
    assert client.delete(url, headers=home).status_code == 404
    assert client.post("/api/v1/patrons/lookup", json={"card_number": CARD},
                       headers=home).status_code == 404
    again = register(client, home)
    assert again.status_code == 201
    assert again.get_json()["id"] != patron["id"]


def test_deleting_a_patron_forgets_its_replaced_cards(client, home, raw_rows):
    """R16: the least data: no trace of a deleted patron's old cards is kept."""
    patron = register(client, home).get_json()
    client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                json={"new_card_number": "20001 5555"}, headers=home)
    client.delete(f"/api/v1/patrons/{patron['id']}", headers=home)
    assert raw_rows("patrons") == [] and raw_rows("replaced_cards") == []
    assert register(client, home).status_code == 201  # the old card is free again


# List --------------------------------------------------------------------------------------

def test_the_list_pages_through_every_patron_once(client, home):
    """?limit= pages; each page's next_cursor leads on; the last page's is null."""
    ids = {register(client, home, card=f"20001 0000 {n:04}").get_json()["id"]
           for n in range(5)}
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/patrons{query}", headers=home).get_json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids) and len(seen) == 5


def test_a_full_last_page_has_no_next_cursor(client, home):
    """When the patrons fit the page exactly, next_cursor is null rather than an empty page."""
    for n in range(2):
        register(client, home, card=f"20001 0000 {n:04}")
    page = client.get("/api/v1/patrons?limit=2", headers=home).get_json()
    assert len(page["items"]) == 2 and page["next_cursor"] is None


def test_the_list_filters_by_standing_and_external_ref(client, home):
    """?standing= and ?external_ref= narrow the list."""
    blocked = register(client, home, card="20001 1", standing="blocked",
                       block_reasons=["fines"]).get_json()["id"]
    tagged = register(client, home, card="20001 2", external_ref="P-42").get_json()["id"]
    register(client, home, card="20001 3")

    def ids(query):
        return [p["id"] for p in client.get(f"/api/v1/patrons?{query}",
                                            headers=home).get_json()["items"]]

    assert ids("standing=blocked") == [blocked]
    assert ids("external_ref=P-42") == [tagged]
    assert len(ids("standing=good")) == 2
    assert ids("standing=good&external_ref=P-42") == [tagged]


def test_bad_list_parameters_are_a_422(client, home):
    """Paging and filter parameters are validated like any input."""
    for query, field in [("limit=0", "limit"), ("limit=501", "limit"),
                         ("standing=lost", "standing"), ("external_ref=", "external_ref")]:
        response = client.get(f"/api/v1/patrons?{query}", headers=home)
        assert response.status_code == 422, query
        assert field in response.get_json()["errors"], query


# Replace card --------------------------------------------------------------------------------

def test_after_a_card_is_replaced_only_the_new_card_finds_the_patron(client, home):
    """The old card stops working for lookup; the new one finds the same patron."""
    patron = register(client, home, standing="blocked", block_reasons=["fines"]).get_json()
    response = client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                           json={"new_card_number": "20001 0000 5678"}, headers=home)
    assert response.status_code == 200
    assert response.get_json()["card_last4"] == "5678"
    assert response.get_json()["standing"] == "blocked"  # the block follows the patron
    old = client.post("/api/v1/patrons/lookup", json={"card_number": CARD}, headers=home)
    new = client.post("/api/v1/patrons/lookup", json={"card_number": "2000100005678"},
                      headers=home)
    assert old.status_code == 404
    assert new.get_json()["id"] == patron["id"]


def test_a_replaced_card_verifies_as_card_replaced(client, federation, home, other):
    """The old card stops verifying with reason card_replaced (API: replace-card)."""
    patron = register(client, home).get_json()
    client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                json={"new_card_number": "20001 0000 5678"}, headers=home)
    answer = federation.verify("IL0002", CARD_PLAIN).get_json()
    assert answer["decision"] != "eligible"
    assert "card_replaced" in answer["reasons"]
    assert federation.verify("IL0002", "2000100005678").get_json()["decision"] == "eligible"


def test_registering_a_replaced_card_is_a_409_card_replaced(client, home):
    """An old card cannot come back as a new patron: it would dodge the block on the patron."""
    patron = register(client, home).get_json()
    client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                json={"new_card_number": "20001 5555"}, headers=home)
    response = register(client, home, card="2000100001234")
    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    assert response.get_json()["code"] == "card_replaced"
    assert len(client.get("/api/v1/patrons", headers=home).get_json()["items"]) == 1


def test_replacing_with_another_patrons_card_is_a_409_card_in_use(client, home):
    """A card held by another of the library's patrons cannot be given away."""
    first = register(client, home).get_json()
    register(client, home, card="20001 5555")
    response = client.post(f"/api/v1/patrons/{first['id']}/replace-card",
                           json={"new_card_number": "20001-5555"}, headers=home)
    assert response.status_code == 409
    assert response.get_json()["code"] == "card_in_use"
    assert client.get(f"/api/v1/patrons/{first['id']}", headers=home).get_json() == first


def test_replacing_with_a_card_another_patron_used_to_have_is_a_409(client, home):
    """A card retired by one patron is not reissued to another: it still verifies as replaced."""
    first = register(client, home).get_json()
    client.post(f"/api/v1/patrons/{first['id']}/replace-card",
                json={"new_card_number": "20001 5555"}, headers=home)
    second = register(client, home, card="20001 6666").get_json()
    response = client.post(f"/api/v1/patrons/{second['id']}/replace-card",
                           json={"new_card_number": CARD}, headers=home)
    assert response.status_code == 409
    assert response.get_json()["code"] == "card_in_use"


def test_replacing_with_the_same_card_is_a_409_same_card(client, home):
    """The current card typed differently is still the current card."""
    patron = register(client, home).get_json()
    response = client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                           json={"new_card_number": "20001-0000-1234"}, headers=home)
    assert response.status_code == 409
    assert response.get_json()["code"] == "same_card"


def test_a_patron_can_get_an_earlier_card_of_their_own_back(client, home):
    """Replacing back to one's own old card works; the card in between becomes the old one."""
    patron = register(client, home).get_json()
    url = f"/api/v1/patrons/{patron['id']}/replace-card"
    client.post(url, json={"new_card_number": "20001 5555"}, headers=home)
    back = client.post(url, json={"new_card_number": CARD}, headers=home)
    assert back.status_code == 200
    assert back.get_json()["card_last4"] == "1234"
    assert register(client, home, card="20001 5555").get_json()["code"] == "card_replaced"


def test_a_bad_new_card_is_a_422(client, home):
    """replace-card validates the new card like any card, and leaves the patron as it was."""
    patron = register(client, home).get_json()
    for body in [{}, {"new_card_number": "12/34"}, {"new_card_number": ""},
                 {"new_card_number": "1" * 41}]:
        response = client.post(f"/api/v1/patrons/{patron['id']}/replace-card", json=body,
                               headers=home)
        assert response.status_code == 422, body
        assert "new_card_number" in response.get_json()["errors"], body
    assert client.get(f"/api/v1/patrons/{patron['id']}", headers=home).get_json() == patron


def test_lookup_needs_a_valid_card(client, home):
    """lookup validates the card too."""
    response = client.post("/api/v1/patrons/lookup", json={"card_number": "??"}, headers=home)
    assert response.status_code == 422
    assert "card_number" in response.get_json()["errors"]


# What the OpenAPI document promises about card numbers ------------------------------------------

TYPED_WRONG = ["2000\u20031", "①②③", "20001\t0001", "20001\n", "2000_1", "ﬀ12", "\u00df12"]


def test_a_card_typed_with_more_than_letters_digits_spaces_and_dashes_is_refused(client, home):
    """The card's pattern in the OpenAPI document is what the service checks: a card with
    other characters (an em space, circled digits, a tab, a newline, a ligature) is a 422
    naming the field, on every route that takes one, and nothing is stored."""
    for card in TYPED_WRONG:
        for path, field in (("/api/v1/patrons", "card_number"),
                            ("/api/v1/patrons/lookup", "card_number"),
                            ("/api/v1/verifications", "card_number")):
            body = {field: card, "expires_on": "2030-06-30"} if path.endswith("patrons") \
                else {field: card}
            response = client.post(path, json=body, headers=home)
            assert response.status_code == 422, (path, card, response.get_json())
            problem = response.get_json()
            assert problem["code"] == "validation_failed"
            assert field in problem["errors"], (path, card, problem)
    assert client.get("/api/v1/patrons", headers=home).get_json()["items"] == []
    # What a desk types still works: spaces, dashes of every kind, full-width digits.
    for card in ("20001 0000 1234", "20001‐0000‐1234", "２０００１ ００００ １２３４"):
        assert register(client, home, card=card).status_code in (200, 201), card
    assert len(client.get("/api/v1/patrons", headers=home).get_json()["items"]) == 1


def test_the_documented_card_pattern_and_the_service_agree():
    """Every card the ECMA pattern in the document accepts, the service accepts, and back."""
    import re

    from app.patrons.rules import CARD_PATTERN, InvalidCardNumber, check_typed_card

    pattern = re.compile(CARD_PATTERN.replace("$", r"\Z"))
    for card in [*TYPED_WRONG, "20001\x000001", "", " - ", "1", "a" * 40, "a" * 41, "-1-",
                 "２０", "20001 0000"]:
        try:
            check_typed_card(card)
            accepted = True
        except InvalidCardNumber:
            accepted = False
        assert accepted == bool(pattern.match(card)), card


def test_options_on_import_and_lookup_lists_only_their_own_methods(client, home):
    """`/patrons/import` also fits `/patrons/<patron_id>`: OPTIONS still answers POST only."""
    for path in ("/api/v1/patrons/import", "/api/v1/patrons/lookup"):
        response = client.options(path, headers=home)
        assert response.status_code == 200
        assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}, path
    assert set(client.options("/api/v1/patrons/p", headers=home).headers["Allow"]
               .split(", ")) == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}


def test_a_made_up_cursor_is_a_400_and_a_malformed_one_a_422(client, home):
    """A cursor of the documented shape that was never given out: 400 `invalid_cursor`;
    one the document already refuses (a space, a newline): 422 naming `cursor`."""
    made_up = client.get("/api/v1/patrons?cursor=0000", headers=home)
    assert made_up.status_code == 400 and made_up.get_json()["code"] == "invalid_cursor"
    for cursor in ("a%20b", "abc%0A", "a.b"):
        response = client.get(f"/api/v1/patrons?cursor={cursor}", headers=home)
        assert response.status_code == 422, cursor
        assert "cursor" in response.get_json()["errors"], cursor
