"""Use cases for staff accounts: create, sign in (with lockout), reset links, the audit trail."""

import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.audit.service import append
from app.auth import Caller
from app.console import rules
from app.console.models import StaffAccount, StaffAction, StaffResetToken
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.extensions import db
from app.ids import new_id
from app.libraries.models import Library
from app.timestamps import utcnow

_HASHERS: dict[str, tuple[PasswordHasher, str]] = {}


def password_hasher() -> tuple[PasswordHasher, str]:
    """argon2id with the configured profile (argon2.profiles), and a hash to compare against
    when the email is unknown, so that a wrong email takes as long as a wrong password."""
    name = current_app.config.get("STAFF_PASSWORD_HASHING") or "RFC_9106_LOW_MEMORY"
    if name not in _HASHERS:
        hasher = PasswordHasher.from_parameters(getattr(profiles, name))
        _HASHERS[name] = (hasher, hasher.hash(secrets.token_hex(16)))
    return _HASHERS[name]
RESET_LINK_HOURS = 24
# A person asking for a password link by email gets at most one per account this often: the
# form cannot be used to flood a colleague's mailbox (the store is the database, so every
# host counts together).
RESET_REQUEST_MINUTES = 5
EMAIL_MAX = 254


class SignInRefused(Exception):
    """A refused sign-in: what to tell the person, and until when the account is locked."""

    def __init__(self, message: str, locked_until: datetime | None = None):
        super().__init__(message)
        self.message = message
        self.locked_until = locked_until


def normalize_email(email: str) -> str:
    """Emails are matched without case or surrounding spaces."""
    return (email or "").strip().lower()


def as_caller(staff: StaffAccount) -> Caller:
    """The Caller the services see for a staff account: its library, or the office."""
    if staff.role == "office":
        return Caller(key_id=f"staff:{staff.id}", role="admin")
    return Caller(key_id=f"staff:{staff.id}", role="member", library_id=staff.library_id,
                  library_code=staff.library.code if staff.library else None)


def _check_new_account(email: str, name: str, role: str, library: Library | None) -> None:
    """Field errors for a new account, all at once, as the form shows them."""
    errors = {}
    if "@" not in email or len(email) > EMAIL_MAX or " " in email:
        errors["email"] = "Enter an email address, like name@library.org."
    if not name.strip():
        errors["name"] = "Enter the person's name."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    if role not in rules.ROLES:
        errors["role"] = "Choose a role."
    elif (role == "office") != (library is None):
        errors["role"] = ("The federation office's staff belong to no library."
                          if role == "office" else "A library's staff need a library.")
    if errors:
        raise RuleError("The account has invalid fields: " + ", ".join(sorted(errors)) + ".",
                        code="staff_invalid", errors=errors)


def create_staff(email: str, name: str, role: str, library_code: str | None, *,
                 password: str | None = None, created_by: str | None = None) -> StaffAccount:
    """Create a staff account (with a password, or none until a reset link is followed)."""
    email = normalize_email(email)
    library = None
    if library_code:
        library = db.session.execute(select(Library).where(Library.code == library_code)
                                     ).scalar_one_or_none()
        if library is None:
            raise NotFoundError(f"No member library has the code {library_code}.",
                                code="library_not_found")
    _check_new_account(email, name, role, library)
    if password is not None:
        problem = rules.password_problem(password, email=email, name=name)
        if problem:
            raise RuleError(problem, code="weak_password", errors={"password": problem})
    if db.session.execute(select(StaffAccount.id).where(StaffAccount.email == email)).first():
        raise ConflictError("Another staff account already uses this email address.",
                            code="staff_exists",
                            errors={"email": "Another staff account already uses this address."})
    staff = StaffAccount(id=new_id("stf"), library_id=library.id if library else None,
                         email=email, name=name.strip(), role=role, active=True,
                         password_hash=password_hasher()[0].hash(password) if password
                         else None,
                         session_token=secrets.token_hex(16), failed_logins=0,
                         created_by=created_by)
    db.session.add(staff)
    if created_by:
        db.session.add(StaffAction(staff_id=created_by, library_id=staff.library_id,
                                   action="staff.created", target=staff.id))
    _audit_staff(staff, "created", by=created_by)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ConflictError("Another staff account already uses this email address.",
                            code="staff_exists", errors={"email": "Already in use."}) from None
    return staff


def create_library_staff(actor: StaffAccount, data: dict) -> tuple[StaffAccount, str]:
    """A library administrator adds staff to its own library; returns the account and its link.

    The new person sets their own password through the one-time link (nobody else knows it).
    """
    if actor.role != "library_admin":
        raise ForbiddenError("Only a library administrator adds staff.", code="forbidden_role")
    if data.get("role") not in rules.LIBRARY_ROLES:
        raise RuleError("Choose desk, circulation or library administrator.",
                        code="staff_invalid", errors={"role": "Choose one of the roles."})
    staff = create_staff(data.get("email", ""), data.get("name", ""), data["role"],
                         actor.library.code, created_by=actor.id)
    return staff, issue_reset_token(staff.id)


