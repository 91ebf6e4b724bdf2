"""The served app against its own OpenAPI document, with schemathesis (`st run --checks all`).

The demo federation (623 libraries, their keys and policies, blocks and bills between the
demo's lender and home library) is loaded into SQLite and served on a loopback port; `st run`
reads the document at /api/v1/openapi.json and sends what it derives from it: the documented
examples, the coverage phase's edge and invalid values (lengths, patterns, types, missing
headers, other methods) and stateful sequences that follow the links between operations.
Every check runs, among them: no 500; every status, content type, header and body as
documented; invalid data refused; valid data accepted, unless a rule of the federation
refuses it with a code of its own (tests/schemathesis_hooks.py). Member routes use the demo
lender's key, the federation office's routes (from tests/authorization.py) the office's key.

CI's run is bounded and derandomized (`--generation-deterministic`, a fixed seed, no example
database): the same cases every time, about 4,900 requests. docs/development.md says how to
run it at full strength by hand.
The document is the same whatever the database, so one backend (SQLite) serves the run; the
answers' database behaviour is the other tests' subject.
"""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.authorization import ENTRIES, OK
from tests.serving import served

# On the worker that loads the session's demo template.
pytestmark = pytest.mark.xdist_group("demo")

ROOT = Path(__file__).resolve().parent.parent
ST = Path(sys.executable).with_name("st")
# Examples per operation in CI; SCHEMATHESIS_MAX_EXAMPLES raises it by hand.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES") or 5)


def office_operations() -> list[tuple[str, str]]:
    """(METHOD, OpenAPI path) of the routes only the federation office may call."""
    found = []
    for entry in ENTRIES:
        if entry.rule.startswith("/api/") and entry.expect.get("office") in (OK, *OK) \
                and entry.expect.get("lender") == 403:
            path = entry.rule.replace("<", "{").replace(">", "}")
            found.append((entry.method, path))
    return found


def toml_string(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text)


def config_file(folder: Path, keys: dict) -> Path:
    """A schemathesis.toml: the lender's key everywhere, the office's on the office's routes."""
    lines = [
        "[headers]",
        f"Authorization = {toml_string('Bearer ' + keys['DEMO_LENDER_KEY'])}",
        "",
        "[generation]",
        "database = \"none\"",
        "",
        # Valid requests may meet the federation's rules (400/422 with a code of their own);
        # valid_requests_meet_only_rules fails the ones refused for their shape.
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]',
    ]
    for method, path in office_operations():
        lines += ["", "[[operations]]", f"include-method = {toml_string(method)}",
                  f"include-path = {toml_string(path)}",
                  f"headers = {{ Authorization = "
                  f"{toml_string('Bearer ' + keys['DEMO_ADMIN_KEY'])} }}"]
    path = folder / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def demo_keys(env_file: Path) -> dict:
    """The demo's keys and cards from instance/demo.env (export NAME=value lines)."""
    values = {}
    for line in env_file.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            values[name] = shlex.split(value)[0] if value else ""
    return values


@pytest.fixture(scope="module")
def demo_site(request, demo_template, tmp_path_factory):
    """A copy of the demo federation in SQLite, served on a loopback port; its keys."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import base_config
    from tests.demo_template import copy_demo

    folder = tmp_path_factory.mktemp("schemathesis-site")
    copy, _ = copy_demo(request, demo_template("sqlite"), folder)
    # Rate limits off (base_config): the run sends thousands of requests with one key.
    app = create_app(base_config(copy.url), instance_path=str(copy.instance))
    with served(app) as root:
        yield root, demo_keys(copy.env_path), folder
    with app.app_context():
        db.engine.dispose()


def test_the_served_api_keeps_to_its_openapi_document(demo_site):
    """`st run --checks all` (examples, coverage, stateful) finds nothing against the demo."""
    root, keys, folder = demo_site
    config = config_file(folder, keys)
    report = folder / "report.xml"
    seed = os.environ.get("SCHEMATHESIS_SEED") or "20261202"
    command = [str(ST), "--config-file", str(config), "--no-color", "run",
               f"{root}/api/v1/openapi.json",
               "--checks", "all", "--phases", "examples,coverage,stateful",
               "--max-examples", str(MAX_EXAMPLES), "--seed", seed,
               "--generation-deterministic", "--workers", "2",
               "--request-timeout", "60", "--report", "junit",
               "--report-junit-path", str(report)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
           "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    # In the run's own folder: schemathesis keeps the failures it found under .schemathesis/
    # and replays them first next time, which would make one run depend on the last.
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=1800)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-20000:]
    # The run tested every documented operation (none skipped for want of a serializer).
    assert "Tested: " in output and "errored" not in output.split("SUMMARY")[-1], output[-5000:]
    assert report.exists()
