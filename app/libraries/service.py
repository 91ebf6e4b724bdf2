"""Use cases for member libraries and their keys."""

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.audit.service import append
from app.auth import Caller, issue_key
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.libraries.models import ApiKey, CardPrefix, Library, MembershipAction
from app.libraries.rules import card_prefixes, may_opt_in, must_participate, overlapping
from app.pagination import paginate
from app.timestamps import utcnow

# What a member library may change about itself; the federation office may change anything.
SELF_SERVICE_FIELDS = {"contact", "card_prefixes"}


def member_by_code(code: str, *, field: str | None = None, active_only: bool = False) -> Library:
    """The member library with this code.

    Unknown: 404 `library_not_found` when the code is the resource asked for (in the path),
    422 `unknown_home_library` naming `field` when a request body named it.
    """
    query = select(Library).where(Library.code == code)
    if active_only:
        query = query.where(Library.active.is_(True))
    library = db.session.execute(query).scalar_one_or_none()
    if library is None:
        detail = f"No member library has the code {code}."
        if field:
            raise RuleError(detail, code="unknown_home_library",
                            errors={field: "Not a member library's code."})
        raise NotFoundError(detail, code="library_not_found")
    return library


def get_library(code: str) -> Library:
    """Show a member library (the route's use case), or 404."""
    return member_by_code(code)


def list_libraries(*, limit: int, cursor=None, active=None, type=None, system=None) -> dict:
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


def _set_prefixes(library: Library, prefixes: list[str], caller: Caller | None) -> None:
    """Replace a library's card prefixes (R15).

    A prefix another library holds is a 409 `prefix_taken`. A member may add prefixes, but not
    one overlapping another library's (either is a prefix of the other: 409 `prefix_overlaps`),
    nor drop one (409 `prefix_retired_by_office`): only the federation office settles a real
    overlap, where the longest prefix names the card's home, or retires a prefix.
    """
    query = select(CardPrefix.prefix, Library.code).join(Library).where(
        CardPrefix.prefix.in_(prefixes))
    if library.id is not None:
        query = query.where(CardPrefix.library_id != library.id)
    taken = db.session.execute(query).first()
    if taken:
        raise ConflictError(f"The card prefix {taken.prefix} already identifies {taken.code}.",
                            code="prefix_taken")
    if caller is not None and not caller.is_admin:
        dropped = sorted(set(library.card_prefixes) - set(prefixes))
        if dropped:
            # Cards already issued under a prefix would lose their home, and another library
            # could then claim the range and its patrons (R15).
            raise ConflictError(
                f"Only the federation office can retire a card prefix ({', '.join(dropped)}): "
                "cards issued under it would lose their home library (R15).",
                code="prefix_retired_by_office",
                errors={"card_prefixes": f"Keep {', '.join(dropped)}."})
        new = sorted(set(prefixes) - set(library.card_prefixes))
        for prefix in new:
            clash = _overlaps(prefix, library.id)
            if clash:
                raise ConflictError(
                    f"The card prefix {prefix} overlaps {clash.code}'s prefix {clash.prefix}: "
                    "cards in that range would have two homes (R15). Only the federation "
                    "office can settle an overlap.", code="prefix_overlaps",
                    errors={"card_prefixes": f"{prefix} overlaps {clash.code}'s "
                                             f"{clash.prefix}."})
    keep = {p.prefix: p for p in library.prefixes}
    library.prefixes = [keep.get(p) or CardPrefix(prefix=p) for p in prefixes]


def _overlaps(prefix: str, library_id: int | None):
    """Another library's prefix that overlaps `prefix` (code, prefix), or None (R15)."""
    shorter = card_prefixes(prefix)
    query = select(CardPrefix.prefix, Library.code).join(Library).where(
        or_(CardPrefix.prefix.in_(shorter),
            func.substr(CardPrefix.prefix, 1, len(prefix)) == prefix))
    if library_id is not None:
        query = query.where(CardPrefix.library_id != library_id)
    found = db.session.execute(query.order_by(CardPrefix.prefix)).all()
    return next((row for row in found if overlapping(prefix, [row.prefix])), None)


def home_by_prefix(card: str) -> Library | None:
    """The library the card's longest claimed prefix names as its home, if any (R15)."""
    return db.session.execute(
        select(Library).join(CardPrefix).where(CardPrefix.prefix.in_(card_prefixes(card)))
        .order_by(func.length(CardPrefix.prefix).desc()).limit(1)).scalar_one_or_none()


def check_card_home(card: str, home: Library, registered: bool) -> None:
    """R15: a card's home is the library its prefix names or, with no prefix, one that
    registered it; naming any other library is a 422 `wrong_home_library`."""
    by_prefix = home_by_prefix(card)
    if by_prefix is not None and by_prefix.id != home.id:
        raise RuleError(f"This card's number prefix names {by_prefix.code} as its home "
                        f"library, not {home.code} (R15).", code="wrong_home_library",
                        home_library_should_be=by_prefix.code,
                        errors={"home_library": f"The card's home library is "
                                                f"{by_prefix.code}."})
    if by_prefix is None and not registered:
        # Which library registered it, if any, is not the caller's to know (R16).
        raise RuleError(f"No member's card prefix matches this card and {home.code} has not "
                        "registered it, so it is not a card of that library (R15). Ask the "
                        "patron which library issued the card.", code="wrong_home_library",
                        errors={"home_library": f"Not a card {home.code} issued."})


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
    elif not may_opt_in(library.membership):
        if requested is True:
            raise RuleError("An associate member takes no part in reciprocal borrowing (R1).",
                            code="associates_take_no_part",
                            errors={"reciprocal_borrowing": "Associate members cannot opt "
                                                            "in (R1)."})
        library.reciprocal_borrowing = False
    elif library.reciprocal_borrowing is None:
        library.reciprocal_borrowing = False


