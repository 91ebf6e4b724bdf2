"""Pure rules for membership: who takes part in reciprocal borrowing (R1)."""


def must_participate(type_: str, membership: str) -> bool:
    """R1: every full-member public library takes part in reciprocal borrowing."""
    return type_ == "public" and membership == "full"


def may_opt_in(membership: str) -> bool:
    """R1: associate members take no part in reciprocal borrowing, even if asked."""
    return membership == "full"


def overlapping(prefix: str, others: list[str]) -> list[str]:
    """R15: the other prefixes that overlap `prefix` (either is a prefix of the other).

    With overlapping prefixes one card would have two candidate homes, so a library could
    claim another's cards by taking a longer prefix inside its range.
    """
    return [other for other in others if other.startswith(prefix) or prefix.startswith(other)]


def card_prefixes(card: str, longest: int = 16) -> list[str]:
    """Every prefix of a normalised card number that a library could claim (R15)."""
    return [card[:n] for n in range(1, min(len(card), longest) + 1)]


def home_of(card: str, homes: dict, lengths: list[int] | None = None):
    """The owner of the longest of `homes`' prefixes that starts the card, or None (R15).

    `lengths`: prefix_lengths(homes), for a caller asking about many cards.
    """
    for length in range(min(len(card), 16), 0, -1) if lengths is None else lengths:
        if length <= len(card):
            owner = homes.get(card[:length])
            if owner is not None:
                return owner
    return None


def prefix_lengths(homes: dict) -> list[int]:
    """The lengths of `homes`' prefixes that home_of looks at, longest first."""
    return sorted({len(prefix) for prefix in homes if len(prefix) <= 16}, reverse=True)
