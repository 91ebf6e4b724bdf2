"""Member libraries: admitting, listing, showing and changing them (federation office).

What a caller sees: status, the problem `code`, and the library as the API shows it.
"""

from datetime import datetime

from tests.problems import assert_problem

LIBRARIES = "/api/v1/libraries"


def library_body(code: str, **fields) -> dict:
    """A complete admit request for library `code`."""
    return {"code": code, "name": f"Library {code}", "type": "public", "membership": "full",
            "card_prefixes": [], "contact": {"email": f"{code.lower()}@example.org",
                                             "phone": "555-0100"},
            "address": {"street": "1 Main St", "city": "Aurora", "zip": "60505",
                        "county": "Kane"},
            "system": "RAILS", **fields}


def instant(value: str) -> datetime:
    """An ISO 8601 instant from an answer."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def admit(federation, code: str, **fields):
    """POST an admit request as the federation office; return the response."""
    return federation.client.post(LIBRARIES, json=library_body(code, **fields),
                                  headers=federation.headers())


def show(federation, code: str, as_library: str | None = None) -> dict:
    """The library as GET shows it (to the office by default)."""
    response = federation.client.get(f"{LIBRARIES}/{code}",
                                     headers=federation.headers(as_library))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def all_codes(federation) -> list[str]:
    """Every library code, as the office lists them."""
    response = federation.client.get(f"{LIBRARIES}?limit=500", headers=federation.headers())
    assert response.status_code == 200
    return [item["code"] for item in response.get_json()["items"]]


# --- Admitting -------------------------------------------------------------------------------

def test_admitting_a_library_answers_with_its_record(federation):
    response = admit(federation, "IL0003", card_prefixes=["20003", "21003"])
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("code", "name", "type", "membership", "active",
                                 "card_prefixes", "contact", "address", "system")} == {
        "code": "IL0003", "name": "Library IL0003", "type": "public", "membership": "full",
        "active": True, "card_prefixes": ["20003", "21003"],
        "contact": {"email": "il0003@example.org", "phone": "555-0100"},
        "address": {"street": "1 Main St", "city": "Aurora", "zip": "60505", "county": "Kane"},
        "system": "RAILS"}
    assert instant(body["created_at"]).utcoffset().total_seconds() == 0  # instants are UTC
    # Callers name a library by its code: the internal row id is not shown.
    assert "id" not in body
    assert show(federation, "IL0003") == body


def test_who_takes_part_is_settled_at_admission(federation):
    """R1: public full members take part without asking; the others only if they opt in."""

    def participation(code, **fields):
        response = admit(federation, code, **fields)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        return body["reciprocal_borrowing"], body["participates"]

    assert participation("PUB1") == (True, True)
    assert participation("PUB2", reciprocal_borrowing=True) == (True, True)
    assert participation("ASSOC", membership="associate") == (False, False)
    for type_ in ("academic", "school", "special"):
        assert participation(f"{type_.upper()}-OUT", type=type_) == (False, False), type_
        assert participation(f"{type_.upper()}-IN", type=type_,
                             reciprocal_borrowing=True) == (True, True), type_


def test_a_public_full_member_cannot_be_admitted_opted_out(federation):
    """R1: an explicit opt-out for a public full member is refused, and nothing is created."""
    response = admit(federation, "IL0003", reciprocal_borrowing=False)
    body = assert_problem(response, 422, "participation_required")
    assert "reciprocal_borrowing" in body["errors"]
    assert all_codes(federation) == []


def test_the_office_records_libraries_opting_in_and_out(federation):
    """R1: participation is the library's choice unless it is a public full member."""
    admit(federation, "UIC", type="academic")
    admit(federation, "IL0003")

    def patch(code, change):
        response = federation.client.patch(f"{LIBRARIES}/{code}", json=change,
                                           headers=federation.headers())
        assert response.status_code == 200, response.get_json()
        return response.get_json()["participates"]

    assert patch("UIC", {"reciprocal_borrowing": True}) is True
    assert patch("UIC", {"reciprocal_borrowing": False}) is False
    assert show(federation, "UIC")["participates"] is False
    # A public library that becomes an associate member may then opt out.
    assert patch("IL0003", {"membership": "associate", "reciprocal_borrowing": False}) is False