def library_staff(library_id: int) -> list[StaffAccount]:
    """A library's staff accounts, by name."""
    return db.session.execute(select(StaffAccount).where(StaffAccount.library_id == library_id)
                              .order_by(StaffAccount.name, StaffAccount.id)).scalars().all()


def own_staff(actor: StaffAccount, staff_id: str) -> StaffAccount:
    """A staff account of the actor's own library, or 404 (never another library's)."""
    staff = db.session.execute(select(StaffAccount).where(
        StaffAccount.id == staff_id, StaffAccount.library_id == actor.library_id,
        StaffAccount.library_id.is_not(None))).scalar_one_or_none()
    if staff is None:
        raise NotFoundError("Your library has no such staff account.", code="staff_not_found")
    return staff


def set_staff_active(actor: StaffAccount, staff_id: str, active: bool) -> StaffAccount:
    """Turn a colleague's account off (signed out at once) or on again."""
    staff = own_staff(actor, staff_id)
    if staff.id == actor.id and not active:
        raise ConflictError("You cannot turn off your own account.", code="staff_self")
    staff.active = active
    if not active:
        staff.session_token = secrets.token_hex(16)
    db.session.add(StaffAction(staff_id=actor.id, library_id=actor.library_id,
                               action="staff.enabled" if active else "staff.disabled",
                               target=staff.id))
    _audit_staff(staff, "enabled" if active else "disabled", by=actor.id)
    db.session.commit()
    return staff


def _audit_staff(staff: StaffAccount, action: str, *, by: str | None) -> None:
    """The audit entry of a change to a staff account (its id and role, never a password)."""
    append("staff_account", staff.id, action,
           new_state="active" if staff.active else "disabled",
           parties=[staff.library_id] if staff.library_id else [],
           detail={"role": staff.role},
           actor=(staff.library_id, f"staff:{by}") if by else None)


def reset_link_for(actor: StaffAccount, staff_id: str) -> str:
    """A library administrator makes a new one-time link for a colleague who forgot."""
    staff = own_staff(actor, staff_id)
    token = issue_reset_token(staff.id, commit=False)
    db.session.add(StaffAction(staff_id=actor.id, library_id=actor.library_id,
                               action="staff.reset_link", target=staff.id))
    db.session.commit()
    return token


def _token_hash(token: str) -> str:
    """The stored form of a reset token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_reset_token(staff_id: str, *, commit: bool = True, now: datetime | None = None) -> str:
    """A one-time token to set the account's password; earlier unused tokens stop working."""
    now = now or utcnow()
    db.session.execute(update(StaffResetToken).where(
        StaffResetToken.staff_id == staff_id, StaffResetToken.used_at.is_(None))
        .values(used_at=now))
    token = secrets.token_urlsafe(32)
    db.session.add(StaffResetToken(token_hash=_token_hash(token), staff_id=staff_id,
                                   expires_at=now + timedelta(hours=RESET_LINK_HOURS)))
    if commit:
        db.session.commit()
    return token


def request_password_reset(email: str, link_for, now: datetime | None = None) -> None:
    """Email a one-time password link to the account with this address, if there is one.

    The caller answers the same whether or not an account exists (nobody learns which
    addresses have accounts), and at most one link per account goes out per
    RESET_REQUEST_MINUTES. The email leaves through the mail outbox, in this transaction.
    """
    from app.mail.service import queue_mail

    now = now or utcnow()
    staff = db.session.execute(select(StaffAccount).where(
        StaffAccount.email == normalize_email(email or ""),
        StaffAccount.active.is_(True))).scalar_one_or_none()
    if staff is None:
        return
    last = db.session.execute(select(StaffResetToken.created_at).where(
        StaffResetToken.staff_id == staff.id).order_by(StaffResetToken.created_at.desc())
        .limit(1)).scalar()
    if last is not None and now - last < timedelta(minutes=RESET_REQUEST_MINUTES):
        db.session.rollback()
        return
    token = issue_reset_token(staff.id, commit=False, now=now)
    queue_mail(kind="staff.password_reset", to=staff.email,
               subject="Your Reciprocity staff console password link",
               body=(f"Someone (we hope you) asked for a new password for the Reciprocity staff "
                     f"console account {staff.email}.\n\nThis link sets it, once, within "
                     f"{RESET_LINK_HOURS} hours:\n{link_for(token)}\n\nIf you did not ask, "
                     f"ignore this email: your password stays as it is."))
    db.session.add(StaffAction(staff_id=staff.id, library_id=staff.library_id,
                               action="staff.reset_requested", target=staff.id))
    db.session.commit()


def find_staff_by_email(email: str) -> StaffAccount:
    """The account with this email, or 404."""
    staff = db.session.execute(select(StaffAccount).where(
        StaffAccount.email == normalize_email(email))).scalar_one_or_none()
    if staff is None:
        raise NotFoundError("No staff account has this email address.", code="staff_not_found")
    return staff


