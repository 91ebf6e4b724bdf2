"""Card numbers and surnames: normalisation and keyed hashing, pure (R15, R16)."""

import hashlib
import re
import unicodedata

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from app.patrons.rules import (
    CARD_MAX,
    InvalidCardNumber,
    card_hmac,
    last4,
    normalize_card,
    normalize_surname,
    surname_hmac,
)

KEY = b"rules-test-key"
ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"
# Separators a desk or a spreadsheet puts into a card: spaces of several kinds and every dash.
SEPARATORS = [" ", "  ", "\t", "-", "\u00a0", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014",
              "\u2015", "\u2212", "\uff0d", "\u3000"]

cards = st.text(alphabet=ALNUM, min_size=1, max_size=CARD_MAX)


@st.composite
def typed_as(draw, card: str) -> str:
    """The same card as a person might type it: separators anywhere, any letter case."""
    out = []
    for ch in card:
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(SEPARATORS)))
        out.append(ch.upper() if draw(st.booleans()) else ch)
    if draw(st.booleans()):
        out.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


@st.composite
def card_and_variant(draw):
    """A canonical card and one way of typing it."""
    card = draw(cards)
    return card, draw(typed_as(card))


@given(card_and_variant())
@example(("2000100001234", "20001 0000-1234"))
@example(("abc123", "ABC\u2013123"))
def test_formatting_does_not_change_a_card(pair):
    """Spaces and dashes are dropped and case is folded (R15: the card identifies the patron)."""
    card, typed = pair
    assert normalize_card(typed) == card


@given(st.text(max_size=60))
def test_normalising_a_card_is_idempotent(raw):
    """A normalised card normalises to itself: stored and looked-up forms cannot drift."""
    try:
        card = normalize_card(raw)
    except InvalidCardNumber:
        return
    assert normalize_card(card) == card


@given(st.text(max_size=60))
def test_a_normalised_card_is_lowercase_ascii_or_refused(raw):
    """Whatever is typed, the result is 1-40 ASCII letters/digits, or InvalidCardNumber."""
    try:
        card = normalize_card(raw)
    except InvalidCardNumber:
        return
    assert re.fullmatch(r"[0-9a-z]{1,%d}" % CARD_MAX, card)


def test_full_width_digits_are_the_same_card():
    """A card typed on a full-width keyboard matches the registered one (NFKC)."""
    assert normalize_card("２０００１ ００００１") == "2000100001"


@given(card_and_variant())
def test_the_same_card_however_typed_has_the_same_hmac(pair):
    """R16: lookups by keyed hash work for every way of typing the card."""
    card, typed = pair
    assert card_hmac(KEY, normalize_card(typed)) == card_hmac(KEY, card)


@given(cards, cards)
def test_different_cards_have_different_hmacs(first, second):
    """Two distinct cards never share a stored hash."""
    assume(first != second)
    assert card_hmac(KEY, first) != card_hmac(KEY, second)


@given(cards, st.binary(min_size=1, max_size=64), st.binary(min_size=1, max_size=64))
def test_the_card_hmac_depends_on_the_key(card, key1, key2):
    """R16: without the key, a stored hash cannot be recomputed from a guessed card."""
    assume(key1 != key2)
    assert card_hmac(key1, card) != card_hmac(key2, card)


@given(cards)
def test_the_stored_card_is_not_a_plain_hash(card):
    """R16: an unkeyed SHA-256 of a card number could be brute-forced; the stored form isn't one."""
    digest = card_hmac(KEY, card)
    assert len(digest) == 32
    assert digest not in (hashlib.sha256(card.encode()).digest(),
                          hashlib.sha256(card.encode()).hexdigest().encode())


@pytest.mark.parametrize("raw", [
    "", "   ", " - - ", "\u2014",                  # nothing left once separators go
    "2000/1000", "2000.1000", "2000_1000", "#1234", "1234!", "12+34",  # punctuation
    "café1234", "1234ü", "ΑΒΓ123", "1234\x00", "12\u200b34",           # not ASCII letters
    "1" * (CARD_MAX + 1), "1 " * (CARD_MAX + 1),                       # too long
])
def test_an_invalid_card_is_refused(raw):
    """Anything that cannot be a card number raises InvalidCardNumber, never something else."""
    with pytest.raises(InvalidCardNumber):
        normalize_card(raw)


@given(cards, st.sampled_from("/.,;:_+=#*!?()[]{}<>@&%$~|\\\"'`é"), st.integers(0, CARD_MAX))
def test_a_card_with_punctuation_is_refused(card, mark, at):
    """Only letters, digits, spaces and dashes may appear in a card."""
    with pytest.raises(InvalidCardNumber):
        normalize_card(card[:at] + mark + card[at:])


