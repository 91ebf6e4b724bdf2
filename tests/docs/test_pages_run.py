"""The documentation's commands, run as written against a served demo federation.

Each page's `sh` blocks run in order in one shell (so a variable set in one block is there in
the next), from a folder holding the demo's `instance/demo.env`, against the app served on a
loopback port (the pages' `127.0.0.1:5000` becomes that port). A `json` block right after a
`sh` block is compared with the last JSON value the commands printed: every field shown must be
there with the value shown, `"..."` stands for any value, a text ending in `...` for any text
that starts so, and an object ending in `...` may have more fields than it shows. A block
marked `sh not-run` (one that starts a server of its own) is shown to the reader but not run
here; its feature's tests exercise it.
"""

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serving import served

# One worker loads the session's demo template and serves these modules' copies.
pytestmark = pytest.mark.xdist_group("demo")

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# The pages that run, in the order a reader follows them (later pages use earlier variables);
# docs/directory.md, which starts on its own, runs in tests/directory/test_docs.py.
SEQUENCE = ["tour.md", "webhooks.md"]
FENCE = re.compile(r"^```([\w-]*)([^\n]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
MARKER = "@@@ block done @@@"


@dataclass
class Block:
    """One fenced block of a page."""

    page: str
    line: int
    lang: str
    flags: str
    text: str


def blocks(page: str) -> list[Block]:
    """The fenced blocks of a docs page, in order."""
    source = (DOCS / page).read_text()
    return [Block(page, source.count("\n", 0, m.start()) + 1, m.group(1), m.group(2).strip(),
                  m.group(3)) for m in FENCE.finditer(source)]


def files(pages: list[str]) -> dict[str, str]:
    """The files the pages ask the reader to save (a block marked `file=NAME`)."""
    found = {}
    for page in pages:
        for block in blocks(page):
            name = re.search(r"file=(\S+)", block.flags)
            if name:
                found[name.group(1)] = block.text
    return found


def steps(pages: list[str]) -> list[tuple[Block, Block | None]]:
    """Each `sh` block to run, with the `json` block that shows its answer (if any)."""
    found = []
    for page in pages:
        page_blocks = blocks(page)
        for index, block in enumerate(page_blocks):
            if block.lang != "sh" or "not-run" in block.flags:
                continue
            following = page_blocks[index + 1] if index + 1 < len(page_blocks) else None
            found.append((block, following if following and following.lang == "json" else None))
    return found


def expected_value(text: str):
    """A json block as a value: `...` left bare in an object becomes a wildcard entry."""
    open_ended = re.sub(r",\s*\.\.\.\s*}", ', "...": "..."}', text)
    return json.loads(open_ended)


def last_json(output: str):
    """The last JSON value in what a block printed, or None."""
    decoder, position, last = json.JSONDecoder(), 0, None
    while True:
        start = min((i for i in (output.find("{", position), output.find("[", position))
                     if i >= 0), default=-1)
        if start < 0:
            return last
        try:
            last, position = decoder.raw_decode(output, start)
        except json.JSONDecodeError:
            position = start + 1


def matches(expected, actual, path="$") -> list[str]:
    """How `actual` differs from what a page shows (empty when it agrees)."""
    if expected == "...":
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = []
        open_ended = expected.get("...") == "..."
        for key, value in expected.items():
            if key == "...":
                continue
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += matches(value, actual[key], f"{path}.{key}")
        if not open_ended:
            extra = set(actual) - set(expected)
            problems += [f"{path}.{key}: not shown on the page" for key in sorted(extra)]
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual))
                for p in matches(e, a, f"{path}[{i}]")]
    if isinstance(expected, str) and expected.endswith("...") and isinstance(actual, str) \
            and actual.startswith(expected[:-3]):
        return []  # the page shows the start of a longer text
    return [] if expected == actual else [f"{path}: page shows {expected!r}, got {actual!r}"]


@pytest.fixture(scope="module")
def demo_site(request, demo_template, tmp_path_factory):
    """A copy of the demo federation on SQLite, served on a loopback port."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import base_config
    from tests.demo_template import copy_demo

    folder = tmp_path_factory.mktemp("docs-site")
    copy, _ = copy_demo(request, demo_template("sqlite"), folder)
    app = create_app(base_config(copy.url, WEBHOOK_ALLOW_LOOPBACK=True),
                     instance_path=str(copy.instance))
    os.symlink(ROOT / ".venv", folder / ".venv", target_is_directory=True)
    with served(app) as root:
        yield folder, root
    with app.app_context():
        db.engine.dispose()


def test_the_tour_directory_and_webhook_pages_run_as_written(demo_site):
    """Every command of these pages works in order, and answers what the pages show."""
    from tests.conftest import HMAC_KEY

    folder, root = demo_site
    plan = steps(SEQUENCE)
    assert len(plan) >= 15, "the pages lost their commands"
    for name, text in files(SEQUENCE).items():
        (folder / name).write_text(text)
    # Without pipefail, as a reader's shell runs them (`curl ... | head -3` is fine); the
    # pages' `reciprocity` commands use this demo's instance folder and database.
    script = ["set -e", f"export RECIPROCITY_INSTANCE_PATH={folder / 'instance'}",
              f"export RECIPROCITY_HMAC_KEY={HMAC_KEY}"]
    for block, _ in plan:
        text = re.sub(r"http://127\.0\.0\.1:50\d\d", root, block.text)
        script += [text, f"echo '{MARKER}'"]
    script.append("kill $(jobs -p) 2>/dev/null || true")  # servers the pages started
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=folder, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": ""})
    outputs = done.stdout.split(MARKER + "\n")
    ran = len(outputs) - 1
    if ran < len(plan):
        failed = plan[ran][0]
        pytest.fail(f"{failed.page}:{failed.line}: this block failed (exit {done.returncode}):"
                    f"\n{failed.text}\nstdout: {outputs[-1][-2000:]}\nstderr: "
                    f"{done.stderr[-2000:]}")
    problems = []
    for (_, shown), output in zip(plan, outputs):
        if shown is None:
            continue
        actual = last_json(output)
        for problem in matches(expected_value(shown.text), actual):
            problems.append(f"{shown.page}:{shown.line}: {problem}")
    assert not problems, "\n".join(problems)
