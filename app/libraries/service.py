"""Use cases for member libraries and their keys."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth import Caller, issue_key
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.extensions import db
from app.libraries.models import ApiKey, CardPrefix, Library
from app.pagination import paginate
from app.timestamps import utcnow

# What a member library may change about itself; the federation office may change anything.
SELF_SERVICE_FIELDS = {"contact", "card_prefixes"}


def must_participate(type_: str, membership: str) -> bool:
    """R1: every full-member public library takes part in reciprocal borrowing."""
    return type_ == "public" and membership == "full"


def get_library(code: str) -> Library:
    """The library with this code, or 404."""
    library = db.session.execute(select(Library).where(Library.code == code)).scalar_one_or_none()
    if library is None:
        raise NotFoundError(f"No member library has the code {code}.", code="library_not_found")
    return library


def list_libraries(*, limit=None, cursor=None, active=None, type=None, system=None) -> dict:
    """A page of member libraries, by code."""
    query = select(Library)
    if active is not None:
        query = query.where(Library.active.is_(active))
    if type:
        query = query.where(Library.type == type)
    if system:
        query = query.where(Library.system == system)
    return paginate(query, Library.code, limit=limit, cursor=cursor)


def _apply(library: Library, data: dict) -> None:
    """Copy validated fields onto a library."""
    for name in ("name", "type", "membership", "reciprocal_borrowing", "system", "active"):
        if name in data:
            setattr(library, name, data[name])
    if "contact" in data:
        for name in ("email", "phone"):
            if name in data["contact"]:
                setattr(library, f"contact_{name}", data["contact"][name])
    if "address" in data:
        for name in ("street", "city", "zip", "county"):
            if name in data["address"]:
                setattr(library, name, data["address"][name])


def _set_prefixes(library: Library, prefixes: list[str]) -> None:
    """Replace a library's card prefixes; a prefix held by another library is a 409."""
    query = select(CardPrefix.prefix, Library.code).join(Library).where(
        CardPrefix.prefix.in_(prefixes))
    if library.id is not None:
        query = query.where(CardPrefix.library_id != library.id)
    taken = db.session.execute(query).first()
    if taken:
        raise ConflictError(f"The card prefix {taken.prefix} already identifies {taken.code}.",
                            code="prefix_taken")
    keep = {p.prefix: p for p in library.prefixes}
    library.prefixes = [keep.get(p) or CardPrefix(prefix=p) for p in prefixes]


def _check_participation(library: Library, requested: bool | None) -> None:
    """R1: a public full member takes part; asking it to opt out (`requested` False) is a 422.

    Only an explicit false in the request is refused: a library that opted out as an academic
    library and is now made a public full member is simply made to take part.
    """
    if must_participate(library.type, library.membership):
        if requested is False:
            raise RuleError("A public library with full membership must take part in "
                            "reciprocal borrowing (R1).", code="participation_required",
                            errors={"reciprocal_borrowing": "Must be true for public full "
                                                            "members (R1)."})
        library.reciprocal_borrowing = True
    elif library.reciprocal_borrowing is None:
        library.reciprocal_borrowing = False


def _commit_or_conflict(detail: str, code: str) -> None:
    """Commit; a unique constraint lost to a concurrent request becomes a 409."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ConflictError(detail, code=code) from None


def admit_library(data: dict) -> Library:
    """Admit a new member library (federation office)."""
    exists = db.session.execute(select(Library.id).where(Library.code == data["code"])).first()
    if exists:
        raise ConflictError(f"A library with the code {data['code']} is already a member.",
                            code="library_exists")
    library = Library(code=data["code"], reciprocal_borrowing=data.get("reciprocal_borrowing"))
    _apply(library, data)
    _check_participation(library, data.get("reciprocal_borrowing"))
    # Prefixes before add: the prefix query must not autoflush the new row, or a code taken
    # meanwhile by a concurrent admit fails there, outside _commit_or_conflict, as a 500.
    _set_prefixes(library, data.get("card_prefixes", []))
    db.session.add(library)
    _commit_or_conflict("That library code or card prefix was just taken.", "library_exists")
    return library


def update_library(code: str, data: dict, caller: Caller) -> Library:
    """Change a library: the office any field, the library itself its contact and prefixes."""
    library = get_library(code)
    if not caller.is_admin:
        if caller.library_id != library.id:
            raise ForbiddenError("A library may change only its own record.",
                                 code="not_your_library")
        outside = sorted(set(data) - SELF_SERVICE_FIELDS)
        if outside:
            raise ForbiddenError(
                "A library may change its own contact and card prefixes; ask the federation "
                f"office to change: {', '.join(outside)}.", code="field_not_yours",
                errors=dict.fromkeys(outside, "Only the federation office may change this."))
    _apply(library, data)
    _check_participation(library, data.get("reciprocal_borrowing"))
    if "card_prefixes" in data:
        _set_prefixes(library, data["card_prefixes"])
        # Prefixes live in their own table: the row's onupdate would not see this change.
        library.updated_at = utcnow()
    _commit_or_conflict("That card prefix was just taken by another library.", "prefix_taken")
    return library


def issue_library_key(code: str, label: str | None,
                      scope: str = "full") -> tuple[ApiKey, str]:
    """Issue a key for a member library (the federation office, or its own administrator)."""
    library = get_library(code)
    record, key = issue_key(library, label, scope)
    db.session.commit()
    return record, key


def issue_admin_key(label: str | None) -> tuple[ApiKey, str]:
    """Issue a key for the federation office."""
    record, key = issue_key(None, label)
    db.session.commit()
    return record, key


def list_keys(code: str) -> list[ApiKey]:
    """A library's keys, newest first, never the keys themselves."""
    library = get_library(code)
    return db.session.execute(select(ApiKey).where(ApiKey.library_id == library.id)
                              .order_by(ApiKey.created_at.desc())).scalars().all()


def revoke_key(code: str, key_id: str) -> None:
    """Revoke a library's key; it stops working at once. Revoking twice changes nothing."""
    library = get_library(code)
    record = db.session.execute(select(ApiKey).where(
        ApiKey.id == key_id, ApiKey.library_id == library.id)).scalar_one_or_none()
    if record is None:
        raise NotFoundError(f"{code} has no key {key_id}.", code="key_not_found")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
    db.session.commit()
