"""Configuration: defaults, then instance/config.py, then RECIPROCITY_* environment variables;
secrets generated once into instance/; database URLs as deployments write them."""

import os
import stat
import threading
import time

import pytest

from app import create_app
from app.config import Defaults


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No RECIPROCITY_* variable from the machine running the tests leaks into these apps."""
    for name in list(os.environ):
        if name.startswith("RECIPROCITY_"):
            monkeypatch.delenv(name)


@pytest.fixture
def instance(tmp_path):
    """An empty instance folder."""
    path = tmp_path / "instance"
    path.mkdir()
    return path


def write_instance_config(instance, text: str) -> None:
    """Write instance/config.py."""
    (instance / "config.py").write_text(text)


def test_defaults_apply_when_nothing_is_configured(instance):
    app = create_app(instance_path=str(instance))
    assert app.config["TIMEZONE"] == "America/Chicago"  # R9: the federation's time zone
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert (app.config["PAGE_SIZE"], app.config["PAGE_SIZE_MAX"]) == (50, 500)
    assert app.config["VERIFY_RATE_LIMIT"] == Defaults.VERIFY_RATE_LIMIT
    assert app.config["OPENAPI_VERSION"].startswith("3.1")


def test_the_sqlite_default_lives_in_instance(instance):
    app = create_app(instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/reciprocity.db"


def test_instance_config_overrides_the_defaults(instance):
    write_instance_config(instance, 'TIMEZONE = "America/New_York"\nPAGE_SIZE = 20\n')
    app = create_app(instance_path=str(instance))
    assert (app.config["TIMEZONE"], app.config["PAGE_SIZE"]) == ("America/New_York", 20)
    assert app.config["PAGE_SIZE_MAX"] == 500  # what it does not mention keeps its default


def test_environment_variables_override_instance_config(instance, monkeypatch):
    write_instance_config(instance, 'TIMEZONE = "America/New_York"\nPAGE_SIZE = 20\n'
                                    'VERIFY_RATE_LIMIT = 30\n')
    monkeypatch.setenv("RECIPROCITY_TIMEZONE", "America/Denver")
    monkeypatch.setenv("RECIPROCITY_PAGE_SIZE", "7")  # JSON: an int, not "7"
    app = create_app(instance_path=str(instance))
    assert app.config["TIMEZONE"] == "America/Denver"
    assert app.config["PAGE_SIZE"] == 7
    assert app.config["VERIFY_RATE_LIMIT"] == 30


def test_a_test_config_replaces_instance_config_and_environment(instance, monkeypatch):
    """As in Flask's tutorial: tests say exactly what they run with."""
    write_instance_config(instance, 'TIMEZONE = "America/New_York"\n')
    monkeypatch.setenv("RECIPROCITY_PAGE_SIZE", "7")
    app = create_app({"TESTING": True, "HMAC_KEY": "k", "SECRET_KEY": "s"},
                     instance_path=str(instance))
    assert (app.config["TIMEZONE"], app.config["PAGE_SIZE"]) == ("America/Chicago", 50)


def test_the_hmac_key_is_generated_once_private_and_reused(instance):
    """R16: card numbers are hashed with a key that never changes between starts and that
    only the service's user can read."""
    first = create_app(instance_path=str(instance))
    key_file = instance / "hmac.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["HMAC_KEY"]) >= 32
    assert key_file.read_text().strip() == first.config["HMAC_KEY"]
    second = create_app(instance_path=str(instance))
    assert second.config["HMAC_KEY"] == first.config["HMAC_KEY"]
    # The session secret is generated the same way, and is a different secret.
    secret_file = instance / "secret.key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"] != first.config["HMAC_KEY"]


def test_a_configured_hmac_key_is_used_and_no_file_is_written(instance, monkeypatch):
    monkeypatch.setenv("RECIPROCITY_HMAC_KEY", "configured-in-the-environment")
    app = create_app(instance_path=str(instance))
    assert app.config["HMAC_KEY"] == "configured-in-the-environment"
    assert not (instance / "hmac.key").exists()


def test_a_key_file_still_being_written_is_waited_for(instance):
    """Two workers starting at once: the second must not take the first's empty file as the
    key, or patrons registered through one worker would not verify through the other."""
    key_file = instance / "hmac.key"
    key_file.touch(mode=0o600)  # the first worker has created it and not yet written it

    def finish_writing():
        time.sleep(0.3)  # well within the reader's wait, well after its first read
        key_file.write_text("written-by-the-first-worker\n")

    writer = threading.Thread(target=finish_writing)
    writer.start()
    try:
        app = create_app(instance_path=str(instance))
    finally:
        writer.join()
    assert app.config["HMAC_KEY"] == "written-by-the-first-worker"


@pytest.mark.parametrize("configured, used", [
    ("postgresql://reciprocity:pw@db.example.org:5432/reciprocity",
     "postgresql+psycopg://reciprocity:pw@db.example.org:5432/reciprocity"),
    ("postgres://reciprocity@db/reciprocity", "postgresql+psycopg://reciprocity@db/reciprocity"),
    ("postgresql+psycopg://r@db/r", "postgresql+psycopg://r@db/r"),
    ("sqlite:////var/lib/reciprocity/r.db", "sqlite:////var/lib/reciprocity/r.db"),
])
def test_database_urls_are_used_with_the_psycopg_driver(instance, monkeypatch, configured, used):
    """Deployments write plain postgresql:// URLs; psycopg 3 is the driver we ship."""
    monkeypatch.setenv("RECIPROCITY_DATABASE_URL", configured)
    app = create_app(instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == used
    if used.startswith("postgresql"):
        # Connections dropped by the network or a failover are noticed before use.
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_every_setting_is_documented():
    """docs/configuration.md names every setting the defaults define, so none is found only by
    reading the code."""
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    settings = [name for name in vars(Defaults) if name.isupper()]
    assert len(settings) > 50
    assert [name for name in settings if f"`{name}`" not in page
            and f"`RECIPROCITY_{name}`" not in page] == []
