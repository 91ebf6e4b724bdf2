"""Fixtures for the staff console: the demo federation (trimmed to a few libraries), served once
per module and backend, one Chromium for the session, axe-core, and signing in.

The demo is loaded by its own loader (`load_demo`), with the survey cut to four libraries so a
module's setup takes seconds, not the minute the 623 libraries take: Naperville (the lender),
Aurora (the home of the demo cards), Riverdale (inactive) and Addison (a third library, for the
BOLA tests, with its own staff).
"""

import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

from app import create_app
from app.extensions import db
from tests.conftest import BACKENDS, IN_CI, base_config
from tests.serving import served

DEMO_CODES = {"IL0368", "IL0029", "IL0454", "IL0003"}
THIRD = "IL0003"  # Addison: party to nothing of the demo's blocks and bills
THIRD_ADMIN = "admin@il0003.example.org"
THIRD_CIRCULATION = "circulation@il0003.example.org"
ROOT = Path(__file__).resolve().parents[2]
# Where scripts/test installs axe-core from the npm registry; AXE_CORE_JS names another file.
AXE_PATHS = [os.environ.get("AXE_CORE_JS") or "",
             str(ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"),
             "/usr/share/nodejs/axe-core/axe.min.js"]


# argon2's cheapest profile: the default costs a second or more per hash on a busy machine.
CONSOLE_CONFIG = {"STAFF_PASSWORD_HASHING": "CHEAPEST", "CONSOLE_BASE_URL": "http://127.0.0.1"}


@pytest.fixture
def app_config():
    """The console's tests hash passwords with argon2's cheapest profile."""
    return dict(CONSOLE_CONFIG)


def read_env(path: Path) -> dict:
    """The variables a demo.env exports."""
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            values[name] = shlex.split(value)[0] if value else ""
    return values


@dataclass
class Site:
    """A served console on the trimmed demo federation."""

    root: str
    env: dict
    app: object
    backend: str

    @property
    def password(self) -> str:
        """The demo accounts' password."""
        return self.env["DEMO_STAFF_PASSWORD"]


def load_trimmed_demo(app) -> dict:
    """Load the demo federation through its own loader, on four of its libraries."""
    from app.demo import service as demo

    rows = [row for row in demo.survey_rows() if row["FSCSKEY"] in DEMO_CODES]
    with app.app_context(), mock.patch.object(demo, "survey_rows", lambda: iter(rows)):
        path = demo.load_demo(app, scale=0, echo=lambda line: None)
        from app.console.service import create_staff

        env = read_env(path)
        create_staff(THIRD_ADMIN, "Third Admin", "library_admin", THIRD,
                     password=env["DEMO_STAFF_PASSWORD"])
        create_staff(THIRD_CIRCULATION, "Third Circulation", "circulation", THIRD,
                     password=env["DEMO_STAFF_PASSWORD"])
    return env


@pytest.fixture(scope="module", params=BACKENDS)
def demo_site(request, tmp_path_factory, sqlite_template):
    """The trimmed demo served on 127.0.0.1, once per module and backend."""
    backend = request.param
    folder = tmp_path_factory.mktemp(f"console-{backend}")
    cleanup = None
    if backend == "sqlite":
        path = folder / "console.db"
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        template = request.getfixturevalue("pg_template")
        name = f"console_{os.getpid()}_{folder.name.replace('-', '_')}"
        cluster.create_database(name, template=template)
        url = cluster.url(name)

        def cleanup():
            cluster.drop_database(name)

    app = create_app(base_config(url, **CONSOLE_CONFIG),
                     instance_path=str(folder / "instance"))
    env = load_trimmed_demo(app)
    with served(app) as root:
        yield Site(root=root, env=env, app=app, backend=backend)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if cleanup:
        cleanup()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script (from the npm registry, installed by scripts/test)."""
    for candidate in AXE_PATHS:
        if candidate and os.path.exists(candidate):
            return Path(candidate).read_text()
    message = ("axe-core is missing: run scripts/test, or `npm install --prefix .venv/axe "
               "axe-core@4`, or set AXE_CORE_JS to axe.min.js.")
    if IN_CI:
        pytest.fail(message)
    print(message, file=sys.stderr)
    pytest.skip(message)


def axe_violations(page, axe_source: str) -> list[str]:
    """Serious and critical axe-core violations on the page (WCAG 2.1 A and AA rules)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)  # through the debugger protocol: the page's CSP still holds
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' '))
            .join(', '));
    }""")
    return result


def sign_in(page, root: str, email: str, password: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{root}/console/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    assert "/console/sign-in" not in page.url, page.locator("main").inner_text()


CARD_DIGITS = re.compile(r"\d{8,}")


def assert_no_card_in_url_or_title(page, cards) -> None:
    """R16: no card number in the address or the title."""
    for card in cards:
        digits = re.sub(r"\D", "", card)
        assert digits not in re.sub(r"\D", "", page.url), page.url
        assert digits not in page.title(), page.title()
