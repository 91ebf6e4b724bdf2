"""The demo federation, loaded once per test session and backend, and copied for each user.

Loading the demo (623 libraries, their patrons, policies, bills, blocks and the records between
libraries) takes far longer than copying a database. The first test that asks for a backend's
demo loads it through the real loader into a template (a SQLite file, or a PostgreSQL database
used as a template); every user then gets its own copy, with the instance folder (demo.env and
the secrets) beside it, so no test sees another's changes.
"""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from tests.conftest import base_config


@dataclass
class DemoTemplate:
    """A backend's loaded demo: where it is, and what its loader printed."""

    backend: str
    source: str  # a SQLite file's path, or a PostgreSQL template database's name
    instance: Path  # demo.env and the instance secrets the load wrote
    lines: list[str] = field(default_factory=list)


@dataclass
class DemoCopy:
    """One user's copy of the demo: its database URL and its own instance folder."""

    url: str
    instance: Path

    @property
    def env_path(self) -> Path:
        """The copy's demo.env (keys and demo cards)."""
        return self.instance / "demo.env"

    def env(self) -> dict:
        """The variables demo.env exports."""
        values = {}
        for line in self.env_path.read_text().splitlines():
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                values[name] = value.strip("'")
        return values


@pytest.fixture(scope="session")
def demo_template(request, tmp_path_factory):
    """`demo_template(backend)`: the session's loaded demo on that backend, made on first use."""
    made: dict[str, DemoTemplate] = {}

    def template(backend: str) -> DemoTemplate:
        if backend not in made:
            made[backend] = _load(request, tmp_path_factory, backend)
        return made[backend]

    return template


def _load(request, tmp_path_factory, backend: str) -> DemoTemplate:
    from app.demo import load_demo

    folder = tmp_path_factory.mktemp(f"demo-template-{backend}")
    instance = folder / "instance"
    instance.mkdir()
    if backend == "sqlite":
        source = str(folder / "demo.db")
        shutil.copyfile(request.getfixturevalue("sqlite_template"), source)
        url = f"sqlite:///{source}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        source = f"demo_template_{os.getpid()}"
        cluster.create_database(source, template=request.getfixturevalue("pg_template"))
        url = cluster.url(source)
    app = create_app(base_config(url), instance_path=str(instance))
    lines: list[str] = []
    with app.app_context():
        load_demo(app, scale=0, echo=lines.append)
        db.session.remove()
        db.engine.dispose()  # a PostgreSQL template must have no connections to be copied
    return DemoTemplate(backend, source, instance, lines)


def copy_demo(request, template: DemoTemplate, folder: Path) -> tuple[DemoCopy, callable]:
    """A private copy of a loaded demo in `folder`; returns it and a clean-up function."""
    instance = folder / "instance"
    shutil.copytree(template.instance, instance)
    if template.backend == "sqlite":
        # Where the app looks by default, so `reciprocity` commands given only
        # RECIPROCITY_INSTANCE_PATH find the same database.
        path = instance / "reciprocity.db"
        shutil.copyfile(template.source, path)
        return DemoCopy(f"sqlite:///{path}", instance), lambda: None
    cluster = request.getfixturevalue("pg_cluster")
    name = f"demo_{os.getpid()}_{folder.name.replace('-', '_')}".lower()
    cluster.create_database(name, template=template.source)
    return DemoCopy(cluster.url(name), instance), lambda: cluster.drop_database(name)
