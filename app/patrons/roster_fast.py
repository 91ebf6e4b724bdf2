"""Reading a UTF-8 CSV roster's lines in large blocks, with pyarrow's CSV reader and compute
functions, for exactly what `roster.read_csv` yields line by line.

A roster of millions of lines spent most of its import parsing and validating lines one at a
time in Python (bench/README.md). Here a block of about 1 MB of whole lines is split into
columns by pyarrow's CSV reader and checked column by column: a line whose every field has the
usual, unambiguous form (a card of ASCII letters and digits, an ISO date that exists, a known
standing, block reason codes, printable ASCII text within its length) is accepted with the
values `validate_row` would give it. Every other line, and every line of a block that is not
plain enough to split this way, goes through the line-by-line path (`record`), which gives
its values, or its error with its line number and message, exactly as before. So the two
paths differ in speed only: the line-by-line one decides everything it is given.

A block goes to the line-by-line path whole when it is not valid UTF-8 (or ASCII, for an
ASCII roster), holds a quote character (CSV quoting, which pyarrow reads differently from
Python's csv module in corner cases), a blank line, a carriage return other than in a CRLF
line end, a line
longer than roster.MAX_LINE characters, or a line pyarrow does not split into the header's
number of fields (a blank line, a short line). Other encodings never come here: roster.read_csv
keeps the line-by-line path for them.
"""

from collections.abc import Callable, Iterator
from datetime import date
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BLOCK = 1 << 20  # bytes read at a time (about 16,000 lines); a block ends at a line end

# What a field must look like to be decided here (anything else: line by line).
_CARD = r"^[0-9A-Za-z]{1,40}$"  # normalize_card leaves it as it is, lower-cased
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_REASONS = r"^[a-z0-9_]{1,40}(;[a-z0-9_]{1,40}){0,19}$"  # roster._REASON, ';'-separated
_PRINTABLE = r"^[\x20-\x7e]*$"  # printable ASCII: str.strip() drops only spaces from it
_SURNAME_DROP = r"[ \-'.]+"  # rules._SURNAME_DROP on printable ASCII


def read_blocks(stream: BinaryIO, after: int, header: list[str], limits: dict[str, int],
                max_line: int, max_line_bytes: int, encoding: str,
                text_of: Callable, record: Callable) -> Iterator:
    """Yield the parsed lines after line `after` (the header) of a byte stream, in order.

    `text_of(number, content)` turns a line's bytes (without its line end) into its text as
    roster._lines would (None: too long; an _Undecodable: not text); `record(number, text)`
    is the line-by-line parse of one line (None for a blank line).
    """
    number = after
    carry = b""
    while True:
        data = stream.read(BLOCK)
        at_end = not data
        data = carry + data
        if not data:
            return
        if at_end:
            carry = b""
        else:
            end = data.rfind(b"\n")
            if end == -1:
                if len(data) <= max_line_bytes:
                    carry = data
                    continue
                # One line longer than a block: refused as too long, as line by line.
                carry = _drain_line(stream)
                number += 1
                yield record(number, None)
                continue
            data, carry = data[:end + 1], data[end + 1:]
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        yield from _block(data, number, lines, header, limits, max_line, encoding, text_of,
                          record)
        number += lines
        if at_end:
            return


def _drain_line(stream: BinaryIO) -> bytes:
    """Skip the rest of an over-long line; what follows its line end."""
    while True:
        more = stream.read(BLOCK)
        if not more:
            return b""
        end = more.find(b"\n")
        if end != -1:
            return more[end + 1:]


def _line_by_line(data: bytes, number: int, lines: int, text_of, record) -> Iterator:
    """A block's lines through the line-by-line path."""
    for offset, content in enumerate(data.split(b"\n")[:lines]):
        parsed = record(number + offset + 1, text_of(number + offset + 1, content))
        if parsed is not None:
            yield parsed


def _block(data: bytes, number: int, lines: int, header: list[str], limits: dict[str, int],
           max_line: int, encoding: str, text_of, record) -> Iterator:
    """One block of whole lines: columns where the block allows, else line by line."""
    table = _columns(data, lines, header, max_line, encoding)
    if table is None:
        yield from _line_by_line(data, number, lines, text_of, record)
        return
    ok, values = _decide(table, header, limits)
    columns = {name: table.column(name) for name in header}
    accepted = values
    first = number + 1
    # Lines decided here are yielded as they come; the others are parsed line by line, from
    # their fields (no quotes and no carriage return in the block: the line is its fields
    # joined by commas), in their place in the order.
    for index, good in enumerate(ok):
        if good:
            yield first + index, next(accepted), None
        else:
            text = ",".join(columns[name][index].as_py() for name in header)
            parsed = record(first + index, text)
            if parsed is not None:
                yield parsed


