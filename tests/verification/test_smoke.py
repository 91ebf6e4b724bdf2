def test_a_good_card_is_eligible(federation):
    federation.admit("IL0001", prefixes=["20001"])
    federation.admit("IL0002", prefixes=["20002"])
    federation.register("IL0001", "20001 0000 1234")
    answer = federation.verify("IL0002", "2000100001234").get_json()
    assert answer["decision"] == "eligible"
