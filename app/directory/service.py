"""Use cases for the directory: publish a policy (R1, R3, R4, R11, R18), read it (R5).

A publish writes a new version only when the canonical policy changed, and updates the
library's entry (the indexed facts the list filters on) in the same transaction and commit.
Reads need no key and show only what a directory reader may see: never patron data.
"""

from datetime import UTC, date, datetime, time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, not_, or_, select
from sqlalchemy.exc import IntegrityError

from app.auth import Caller
from app.directory import rules, versions, wording
from app.directory.models import DirectoryEntry, DirectoryFormat, PolicyVersion
from app.errors import ConflictError, ForbiddenError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.libraries.models import CardPrefix, Library
from app.libraries.service import member_by_code
from app.pagination import decode_cursor, encode_cursor, paginate
from app.timestamps import UTCDateTime, utcnow


def _library(code: str, *, active_only: bool = False) -> Library:
    """The library with this code, or 404 (inactive ones too, for readers)."""
    return member_by_code(code, active_only=active_only)


def member_terms() -> rules.MemberIndex:
    """Every member's name, city and card prefixes: what a policy may not name of another
    member (R3). The publishing library is in it too, so its own words are known as its own."""
    prefixes: dict[int, list[str]] = {}
    for library_id, prefix in db.session.execute(select(CardPrefix.library_id,
                                                        CardPrefix.prefix)):
        prefixes.setdefault(library_id, []).append(prefix)
    rows = db.session.execute(select(Library.id, Library.code, Library.name, Library.city))
    return rules.MemberIndex({code: {"name": name, "city": city,
                                     "prefixes": prefixes.get(library_id, [])}
                              for library_id, code, name, city in rows})


def publish_policy(code: str, policy: dict, caller: Caller, today: date) -> dict:
    """A library publishes its whole policy; a new version only if something changed."""
    library = _library(code)
    if not caller.is_admin and caller.library_id != library.id:
        raise ForbiddenError("A library may publish only its own policy.",
                             code="not_your_library")
    others = member_terms()
    try:
        result = publish(library, policy, today, others)
        db.session.commit()
    except IntegrityError:
        # Another publish of this library took the same version number first: the insert of
        # the version fails at its flush (PostgreSQL waits for the other to commit, SQLite
        # for its write lock), so the whole publish is undone, not only the commit.
        db.session.rollback()
        raise ConflictError("Another version of this policy was published at the same "
                            "moment; read it and publish again.",
                            code="policy_publish_conflict") from None
    return result


def publish(library: Library, policy: dict, today: date, others) -> dict:
    """Validate and write a version and entry in the caller's transaction (no commit).

    `others`: the members a policy may not name (`member_terms()`, R3).
    """
    entry = db.session.get(DirectoryEntry, library.id)
    notices = _record_report_day(policy.get("nonresident_cards"), entry, today)
    verdict = rules.validate_policy(policy, library_type=library.type,
                                    membership=library.membership, others=others,
                                    own_code=library.code, today=today)
    verdict.warnings.extend(notices)
    if verdict.errors:
        rules_cited = sorted({message.split(":")[0] for message in verdict.errors.values()
                              if message.startswith("R")})
        raise RuleError("The policy breaks the federation's rules"
                        + (f" ({', '.join(rules_cited)})" if rules_cited else "")
                        + f": {', '.join(sorted(verdict.errors))}.",
                        code="policy_invalid", errors=verdict.errors)
    document = versions.canonical(policy)
    digest = versions.policy_hash(document)
    cards = policy.get("nonresident_cards")
    late = bool(cards) and rules.report_is_late(cards["board_decision_on"], cards["reported_on"])
    if entry is not None and entry.policy_hash == digest:
        version = db.session.get(PolicyVersion, entry.version_id)
        return _published(library, version, changed=False, late=late,
                          warnings=verdict.warnings, today=today)
    number = (entry.version if entry else 0) + 1
    version = PolicyVersion(id=new_id("pol"), library_id=library.id, version=number,
                            policy=document, policy_hash=digest,
                            reviewed_on=policy["reviewed_on"], published_at=utcnow())
    db.session.add(version)
    db.session.flush()  # no relationships: the version's row must exist before the entry's
    replacing = entry is not None
    if entry is None:
        entry = DirectoryEntry(library_id=library.id)
        db.session.add(entry)
    borrowing = policy["reciprocal_borrowing"]
    lost = (policy["interlibrary_loan"].get("lost_materials") or {})
    entry.version_id, entry.version, entry.policy_hash = version.id, number, digest
    entry.published_at, entry.reviewed_on = version.published_at, version.reviewed_on
    entry.participates = library.participates  # R1: the library record is the one source
    entry.items_at_a_time = borrowing.get("items_at_a_time") if entry.participates else None
    entry.nonresident_cards = cards["participates"] if cards else None
    entry.nonresident_from = cards.get("effective_from") if cards else None
    entry.nonresident_until = cards.get("effective_until") if cards else None
    entry.nonresident_report_late = late
    entry.processing_fee_cents = rules.processing_fee_cap(lost)
    entry.review_cycle_months = policy.get("review_cycle_months")
    db.session.flush()
    if replacing:
        db.session.execute(delete(DirectoryFormat).where(
            DirectoryFormat.library_id == library.id))
    db.session.add_all(DirectoryFormat(library_id=library.id, format=name)
                       for name in rules.lent_formats(policy))
    record([library.id], "directory.policy_published",
           {"library": library.code, "version": number})
    return _published(library, version, changed=True, late=late, warnings=verdict.warnings,
                      today=today)


