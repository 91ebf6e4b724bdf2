"""Pure decisions for reaching out: circuit states, registry staleness, live answers as facts.

R14: an answer that cannot be given with confidence refers the lender to the home library.
That covers a registry older than the set age, and a peer federation that cannot be asked.
"""

from datetime import date, datetime, timedelta

from app.verification import rules as verification_rules

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


def circuit_state(failures: int, opened_at: datetime | None, now: datetime, *,
                  threshold: int, pause: float) -> str:
    """Closed (ask), open (do not ask) or half-open (one trial call may ask)."""
    if opened_at is None or failures < threshold:
        return CLOSED
    if now - opened_at < timedelta(seconds=pause):
        return OPEN
    return HALF_OPEN


def registry_stale(as_of: datetime | None, now: datetime, max_age_hours: float) -> bool:
    """Whether the registry's copy of a home library's patrons is too old to trust (R14).

    A registry the home library never fed has no age (every card of it is unknown, which
    refers anyway); a max age of 0 turns the check off.
    """
    if max_age_hours <= 0 or as_of is None:
        return False
    return now - as_of > timedelta(hours=max_age_hours)


def home_facts(answer, *, home_participates: bool, federation_block: bool, delinquent: bool,
               replaced: bool) -> verification_rules.CardFacts:
    """The facts for `decide` from a live home answer, plus what the federation itself holds
    (its blocks, R8; a card replaced in the registry, R15).

    A home system that gives no expiry (SIP2) vouches for the account being current: it
    reports an expired account as one that may not borrow.
    """
    if not answer.found:
        return verification_rules.CardFacts(home_participates=home_participates, found=False,
                                            replaced=replaced)
    return verification_rules.CardFacts(
        home_participates=home_participates, found=True, standing=answer.standing,
        expires_on=answer.expires_on or date.max, identity=answer.identity,
        federation_block=federation_block, delinquent=delinquent)


PEER_UNAVAILABLE = "The patron's home federation could not be asked in time."


def peer_unavailable_advice(home_name: str | None, contact: dict) -> str:
    """What to tell the desk when the peer federation cannot answer (R14)."""
    reach = " or ".join(v for v in (contact.get("phone"), contact.get("email")) if v)
    who = home_name or "the patron's home library"
    return (f"{PEER_UNAVAILABLE} Contact {who}{' at ' + reach if reach else ''} "
            "to confirm the patron's status before lending (R14).")
