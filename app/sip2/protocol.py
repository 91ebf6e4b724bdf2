"""SIP2 (3M Standard Interchange Protocol 2.00) framing: reading requests, writing answers.

Pure functions over text, no sockets and no Flask. Messages are a two-digit command, a fixed
part, then `XX<value>|` fields, ending in CR. When the client adds error detection
(`AY<seq>AZ<checksum>`), the checksum is checked and the answer carries the same sequence number
and its own checksum; when it does not, neither does the answer.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

# Length of the fixed part after the command, per request this server reads.
FIXED = {"93": 2, "99": 8, "23": 21, "63": 31, "35": 18, "97": 0, "11": 38, "09": 37,
         "29": 38, "17": 18}
_TRAILER = re.compile(r"\|?AY(\d)AZ([0-9A-Fa-f]{4})\|?$")
_FIELD_START = re.compile(r"[A-Z]{2}")


def checksum(text: str) -> str:
    """The SIP2 checksum of everything up to and including 'AZ': 4 upper-case hex digits."""
    return f"{(-sum(text.encode('latin-1', 'replace'))) & 0xFFFF:04X}"


@dataclass
class Request:
    """One request as read: command, fixed part, first value of each field, error detection."""

    command: str
    fixed: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    sequence: str | None = None
    checksum_ok: bool = True

    def get(self, name: str) -> str:
        """A field's value, '' when absent."""
        return self.fields.get(name, "")


def parse(raw: str) -> Request | None:
    """Read one message (terminator already removed); None when it has no command at all."""
    text = raw.strip("\r\n\x00 ")
    if len(text) < 2 or not text[:2].isdigit():
        return None
    request = Request(command=text[:2])
    trailer = _TRAILER.search(text)
    if trailer:
        request.sequence = trailer.group(1)
        covered = text[:trailer.start(2)]  # up to and including 'AZ'
        request.checksum_ok = checksum(covered) == trailer.group(2).upper()
        text = text[:trailer.start()]
    rest = text[2:]
    width = FIXED.get(request.command, 0)
    request.fixed = rest[:width]
    variable = rest[width:]
    if variable and not _FIELD_START.match(variable):
        # A client that left out (or shortened) the fixed part: fields start at the first
        # field id after the command, as clients that send '93CNuser|COpass|' expect.
        found = _FIELD_START.search(rest)
        variable = rest[found.start():] if found else ""
        request.fixed = rest[:found.start()] if found else rest
    for chunk in variable.split("|"):
        if len(chunk) >= 2 and chunk[:2] not in request.fields:
            request.fields[chunk[:2]] = chunk[2:]
    return request


def frame(body: str, sequence: str | None) -> bytes:
    """An answer with error detection when the request used it, and the CR terminator."""
    if sequence is not None:
        body += f"AY{sequence}AZ"
        body += checksum(body)
    return (body + "\r").encode("latin-1", "replace")


def text_field(value: str, limit: int = 255) -> str:
    """A value safe inside a field: ASCII (SIP2 clients differ on anything else), no '|' or CR."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[|\r\n]+", " ", folded)[:limit]


def screen_messages(text: str) -> str:
    """AF fields for a message: one per 255 characters at most, split between words."""
    words, lines, line = text_field(text, 10_000).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > 255:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word[:255]
    if line:
        lines.append(line)
    return "".join(f"AF{line}|" for line in lines)


def sip_date(moment: datetime) -> str:
    """SIP2's 18-character date: YYYYMMDD, four blanks for local time, HHMMSS."""
    return moment.strftime("%Y%m%d") + "    " + moment.strftime("%H%M%S")


# Patron status: 14 flags, each 'Y' or blank. Positions 0-3 deny charge, renewal, recall and
# hold privileges; 4 is 'card reported lost'; 13 'too many items billed'.
GOOD = " " * 14


def patron_status(decision: str, reasons: tuple[str, ...]) -> str:
    """The 14 patron-status flags from a verification decision (see docs/ncip-sip2.md)."""
    if decision == "eligible":
        return GOOD
    flags = list("YYYY" + " " * 10)
    if "card_replaced" in reasons:
        flags[4] = "Y"
    if "federation_block" in reasons:
        flags[13] = "Y"  # R8: federation blocks are for unpaid bills for lost or damaged items
    return "".join(flags)


DENIED = patron_status("not_eligible", ())


def valid_patron(decision: str, reasons: tuple[str, ...]) -> str:
    """BL: 'Y' when the card is a patron the home library registered and still issues."""
    return "N" if {"unknown_card", "card_replaced"} & set(reasons) else "Y"


# Supported messages (BX of the 98 answer), in SIP2's order: patron status, checkout, checkin,
# block patron, SC/ACS status, resend, login, patron information, end patron session, fee
# paid, item information, item status update, patron enable, hold, renew, renew all.
SUPPORTED = "YNNNYYYYYNNNNNNN"
