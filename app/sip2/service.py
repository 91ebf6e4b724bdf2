"""SIP accounts (set, list, revoke) and the SIP2 login check, for a library like its API keys.

Passwords are hashed with argon2id (argon2-cffi; OWASP's recommended costs by default: 19 MiB,
2 passes); only the hash is stored. A login that does not exist is checked against a dummy
hash, so the time taken does not tell which logins exist. At most two checks run at once in a
process, so many library systems reconnecting together cannot take memory without bound.
"""

import re
import threading
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select

from app.errors import ConflictError, NotFoundError, RuleError
from app.extensions import db
from app.ids import new_id
from app.libraries.models import Library
from app.sip2.models import SipAccount
from app.timestamps import utcnow

LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}\Z")
PASSWORD_MIN, PASSWORD_MAX = 10, 128


_CHECKS = threading.BoundedSemaphore(2)


@cache
def hasher(time_cost: int = 2, memory_kib: int = 19456) -> PasswordHasher:
    """The password hasher for these costs (one per process)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def configured_hasher(config) -> PasswordHasher:
    """The hasher for the app's SIP2_HASH_TIME_COST and SIP2_HASH_MEMORY_KIB."""
    return hasher(int(config["SIP2_HASH_TIME_COST"]), int(config["SIP2_HASH_MEMORY_KIB"]))


@cache
def _dummy_hash(ph: PasswordHasher) -> str:
    return ph.hash("not-a-real-password-just-for-timing")


def check_password_text(password: str) -> None:
    """A SIP password: printable ASCII without '|' (SIP2's field separator), 10-128 chars."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise RuleError(f"A SIP password has {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
                        code="invalid_sip_password",
                        errors={"password": "Wrong length."})
    if not password.isascii() or not password.isprintable() or "|" in password:
        raise RuleError("A SIP password is printable ASCII without '|' (SIP2 cannot carry "
                        "other characters).", code="invalid_sip_password",
                        errors={"password": "Printable ASCII without '|'."})


def _check_login_text(login: str) -> None:
    if not LOGIN.match(login):
        raise RuleError("A SIP login is 1-64 letters, digits, '.', '_', '@' or '-'.",
                        code="invalid_sip_login", errors={"login": "Not a valid SIP login."})


def set_account(library_id: int, login: str, password: str, ph: PasswordHasher) -> SipAccount:
    """Create a library's SIP account or set its password (reinstating it if revoked)."""
    _check_login_text(login)
    check_password_text(password)
    account = db.session.execute(select(SipAccount).where(SipAccount.login == login)
                                 ).scalar_one_or_none()
    if account is not None and account.library_id != library_id:
        raise ConflictError(f"The SIP login {login} is taken; choose another.",
                            code="sip_login_taken")
    if account is None:
        account = SipAccount(id=new_id("sip"), library_id=library_id, login=login)
        db.session.add(account)
    account.password_hash = ph.hash(password)
    account.revoked_at = None
    account.updated_at = utcnow()
    db.session.commit()
    return account


def list_accounts(library_id: int) -> list[SipAccount]:
    """A library's SIP accounts, by login; never the passwords or their hashes."""
    return list(db.session.execute(select(SipAccount).where(
        SipAccount.library_id == library_id).order_by(SipAccount.login)).scalars())


def revoke_account(library_id: int, login: str) -> None:
    """Revoke a library's SIP account; new logins with it fail at once. Twice changes nothing."""
    account = db.session.execute(select(SipAccount).where(
        SipAccount.login == login, SipAccount.library_id == library_id)).scalar_one_or_none()
    if account is None:
        raise NotFoundError(f"Your library has no SIP account {login}.",
                            code="sip_account_not_found")
    if account.revoked_at is None:
        account.revoked_at = utcnow()
    db.session.commit()


@dataclass(frozen=True)
class SipCaller:
    """The library a SIP2 connection logged in as."""

    account_id: str
    library_id: int
    library_code: str
    library_name: str

    @property
    def limiter_key(self) -> str:
        """The account's bucket in the verification rate limit (app/ratelimit.py)."""
        return f"verify:sip:{self.account_id}"


_LOGIN_QUERY = (select(SipAccount.id, SipAccount.password_hash, Library.id.label("library_id"),
                       Library.code, Library.name, Library.active)
                .join(Library, Library.id == SipAccount.library_id)
                .where(SipAccount.login == bindparam("login"),
                       SipAccount.revoked_at.is_(None)))


def sip_login(login: str, password: str, ph: PasswordHasher) -> SipCaller | None:
    """The library for a 93 Login's CN and CO, or None (unknown, revoked, wrong, inactive)."""
    row = db.session.execute(_LOGIN_QUERY, {"login": login}).first() if LOGIN.match(
        login) else None
    try:
        with _CHECKS:
            ph.verify(row.password_hash if row else _dummy_hash(ph), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:  # R1: an inactive member cannot verify
        return None
    return SipCaller(row.id, row.library_id, row.code, row.name)