def _record_report_day(cards: dict | None, entry: DirectoryEntry | None,
                       today: date) -> list[dict]:
    """R18: the report date is the day the directory received the decision, whatever the
    member wrote. The same decision published again keeps the day it first arrived."""
    if not cards:
        return []
    sent = cards.get("reported_on")
    received = today
    if entry is not None:
        current = (db.session.get(PolicyVersion, entry.version_id).policy
                   .get("nonresident_cards") or {})
        if current.get("board_decision_on") == cards["board_decision_on"].isoformat():
            received = date.fromisoformat(current["reported_on"])
    cards["reported_on"] = received
    if sent is None or sent == received:
        return []
    return [{"code": "nonresident_reported_on_recorded", "path": "nonresident_cards.reported_on",
             "message": f"R18: the report date is the day the directory received the "
                        f"decision, {received}, not {sent} as sent."}]


def _published(library, version, *, changed, late, warnings, today) -> dict:
    """The answer to a publish."""
    return {"code": library.code, "version": version.version, "changed": changed,
            "published_at": version.published_at, "reviewed_on": version.reviewed_on,
            "stale": rules.is_stale(version.reviewed_on, today),
            "nonresident_report_late": late, "warnings": warnings, "policy": version.policy}


def processing_fee_cap(library_id: int) -> int | None:
    """The most a bill from this library may charge as a processing fee for a lost item: its
    published fixed fee, 0 if it published none, None if it published an unstated fee that
    "may apply" or no policy at all (R5, R10)."""
    return db.session.execute(select(DirectoryEntry.processing_fee_cents).where(
        DirectoryEntry.library_id == library_id)).scalar_one_or_none()


# Reading ---------------------------------------------------------------------------------------

def _filtered(filters: dict, today: date):
    """The directory's query: active members, their entries, the filters applied."""
    query = (select(Library, DirectoryEntry)
             .outerjoin(DirectoryEntry, DirectoryEntry.library_id == Library.id)
             .where(Library.active.is_(True)))
    if filters.get("q"):
        escaped = (filters["q"].strip().replace("\\", "\\\\").replace("%", "\\%")
                   .replace("_", "\\_"))
        pattern = f"%{escaped}%"
        query = query.where(or_(Library.name.ilike(pattern, escape="\\"),
                                Library.city.ilike(pattern, escape="\\"),
                                Library.code.ilike(pattern, escape="\\")))
    if filters.get("type"):
        query = query.where(Library.type == filters["type"])
    if filters.get("county"):
        query = query.where(func.lower(Library.county) == filters["county"].strip().lower())
    if filters.get("system"):
        query = query.where(Library.system == filters["system"])
    if filters.get("lends_format"):
        query = query.where(Library.id.in_(select(DirectoryFormat.library_id).where(
            DirectoryFormat.format == filters["lends_format"])))
    if filters.get("nonresident_cards") is not None:
        # R18: a programme counts only while it is in effect today.
        in_effect = and_(DirectoryEntry.nonresident_cards.is_(True),
                         or_(DirectoryEntry.nonresident_from.is_(None),
                             DirectoryEntry.nonresident_from <= today),
                         or_(DirectoryEntry.nonresident_until.is_(None),
                             DirectoryEntry.nonresident_until >= today))
        query = query.where(in_effect if filters["nonresident_cards"]
                            else and_(DirectoryEntry.library_id.is_not(None), not_(in_effect)))
    status = filters.get("status")
    if status == "not_published":
        query = query.where(DirectoryEntry.library_id.is_(None))
    elif status == "not_published_or_stale":
        query = query.where(or_(DirectoryEntry.library_id.is_(None),
                                DirectoryEntry.reviewed_on < rules.stale_cutoff(today)))
    elif status == "stale":
        query = query.where(DirectoryEntry.reviewed_on < rules.stale_cutoff(today))
    elif status == "current":
        query = query.where(DirectoryEntry.reviewed_on >= rules.stale_cutoff(today))
    if filters.get("stale") is not None:
        cutoff = rules.stale_cutoff(today)
        query = query.where(DirectoryEntry.reviewed_on < cutoff if filters["stale"]
                            else DirectoryEntry.reviewed_on >= cutoff)
    return query


