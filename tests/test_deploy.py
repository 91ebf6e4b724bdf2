"""The reference deployment in deploy/: its files parse, every command it runs is one the app
has and deploy/README.md names, every setting it sets exists, and its health checks are real
routes."""

import configparser
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from flask.cli import FlaskGroup
from gunicorn.config import Config as GunicornConfig

from app import create_app
from app.config import Defaults
from tests.conftest import base_config

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
README = (DEPLOY / "README.md").read_text()
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
VENV_BIN = "/srv/reciprocity/.venv/bin/"


def compose() -> dict:
    """deploy/docker-compose.yml, parsed."""
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def unit(path: Path) -> configparser.ConfigParser:
    """A systemd unit, parsed."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


def app_commands() -> list[list[str]]:
    """Every command a Reciprocity process runs, from compose, systemd and the Dockerfile."""
    services = compose()["services"]
    commands = [service["command"] for service in services.values()
                if service.get("image", "").startswith("reciprocity")]
    for path in UNITS:
        start = shlex.split(unit(path)["Service"]["ExecStart"])
        assert start[0].startswith(VENV_BIN), f"{path.name} runs outside the app's virtualenv"
        commands.append([start[0].removeprefix(VENV_BIN), *start[1:]])
    cmd = re.search(r"^CMD (\[.*\])$", (DEPLOY / "Dockerfile").read_text(), re.M).group(1)
    commands.append(yaml.safe_load(cmd))
    return commands


def test_the_compose_file_has_every_piece_of_the_layout():
    services = compose()["services"]
    assert {"postgres-primary", "postgres-replica", "redis", "migrate", "app", "deliver",
            "proxy"} <= set(services)
    assert services["app"]["deploy"]["replicas"] >= 2
    for name, service in services.items():
        if service.get("restart") != "no" and "profiles" not in service:
            assert "healthcheck" in service or service["command"][:2] == ["reciprocity",
                                                                           "deliver"], name


def test_every_unit_parses_and_reads_the_settings_file():
    assert {path.name for path in UNITS} >= {"reciprocity-app@.service",
                                             "reciprocity-deliver.service",
                                             "reciprocity-migrate.service"}
    for path in UNITS:
        service = unit(path)["Service"]
        assert service["EnvironmentFile"] == "/etc/reciprocity/reciprocity.env", path.name
        assert service["User"] == "reciprocity", path.name
    timer = unit(DEPLOY / "systemd" / "reciprocity-overdue.timer")
    assert timer["Timer"]["OnCalendar"]


def test_every_command_run_is_named_in_the_readme():
    for command in app_commands():
        assert shlex.join(command) in README, f"deploy/README.md does not name {command}"


def test_gunicorn_is_given_options_it_accepts_and_the_wsgi_app():
    for command in app_commands():
        if command[0] == "gunicorn":
            options = GunicornConfig().parser().parse_args(command[1:])
            assert options.args == ["wsgi:app"] and options.bind and options.workers == 1


def test_every_reciprocity_command_exists(tmp_path):
    """Each `reciprocity ...` command the layout runs is a real command of the CLI."""
    runs = {tuple(c[1:]) for c in app_commands() if c[0] == "reciprocity"}
    assert {("db", "upgrade"), ("deliver",), ("blocks", "mark-overdue")} <= runs
    app = create_app(base_config(f"sqlite:///{tmp_path}/x.db"))
    cli = FlaskGroup(create_app=lambda: app)  # what the `reciprocity` console script runs
    for args in sorted(runs):
        done = CliRunner().invoke(cli, [*args, "--help"], prog_name="reciprocity")
        assert done.exit_code == 0, (args, done.output)
        assert "Usage: reciprocity " + " ".join(args) in done.output


def test_every_setting_in_the_example_is_one_the_app_has():
    names = re.findall(r"^RECIPROCITY_([A-Z_]+)=", (DEPLOY / "reciprocity.env.example")
                       .read_text(), re.M)
    assert {"DATABASE_URL", "REPLICA_URLS", "HMAC_KEY", "KEY_CACHE_SECONDS"} <= set(names)
    for name in names:
        assert hasattr(Defaults, name), f"RECIPROCITY_{name} is not a setting"


def test_health_checks_probe_routes_the_app_has(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path}/x.db"))
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    probed = set(re.findall(r"https?://[^/'\"]+(/[a-z]+)", (DEPLOY / "docker-compose.yml")
                            .read_text()))
    assert probed == {"/readyz", "/healthz"}
    assert probed <= routes
    assert "`GET /readyz`" in README and "`GET /healthz`" in README


def test_nginx_balances_onto_the_app_upstream_with_tls():
    conf = (DEPLOY / "nginx" / "reciprocity.conf").read_text()
    code = re.sub(r"#.*", "", conf)
    assert code.count("{") == code.count("}")
    assert re.search(r"upstream reciprocity \{[^}]*hash \$reciprocity_affinity consistent;", code)
    assert "proxy_pass http://reciprocity;" in code
    assert re.search(r"listen 443 ssl;", code) and "ssl_certificate " in code
    assert "X-Forwarded-Proto" in code  # matches RECIPROCITY_TRUSTED_PROXIES=1


@pytest.mark.parametrize("script", sorted((DEPLOY / "postgres").glob("*.sh")),
                         ids=lambda p: p.name)
def test_the_postgres_scripts_are_valid_shell(script):
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
