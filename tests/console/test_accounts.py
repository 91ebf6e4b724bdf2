"""Staff accounts over real requests (test client, both databases): signing in, lockout with
back-off, CSRF on every form, one-time password links, the CLI, security headers and cookies,
and the audit trail."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.console import service
from app.console.models import StaffAccount, StaffAction
from app.extensions import db
from app.timestamps import utcnow

PASSWORD = "the prairie library opens at nine"


def csrf(html: str) -> str:
    """The CSRF token of the page's first form."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    """Post the sign-in form, with its token, as a browser would."""
    token = csrf(client.get("/console/sign-in").get_data(as_text=True))
    return client.post("/console/sign-in", data={"csrf_token": token, "email": email,
                                                 "password": password})


@pytest.fixture
def staffed(app, federation):
    """Two libraries, a circulation account at the first, an office account."""
    federation.admit("IL0001", prefixes=["21"])
    federation.admit("IL0002", prefixes=["22"])
    with app.app_context():
        service.create_staff("Circ@Example.org", "Casey Circ", "circulation", "IL0001",
                             password=PASSWORD)
        service.create_staff("office@example.org", "Olive Office", "office", None,
                             password=PASSWORD)
    return federation


def test_a_person_signs_in_sees_their_role_and_signs_out(app, staffed):
    client = app.test_client()
    response = sign_in(client, "circ@example.org")  # the email's case does not matter
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    inbox = client.get("/console/inbox")
    assert inbox.status_code == 200
    assert "Casey Circ · Library IL0001 · Circulation" in " ".join(
        inbox.get_data(as_text=True).split())
    token = csrf(inbox.get_data(as_text=True))
    assert client.post("/console/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/inbox").headers["Location"].startswith("/console/sign-in")


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(app, staffed):
    client = app.test_client()
    wrong = sign_in(client, "circ@example.org", "not the password at all")
    unknown = sign_in(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    message = "The email address or password is not right."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_repeated_failures_lock_the_account_with_a_growing_pause(app, staffed):
    """Five wrong passwords lock for 30 s; the right password is refused while locked."""
    start = utcnow()
    with app.app_context():
        for _ in range(5):
            with pytest.raises(service.SignInRefused) as refused:
                service.sign_in("circ@example.org", "wrong password here", now=start)
        assert refused.value.locked_until == start + timedelta(seconds=30)
        with pytest.raises(service.SignInRefused) as locked:
            service.sign_in("circ@example.org", PASSWORD, now=start + timedelta(seconds=29))
        assert "locked" in locked.value.message
        later = start + timedelta(seconds=31)
        with pytest.raises(service.SignInRefused) as again:
            service.sign_in("circ@example.org", "wrong password here", now=later)
        assert again.value.locked_until == later + timedelta(minutes=1)  # doubled
        staff = service.sign_in("circ@example.org", PASSWORD, now=later + timedelta(minutes=2))
        assert staff.failed_logins == 0 and staff.locked_until is None
    client = app.test_client()
    for _ in range(5):
        response = sign_in(client, "circ@example.org", "wrong password here")
    assert response.status_code == 401
    assert "locked for a while. Try again in about 1 minute." in response.get_data(as_text=True)


def test_every_form_refuses_a_post_without_its_csrf_token(app, staffed):
    client = app.test_client()
    refused = client.post("/console/sign-in", data={"email": "circ@example.org",
                                                    "password": PASSWORD})
    assert refused.status_code == 400
    assert client.get("/console/inbox").status_code == 302  # not signed in
    sign_in(client, "circ@example.org")
    for path, data in [("/console/desk", {"card_number": "2100000001"}),
                       ("/console/sign-out", {}),
                       ("/console/blocks/blk_x/honor", {}),
                       ("/console/bills/bil_x/payments", {"amount": "1.00",
                                                          "paid_by": "patron"})]:
        response = client.post(path, data=data)
        assert response.status_code in (400, 404), path
        assert response.status_code != 200
    assert client.get("/console/inbox").status_code == 200  # still signed in


def test_pages_send_the_security_headers_and_the_cookie_is_secure_over_https(app, staffed):
    client = app.test_client()
    page = client.get("/console/sign-in", base_url="https://console.example.org")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    plain = app.test_client().get("/console/sign-in")  # over http (development): not Secure
    cookie = next(c for c in plain.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "Secure" not in cookie
    assert "<script>" not in page.get_data(as_text=True)  # no inline script anywhere


def test_a_one_time_link_sets_the_password_once_and_signs_out_other_sessions(app, staffed):
    old = app.test_client()
    sign_in(old, "circ@example.org")
    with app.app_context():
        staff_id = service.find_staff_by_email("circ@example.org").id
        token = service.issue_reset_token(staff_id)
    client = app.test_client()
    form = client.get(f"/console/password/{token}")
    assert "Choose a password" in form.get_data(as_text=True)
    weak = client.post(f"/console/password/{token}", data={
        "csrf_token": csrf(form.get_data(as_text=True)), "password": "short",
        "confirm": "short"})
    assert weak.status_code == 400 and "at least 12 characters" in weak.get_data(as_text=True)
    done = client.post(f"/console/password/{token}", data={
        "csrf_token": csrf(form.get_data(as_text=True)), "password": "a brand new sentence",
        "confirm": "a brand new sentence"})
    assert done.status_code == 302
    assert client.get(f"/console/password/{token}").status_code == 404  # used
    assert old.get("/console/inbox").status_code == 302  # the old session is signed out
    assert sign_in(app.test_client(), "circ@example.org", "a brand new sentence"
                   ).status_code == 302
    assert sign_in(app.test_client(), "circ@example.org").status_code == 401


def test_an_expired_link_does_not_work(app, staffed):
    with app.app_context():
        staff_id = service.find_staff_by_email("circ@example.org").id
        token = service.issue_reset_token(staff_id, now=utcnow() - timedelta(hours=25))
    assert app.test_client().get(f"/console/password/{token}").status_code == 404


def test_the_cli_creates_the_first_office_account_and_prints_reset_links(app, staffed):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["staff", "create", "first@office.example.org", "--name",
                                  "First Office", "--role", "office"])
    assert created.exit_code == 0, created.output
    link = created.stdout.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1/console/password/")
    client = app.test_client()
    form = client.get(link.removeprefix("http://127.0.0.1"))
    client.post(link.removeprefix("http://127.0.0.1"), data={
        "csrf_token": csrf(form.get_data(as_text=True)), "password": "office keeps the list",
        "confirm": "office keeps the list"})
    assert sign_in(client, "first@office.example.org", "office keeps the list"
                   ).headers["Location"] == "/console/"
    assert client.get("/console/office/libraries").status_code == 200

    again = runner.invoke(args=["staff", "reset-link", "first@office.example.org"])
    assert again.exit_code == 0 and "/console/password/" in again.stdout
    with_password = runner.invoke(args=["staff", "create", "desk@example.org", "--name", "D",
                                        "--role", "desk", "--library", "IL0002",
                                        "--password-stdin"], input="counter staff checks cards\n")
    assert with_password.exit_code == 0 and "/console/password/" not in with_password.stdout
    duplicate = runner.invoke(args=["staff", "create", "desk@example.org", "--name", "D",
                                    "--role", "desk", "--library", "IL0002"])
    assert duplicate.exit_code != 0 and "already uses this email" in duplicate.output
    no_library = runner.invoke(args=["staff", "create", "x@example.org", "--name", "X",
                                     "--role", "desk"])
    assert no_library.exit_code != 0 and "need a library" in no_library.output
    unknown = runner.invoke(args=["staff", "reset-link", "ghost@example.org"])
    assert unknown.exit_code != 0


def test_a_library_admin_adds_a_colleague_who_sets_a_password_from_the_link(app, staffed):
    with app.app_context():
        service.create_staff("admin@example.org", "Ada Admin", "library_admin", "IL0001",
                             password=PASSWORD)
    client = app.test_client()
    sign_in(client, "admin@example.org")
    page = client.get("/console/staff").get_data(as_text=True)
    added = client.post("/console/staff", data={"csrf_token": csrf(page), "name": "New Desk",
                                                 "email": "new.desk@example.org",
                                                 "role": "desk"})
    body = added.get_data(as_text=True)
    assert added.status_code == 200 and "Account made for New Desk" in body
    link = re.search(r'<code class="secret">([^<]+)</code>', body).group(1)
    duplicate = client.post("/console/staff", data={
        "csrf_token": csrf(body), "name": "Again", "email": "NEW.desk@example.org",
        "role": "desk"})
    assert duplicate.status_code == 409
    assert 'id="email-error">Another staff account already uses this address.' in \
        duplicate.get_data(as_text=True)
    office_role = client.post("/console/staff", data={
        "csrf_token": csrf(body), "name": "Sneaky", "email": "s@example.org", "role": "office"})
    assert office_role.status_code == 400  # not a choice a library admin has
    with app.app_context():
        assert db.session.scalar(select(StaffAccount).where(
            StaffAccount.email == "s@example.org")) is None
        actions = db.session.execute(select(StaffAction.action).where(
            StaffAction.action == "staff.created")).scalars().all()
        assert actions == ["staff.created"]
    fresh = app.test_client()
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = fresh.get("/" + path)
    fresh.post("/" + path, data={"csrf_token": csrf(form.get_data(as_text=True)),
                                 "password": "front counter sentence", "confirm":
                                 "front counter sentence"})
    assert sign_in(fresh, "new.desk@example.org", "front counter sentence").status_code == 302
    assert fresh.get("/console/desk").status_code == 200
    assert fresh.get("/console/inbox").status_code == 403  # a desk account: verify only


def test_a_turned_off_account_is_signed_out_and_cannot_sign_in(app, staffed):
    with app.app_context():
        service.create_staff("admin@example.org", "Ada Admin", "library_admin", "IL0001",
                             password=PASSWORD)
    circ = app.test_client()
    sign_in(circ, "circ@example.org")
    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    with app.app_context():
        circ_id = service.find_staff_by_email("circ@example.org").id
    page = admin.get("/console/staff").get_data(as_text=True)
    off = admin.post(f"/console/staff/{circ_id}/disable", data={"csrf_token": csrf(page)})
    assert "Casey Circ&#39;s account is off." in off.get_data(as_text=True)
    assert circ.get("/console/inbox").status_code == 302
    refused = sign_in(app.test_client(), "circ@example.org")
    assert refused.status_code == 401 and "turned off" in refused.get_data(as_text=True)
    activity = admin.get("/console/activity").get_data(as_text=True)
    assert "staff: disabled" in activity and "Ada Admin" in activity
