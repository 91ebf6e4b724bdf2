"""Reading a roster, line by line: CSV with a header, or NDJSON (one JSON object a line).

Each line is validated on its own: a bad line becomes an error with its line number and the
others go on. A line is one record (no quoted field may span lines), which keeps line numbers
exact and memory bounded by the longest allowed line.
"""

import csv
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import TextIO

from app.patrons.models import STANDINGS
from app.patrons.rules import InvalidCardNumber, is_plain_text, normalize_card, normalize_surname

COLUMNS = ("card_number", "expires_on", "standing", "block_reasons", "category", "surname",
           "external_ref")
REQUIRED = ("card_number", "expires_on")
MAX_LINE = 4096
_REASON = re.compile(r"^[a-z0-9_]{1,40}$")
_LIMITS = {"category": 40, "external_ref": 100, "surname": 100}

Parsed = tuple[int, dict | None, tuple[str, str] | None]


class RosterFormatError(ValueError):
    """The roster as a whole cannot be read (no header, unknown columns)."""


def _lines(stream: TextIO) -> Iterator[tuple[int, str | None]]:
    """Yield (number, text) per line; an over-long line yields None and is skipped whole."""
    number = 0
    while True:
        text = stream.readline(MAX_LINE + 1)
        if not text:
            return
        number += 1
        if len(text) > MAX_LINE and not text.endswith("\n"):
            while True:  # drain the rest of the over-long line
                more = stream.readline(65536)
                if not more or more.endswith("\n"):
                    break
            yield number, None
            continue
        yield number, text.rstrip("\r\n")


def validate_row(raw: dict) -> tuple[dict | None, tuple[str, str] | None]:
    """Check one record's fields; return (values, None) or (None, (code, detail))."""
    values: dict = {}
    for name in REQUIRED:
        if raw.get(name) in (None, ""):
            return None, ("missing_field", f"{name} is required.")
    card = raw["card_number"]
    if not isinstance(card, str):
        return None, ("invalid_card", "card_number must be text.")
    try:
        values["card"] = normalize_card(card)
    except InvalidCardNumber as error:
        return None, ("invalid_card", str(error))
    try:
        values["expires_on"] = date.fromisoformat(raw["expires_on"])
        if len(raw["expires_on"]) != 10:
            raise ValueError
    except (TypeError, ValueError):
        return None, ("invalid_date", "expires_on must be a date like 2027-06-30.")
    if raw.get("standing") not in (None, ""):
        if raw["standing"] not in STANDINGS:
            return None, ("invalid_standing", "standing must be good or blocked.")
        values["standing"] = raw["standing"]
    if "block_reasons" in raw:
        reasons = raw["block_reasons"]
        if reasons is None or reasons == "":
            reasons = []
        elif isinstance(reasons, str):
            reasons = [r.strip() for r in reasons.split(";") if r.strip()]
        if not isinstance(reasons, list) or not all(
                isinstance(r, str) and _REASON.match(r) for r in reasons) or len(reasons) > 20:
            return None, ("invalid_block_reason",
                          "block_reasons are codes like fines or lost_items, separated by ';'.")
        values["block_reasons"] = reasons
    if values.get("block_reasons") and values.get("standing", "blocked") == "good":
        return None, ("reasons_without_block", "Only a blocked patron has block reasons.")
    if values.get("standing") == "good" and "block_reasons" not in values:
        values["block_reasons"] = []
    for name, limit in _LIMITS.items():
        if name in raw:
            value = raw[name]
            if value in (None, ""):
                values[name] = None
                continue
            if not isinstance(value, str) or len(value) > limit or not is_plain_text(value):
                return None, ("invalid_field", f"{name} must be text of at most {limit} "
                                               "characters, without control characters.")
            values[name] = normalize_surname(value) if name == "surname" else value
    return values, None


def read_csv(stream: TextIO) -> Iterator[Parsed]:
    """Parse a CSV roster whose first line names the columns."""
    lines = _lines(stream)
    header = None
    for number, text in lines:
        if text is None:
            raise RosterFormatError(f"Line {number}, the header, is too long.")
        if text.strip():
            header = [h.strip().lower().lstrip("\ufeff") for h in next(csv.reader([text]))]
            break
    if header is None:
        raise RosterFormatError("The roster is empty: the first line must name the columns.")
    unknown = sorted(set(header) - set(COLUMNS))
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise RosterFormatError(
            "The header must name columns from: " + ", ".join(COLUMNS)
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + ("; a column is named twice" if len(set(header)) != len(header) else "") + ".")
    width = len(header)
    for number, text in lines:
        if text is None:
            yield number, None, ("line_too_long", f"A line has at most {MAX_LINE} characters.")
            continue
        if not text.strip():
            continue
        try:
            fields = next(csv.reader([text]))
        except csv.Error as error:
            yield number, None, ("malformed_line", f"Not a CSV line: {error}.")
            continue
        if len(fields) != width:
            yield number, None, ("malformed_line",
                                 f"Expected {width} fields, found {len(fields)}.")
            continue
        values, error = validate_row(dict(zip(header, (f.strip() for f in fields))))
        yield number, values, error


def read_ndjson(stream: TextIO) -> Iterator[Parsed]:
    """Parse an NDJSON roster: one JSON object per line."""
    for number, text in _lines(stream):
        if text is None:
            yield number, None, ("line_too_long", f"A line has at most {MAX_LINE} characters.")
            continue
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except (ValueError, RecursionError):  # deep nesting ("[[[[...") is not a record
            yield number, None, ("malformed_line", "Not a JSON object.")
            continue
        if not isinstance(record, dict):
            yield number, None, ("malformed_line", "Each line must be a JSON object.")
            continue
        unknown = sorted(set(record) - set(COLUMNS))
        if unknown:
            yield number, None, ("unknown_field", f"Unknown fields: {', '.join(unknown)}.")
            continue
        values, error = validate_row(record)
        yield number, values, error


READERS = {"csv": read_csv, "ndjson": read_ndjson}
MEDIA_TYPES = {"text/csv": "csv", "application/csv": "csv", "application/x-ndjson": "ndjson",
               "application/ndjson": "ndjson", "application/jsonl": "ndjson",
               "application/x-jsonlines": "ndjson"}
