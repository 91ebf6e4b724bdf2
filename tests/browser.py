"""One Chromium for the whole test session (per xdist worker), driven by Playwright.

Playwright's sync API runs an event loop of its own, and a second `sync_playwright()` in the same
process while the first is open fails ("Sync API inside the asyncio loop"). Every browser test,
whatever its package, therefore takes this one `chromium` fixture. Debian's Chromium is used,
never a browser download; without it the tests skip with the reason, except with CI=true, where
they fail.
"""

import os
import sys

import pytest

from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright, one for the session; a skip (a failure in CI)."""
    if not os.path.exists(CHROMIUM):
        message = f"Browser tests skipped: {CHROMIUM} is missing (apt-get install chromium)."
        if IN_CI:
            pytest.fail(message)
        print(message, file=sys.stderr)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
