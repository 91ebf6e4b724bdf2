"""Pure mapping of a verification's decision and reasons to NCIP 2.02's vocabulary.

The table (also in docs/ncip-sip2.md) and why:

- eligible: a `UserPrivilege` with status `Active` (what every ILL manager checks for).
- not_eligible: status `Expired` when expiry is the only reason (the patron can fix it at home),
  otherwise `Blocked`; one `BlockOrTrap` per reason, so staff see why.
- refer (R14, not unknown_card): status `Contact Home Library` with a `BlockOrTrap` of the same
  name. It is not `Active`, so no client lends automatically; clients show the block and the
  privilege description, which carries the advice with the home library's phone and e-mail.
- refer because the card is unknown: the `Unknown User` problem (the home library has not
  registered it), with the advice as the problem's detail.
"""

# Problem type schemes of the NCIP implementation profile 1 (NCIP 2.0 reuses the v1_0 URIs).
GENERAL = "http://www.niso.org/ncip/v1_0/schemes/processingerrortype/generalprocessingerror.scm"
MESSAGING = "http://www.niso.org/ncip/v1_0/schemes/messagingerrortype/messagingerrortype.scm"
LOOKUP_USER = ("http://www.niso.org/ncip/v1_0/schemes/processingerrortype/"
               "lookupuserprocessingerror.scm")

ACTIVE, BLOCKED, EXPIRED = "Active", "Blocked", "Expired"
CONTACT_HOME = "Contact Home Library"
PRIVILEGE_TYPE = "Reciprocal Borrowing"

# What staff read for each reason in the BlockOrTrapType (R1, R2, R8, R12, R14).
BLOCK_LABELS = {
    "home_not_participating": "Home Library Not Participating",
    "suspended_by_you": "Service Suspended By Your Library",
    "card_replaced": "Card Replaced",
    "home_block": "Blocked By Home Library",
    "federation_block": "Federation Block",
    "expired": "Card Expired",
    "unknown_card": "Contact Home Library: Card Not Registered",
    "delinquent": "Contact Home Library: Delinquent",
    "identity_mismatch": "Contact Home Library: Identity Not Confirmed",
}


def privilege_status(decision: str, reasons: tuple[str, ...]) -> str:
    """The UserPrivilegeStatusType for a decision (see the module's table)."""
    if decision == "eligible":
        return ACTIVE
    if decision == "refer":
        return CONTACT_HOME
    return EXPIRED if tuple(reasons) == ("expired",) else BLOCKED


def is_unknown_user(decision: str, reasons: tuple[str, ...]) -> bool:
    """True when the answer is the Unknown User problem: a refer for an unregistered card."""
    return decision == "refer" and "unknown_card" in reasons


def blocks(decision: str, reasons: tuple[str, ...]) -> list[str]:
    """BlockOrTrapType values: one per reason, or the R14 referral for a refer."""
    if decision == "eligible":
        return []
    labels = [BLOCK_LABELS[r] for r in reasons]
    return [CONTACT_HOME, *labels] if decision == "refer" else labels


def input_type(value: str) -> str:
    """An AuthenticationInputType folded for comparison: 'Barcode Id' -> 'barcodeid'."""
    return "".join(value.split()).replace("_", "").replace("-", "").casefold()


# AuthenticationInputType values that carry the card number, and the secrets the federation
# cannot check because it holds none (R16).
CARD_INPUTS = {"barcodeid", "barcode", "userid"}
SECRET_INPUTS = {"pin", "password", "userpin", "patronpin"}