def _formats(library_ids: list[int]) -> dict[int, list[str]]:
    """The formats each library lends to reciprocal borrowers, in vocabulary order."""
    found: dict[int, set[str]] = {}
    for library_id, name in db.session.execute(select(
            DirectoryFormat.library_id, DirectoryFormat.format).where(
            DirectoryFormat.library_id.in_(library_ids))):
        found.setdefault(library_id, set()).add(name)
    return {key: [name for name in rules.FORMATS if name in names]
            for key, names in found.items()}


def map_url(library: Library) -> str | None:
    """A map of the library's street address (OpenStreetMap's search), when it has one."""
    parts = [part for part in (library.street, library.city, library.zip) if part]
    if not library.street or not parts:
        return None
    return "https://www.openstreetmap.org/search?" + urlencode({"query": ", ".join(parts)})


def _entry(library: Library, entry: DirectoryEntry | None, formats: list[str],
           today: date, zone: str = "UTC") -> dict:
    """A library as the directory lists it; dates shown are the federation's (`zone`)."""
    published = entry is not None
    due = rules.review_due(entry.reviewed_on, entry.review_cycle_months) if published else None
    return {
        "address": {"street": library.street, "city": library.city, "zip": library.zip,
                    "county": library.county},
        "map_url": map_url(library),
        "published_on": (entry.published_at.astimezone(ZoneInfo(zone)).date()
                         if published else None),
        "review_cycle_months": entry.review_cycle_months if published else None,
        "review_due_on": due,
        "review_overdue": bool(due and due < today),
        "code": library.code, "name": library.name, "type": library.type,
        "city": library.city, "county": library.county, "system": library.system,
        "contact": library.contact, "published": published,
        "version": entry.version if published else None,
        "published_at": entry.published_at if published else None,
        "reviewed_on": entry.reviewed_on if published else None,
        "stale": published and rules.is_stale(entry.reviewed_on, today),
        "participates": library.participates if published else None,
        "items_at_a_time": entry.items_at_a_time if published else None,
        "lends_formats": formats,
        "nonresident_cards": rules.nonresident_in_effect(
            {"participates": entry.nonresident_cards, "effective_from": entry.nonresident_from,
             "effective_until": entry.nonresident_until}, today) if published else None,
        "nonresident_report_late": entry.nonresident_report_late if published else None,
    }


def list_entries(filters: dict, today: date, *, limit: int | None = None,
                 cursor: str | None = None, page_size: int = 50, zone: str = "UTC") -> dict:
    """A page of the directory by library code, with the number of matches in all pages."""
    limit = min(limit or page_size, 500)
    query = _filtered(filters, today)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    if cursor:
        query = query.where(Library.code > decode_cursor(cursor))
    rows = db.session.execute(query.order_by(Library.code).limit(limit + 1)).all()
    page = rows[:limit]
    formats = _formats([library.id for library, _ in page])
    items = [_entry(library, entry, formats.get(library.id, []), today, zone)
             for library, entry in page]
    next_cursor = encode_cursor(page[-1][0].code) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor, "total": total}


def iter_entries(filters: dict, today: date, batch: int = 500, zone: str = "UTC"):
    """Every matching entry with its policy, by code, read in batches (for the CSV)."""
    after = None
    while True:
        query = _filtered(filters, today)
        if after is not None:
            query = query.where(Library.code > after)
        rows = db.session.execute(query.order_by(Library.code).limit(batch)).all()
        if not rows:
            return
        formats = _formats([library.id for library, _ in rows])
        version_ids = [entry.version_id for _, entry in rows if entry is not None]
        policies = dict(db.session.execute(select(PolicyVersion.id, PolicyVersion.policy).where(
            PolicyVersion.id.in_(version_ids))).all()) if version_ids else {}
        for library, entry in rows:
            item = _entry(library, entry, formats.get(library.id, []), today, zone)
            item["policy"] = policies.get(entry.version_id) if entry else None
            yield item
        after = rows[-1][0].code