def test_a_public_full_member_cannot_be_patched_out_of_participation(federation):
    """R1: reciprocal_borrowing=false on a public full member is a 422 and changes nothing;
    a library made a public full member is made to take part."""
    admit(federation, "IL0003")
    refused = federation.client.patch(f"{LIBRARIES}/IL0003",
                                      json={"reciprocal_borrowing": False, "name": "Renamed"},
                                      headers=federation.headers())
    body = assert_problem(refused, 422, "participation_required")
    assert "reciprocal_borrowing" in body["errors"]
    after = show(federation, "IL0003")
    assert (after["reciprocal_borrowing"], after["name"]) == (True, "Library IL0003")

    admit(federation, "IL0004", type="academic", reciprocal_borrowing=False)
    made_public = federation.client.patch(f"{LIBRARIES}/IL0004", json={"type": "public"},
                                          headers=federation.headers())
    assert made_public.status_code == 200, made_public.get_json()
    assert made_public.get_json()["participates"] is True


def test_a_duplicate_code_is_a_conflict(federation):
    admit(federation, "IL0003")
    response = admit(federation, "IL0003", name="Impostor", type="academic")
    assert_problem(response, 409, "library_exists")
    assert show(federation, "IL0003")["name"] == "Library IL0003"
    assert all_codes(federation) == ["IL0003"]


def test_a_prefix_held_by_another_library_is_a_conflict(federation):
    """R15: a card prefix identifies one home library."""
    admit(federation, "IL0001", card_prefixes=["20001"])
    response = admit(federation, "IL0002", card_prefixes=["20002", "20001"])
    body = assert_problem(response, 409, "prefix_taken")
    assert "20001" in body["detail"] and "IL0001" in body["detail"]
    # The failed admit left nothing behind, not even the free prefix.
    assert all_codes(federation) == ["IL0001"]
    assert admit(federation, "IL0002", card_prefixes=["20002"]).status_code == 201


def test_taking_another_librarys_prefix_by_patch_is_a_conflict(federation):
    """R15: a library cannot claim a prefix that already names another home library."""
    federation.admit("IL0001", prefixes=["20001"])
    federation.admit("IL0002", prefixes=["20002"])
    response = federation.client.patch(f"{LIBRARIES}/IL0002",
                                       json={"card_prefixes": ["20002", "20001"]},
                                       headers=federation.headers("IL0002"))
    assert_problem(response, 409, "prefix_taken")
    assert show(federation, "IL0002")["card_prefixes"] == ["20002"]
    assert show(federation, "IL0001")["card_prefixes"] == ["20001"]


def test_a_freed_prefix_can_be_taken_by_another_library(federation):
    admit(federation, "IL0001", card_prefixes=["20001", "29999"])
    admit(federation, "IL0002", card_prefixes=["20002"])
    moved = federation.client.patch(f"{LIBRARIES}/IL0001", json={"card_prefixes": ["20001"]},
                                    headers=federation.headers())
    assert moved.status_code == 200
    taken = federation.client.patch(f"{LIBRARIES}/IL0002",
                                    json={"card_prefixes": ["29999", "20002"]},
                                    headers=federation.headers())
    assert taken.status_code == 200, taken.get_json()
    assert show(federation, "IL0002")["card_prefixes"] == ["20002", "29999"]


