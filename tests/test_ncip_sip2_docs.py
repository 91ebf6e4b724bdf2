"""docs/ncip-sip2.md runs as written, and every demo card gets its answer through both doors.

The documented shell blocks run in bash against this test's served instance (HTTP and SIP2,
on free loopback ports instead of 5000 and 6001), with the demo loaded into its database.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from tests.conftest import BACKENDS, base_config
from tests.demo_template import copy_demo
from tests.ncip.ncip import lookup_user, privilege, problem, valid
from tests.serving import served
from tests.sip2.client import SipClient, sip_server

# One worker loads the session's demo template and serves these modules' copies.
pytestmark = pytest.mark.xdist_group("demo")

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ncip-sip2.md"


def shell_blocks() -> list[str]:
    """The doc's ```sh blocks, in order."""
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.fixture(params=BACKENDS)
def demo(request, demo_template, tmp_path):
    """A copy of the demo federation (smallest scale) served from `tmp_path`; its demo.env."""
    copy, cleanup = copy_demo(request, demo_template(request.param), tmp_path)
    app = create_app(base_config(copy.url), instance_path=str(copy.instance))
    yield app, tmp_path, copy.env()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    cleanup()


def test_the_documented_commands_and_every_demo_card_through_both_doors(demo):
    """The curl and SIP2 sessions of the doc; then each demo card over NCIP and SIP2."""
    app, folder, env = demo
    (folder / ".venv").symlink_to(ROOT / ".venv")
    with served(app) as root, sip_server(app) as sip_port:
        script = "\n".join(shell_blocks()).replace("http://127.0.0.1:5000", root)
        script = "\n".join(line for line in script.splitlines()
                           if "sip2 serve" not in line)  # the test serves SIP2 itself
        environment = {**os.environ, "SIP2_PORT": str(sip_port),
                       "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                       "RECIPROCITY_DATABASE_URL": app.config["DATABASE_URL"],
                       "RECIPROCITY_HMAC_KEY": app.config["HMAC_KEY"]}
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder,
                             env=environment, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        out = run.stdout
        assert "<ncip:UserPrivilegeStatusType>Blocked</ncip:UserPrivilegeStatusType>" in out
        assert "Blocked By Home Library" in out and "NameInformation" not in out
        assert "<- 941" in out and "BXYNNNYYYYYNNNNNNN" in out
        assert "<- 24YYYY          001" in out and f"AA{env['DEMO_CARD_BLOCKED']}|AE|BLY|" in out
        assert f"AA{env['DEMO_CARD_GOOD']}|AE|BLY|AFIn good standing" in out

        expected = {  # card: (JSON decision, NCIP status or problem, SIP flags, SIP BL)
            "DEMO_CARD_GOOD": ("eligible", "Active", " " * 14, "Y"),
            "DEMO_CARD_BLOCKED": ("not_eligible", "Blocked", "YYYY" + " " * 10, "Y"),
            "DEMO_CARD_EXPIRED": ("not_eligible", "Expired", "YYYY" + " " * 10, "Y"),
            "DEMO_CARD_REPLACED": ("not_eligible", "Blocked", "YYYYY" + " " * 9, "N"),
            "DEMO_CARD_INACTIVE_HOME": ("not_eligible", "Blocked", "YYYY" + " " * 10, "Y"),
            "DEMO_CARD_FEDERATION_BLOCK": ("not_eligible", "Blocked",
                                           "YYYY" + " " * 9 + "Y", "Y"),
            "DEMO_CARD_DELINQUENT": ("refer", "Contact Home Library", "YYYY" + " " * 10, "Y"),
            "DEMO_CARD_UNKNOWN": ("refer", "Unknown User", "YYYY" + " " * 10, "N"),
        }
        client = app.test_client()
        key = {"Authorization": f"Bearer {env['DEMO_LENDER_KEY']}"}
        desk = SipClient(sip_port)
        assert desk.login("demo-desk", "demo-desk-password").ok == "1"
        for name, (decision, ncip, flags, valid_patron) in expected.items():
            card = env[name]
            body = client.post("/api/v1/verifications", json={"card_number": card},
                               headers=key).get_json()
            assert body["decision"] == decision, name
            answer = client.post("/ncip", data=lookup_user(card), headers=key,
                                 content_type="application/xml")
            root = valid(answer.get_data())
            assert answer.status_code == 200
            assert (privilege(root) or problem(root)[0]) == ncip, name
            sip = desk.patron_status(card, institution=env["DEMO_LENDER"])
            assert (sip.patron_status, sip.valid_patron) == (flags, valid_patron), name
            assert sip.screen_message == (body["advice"],), name
        desk.close()


def test_the_openapi_document_describes_the_ncip_route_and_sip_accounts(tmp_path):
    """/ncip with its XML body and every status it answers; the SIP account routes."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/unused.db",
                      "HMAC_KEY": "test", "SECRET_KEY": "test"})
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    ncip = paths["/ncip"]["post"]
    assert set(ncip["requestBody"]["content"]) == {"application/xml", "text/xml"}
    assert {"200", "400", "401", "403", "413", "415", "429"} <= set(ncip["responses"])
    assert set(paths["/api/v1/sip-accounts"]) == {"get"}
    assert set(paths["/api/v1/sip-accounts/{login}"]) - {"parameters"} == {"put", "delete"}
