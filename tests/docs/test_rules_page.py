"""docs/rules.md, the page outside readers see, names tests that exist.

Each rule R1-R19 has its section, and every test the page names (file, then test names, in
its tables) is a test function of that file, so the page cannot drift from the suite.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "rules.md"
ROW = re.compile(r"^\| `(tests/[^`]+\.py)(?:::(\w+))?` \| (.*) \|$")


def rows():
    """(file, test names) for each table row that names a test file."""
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            path, named, rest = match.groups()
            names = re.findall(r"`(test_\w+)`", rest)
            yield path, [named] if named else names


def test_every_rule_has_its_section():
    text = PAGE.read_text(encoding="utf-8")
    for number in range(1, 20):
        assert re.search(rf"^## R{number} \w", text, re.MULTILINE), f"R{number} is missing"


def test_every_test_the_page_names_exists():
    found = list(rows())
    assert len(found) > 40  # the tables were read at all
    missing = []
    for path, names in found:
        source = ROOT / path
        assert source.is_file(), f"{path} is named but does not exist"
        text = source.read_text(encoding="utf-8")
        missing += [f"{path}::{name}" for name in names
                    if not re.search(rf"^\s*def {name}\(", text, re.MULTILINE)]
    assert not missing, "docs/rules.md names tests that do not exist: " + ", ".join(missing)
