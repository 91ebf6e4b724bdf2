"""SIP accounts: a library sets its SIP2 logins by API or CLI; only argon2id hashes are kept."""

from sqlalchemy import select

from app.extensions import db
from app.sip2.models import SipAccount
from app.sip2.service import sip_login
from tests.problems import assert_problem


def test_a_library_sets_lists_and_revokes_its_own_sip_accounts(federation):
    """Own library only; never the password or hash; logins unique; rules on passwords."""
    federation.admit("LEND")
    federation.admit("OTHER")
    lend, other = federation.headers("LEND"), federation.headers("OTHER")
    client = federation.client
    response = client.put("/api/v1/sip-accounts/desk-1", json={"password": "s3cret-pass!"},
                          headers=lend)
    assert response.status_code == 200
    assert set(response.get_json()) == {"login", "created_at", "updated_at", "revoked_at"}
    listed = client.get("/api/v1/sip-accounts", headers=lend).get_json()
    assert [a["login"] for a in listed] == ["desk-1"]
    assert client.get("/api/v1/sip-accounts", headers=other).get_json() == []
    assert_problem(client.put("/api/v1/sip-accounts/desk-1", json={"password": "another-1234"},
                              headers=other), 409, "sip_login_taken")
    assert_problem(client.delete("/api/v1/sip-accounts/desk-1", headers=other), 404,
                   "sip_account_not_found")
    assert_problem(client.put("/api/v1/sip-accounts/desk-2", json={"password": "short"},
                              headers=lend), 422, "invalid_sip_password")
    assert_problem(client.put("/api/v1/sip-accounts/desk-2", json={"password": "has|a-pipe-x"},
                              headers=lend), 422, "invalid_sip_password")
    assert_problem(client.put("/api/v1/sip-accounts/bad%7Clogin",
                              json={"password": "long-enough-1"}, headers=lend), 422,
                   "invalid_sip_login")
    assert_problem(client.put("/api/v1/sip-accounts/desk-2", json={"password": "long-enough-1"},
                              headers=federation.headers()), 403)
    assert_problem(client.get("/api/v1/sip-accounts"), 401)
    with federation.app.app_context():
        stored = db.session.execute(select(SipAccount)).scalar_one()
        assert stored.password_hash.startswith("$argon2id$")
        assert "s3cret-pass!" not in stored.password_hash
    assert client.delete("/api/v1/sip-accounts/desk-1", headers=lend).status_code == 204
    assert client.get("/api/v1/sip-accounts", headers=lend).get_json()[0]["revoked_at"]
    with federation.app.app_context():
        from app.sip2.service import configured_hasher

        assert sip_login("desk-1", "s3cret-pass!", configured_hasher(federation.app.config)) \
            is None
    # setting the password again reinstates the account
    client.put("/api/v1/sip-accounts/desk-1", json={"password": "s3cret-pass!"}, headers=lend)
    assert client.get("/api/v1/sip-accounts", headers=lend).get_json()[0]["revoked_at"] is None


def test_the_cli_sets_lists_and_revokes_accounts_for_the_office(federation):
    """`reciprocity sip2 account set/list/revoke`, the password read from standard input."""
    federation.admit("LEND")
    runner = federation.app.test_cli_runner()
    result = runner.invoke(args=["sip2", "account", "set", "LEND", "ils-main",
                                 "--password-stdin"], input="cli-password-1\n")
    assert result.exit_code == 0, result.output
    assert "cli-password-1" not in result.output
    result = runner.invoke(args=["sip2", "account", "list", "LEND"])
    assert result.output.startswith("ils-main\tactive")
    with federation.app.app_context():
        from app.sip2.service import configured_hasher

        caller = sip_login("ils-main", "cli-password-1", configured_hasher(federation.app.config))
        assert caller.library_code == "LEND"
    result = runner.invoke(args=["sip2", "account", "set", "NOPE", "x", "--password-stdin"],
                           input="cli-password-1\n")
    assert result.exit_code == 1 and "library_not_found" in result.output
    result = runner.invoke(args=["sip2", "account", "revoke", "LEND", "ils-main"])
    assert result.exit_code == 0
    assert "revoked" in runner.invoke(args=["sip2", "account", "list", "LEND"]).output
