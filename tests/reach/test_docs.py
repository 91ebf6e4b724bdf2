"""docs/reaching-out.md, run as written against two federations that scripts/serve-pair
starts (each with its own SQLite database, as the page describes), with the sample ILS.

Every ```sh block runs, in order, in one bash; every ```json or ```text block that follows
one must appear in what it printed.
"""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

# The module's servers are started once, on one worker.
pytestmark = pytest.mark.xdist_group("reach-docs")

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reaching-out.md"


def free_port_base(count: int = 4) -> int:
    """A port with `count` free ports from it on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count >= 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("No run of free ports on 127.0.0.1.")


def blocks(text: str) -> list[tuple[str, str]]:
    """The page's fenced blocks as (language, body)."""
    return re.findall(r"```(\w*)\n(.*?)```", text, re.S)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """scripts/serve-pair running, until its env file says it is ready."""
    folder = tmp_path_factory.mktemp("pair")
    env = {**os.environ, "PAIR_PORT": str(free_port_base()), "PAIR_DIR": str(folder)}
    log = open(folder.parent / "serve-pair.log", "w")  # noqa: SIM115 (open while it runs)
    process = subprocess.Popen(["bash", "scripts/serve-pair"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        ready = folder / "env"
        for _ in range(3000):  # waits on progress: the script writes env when both answer
            if ready.exists() and "PAIR_DIR=" in ready.read_text():
                break
            if process.poll() is not None:
                pytest.fail("serve-pair ended early: "
                            + Path(log.name).read_text()[-2000:])
            time.sleep(0.1)
        else:
            pytest.fail("serve-pair did not get ready: " + Path(log.name).read_text()[-2000:])
        yield env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def test_the_reaching_out_walk_through_runs_as_written(pair):
    """R14 and R17 as a reader would do it: source home_system, then source peer."""
    found = blocks(DOC.read_text())
    script = "set -euo pipefail\n" + "\n".join(body for lang, body in found if lang == "sh")
    run = subprocess.run(["bash", "-c", script], cwd=ROOT, env=pair, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    printed = " ".join(run.stdout.split())
    expected = [body for lang, body in found if lang in ("json", "text")]
    assert len(expected) >= 5
    for body in expected:
        assert " ".join(body.split()) in printed, (body, run.stdout)
    assert '"source": "home_system"' in printed and '"source": "peer"' in printed