INVALID_ADMITS = [
    ({"code": "il0003"}, "code"),
    ({"code": "I"}, "code"),
    ({"code": "IL0003\n"}, "code"),  # `$` in a regex lets a final newline through
    ({"code": "IL00000000000003\n"}, "code"),
    ({"type": "museum"}, "type"),
    ({"membership": "honorary"}, "membership"),
    ({"name": ""}, "name"),
    ({"reciprocal_borrowing": "sometimes"}, "reciprocal_borrowing"),
    ({"card_prefixes": ["2000a"]}, "card_prefixes"),
    ({"card_prefixes": ["20003\n"]}, "card_prefixes"),
    ({"card_prefixes": ["20003", "20003"]}, "card_prefixes"),
    ({"card_prefixes": "20003"}, "card_prefixes"),
    ({"contact": {"email": "not an address"}}, "contact.email"),
    ({"address": {"zip": "6050"}}, "address.zip"),
    ({"address": {"zip": "60505-1234\n"}}, "address.zip"),
    ({"participates": True}, "participates"),  # output-only fields cannot be set
    ({"id": 1}, "id"),
]


def test_an_invalid_admit_names_the_field_and_creates_nothing(federation):
    """Validation failures are 422 with `errors` keyed by field; unknown fields are refused."""
    for fields, field in INVALID_ADMITS:
        body = library_body("IL0003")
        body.update(fields)
        response = federation.client.post(LIBRARIES, json=body, headers=federation.headers())
        problem = assert_problem(response, 422, "validation_failed")
        assert field in problem["errors"], (fields, problem)
    missing = federation.client.post(LIBRARIES, json={}, headers=federation.headers())
    problem = assert_problem(missing, 422, "validation_failed")
    assert set(problem["errors"]) == {"code", "name", "type", "membership"}
    assert all_codes(federation) == []


def test_only_the_office_admits_libraries(federation):
    federation.admit("IL0001")
    member = federation.client.post(LIBRARIES, json=library_body("IL0009"),
                                    headers=federation.headers("IL0001"))
    assert_problem(member, 403, "forbidden_role")
    anonymous = federation.client.post(LIBRARIES, json=library_body("IL0009"))
    assert_problem(anonymous, 401, "missing_key")
    assert all_codes(federation) == ["IL0001"]


# --- Listing and showing ---------------------------------------------------------------------

