"""Published policies carried over to the richer model: a stored version rewritten by the
migration is exactly what publishing the same policy today stores, so its hash matches and
publishing it again changes nothing."""

import importlib.util
from pathlib import Path

import pytest

from app.directory import versions
from app.directory.schemas import PolicySchema
from tests.directory.conftest import policy

MIGRATION = (Path(__file__).parents[2] / "app" / "migrations" / "versions"
             / "d1ec70a10008_directory_richer_policies.py")


@pytest.fixture(scope="module")
def migration():
    spec = importlib.util.spec_from_file_location("richer_policies", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Policies as they could be published before the new fields existed.
BEFORE = {
    "base": policy(),
    "no processing fee stated": policy(**{"interlibrary_loan.lost_materials": {
        "replacement": "list_price_or_equivalent_title"}}),
    "no lost materials": policy(**{"interlibrary_loan.lost_materials": None}),
    "no nonresident cards": policy(nonresident_cards=None),
}


@pytest.mark.parametrize("body", BEFORE.values(), ids=BEFORE.keys())
def test_a_stored_version_upgrades_to_what_publishing_it_today_stores(migration, body):
    today = versions.canonical(PolicySchema().load(body))
    stored_before = migration.downgrade_policy(today)
    assert migration.upgrade_policy(stored_before) == today
    assert migration.policy_hash(today) == versions.policy_hash(today)


def test_an_old_single_replacement_and_fee_keep_their_meaning(migration):
    """One `replacement` becomes the one accepted method; an amount is a fixed fee (bills are
    capped at it), no amount is an unstated fee (bills were not capped, and still are not)."""
    old = {"reviewed_on": "2026-01-05", "reciprocal_borrowing": {"participates": True},
           "interlibrary_loan": {"lost_materials": {"replacement": "replacement_copy",
                                                    "processing_fee_cents": 500}}}
    lost = migration.upgrade_policy(old)["interlibrary_loan"]["lost_materials"]
    assert lost["methods"] == ["replacement_copy"] and lost["processing_fee"] == "fixed"
    old["interlibrary_loan"]["lost_materials"] = {"replacement": "list_price",
                                                  "processing_fee_cents": None}
    lost = migration.upgrade_policy(old)["interlibrary_loan"]["lost_materials"]
    assert lost["methods"] == ["list_price"] and lost["processing_fee"] == "unstated"
