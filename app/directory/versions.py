"""A policy's canonical form, its hash, and what changed between two versions.

Pure functions on the plain dict a policy schema loads (or a stored version): publishing the
same policy twice is recognised by the hash of its canonical form, and a version's history
lists the fields it changed.
"""

import hashlib
import json
from datetime import date

# Sets of vocabulary terms: their order carries no meaning, so the canonical form sorts them.
_SETS = {"excluded_formats", "formats_lent", "formats_not_lent", "lends_to",
         "does_not_lend_to", "request_methods", "methods", "released_only_by", "days"}
# Lists of objects keyed by one field, whose order carries no meaning either.
_KEYED = {"format_limits": "format", "conditional_formats": "format"}


def canonical(policy: dict) -> dict:
    """The policy in one canonical form: sets sorted, per-format limits by format."""
    def walk(value, key=None):
        if isinstance(value, dict):
            return {name: walk(inner, name) for name, inner in value.items()}
        if isinstance(value, list):
            items = [walk(inner) for inner in value]
            if key in _SETS:
                return sorted(set(items))
            if key in _KEYED:
                return sorted(items, key=lambda item: item[_KEYED[key]])
            return items
        if isinstance(value, date):
            return value.isoformat()
        return value

    return walk(policy)


def policy_hash(canonical_policy: dict) -> str:
    """SHA-256 of the canonical JSON: the same policy published again has the same hash."""
    text = json.dumps(canonical_policy, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flatten(value, prefix: str = "") -> dict:
    """Leaves of a policy by dotted path; lists of plain values stay whole, as one field."""
    if isinstance(value, dict):
        flat = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{key}" if prefix else key))
        return flat
    if isinstance(value, list) and any(isinstance(inner, dict) for inner in value):
        flat = {}
        for index, inner in enumerate(value):
            flat.update(flatten(inner, f"{prefix}.{index}"))
        return flat or {prefix: []}
    return {prefix: value}


def diff(before: dict | None, after: dict) -> list[dict]:
    """What changed between two versions, field by field: [{path, before, after}], by path."""
    old, new = flatten(before or {}), flatten(after)
    changes = []
    for path in sorted(set(old) | set(new)):
        if old.get(path) != new.get(path):
            changes.append({"path": path, "before": old.get(path), "after": new.get(path)})
    return changes
