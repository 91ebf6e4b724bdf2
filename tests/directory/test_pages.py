"""The directory's web pages through the test client, on both databases: bad filters get a
clear page (400), never a 500, and the pages need no key."""

from tests.directory.conftest import policy


def test_a_bad_filter_or_cursor_shows_what_to_fix_and_an_unknown_library_is_404(directory):
    """The form's values come from a URL anyone can edit: each mistake is explained."""
    directory.published("IL0001", policy())
    for query, field in (("lends_format=vinyl", "lends_format"), ("type=castle", "type"),
                         ("stale=maybe", "stale"), ("cursor=A", "cursor"),
                         ("limit=0", "limit")):
        response = directory.client.get(f"/directory?{query}")
        assert response.status_code == 400, query
        text = response.get_data(as_text=True)
        assert 'role="alert"' in text and f"{field}:" in text, query
        assert text.count("<h1>") == 1
    empty_values = directory.client.get("/directory?q=&county=&lends_format=&stale=")
    assert empty_values.status_code == 200
    assert "3 libraries found" in empty_values.get_data(as_text=True)
    missing = directory.client.get("/directory/IL9999")
    assert missing.status_code == 404 and "No library IL9999" in missing.get_data(as_text=True)
    bad_question = directory.client.get("/directory/IL0001?format=vinyl")
    assert bad_question.status_code == 400
    assert "Choose a format from the list." in bad_question.get_data(as_text=True)