def _columns(data: bytes, lines: int, header: list[str], max_line: int, encoding: str):
    """The block's fields as string columns, or None when it must go line by line."""
    if b'"' in data or data.startswith((b"\n", b"\r\n")) or b"\n\n" in data \
            or b"\n\r\n" in data:  # quoting, or a blank line (pyarrow reads it as fields)
        return None
    try:
        text = data.decode("ascii" if encoding == "ascii" else "utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    if max(map(len, data.split(b"\n"))) > max_line:  # bytes: never fewer than characters
        return None
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=header, use_threads=False,
                                           block_size=len(data) + 1),
            parse_options=pacsv.ParseOptions(quote_char=False, escape_char=False,
                                             newlines_in_values=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a line of the wrong width, say
        return None
    return table if table.num_rows == lines else None


def _decide(table, header: list[str], limits: dict[str, int]) -> tuple[list[bool], Iterator]:
    """Which lines are decided here, and their values (as validate_row gives them)."""
    card = table.column("card_number")
    expires = table.column("expires_on")
    ok = pc.and_(pc.match_substring_regex(card, _CARD),
                 pc.match_substring_regex(expires, _DATE))
    ok = pc.and_(ok, pc.and_(_existing_dates(expires, ok),
                             pc.invert(pc.starts_with(expires, "0000"))))
    columns = [("card", pc.ascii_lower(card)), ("expires_on", expires)]
    standing = table.column("standing") if "standing" in header else None
    if standing is not None:
        ok = pc.and_(ok, pc.is_in(standing, value_set=pa.array(["", "good", "blocked"])))
        columns.append(("standing", standing))
    if "block_reasons" in header:
        reasons = table.column("block_reasons")
        listed = pc.not_equal(reasons, "")
        ok = pc.and_(ok, pc.or_(pc.invert(listed),
                                pc.match_substring_regex(reasons, _REASONS)))
        if standing is not None:  # only a blocked patron has block reasons
            ok = pc.and_(ok, pc.invert(pc.and_(listed, pc.equal(standing, "good"))))
        columns.append(("block_reasons", reasons))
    for name, limit in limits.items():
        if name not in header:
            continue
        raw = table.column(name)
        stripped = pc.utf8_trim(raw, characters=" ")
        ok = pc.and_(ok, pc.and_(pc.match_substring_regex(raw, _PRINTABLE),
                                 pc.less_equal(pc.utf8_length(stripped), limit)))
        value = stripped
        if name == "surname":  # normalize_surname of an ASCII name (may leave "")
            value = pc.replace_substring_regex(pc.ascii_lower(stripped), _SURNAME_DROP, "")
        # An empty field is None (null here).
        columns.append((name, pc.if_else(pc.equal(stripped, ""), None, value)))
    ok_list = ok.to_pylist()
    if not any(ok_list):
        return ok_list, iter(())
    chosen = [(name, pc.filter(column, ok).to_pylist()) for name, column in columns]
    return ok_list, _rows(chosen, header)


def _existing_dates(expires, shaped):
    """Which of the YYYY-MM-DD strings (`shaped`) are dates that exist.

    Arrow's cast to a date refuses 2027-02-30 but fails the whole column for it; strptime
    rolls it over to March 2 unless the result is written back and compared. The cast is
    tried first (the usual block has no such date), the comparison only when it fails.
    """
    candidates = pc.if_else(shaped, expires, "2000-01-01")
    try:
        pc.cast(candidates, pa.date32())
        return pc.fill_null(shaped, False)
    except pa.ArrowInvalid:
        stamps = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
        same = pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), candidates)
        return pc.and_(pc.fill_null(shaped, False), pc.fill_null(same, False))


def _rows(chosen: list[tuple[str, list]], header: list[str]) -> Iterator[dict]:
    """The accepted lines' values dicts, keyed and defaulted as validate_row leaves them."""
    names = [name for name, _ in chosen]
    has_reasons = "block_reasons" in header
    days: dict[str, date] = {}  # a roster holds few distinct expiry dates
    for fields in zip(*(column for _, column in chosen)):
        values = dict(zip(names, fields))
        text = values["expires_on"]
        day = days.get(text)
        if day is None:
            day = days[text] = date.fromisoformat(text)
        values["expires_on"] = day
        standing = values.get("standing")
        if standing == "":
            del values["standing"]
            standing = None
        if has_reasons:
            reasons = values["block_reasons"]
            values["block_reasons"] = reasons.split(";") if reasons else []
        elif standing == "good":
            values["block_reasons"] = []
        yield values