def reset_token_account(token: str, now: datetime | None = None) -> StaffAccount:
    """The account a still-valid token belongs to, or 404."""
    now = now or utcnow()
    row = db.session.execute(select(StaffResetToken).where(
        StaffResetToken.token_hash == _token_hash(token or ""))).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise NotFoundError("This link has expired or was already used. Ask your library's "
                            "administrator (or the federation office) for a new one.",
                            code="reset_link_invalid")
    return db.session.get(StaffAccount, row.staff_id)


def set_password_with_token(token: str, password: str, now: datetime | None = None
                            ) -> StaffAccount:
    """Set a new password with a one-time token; signs out every session, unlocks."""
    now = now or utcnow()
    staff = reset_token_account(token, now)
    problem = rules.password_problem(password, email=staff.email, name=staff.name)
    if problem:
        raise RuleError(problem, code="weak_password", errors={"password": problem})
    used = db.session.execute(update(StaffResetToken).where(
        StaffResetToken.token_hash == _token_hash(token), StaffResetToken.used_at.is_(None))
        .values(used_at=now)).rowcount
    if used != 1:  # the same link followed twice at once: only one sets the password
        db.session.rollback()
        raise NotFoundError("This link was already used.", code="reset_link_invalid")
    staff.password_hash = password_hasher()[0].hash(password)
    staff.session_token = secrets.token_hex(16)
    staff.failed_logins = 0
    staff.locked_until = None
    db.session.add(StaffAction(staff_id=staff.id, library_id=staff.library_id,
                               action="staff.password_set", target=staff.id))
    _audit_staff(staff, "password_set", by=staff.id)
    db.session.commit()
    return staff


def sign_in(email: str, password: str, now: datetime | None = None) -> StaffAccount:
    """Check an email and password; count failures and lock with back-off (SignInRefused)."""
    now = now or utcnow()
    hasher, dummy = password_hasher()
    wrong = SignInRefused("The email address or password is not right.")
    staff = db.session.execute(select(StaffAccount).where(
        StaffAccount.email == normalize_email(email)).with_for_update()).scalar_one_or_none()
    if staff is None or staff.password_hash is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(dummy, password or "")
        db.session.rollback()
        raise wrong
    if staff.locked_until is not None and staff.locked_until > now:
        db.session.rollback()
        raise SignInRefused("Too many wrong passwords: this account is locked for a while.",
                            locked_until=staff.locked_until)
    try:
        hasher.verify(staff.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        staff.failed_logins += 1
        pause = rules.lockout(staff.failed_logins)
        staff.locked_until = now + pause if pause else None
        db.session.commit()
        if pause:
            raise SignInRefused("Too many wrong passwords: this account is locked for a while.",
                                locked_until=staff.locked_until) from None
        raise wrong from None
    if not staff.active or (staff.library is not None and not staff.library.active):
        db.session.rollback()
        raise SignInRefused("This account is turned off. Ask your library's administrator.")
    if hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hasher.hash(password)
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    db.session.add(StaffAction(staff_id=staff.id, library_id=staff.library_id,
                               action="staff.signed_in", target=staff.id))
    db.session.commit()
    return staff


def session_staff(session_id: str) -> StaffAccount | None:
    """The account a session names (`id.token`), while the account is on and unchanged."""
    staff_id, _, token = (session_id or "").partition(".")
    if not staff_id or not token:
        return None
    staff = db.session.get(StaffAccount, staff_id)
    if staff is None or not staff.active or not secrets.compare_digest(staff.session_token,
                                                                       token):
        return None
    if staff.library is not None and not staff.library.active:
        return None  # R1: a library taken out of the federation has no console
    return staff


def record_action(staff: StaffAccount, action: str, target: str | None = None) -> None:
    """Write what a staff account did to the audit trail, in its own short transaction."""
    db.session.add(StaffAction(staff_id=staff.id, library_id=staff.library_id,
                               action=action, target=target))
    db.session.commit()


def recent_actions(library_id: int | None, *, limit: int = 100) -> list:
    """The audit trail of a library (None: the office's own), newest first, with names."""
    query = (select(StaffAction.at, StaffAction.action, StaffAction.target,
                    StaffAccount.name, StaffAccount.email)
             .join(StaffAccount, StaffAccount.id == StaffAction.staff_id)
             .order_by(StaffAction.at.desc(), StaffAction.id.desc()).limit(limit))
    if library_id is None:
        query = query.where(StaffAction.library_id.is_(None))
    else:
        query = query.where(StaffAction.library_id == library_id)
    return db.session.execute(query).all()


def actions_on(library_id: int | None, target: str) -> list:
    """Who of this library did what to one record (a block, a bill), oldest first."""
    query = (select(StaffAction.at, StaffAction.action, StaffAccount.name)
             .join(StaffAccount, StaffAccount.id == StaffAction.staff_id)
             .where(StaffAction.target == target).order_by(StaffAction.at, StaffAction.id))
    if library_id is not None:
        query = query.where(StaffAction.library_id == library_id)
    return db.session.execute(query).all()
