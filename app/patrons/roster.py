"""Reading a roster, line by line: CSV with a header, or NDJSON (one JSON object a line).

Each line is validated on its own: a bad line becomes an error with its line number and the
others go on. A line is one record (no quoted field may span lines), which keeps line numbers
exact and memory bounded by the longest allowed line.

A roster arrives as bytes in a declared encoding (UTF-8 unless told, with or without a byte
order mark): each line is decoded on its own and strictly, so a line in another encoding is
refused with its number rather than stored with replacement characters ("M\ufffdller" would
never match the surname a desk types).
"""

import codecs
import csv
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO, TextIO

from app.patrons.models import STANDINGS
from app.patrons.rules import InvalidCardNumber, is_plain_text, normalize_card, normalize_surname

COLUMNS = ("card_number", "expires_on", "standing", "block_reasons", "category", "surname",
           "external_ref")
REQUIRED = ("card_number", "expires_on")
MAX_LINE = 4096
_REASON = re.compile(r"^[a-z0-9_]{1,40}$")
_LIMITS = {"category": 40, "external_ref": 100, "surname": 100}

# The encodings a roster may declare: UTF-8 and the single-byte sets library systems export
# (Latin-1, Windows-1252 and their neighbours). Each keeps ASCII, so a line ends at b"\n".
# UTF-16 and UTF-32 do not, and are refused by name.
ENCODINGS = ("utf-8", "ascii", "latin-1", "iso8859-2", "iso8859-15", "cp1250", "cp1252",
             "cp437", "cp850", "mac-roman")
_ALLOWED = {codecs.lookup(name).name for name in ENCODINGS}
_MAX_LINE_BYTES = MAX_LINE * 4  # a UTF-8 character takes at most four bytes
# Byte rosters read in blocks with pyarrow (app/patrons/roster_fast.py); the single-byte
# encodings go line by line (pyarrow reads UTF-8 only, and they are the rare case).
_BLOCK_ENCODINGS = ("utf-8", "ascii")

Parsed = tuple[int, dict | None, tuple[str, str] | None]
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class RosterFormatError(ValueError):
    """The roster as a whole cannot be read (no header, unknown columns)."""


class UnsupportedEncodingError(ValueError):
    """A declared encoding this service does not read."""


def roster_encoding(declared: str | None) -> str:
    """The codec to read a roster with: the declared one when supported, else UTF-8."""
    if not declared:
        return "utf-8"
    try:
        name = codecs.lookup(declared.strip()).name
    except LookupError:
        name = None
    if name not in _ALLOWED:
        raise UnsupportedEncodingError(
            f"A roster's charset is one of: {', '.join(ENCODINGS)} (not {declared!r}).")
    return name


class _Undecodable:
    """A line whose bytes are not text in the roster's encoding."""

    def __init__(self, encoding: str, error: UnicodeDecodeError):
        self.detail = (f"Not valid {encoding}: byte 0x{error.object[error.start]:02x} at "
                       f"position {error.start + 1}. Send the roster in UTF-8, or declare its "
                       "encoding (charset=windows-1252, --encoding windows-1252).")


def _lines(stream: TextIO | BinaryIO, encoding: str | None = None
           ) -> Iterator[tuple[int, str | _Undecodable | None]]:
    """Yield (number, text) per line; an over-long line yields None and is skipped whole.

    With an `encoding`, `stream` gives bytes and each line is decoded strictly on its own; a
    line that does not decode yields an _Undecodable in place of its text.
    """
    limit = MAX_LINE + 1 if encoding is None else _MAX_LINE_BYTES + 1
    newline = "\n" if encoding is None else b"\n"
    number = 0
    while True:
        text = stream.readline(limit)
        if not text:
            return
        number += 1
        if len(text) >= limit and not text.endswith(newline):
            while True:  # drain the rest of the over-long line
                more = stream.readline(65536)
                if not more or more.endswith(newline):
                    break
            yield number, None
            continue
        if encoding is not None:
            try:
                # The first line may begin with UTF-8's byte order mark.
                text = text.decode("utf-8-sig" if number == 1 and encoding == "utf-8"
                                   else encoding)
            except UnicodeDecodeError as error:
                yield number, _Undecodable(encoding, error)
                continue
            if len(text.rstrip("\r\n")) > MAX_LINE:
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


