"""Pure eligibility rules: what a lending desk should do with a visiting patron's card.

R2: lend only to a patron in good standing (not blocked, not expired, a valid account).
R14: when the answer cannot be given with confidence, refer the lender to the home library.
R1: only a participating home library's patrons borrow under reciprocal borrowing.
"""

from dataclasses import dataclass
from datetime import date

ELIGIBLE, NOT_ELIGIBLE, REFER = "eligible", "not_eligible", "refer"

# Reasons that settle the answer as "do not lend" (R2, R1, R8, R12), in the order reported.
DENYING = ("home_not_participating", "suspended_by_you", "card_replaced", "home_block",
           "federation_block", "expired")
# Reasons that leave the lender in doubt: contact the home library first (R14).
DOUBTFUL = ("unknown_card", "delinquent", "identity_mismatch", "registry_stale")


@dataclass(frozen=True)
class CardFacts:
    """What the registry knows about a card, with no patron data beyond the rules' needs."""

    home_participates: bool
    found: bool = False
    replaced: bool = False
    standing: str | None = None  # good | blocked
    expires_on: date | None = None
    identity: str = "not_checked"  # matched | mismatched | not_checked
    federation_block: bool = False
    delinquent: bool = False
    suspended_by_caller: bool = False
    registry_stale: bool = False  # the answer is the registry's, and it is too old (R14)


@dataclass(frozen=True)
class Decision:
    """The answer for the desk."""

    decision: str
    reasons: tuple[str, ...]


def decide(facts: CardFacts, today: date) -> Decision:
    """Decide eligibility from the facts, listing every reason that applies."""
    found = set()
    if not facts.home_participates:
        found.add("home_not_participating")
    if facts.suspended_by_caller:
        found.add("suspended_by_you")
    if facts.replaced:
        found.add("card_replaced")
    elif not facts.found:
        found.add("unknown_card")
    else:
        if facts.standing != "good":
            found.add("home_block")
        if facts.expires_on is None or facts.expires_on < today:
            found.add("expired")  # a card is good through its expiry date
        if facts.federation_block:
            found.add("federation_block")
        if facts.delinquent:
            found.add("delinquent")
    if facts.identity == "mismatched":
        found.add("identity_mismatch")
    if facts.registry_stale:
        found.add("registry_stale")
    denying = tuple(r for r in DENYING if r in found)
    if denying:
        return Decision(NOT_ELIGIBLE, denying + tuple(r for r in DOUBTFUL if r in found))
    doubtful = tuple(r for r in DOUBTFUL if r in found)
    if doubtful:
        return Decision(REFER, doubtful)
    return Decision(ELIGIBLE, ())


def identity(surname_given: bytes | None, surname_on_file: bytes | None) -> str:
    """Compare keyed surname hashes: matched, mismatched, or not_checked when either is absent."""
    if surname_given is None or surname_on_file is None:
        return "not_checked"
    return "matched" if surname_given == surname_on_file else "mismatched"


ADVICE = {
    "home_not_participating": "The home library does not take part in reciprocal borrowing.",
    "suspended_by_you": "Your library has suspended service to this home library's patrons.",
    "card_replaced": "This card was replaced; ask the patron for their current card.",
    "home_block": "The home library has blocked this account.",
    "federation_block": "A block is in force on this account through the federation.",
    "expired": "The card has expired; the patron should renew it at the home library.",
    "unknown_card": "The home library has not registered this card with the federation.",
    "delinquent": "The account is marked delinquent.",
    "identity_mismatch": "The surname given does not match the home library's record.",
    "registry_stale": "The home library's records here are older than the federation trusts "
                      "for a yes.",
}


def advice(result: Decision, home_name: str, contact: dict) -> str:
    """One or two sentences a desk can act on, naming how to reach the home library."""
    reach = " or ".join(v for v in (contact.get("phone"), contact.get("email")) if v)
    reach = f" at {reach}" if reach else ""
    reasons = " ".join(ADVICE[r] for r in result.reasons)
    if result.decision == ELIGIBLE:
        return "In good standing: lend under your reciprocal borrowing policy."
    if result.decision == REFER:
        return (f"{reasons} Contact {home_name}{reach} to confirm the patron's status before "
                "lending (R14).")
    return (f"Do not lend under reciprocal borrowing. {reasons} For questions, contact "
            f"{home_name}{reach}.")
