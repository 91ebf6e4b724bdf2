"""Pure rules of the staff console: roles and what each may do, lockout back-off, passwords."""

from datetime import timedelta

# Roles, from the least to the most a library's staff may do; the office is apart.
ROLES = ("desk", "circulation", "library_admin", "office")
LIBRARY_ROLES = ("desk", "circulation", "library_admin")
ROLE_WORDS = {"desk": "Desk", "circulation": "Circulation",
              "library_admin": "Library administrator", "office": "Federation office"}

# What each role may do in the console. Each library role has the rights of the one before.
_DESK = {"verify"}
_CIRCULATION = _DESK | {"inbox", "patrons", "blocks", "bills", "payments", "statements"}
_ADMIN = _CIRCULATION | {"staff", "keys", "policy", "audit"}
_OFFICE = {"office"}
PERMISSIONS = {"desk": frozenset(_DESK), "circulation": frozenset(_CIRCULATION),
               "library_admin": frozenset(_ADMIN), "office": frozenset(_OFFICE)}

# Lockout: the first FREE_FAILURES wrong passwords in a row cost nothing; each one after locks
# the account for twice as long as the one before, from LOCK_START up to LOCK_MAX.
FREE_FAILURES = 4
LOCK_START = timedelta(seconds=30)
LOCK_MAX = timedelta(hours=1)

PASSWORD_MIN = 12
PASSWORD_MAX = 256


def may(role: str, permission: str) -> bool:
    """True when a role may do this."""
    return permission in PERMISSIONS.get(role, frozenset())


def lockout(failures: int) -> timedelta | None:
    """How long an account is locked after `failures` wrong passwords in a row (None: not)."""
    if failures <= FREE_FAILURES:
        return None
    doublings = failures - FREE_FAILURES - 1
    if doublings >= 20:  # far past the cap; avoids a huge multiplication
        return LOCK_MAX
    return min(LOCK_START * (2 ** doublings), LOCK_MAX)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused, or None. Length matters most (NIST SP 800-63B)."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters; a short sentence is easy to remember."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    folded = password.casefold()
    if len(set(folded)) < 5:
        return "Use more different characters."
    for own in (email.casefold(), email.casefold().partition("@")[0], name.casefold()):
        if own and len(own) >= 4 and own in folded:
            return "Do not use your name or email address in your password."
    return None
