"""Read replicas: verification and the public directory read from a real streaming replica
(made with pg_basebackup from the session's primary) while it is within REPLICA_MAX_LAG_SECONDS;
a library reads its own writes; a replica that is down or too far behind is skipped; nothing
is refused for a replica's lag; writes never go to a replica."""

import itertools
import os
import socket

import pytest

from app import create_app
from app.extensions import db
from tests.conftest import Federation, base_config

CARD = "2000100000001"
_names = itertools.count()


def dead_url() -> str:
    """A replica URL with nothing listening: a replica that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/reciprocity"


@pytest.fixture
def replicated(pg_cluster, pg_template, pg_replica):
    """A fresh database on the primary, already on the replica; yields (name, replica)."""
    name = f"replicated_{os.getpid()}_{next(_names)}"
    pg_cluster.create_database(name, template=pg_template)
    pg_replica.catch_up()
    try:
        yield name
    finally:
        pg_replica.resume_replay()
        pg_cluster.drop_database(name)


@pytest.fixture
def start(pg_cluster, pg_replica, replicated):
    """Build the app over the replicated database with the given replica settings."""
    apps = []

    def build(*, max_lag: float, urls=None) -> Federation:
        urls = urls if urls is not None else [pg_replica.url(replicated)]
        app = create_app(base_config(pg_cluster.url(replicated), REPLICA_URLS=urls,
                                     REPLICA_MAX_LAG_SECONDS=max_lag, REPLICA_CHECK_SECONDS=0))
        apps.append(app)
        federation = Federation(app, app.test_client())
        federation.admit("HOME", prefixes=["20001"])
        federation.admit("LEND", prefixes=["20002"])
        federation.register("HOME", CARD)
        return federation

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
            replicas = app.extensions.get("reciprocity.replicas")
            if replicas:
                replicas.dispose()


def decision(federation, code: str, card: str = CARD) -> str:
    """Verify `card` as library `code`; the decision."""
    response = federation.verify(code, card)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["decision"]


def home_blocks_the_card_while_the_replica_is_paused(federation, pg_replica) -> None:
    """The replica has everything, then stops replaying; the home library blocks the card."""
    assert decision(federation, "LEND") == "eligible"  # a check sees the replica caught up
    pg_replica.catch_up()
    pg_replica.pause_replay()
    federation.register("HOME", CARD, standing="blocked", block_reasons=["fines"])


def test_verification_reads_from_a_replica_within_the_bound(start, pg_replica):
    """Within the bound the replica answers: the lending desk sees the card as it was there."""
    federation = start(max_lag=3600)
    home_blocks_the_card_while_the_replica_is_paused(federation, pg_replica)
    assert decision(federation, "LEND") == "eligible"  # the replica's state, an hour at most
    pg_replica.resume_replay()
    pg_replica.catch_up()
    assert decision(federation, "LEND") == "not_eligible"


def test_a_library_reads_its_own_write_from_the_primary(start, pg_replica):
    """Read-your-writes: the home library that blocked the card sees the block at once."""
    federation = start(max_lag=3600)
    home_blocks_the_card_while_the_replica_is_paused(federation, pg_replica)
    assert decision(federation, "HOME") == "not_eligible"
    assert decision(federation, "LEND") == "eligible"  # another library: from the replica


def test_a_replica_behind_by_more_than_the_bound_is_skipped(start, pg_replica):
    federation = start(max_lag=0)
    home_blocks_the_card_while_the_replica_is_paused(federation, pg_replica)
    assert decision(federation, "LEND") == "not_eligible"


def test_a_replica_that_is_down_is_skipped_for_one_that_is_up(start, pg_replica, pg_cluster,
                                                              replicated):
    federation = start(max_lag=3600, urls=[dead_url(), pg_replica.url(replicated)])
    home_blocks_the_card_while_the_replica_is_paused(federation, pg_replica)
    for _ in range(4):  # never the dead one, whose turn comes every other request
        assert decision(federation, "LEND") == "eligible"


def test_with_every_replica_down_the_primary_answers(start, pg_replica):
    federation = start(max_lag=3600, urls=[dead_url()])
    home_blocks_the_card_while_the_replica_is_paused(federation, pg_replica)
    assert decision(federation, "LEND") == "not_eligible"


def test_a_card_registered_while_the_replica_lags_is_found(start, pg_replica):
    """R14: a lagging replica must not turn a new card into an unknown one: the primary
    confirms every "not found"."""
    federation = start(max_lag=3600)
    home_blocks_the_card_while_the_replica_is_paused(federation, pg_replica)
    federation.register("HOME", "2000100000002")
    assert decision(federation, "LEND", "2000100000002") == "eligible"
    federation.admit("NEWB", prefixes=["20003"])
    federation.register("NEWB", "2000300000001")
    assert decision(federation, "LEND", "2000300000001") == "eligible"


def test_the_public_directory_reads_from_the_replica(start, pg_replica):
    federation = start(max_lag=3600)
    client = federation.client
    assert client.get("/api/v1/directory/LEND").status_code == 200  # checks the replica
    pg_replica.catch_up()
    pg_replica.pause_replay()
    federation.admit("NEWB", prefixes=["20003"], name="Newly Admitted Library")
    # Writes go to the primary while the replica is paused; the public page reads the replica.
    assert client.get("/api/v1/directory/NEWB").status_code == 404
    pg_replica.resume_replay()
    pg_replica.catch_up()
    assert client.get("/api/v1/directory/NEWB").status_code == 200


def test_replicas_need_a_postgresql_primary(tmp_path):
    with pytest.raises(RuntimeError, match="PostgreSQL primary"):
        create_app(base_config(f"sqlite:///{tmp_path}/x.db", REPLICA_URLS=[dead_url()]))