def stale_since(reviewed_on: date | None, today: date, zone: str) -> datetime | None:
    """R5: the instant a policy turned stale (its first stale day's start in `zone`), if it is."""
    if reviewed_on is None or not rules.is_stale(reviewed_on, today):
        return None
    start = datetime.combine(rules.stale_from(reviewed_on), time(0), tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC)


def entry_detail(code: str, today: date, zone: str) -> dict:
    """A library's page in the directory: its current policy, and the same in plain words."""
    library = _library(code, active_only=True)
    entry = db.session.get(DirectoryEntry, library.id)
    formats = _formats([library.id]).get(library.id, [])
    detail = _entry(library, entry, formats, today, zone)
    policy = db.session.get(PolicyVersion, entry.version_id).policy if entry else None
    detail["policy"] = policy
    detail["summary"] = wording.summarize(policy, today) if policy else {}
    # The stale flag flips overnight with no write: the moment it did counts as a change too.
    detail["last_modified"] = max(filter(None, [
        library.updated_at, entry.published_at if entry else None,
        stale_since(entry.reviewed_on, today, zone) if entry else None]))
    return detail


def history(code: str, *, limit: int, cursor: str | None = None) -> dict:
    """A library's versions, newest first, each with what it changed from the one before."""
    library = _library(code, active_only=True)
    query = select(PolicyVersion).where(PolicyVersion.library_id == library.id)
    page = paginate(query, PolicyVersion.version, limit=limit, cursor=cursor, descending=True,
                    key_type=int)
    rows = page["items"]
    items = []
    for index, version in enumerate(rows):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        if previous is None and version.version > 1:  # the page's oldest: its predecessor
            previous = db.session.execute(select(PolicyVersion).where(
                PolicyVersion.library_id == library.id,
                PolicyVersion.version == version.version - 1)).scalar_one()
        items.append({"version": version.version, "published_at": version.published_at,
                      "reviewed_on": version.reviewed_on,
                      "changes": versions.diff(previous.policy, version.policy) if previous
                      else []})
    return {"code": library.code, "items": items, "next_cursor": page["next_cursor"],
            "last_modified": _last_publish(library)}


def _last_publish(library: Library) -> datetime:
    """When the library last published, or its record last changed."""
    published = db.session.execute(select(DirectoryEntry.published_at).where(
        DirectoryEntry.library_id == library.id)).scalar_one_or_none()
    return max(filter(None, [library.updated_at, published]))


def answer(code: str, term: str, today: date, zone: str) -> dict:
    """A visitor's question about one format, answered from the published policy."""
    detail = entry_detail(code, today, zone)
    policy = detail["policy"]
    if policy is not None:  # R1: whether it takes part is the library record's to say
        borrowing = {**policy["reciprocal_borrowing"], "participates": detail["participates"]}
        policy = {**policy, "reciprocal_borrowing": borrowing}
    result = wording.answer_question(policy, term, detail["name"])
    result.update(code=detail["code"], name=detail["name"], reviewed_on=detail["reviewed_on"],
                  stale=detail["stale"], last_modified=detail["last_modified"])
    if detail["stale"]:
        result["conditions"].append("This policy was last reviewed more than 12 months ago: "
                                    "check with the library.")
    return result


def directory_last_modified(today: date, zone: str) -> datetime | None:
    """The latest publish, change to a member's record, or policy turning stale (R5)."""
    published = db.session.execute(select(func.max(DirectoryEntry.published_at))).scalar()
    changed = db.session.execute(select(func.max(Library.updated_at))).scalar()
    values = [value for value in (published, changed) if value is not None]
    if not values:
        return None
    # max() over a column skips the type's result processing on SQLite: read it back as UTC.
    instants = [UTCDateTime().process_result_value(value, db.engine.dialect)
                if isinstance(value, datetime) else _parse_instant(value) for value in values]
    # The most recently reviewed of the stale policies is the one that turned stale last.
    reviewed = db.session.execute(select(func.max(DirectoryEntry.reviewed_on)).where(
        DirectoryEntry.reviewed_on < rules.stale_cutoff(today))).scalar()
    if reviewed is not None:
        if not isinstance(reviewed, date):  # SQLite's max() of a date comes back as text
            reviewed = date.fromisoformat(str(reviewed))
        instants.append(stale_since(reviewed, today, zone))
    return max(instants)


def _parse_instant(value) -> datetime:
    """SQLite's max() of a timestamp column comes back as text."""
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def directory_size() -> list[int]:
    """How many libraries and versions there are: part of the CSV's validator."""
    return [db.session.execute(select(func.count()).select_from(Library)).scalar_one(),
            db.session.execute(select(func.count()).select_from(PolicyVersion)).scalar_one()]
