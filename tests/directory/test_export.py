"""The flat CSV holds the whole policy: every field of the policy schema has a column."""

from marshmallow import fields

from app.directory.export import COLUMNS, NAMES
from app.directory.schemas import PolicySchema


def leaves(schema, prefix: str = "") -> list[str]:
    """Every field of a schema by dotted path; a list of objects counts as one field."""
    found = []
    for name, field in schema.fields.items():
        path = f"{prefix}{name}"
        if isinstance(field, fields.Nested):
            found += leaves(field.schema, f"{path}.")
        else:
            found.append(path)
    return found


def test_every_field_of_a_policy_has_a_column():
    covered = {path for column in COLUMNS for path in column.paths}
    missing = [path for path in leaves(PolicySchema())
               if not any(path == done or path.startswith(done + ".") for done in covered)]
    assert missing == []


def test_column_names_are_unique_and_the_old_ones_are_kept():
    """Readers of the CSV before the richer policies still find their columns."""
    assert len(NAMES) == len(set(NAMES))
    older = ("code", "name", "type", "city", "county", "system", "published", "version",
             "published_at", "reviewed_on", "stale", "participates", "items_at_a_time",
             "loan_days", "renewals", "lends_formats", "excluded_formats",
             "register_in_person", "holds_allowed", "fees", "ill_contact_email",
             "ill_contact_phone", "ill_formats_lent", "ill_formats_not_lent",
             "ill_processing_fee_cents", "nonresident_cards", "nonresident_report_late")
    assert set(older) <= set(NAMES)
