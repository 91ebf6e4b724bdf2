"""Pure rules for card numbers and surnames: normalisation and keyed hashing (R15, R16)."""

import hmac
import re
import unicodedata

CARD_MAX = 40
_CARD_DROP = re.compile(r"[\s\-‐-―−]+")  # spaces and every kind of dash
_CARD_OK = re.compile(r"^[0-9a-z]+$")
_SURNAME_DROP = re.compile(r"[\s\-‐-―'’ʼ.]+")
# C0 controls and DEL: never part of a name or an id, and PostgreSQL cannot store a NUL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# What the API accepts as a card number, in the OpenAPI document and at the door: 1 to CARD_MAX
# letters and digits (ASCII or full-width, as a desk's keyboard may type them) with spaces and
# dashes anywhere. An ECMA-262 and Python regex alike; normalize_card folds what it lets in.
_CARD_SEPARATORS = "- \u00a0\u3000\u2010-\u2015\u2212\uff0d"
_CARD_CHARACTERS = "0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
CARD_PATTERN = (f"^[{_CARD_SEPARATORS}]*(?:[{_CARD_CHARACTERS}][{_CARD_SEPARATORS}]*)"
                f"{{1,{CARD_MAX}}}$")
_CARD_TYPED = re.compile(CARD_PATTERN.replace("$", "\\Z"))


class InvalidCardNumber(ValueError):
    """A card number that cannot be a card number once normalised."""


def check_typed_card(raw: str) -> None:
    """Refuse a card number typed with more than letters, digits, spaces and dashes."""
    if not _CARD_TYPED.match(raw):
        normalize_card(raw)  # the specific reason, when there is one (empty, too long)
        raise InvalidCardNumber("A card number holds only letters and digits "
                                "(spaces and dashes are ignored).")


def normalize_card(raw: str) -> str:
    """Canonical card number: spaces and dashes dropped, case folded, ASCII letters and digits.

    Full-width and other compatibility forms fold first (NFKC), so a card typed on any keyboard
    matches the one the home library registered.
    """
    # NFKC leaves ASCII as it is: skip it for the usual card (a roster has millions).
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    text = _CARD_DROP.sub("", text).casefold()
    if not text:
        raise InvalidCardNumber("The card number is empty.")
    if len(text) > CARD_MAX:
        raise InvalidCardNumber(f"A card number has at most {CARD_MAX} characters.")
    if not _CARD_OK.match(text):
        raise InvalidCardNumber("A card number holds only letters and digits "
                                "(spaces and dashes are ignored).")
    return text


# A few letters have no decomposition but a usual ASCII spelling (built once: a roster import
# folds millions of surnames).
_ASCII_SPELLINGS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae",
                                  "œ": "oe", "þ": "th", "ı": "i"})


def normalize_surname(raw: str) -> str:
    """Canonical surname for identity checks: accents, case, spacing and punctuation folded.

    "Núñez-O'Brien", "nunez obrien" and "NUNEZ  O BRIEN" are the same name: a desk should not
    refer a patron because of how a name was typed.
    """
    if raw.isascii():  # nothing to fold but case: the usual name, and millions in a roster
        return _SURNAME_DROP.sub("", raw.lower())
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", raw))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold()
    text = text.translate(_ASCII_SPELLINGS)
    return _SURNAME_DROP.sub("", text)


def is_plain_text(text: str) -> bool:
    """True when the text has no control characters (a NUL would make PostgreSQL fail)."""
    return _CONTROL.search(text) is None


def card_hmac(key: bytes, card: str) -> bytes:
    """The stored form of a normalised card number (HMAC-SHA256, domain-separated)."""
    # hmac.digest: one C call, a third of hmac.new's cost (a roster hashes millions of cards).
    return hmac.digest(key, b"card\x00" + card.encode("ascii"), "sha256")


def surname_hmac(key: bytes, surname: str) -> bytes | None:
    """The stored form of a normalised surname, or None when nothing is left to compare."""
    if not surname:
        return None
    return hmac.digest(key, b"surname\x00" + surname.encode("utf-8"), "sha256")


def last4(card: str) -> str:
    """The last four characters of a normalised card, the only part ever shown."""
    return card[-4:]