def test_a_card_of_exactly_the_maximum_length_is_accepted():
    """The limit counts the normalised card, so separators do not use it up."""
    assert normalize_card("1234-" * 8) == "1234" * 8
    assert normalize_card("9" * CARD_MAX) == "9" * CARD_MAX


def test_last4_shows_only_the_end_of_the_card():
    """R16: the only part of a card ever shown is its last four characters."""
    assert last4("2000100001234") == "1234"
    assert last4("12") == "12"


# Surnames -------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "Núñez-O'Brien", "nunez obrien", "NUNEZ  O BRIEN", "Nuñez O’Brien", "Núñez–O'Brien",
    "nunez-o-brien", "N\u0303u\u0301n\u0303ez O\u02bcBrien", " Nunez OBrien. ",
])
def test_surname_variants_are_the_same_name(typed):
    """Accents, case, spacing, hyphens and apostrophes do not change a surname."""
    assert normalize_surname(typed) == normalize_surname("Núñez-O'Brien") == "nunezobrien"


@pytest.mark.parametrize("typed, folded", [
    ("Øster", "oster"), ("Łukasz", "lukasz"), ("Straße", "strasse"), ("Þórsdóttir",
                                                                        "thorsdottir"),
    ("Ærø", "aero"), ("ĐORĐEVIĆ", "dordevic"), ("Müller", "muller"),
])
def test_letters_without_a_decomposition_fold_to_their_usual_spelling(typed, folded):
    """A desk typing on a US keyboard still matches the registered surname."""
    assert normalize_surname(typed) == folded


# Accented forms of ASCII letters, written as base letter plus combining mark(s).
MARKS = [chr(c) for c in range(0x0300, 0x0370) if unicodedata.combining(chr(c))]
surname_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=15)


@st.composite
def surname_and_variant(draw):
    """A plain surname and a way of writing it: accents, case, separators anywhere."""
    parts = draw(st.lists(surname_words, min_size=1, max_size=3))
    plain = "".join(parts)
    out = []
    for part in parts:
        for ch in part:
            out.append(ch.upper() if draw(st.booleans()) else ch)
            out.extend(draw(st.lists(st.sampled_from(MARKS), max_size=2)))
        out.append(draw(st.sampled_from([" ", "  ", "-", "'", "\u2019", "\u02bc", "\u2010",
                                         "\u2013", ". "])))
    return plain, "".join(out)


@given(surname_and_variant())
def test_any_spelling_of_a_surname_folds_to_the_same_name(pair):
    """Property: accents, case and separators between name parts are all folded away."""
    plain, typed = pair
    assert normalize_surname(typed) == plain
    assert surname_hmac(KEY, normalize_surname(typed)) == surname_hmac(KEY, plain)


@given(st.text(max_size=40))
def test_normalising_a_surname_is_idempotent(raw):
    """A stored surname hash and a desk's typed surname are compared in one canonical form."""
    once = normalize_surname(raw)
    assert normalize_surname(once) == once


def test_different_surnames_stay_different():
    """Folding is not so aggressive that different names match."""
    assert normalize_surname("Garcia") != normalize_surname("Garza")
    assert surname_hmac(KEY, "garcia") != surname_hmac(KEY, "garza")


@pytest.mark.parametrize("raw", ["", "   ", "-'.", "\u2019"])
def test_a_surname_with_nothing_left_has_no_hash(raw):
    """Nothing to compare means no identity check, rather than a hash everyone matches."""
    assert surname_hmac(KEY, normalize_surname(raw)) is None


@given(surname_words, st.binary(min_size=1, max_size=64), st.binary(min_size=1, max_size=64))
def test_the_surname_hmac_depends_on_the_key(name, key1, key2):
    """R16: a surname hash cannot be recomputed without the key."""
    assume(key1 != key2)
    assert surname_hmac(key1, name) != surname_hmac(key2, name)


def test_card_and_surname_hashes_are_domain_separated():
    """A surname that looks like a card never hashes to that card's stored form."""
    assert surname_hmac(KEY, "smith1") != card_hmac(KEY, "smith1")


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_the_ascii_fast_path_folds_a_surname_as_the_full_unicode_path_does(name):
    """An ASCII surname skips Unicode normalisation; a non-ASCII first letter forces the full
    path, and the rest of the name must fold the same either way."""
    assert normalize_surname("\u00e9" + name) == "e" + normalize_surname(name)


@given(cards.filter(lambda card: len(card) < CARD_MAX))
def test_the_ascii_fast_path_normalises_a_card_as_the_full_unicode_path_does(card):
    """A full-width digit forces NFKC over the whole card; the rest folds the same."""
    assert normalize_card("\uff11" + card.upper()) == "1" + normalize_card(card.upper())