def read_csv(stream: TextIO | BinaryIO, encoding: str | None = None) -> Iterator[Parsed]:
    """Parse a CSV roster whose first line names the columns (bytes when `encoding` is given)."""
    lines = _lines(stream, encoding)
    header = None
    for number, text in lines:
        if text is None:
            raise RosterFormatError(f"Line {number}, the header, is too long.")
        if isinstance(text, _Undecodable):
            raise RosterFormatError(f"Line {number}, the header: {text.detail}")
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
    if encoding in _BLOCK_ENCODINGS and _is_file(stream):
        # Large blocks through pyarrow (app/patrons/roster_fast.py), which gives the same lines
        # and errors. Rosters in other encodings (pyarrow reads UTF-8 only) and text streams
        # stay line by line, and so does a request body: read ahead a block at a time, a body
        # cut off at IMPORT_MAX_BYTES would lose the lines before the cut that line by line
        # are imported and reported.
        from app.patrons import roster_fast

        yield from roster_fast.read_blocks(
            stream, number, header, _LIMITS, MAX_LINE, _MAX_LINE_BYTES, encoding,
            text_of=lambda n, content: _text_of(n, content, encoding),
            record=lambda n, text: _csv_record(n, text, header, width))
        return
    for number, text in lines:
        parsed = _csv_record(number, text, header, width)
        if parsed is not None:
            yield parsed


def _is_file(stream) -> bool:
    """A roster file (the CLI's), as opposed to a stream that arrives as it is read."""
    try:
        return stream.seekable()
    except (AttributeError, ValueError):
        return False


def _csv_record(number: int, text, header: list[str], width: int) -> Parsed | None:
    """One line of a CSV roster after its header, parsed and validated (None: a blank line).

    `text` is what _lines gives: the line, None when it is too long, or an _Undecodable.
    """
    if text is None:
        return number, None, ("line_too_long", f"A line has at most {MAX_LINE} characters.")
    if isinstance(text, _Undecodable):
        return number, None, ("undecodable_line", text.detail)
    if not text.strip():
        return None
    try:
        fields = next(csv.reader([text]))
    except csv.Error as error:
        return number, None, ("malformed_line", f"Not a CSV line: {error}.")
    if len(fields) != width:
        return number, None, ("malformed_line", f"Expected {width} fields, found {len(fields)}.")
    values, error = validate_row(dict(zip(header, (f.strip() for f in fields))))
    return number, values, error


def _text_of(number: int, content: bytes, encoding: str):
    """What _lines yields for a line of a byte stream, from its bytes without the line end."""
    if len(content) > _MAX_LINE_BYTES:
        return None
    try:
        text = content.decode("utf-8-sig" if number == 1 and encoding == "utf-8" else encoding)
    except UnicodeDecodeError as error:
        return _Undecodable(encoding, error)
    text = text.rstrip("\r\n")
    return None if len(text) > MAX_LINE else text


def read_ndjson(stream: TextIO | BinaryIO, encoding: str | None = None) -> Iterator[Parsed]:
    """Parse an NDJSON roster: one JSON object per line (bytes when `encoding` is given)."""
    for number, text in _lines(stream, encoding):
        if text is None:
            yield number, None, ("line_too_long", f"A line has at most {MAX_LINE} characters.")
            continue
        if isinstance(text, _Undecodable):
            yield number, None, ("undecodable_line", text.detail)
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
        if "\\u" in text and _has_unstorable_text(record):
            # A NUL or a lone surrogate (\ud800) decodes, but no field can store it.
            yield number, None, ("invalid_text", "The line contains \\u0000 or an unpaired "
                                                 "surrogate (\\ud800-\\udfff), which no field "
                                                 "accepts.")
            continue
        unknown = sorted(set(record) - set(COLUMNS))
        if unknown:
            yield number, None, ("unknown_field", f"Unknown fields: {', '.join(unknown)}.")
            continue
        values, error = validate_row(record)
        yield number, values, error


def _has_unstorable_text(record: dict) -> bool:
    """True when a key or a string value (at any depth) holds a NUL or a lone surrogate."""
    pending = [record]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


READERS = {"csv": read_csv, "ndjson": read_ndjson}
MEDIA_TYPES = {"text/csv": "csv", "application/csv": "csv", "application/x-ndjson": "ndjson",
               "application/ndjson": "ndjson", "application/jsonl": "ndjson",
               "application/x-jsonlines": "ndjson"}