def _commit_or_conflict(detail: str, code: str, audit=None) -> None:
    """Commit (after `audit`, which writes the change's audit entry once the row has its id);
    a unique constraint lost to a concurrent request becomes a 409."""
    try:
        if audit is not None:
            db.session.flush()
            audit()
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
    _set_prefixes(library, data.get("card_prefixes", []), None)
    db.session.add(library)
    _commit_or_conflict("That library code or card prefix was just taken.", "library_exists",
                        lambda: _audit_library(library, "admitted"))
    return library


def _audit_library(library: Library, action: str, fields=()) -> None:
    """The audit entry of a change to a library's record: which fields, not their values."""
    append("library", library.code, action,
           new_state="active" if library.active else "inactive", parties=[library.id],
           detail={"fields": sorted(fields)} if fields else None)


def update_library(code: str, data: dict, caller: Caller) -> Library:
    """Change a library: the office any field, the library itself its contact and prefixes."""
    library = member_by_code(code)
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
        _set_prefixes(library, data["card_prefixes"], caller)
        # Prefixes live in their own table: the row's onupdate would not see this change.
        library.updated_at = utcnow()
    _commit_or_conflict("That card prefix was just taken by another library.", "prefix_taken",
                        lambda: _audit_library(library, "updated", data))
    return library


def issue_library_key(code: str, label: str | None,
                      scope: str = "full") -> tuple[ApiKey, str]:
    """Issue a key for a member library (the federation office, or its own administrator)."""
    library = member_by_code(code)
    record, key = issue_key(library, label, scope)
    append("key", record.id, "issued", new_state="active", parties=[library.id],
           detail={"library": library.code, "scope": scope})
    db.session.commit()
    return record, key


def issue_admin_key(label: str | None) -> tuple[ApiKey, str]:
    """Issue a key for the federation office."""
    record, key = issue_key(None, label)
    append("key", record.id, "issued", new_state="active", detail={"office": True})
    db.session.commit()
    return record, key


def list_keys(code: str) -> list[ApiKey]:
    """A library's keys, newest first, never the keys themselves."""
    library = member_by_code(code)
    return db.session.execute(select(ApiKey).where(ApiKey.library_id == library.id)
                              .order_by(ApiKey.created_at.desc())).scalars().all()


def revoke_key(code: str, key_id: str) -> None:
    """Revoke a library's key: at once here, elsewhere within KEY_CACHE_SECONDS. Idempotent."""
    library = member_by_code(code)
    record = db.session.execute(select(ApiKey).where(
        ApiKey.id == key_id, ApiKey.library_id == library.id)).scalar_one_or_none()
    if record is None:
        raise NotFoundError(f"{code} has no key {key_id}.", code="key_not_found")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        append("key", record.id, "revoked", new_state="revoked", parties=[library.id],
               detail={"library": code})
    db.session.commit()


def act_on_membership(code: str, data: dict, before_commit=None) -> MembershipAction:
    """The office takes a library out of full membership or reinstates it (Plan VIII.2.c).

    Taken out, the library is an associate member and takes no part (R1): its cards answer
    `home_not_participating` everywhere and its own verifications and bills are refused
    `not_participating`. Reinstated, it gets back the membership and participation it had.
    The library is told in writing (a letter, mailed, copy to the office).
    """
    library = member_by_code(code)
    # Lock the row: two actions at once must not both find a full member to take out.
    db.session.execute(select(Library.id).where(Library.id == library.id).with_for_update())
    db.session.refresh(library)
    action = MembershipAction(id=new_id("mba"), library_id=library.id,
                              action=data["action"], reason=data["reason"],
                              requirements=data.get("requirements"),
                              membership_before=library.membership,
                              reciprocal_borrowing_before=bool(library.reciprocal_borrowing))
    if data["action"] == "removed":
        if library.membership != "full":
            raise ConflictError(f"{library.code} is not a full member: there is no full "
                                "membership to take it out of.", code="membership_conflict",
                                membership=library.membership)
        library.membership = "associate"
        library.reciprocal_borrowing = False
    else:
        removal = db.session.execute(
            select(MembershipAction).where(MembershipAction.library_id == library.id)
            .order_by(MembershipAction.created_at.desc()).limit(1)).scalar_one_or_none()
        if removal is None or removal.action != "removed" or library.membership == "full":
            raise ConflictError(f"{library.code} was not taken out of full membership: there "
                                "is nothing to reinstate.", code="membership_conflict",
                                membership=library.membership)
        library.membership = removal.membership_before
        library.reciprocal_borrowing = removal.reciprocal_borrowing_before
        _check_participation(library, None)
    library.updated_at = utcnow()
    db.session.add(action)
    record([library.id], f"membership.{data['action']}",
           {"library": library.code, "membership_action_id": action.id}, office=True)
    db.session.flush()
    if before_commit is not None:
        before_commit(action)
    db.session.commit()
    return action


def membership_actions(code: str, caller: Caller) -> list[MembershipAction]:
    """A library's membership actions, newest first: for the office and the library itself."""
    library = member_by_code(code)
    if not caller.is_admin and caller.library_id != library.id:
        raise ForbiddenError("Only the federation office and the library itself see its "
                             "membership actions.", code="not_your_library")
    return db.session.execute(
        select(MembershipAction).where(MembershipAction.library_id == library.id)
        .order_by(MembershipAction.created_at.desc()).limit(500)).scalars().all()
