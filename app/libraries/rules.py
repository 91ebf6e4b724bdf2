"""Pure rules for membership: who takes part in reciprocal borrowing (R1)."""


def must_participate(type_: str, membership: str) -> bool:
    """R1: every full-member public library takes part in reciprocal borrowing."""
    return type_ == "public" and membership == "full"
