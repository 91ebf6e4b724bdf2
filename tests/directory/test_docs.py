"""docs/directory.md runs as written: every `sh` block, in order, in one shell, against the
service on 127.0.0.1 (a fresh federation with an office key, as `bash scripts/serve` gives),
and each `text` block after a command is what it printed. The CSV column table names every
column the CSV has."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.directory.export import NAMES
from tests.conftest import IN_CI

PAGE = Path(__file__).parents[2] / "docs" / "directory.md"
BLOCK = re.compile(r"```(sh|text)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str]]:
    """The page's sh and text blocks, in order; the setup block (which reads the demo's
    env file and names the API) is the one the test supplies itself."""
    found = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    return [(kind, body) for kind, body in found
            if not body.startswith(". instance/demo.env")]


def test_every_csv_column_is_documented():
    table = PAGE.read_text(encoding="utf-8").split("<!-- columns:")[1].split("\n## ")[0]
    first_cells = [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([a-z_0-9]+)`", cell)}
    assert set(NAMES) - documented == set()
    assert documented - set(NAMES) == set()


def test_the_tour_runs_as_written(federation, live_server, tmp_path):
    """Each command exits 0 (curl -f: no HTTP error) and prints what the page shows."""
    if not shutil.which("curl"):
        message = "The docs tour needs curl (apt-get install curl)."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    script, expected = ["set -euo pipefail"], []
    for index, (kind, body) in enumerate(blocks()):
        if kind == "sh":
            script += [f"echo '@@block {index}'", body]
        else:
            expected.append((index - 1, body))
    env = {**os.environ, "API": live_server, "DEMO_ADMIN_KEY": federation.admin_key}
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    outputs = dict(re.findall(r"@@block (\d+)\n(.*?)(?=@@block |\Z)", done.stdout, re.S))
    assert expected, "the page shows no output to check"
    for index, text in expected:
        printed = outputs[str(index)].splitlines()
        for line in text.strip().splitlines():
            assert line in printed, (line, printed)
