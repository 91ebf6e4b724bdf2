"""The two distributions install and work on their own, outside this checkout.

The server's wheel carries its migrations and the demo's data, so `pip install` then
`reciprocity db upgrade` and `reciprocity demo load` work from any folder; the member SDK
(`reciprocity-federation`) installs alone, with `requests` and without Flask.
"""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The wheels are built once, on one worker.
pytestmark = pytest.mark.xdist_group("packaging")


def run(*args, cwd, env=None, timeout=600) -> str:
    """Run a command, failing the test with its output if it fails; its stdout."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def fresh_venv(path: Path) -> Path:
    """A new virtualenv with pip and no access to this checkout; its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


def clean_env(**extra) -> dict:
    """The environment without this checkout's virtualenv or Python path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("RECIPROCITY_")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict:
    """Wheels of the server and of the SDK, built from this checkout."""
    out = tmp_path_factory.mktemp("wheels")
    for source in (ROOT, ROOT / "federation"):
        # This virtualenv already has the build backend: no isolated build environment to make.
        run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
            "-w", out, source, cwd=out, env=clean_env())
    found = {path.name.split("-")[0]: path for path in out.glob("*.whl")}
    assert set(found) == {"reciprocity", "reciprocity_federation"}, found
    return found


def test_the_server_wheel_migrates_loads_the_demo_and_verifies(wheels, tmp_path):
    """Installed from its wheel into a fresh virtualenv, run from outside the checkout."""
    python = fresh_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", "-q", wheels["reciprocity"],
        wheels["reciprocity_federation"], cwd=tmp_path, env=clean_env())
    instance = tmp_path / "instance"
    env = clean_env(RECIPROCITY_INSTANCE_PATH=str(instance))
    command = tmp_path / "venv" / "bin" / "reciprocity"
    run(command, "db", "upgrade", cwd=tmp_path, env=env)
    run(command, "demo", "load", "--scale", "0", cwd=tmp_path, env=env)
    assert (instance / "reciprocity.db").exists() and (instance / "demo.env").exists()
    script = """
import json, os, sys
from app import create_app
values = dict(line.strip().removeprefix("export ").split("=", 1)
              for line in open(os.path.join(sys.argv[1], "demo.env"))
              if line.startswith("export "))
client = create_app().test_client()
answer = client.post("/api/v1/verifications", json={"card_number": values["DEMO_CARD_GOOD"]},
                     headers={"Authorization": "Bearer " + values["DEMO_LENDER_KEY"]})
print(json.dumps({"status": answer.status_code, **answer.get_json()}))
"""
    answer = json.loads(run(python, "-c", script, instance, cwd=tmp_path, env=env))
    assert (answer["status"], answer["decision"]) == (200, "eligible")
    assert answer["home_library"]["code"] == "IL0029"
    # What was imported is the installed copy, not this checkout.
    where = run(python, "-c", "import app, federation; print(app.__file__, federation.__file__)",
                cwd=tmp_path, env=env)
    assert str(ROOT) not in where and "site-packages" in where


def test_the_sdk_installs_alone_without_flask(wheels, tmp_path):
    """`reciprocity-federation` needs requests only; the server's stack stays out."""
    python = fresh_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", "-q", wheels["reciprocity_federation"], cwd=tmp_path,
        env=clean_env())
    listed = run(python, "-m", "pip", "list", "--format", "json", cwd=tmp_path, env=clean_env())
    names = {item["name"].lower() for item in json.loads(listed)}
    assert "requests" in names and "reciprocity-federation" in names
    assert not names & {"flask", "sqlalchemy", "psycopg", "gunicorn", "reciprocity"}
    script = """
import sys
import federation
from federation import Client, Verifier

assert "flask" not in sys.modules and "app" not in sys.modules
client = Client("http://127.0.0.1:9/api/v1", "key")
print(federation.__file__)
"""
    where = run(python, "-c", script, cwd=tmp_path, env=clean_env())
    assert "site-packages" in where
    metadata = run(python, "-c", "from importlib.metadata import metadata; "
                   "print(metadata('reciprocity-federation')['Requires-Python'])",
                   cwd=tmp_path, env=clean_env())
    assert metadata.strip() == ">=3.9"