def test_the_list_pages_through_every_library_by_code(federation):
    codes = ["IL0005", "IL0001", "IL0004", "IL0002", "IL0003"]
    for code in codes:
        admit(federation, code)
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{LIBRARIES}?limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = federation.client.get(url, headers=federation.headers())
        assert response.status_code == 200
        page = response.get_json()
        assert len(page["items"]) <= 2
        seen += [item["code"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(codes)
    assert pages == 3


def test_the_list_filters_by_type_system_and_active(federation):
    admit(federation, "PUB1", system="RAILS")
    admit(federation, "PUB2", system="IHLS")
    admit(federation, "ACA1", type="academic", system="RAILS")
    federation.client.patch(f"{LIBRARIES}/PUB2", json={"active": False},
                            headers=federation.headers())

    def codes(query):
        response = federation.client.get(f"{LIBRARIES}?{query}", headers=federation.headers())
        assert response.status_code == 200, response.get_json()
        return [item["code"] for item in response.get_json()["items"]]

    assert codes("type=public") == ["PUB1", "PUB2"]
    assert codes("type=academic") == ["ACA1"]
    assert codes("system=RAILS") == ["ACA1", "PUB1"]
    assert codes("active=false") == ["PUB2"]
    assert codes("active=true&type=public") == ["PUB1"]
    assert codes("system=NOWHERE") == []


def test_bad_list_parameters_are_refused(federation):
    for query, field in [("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"),
                         ("type=museum", "type"), ("active=perhaps", "active")]:
        response = federation.client.get(f"{LIBRARIES}?{query}", headers=federation.headers())
        body = assert_problem(response, 422, "validation_failed")
        assert field in body["errors"], query
    # base64 of bytes that are not UTF-8: not a cursor this service gave out.
    response = federation.client.get(f"{LIBRARIES}?cursor=____", headers=federation.headers())
    assert_problem(response, 400, "invalid_cursor")


def test_members_see_other_libraries(federation):
    federation.admit("IL0001", prefixes=["20001"])
    federation.admit("IL0002", prefixes=["20002"])
    listed = federation.client.get(LIBRARIES, headers=federation.headers("IL0001"))
    assert [item["code"] for item in listed.get_json()["items"]] == ["IL0001", "IL0002"]
    other = show(federation, "IL0002", as_library="IL0001")
    assert (other["code"], other["card_prefixes"]) == ("IL0002", ["20002"])


def test_an_unknown_library_is_not_found(federation):
    response = federation.client.get(f"{LIBRARIES}/NOPE", headers=federation.headers())
    assert_problem(response, 404, "library_not_found")
    patched = federation.client.patch(f"{LIBRARIES}/NOPE", json={"name": "x"},
                                      headers=federation.headers())
    assert_problem(patched, 404, "library_not_found")


def test_listing_and_showing_need_a_key(federation):
    admit(federation, "IL0003")
    assert_problem(federation.client.get(LIBRARIES), 401, "missing_key")
    assert_problem(federation.client.get(f"{LIBRARIES}/IL0003"), 401, "missing_key")


# --- Changing --------------------------------------------------------------------------------

def test_the_office_may_change_any_field(federation):
    admit(federation, "IL0003")
    change = {"name": "Aurora Public Library", "type": "public", "membership": "full",
              "reciprocal_borrowing": True, "card_prefixes": ["20003"],
              "contact": {"email": "ill@aurora.example.org", "phone": "630-264-4100"},
              "address": {"street": "101 S River St", "city": "Aurora", "zip": "60506",
                          "county": "Kane"},
              "system": "IHLS", "active": True}
    response = federation.client.patch(f"{LIBRARIES}/IL0003", json=change,
                                       headers=federation.headers())
    assert response.status_code == 200, response.get_json()
    after = show(federation, "IL0003")
    assert {name: after[name] for name in change} == change


def test_a_library_changes_its_own_contact_and_prefixes(federation):
    federation.admit("IL0003", prefixes=["20003"])
    before = show(federation, "IL0003")
    change = {"contact": {"email": "ill@aurora.example.org", "phone": "630-264-4100"},
              "card_prefixes": ["20003", "21003"]}
    response = federation.client.patch(f"{LIBRARIES}/IL0003", json=change,
                                       headers=federation.headers("IL0003"))
    assert response.status_code == 200, response.get_json()
    after = show(federation, "IL0003", as_library="IL0003")
    assert (after["contact"], after["card_prefixes"]) == (change["contact"],
                                                          change["card_prefixes"])
    assert instant(after["updated_at"]) > instant(before["updated_at"])
    only_prefixes = federation.client.patch(f"{LIBRARIES}/IL0003",
                                            json={"card_prefixes": ["20003", "21003", "22003"]},
                                            headers=federation.headers("IL0003")).get_json()
    assert only_prefixes["card_prefixes"] == ["20003", "21003", "22003"]
    assert instant(only_prefixes["updated_at"]) > instant(after["updated_at"])
    # A partial contact keeps what it does not mention.
    federation.client.patch(f"{LIBRARIES}/IL0003", json={"contact": {"phone": "555-0199"}},
                            headers=federation.headers("IL0003"))
    assert show(federation, "IL0003")["contact"] == {"email": "ill@aurora.example.org",
                                                     "phone": "555-0199"}


OFFICE_ONLY_CHANGES = [
    {"name": "Renamed"},
    {"type": "academic"},
    {"membership": "associate"},
    {"reciprocal_borrowing": True},
    {"active": False},
    {"system": "IHLS"},
    {"address": {"city": "Naperville"}},
    {"contact": {"phone": "555-0199"}, "name": "Renamed"},
]


def test_a_library_may_not_change_what_the_office_decides(federation):
    """Only the office changes anything but a library's contact and card prefixes."""
    federation.admit("IL0003", prefixes=["20003"])
    before = show(federation, "IL0003")
    for change in OFFICE_ONLY_CHANGES:
        response = federation.client.patch(f"{LIBRARIES}/IL0003", json=change,
                                           headers=federation.headers("IL0003"))
        body = assert_problem(response, 403, "field_not_yours")
        assert set(body["errors"]) == set(change) - {"contact", "card_prefixes"}, change
    assert show(federation, "IL0003") == before


def test_a_library_may_not_change_another_library(federation):
    federation.admit("IL0001", prefixes=["20001"])
    federation.admit("IL0002", prefixes=["20002"])
    before = show(federation, "IL0002")
    response = federation.client.patch(f"{LIBRARIES}/IL0002",
                                       json={"contact": {"email": "evil@example.org"},
                                             "card_prefixes": []},
                                       headers=federation.headers("IL0001"))
    assert_problem(response, 403, "not_your_library")
    assert show(federation, "IL0002") == before


def test_deactivating_a_library_stops_its_keys(federation):
    """R1: a library that is not an active member can no longer use the federation."""
    federation.admit("IL0001", prefixes=["20001"])
    federation.admit("IL0002", prefixes=["20002"])
    response = federation.client.patch(f"{LIBRARIES}/IL0001", json={"active": False},
                                       headers=federation.headers())
    assert response.status_code == 200
    assert (response.get_json()["active"], response.get_json()["participates"]) == (False,
                                                                                    False)
    refused = federation.client.get(LIBRARIES, headers=federation.headers("IL0001"))
    body = assert_problem(refused, 401, "library_inactive")
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "active member" in body["detail"]
    # It can no longer verify cards (R1), nor change its own record; other libraries carry on.
    assert_problem(federation.verify("IL0001", "2000200001234"), 401, "library_inactive")
    patch = federation.client.patch(f"{LIBRARIES}/IL0001", json={"contact": {"phone": "1"}},
                                    headers=federation.headers("IL0001"))
    assert_problem(patch, 401, "library_inactive")
    assert federation.client.get(LIBRARIES, headers=federation.headers("IL0002")).status_code == 200
    # Readmitted, the same key works again.
    federation.client.patch(f"{LIBRARIES}/IL0001", json={"active": True},
                            headers=federation.headers())
    assert federation.client.get(LIBRARIES, headers=federation.headers("IL0001")).status_code == 200


def test_an_invalid_patch_names_the_field_and_changes_nothing(federation):
    admit(federation, "IL0003", card_prefixes=["20003"])
    before = show(federation, "IL0003")
    for change, field in [({"name": None}, "name"),
                          ({"reciprocal_borrowing": None}, "reciprocal_borrowing"),
                          ({"card_prefixes": ["x"]}, "card_prefixes"),
                          ({"contact": None}, "contact"),
                          ({"code": "IL0004"}, "code"),  # a code never changes
                          ({"participates": False}, "participates")]:
        response = federation.client.patch(f"{LIBRARIES}/IL0003", json=change,
                                           headers=federation.headers())
        body = assert_problem(response, 422, "validation_failed")
        assert field in body["errors"], change
    assert show(federation, "IL0003") == before


def test_yes_and_no_are_json_booleans_not_numbers_or_words(federation):
    """The document says boolean: `active: 0` or `"yes"` is a 422 naming the field, and the
    library is not admitted or changed."""
    federation.admit("IL0001")
    for bad in (0, 1, "yes", "false"):
        body = {"code": "IL0002", "name": "Two", "type": "public", "membership": "full",
                "active": bad}
        problem = assert_problem(federation.client.post(
            "/api/v1/libraries", json=body, headers=federation.headers()), 422,
            "validation_failed")
        assert "active" in problem["errors"], bad
        problem = assert_problem(federation.client.patch(
            "/api/v1/libraries/IL0001", json={"reciprocal_borrowing": bad},
            headers=federation.headers()), 422, "validation_failed")
        assert "reciprocal_borrowing" in problem["errors"], bad
    assert federation.client.get("/api/v1/libraries/IL0002",
                                 headers=federation.headers()).status_code == 404
    library = federation.client.get("/api/v1/libraries/IL0001",
                                    headers=federation.headers()).get_json()
    assert library["active"] is True and library["reciprocal_borrowing"] is True
