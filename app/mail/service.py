"""The outbox of letters and mail: written in the transaction of the change that causes them.

`record` (app/events/service.py) notes each event here; just before that transaction commits,
every noted event that is written (rules.LETTER_EVENTS) becomes a letter (its words fixed
from the records as they are being committed) and an email to the addressed libraries' contact
addresses with a copy to the federation office. A rolled-back change leaves neither.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, has_app_context, render_template
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from app.auth import Caller
from app.bills.models import Bill
from app.blocks.models import Block
from app.disputes.models import DisputeMessage, LibraryDispute
from app.errors import NotFoundError, RuleError
from app.extensions import db
from app.ids import new_id
from app.libraries.models import Library, MembershipAction
from app.mail import rules
from app.mail.models import Letter, MailSetting, OutboundMail
from app.notices.models import Notice
from app.pagination import paginate
from app.suspensions.models import Suspension
from app.timestamps import today_in

log = logging.getLogger(__name__)

_PENDING = "reciprocity.mail_pending"


def note(type_: str, data: dict, library_ids: list[int]) -> None:
    """Remember an event of the current transaction that is written or mailed.

    `library_ids` are the event's libraries as `record` got them: the one acting first, the
    one that must act second (every capability records them in that order).
    """
    if type_ in rules.LETTER_EVENTS or type_ in rules.EVENT_KINDS:
        db.session.info.setdefault(_PENDING, []).append((type_, dict(data), library_ids))


@event.listens_for(Session, "before_commit")
def _write_letters(session):
    """Turn the transaction's noted events into letters and queued mail, in the same commit."""
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    session.flush()
    for type_, data, library_ids in pending:
        try:
            if type_ in rules.LETTER_EVENTS:
                _queue(session, type_, DRAFTS[type_](type_, data))
            else:
                _alert(session, type_, data, library_ids)
        except (_RecordGone, KeyError) as gone:  # no such record, or the event names none
            # Every use case records its event beside the record it names; an event whose
            # record is not in the transaction has nothing to write a letter about. The change
            # itself still commits: mail must never refuse it.
            log.warning("No letter or email for a %s event: %s", type_, gone)


@event.listens_for(Session, "after_rollback")
def _forget_letters(session):
    """A rolled-back change writes nothing."""
    session.info.pop(_PENDING, None)


@dataclass
class Draft:
    """What a letter says and to whom it goes, before it is stored."""

    title: str
    subject_type: str
    subject_id: str
    writer: Library | None  # None: the federation office writes
    reader: Library | None  # None: written to the federation office
    addressees: list[Library]  # whose staff receive it (the office always gets a copy)
    # The two libraries it concerns (None in one place: the office and one library).
    parties: tuple[Library | None, Library | None] | None = None
    sections: list[tuple[str, str]] = field(default_factory=list)
    to_do: str = ""  # what the reader must do, and by when


class _RecordGone(LookupError):
    """The record an event names is not in the database."""


def _fresh(model, id_):
    """A record as this transaction has it now (after its UPDATE statements)."""
    found = db.session.execute(select(model).where(model.id == id_)
                               .execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None:
        raise _RecordGone(f"no {model.__tablename__} row {id_}")
    return found


def _long_date(day: date) -> str:
    """A date as a letter writes it: December 2, 2026."""
    return f"{day:%B} {day.day}, {day.year}"


def _notice(type_: str, data: dict) -> Draft:
    notice = _fresh(Notice, data["notice_id"])
    policy = notice.policy + (f" (directory version {notice.policy_version})"
                              if notice.policy_version else "")
    return Draft(
        title=rules.LETTER_EVENTS[type_], subject_type="notice", subject_id=notice.id,
        writer=notice.sender, reader=notice.recipient, addressees=[notice.recipient],
        sections=[("What happened", notice.what_happened),
                  ("The policy not observed", policy),
                  ("What we ask", notice.asks)],
        to_do=(f"Acknowledge this notice or answer it in writing through Reciprocity "
               f"(notice {notice.id}). A suspension of service may follow a notice that is "
               f"not acted on (Plan VIII.1.d)."))


_SERVICES = {"reciprocal_borrowing": "reciprocal borrowing", "interlibrary_loan":
             "interlibrary loan", "both": "reciprocal borrowing and interlibrary loan"}


def _suspension(type_: str, data: dict) -> Draft:
    suspension = _fresh(Suspension, data["suspension_id"])
    suspending = db.session.get(Library, suspension.suspending_library_id)
    suspended = db.session.get(Library, suspension.suspended_library_id)
    services = _SERVICES.get(suspension.services, suspension.services.replace("_", " "))
    if suspension.measure == "restriction" and suspension.item_cap is not None:
        measure = (f"Restriction of {services}: at most {suspension.item_cap} item(s) at a time "
                   f"for your patrons")
    else:
        measure = f"Suspension of {services} for your patrons"
    terms = (f"{measure}, from {_long_date(suspension.starts_on)} through "
             f"{_long_date(suspension.ends_on)}.")
    if suspension.terms:
        terms += " " + suspension.terms
    sections = [("Terms", terms), ("Reason", suspension.reason)]
    if suspension.notices:
        sections.append(("Notices this follows", ", ".join(
            f"{n.id} of {_long_date(n.sent_on)}" for n in suspension.notices)))
    to_do = (f"Until {_long_date(suspension.ends_on)}, {suspending.name} will answer "
             f"verifications of your patrons' cards as the terms say. To end it sooner, do "
             f"what the notices ask; to contest it, open a dispute about suspension "
             f"{suspension.id} in Reciprocity (R13).")
    if type_ == "suspension.renewed":
        to_do = f"The suspension now ends on {_long_date(suspension.ends_on)}. " + to_do
    if type_ == "suspension.lifted":
        sections = [("Terms that applied", terms), ("Lifted on",
                                                   _long_date(suspension.lifted_on))]
        if suspension.lift_reason:
            sections.append(("Why", suspension.lift_reason))
        to_do = (f"Nothing: from {_long_date(suspension.lifted_on)} your patrons are served "
                 f"by {suspending.name} as before.")
    return Draft(title=rules.LETTER_EVENTS[type_], subject_type="suspension",
                 subject_id=suspension.id, writer=suspending, reader=suspended,
                 addressees=[suspended], sections=sections, to_do=to_do)


def _dispute(type_: str, data: dict) -> Draft:
    dispute = _fresh(LibraryDispute, data["dispute_id"])
    kind = {"dispute.escalated": "escalation", "dispute.office_answered": "office_answer",
            "dispute.decided": "decision"}[type_]
    message = db.session.execute(
        select(DisputeMessage).where(DisputeMessage.dispute_id == dispute.id,
                                     DisputeMessage.kind == kind)
        .order_by(DisputeMessage.number.desc()).limit(1)).scalar_one_or_none()
    words = message.body if message is not None else (dispute.decision or "")
    about = f"The dispute {dispute.id} about {dispute.subject_type} {dispute.subject_id}"
    parties = [dispute.opened_by, dispute.other]
    if type_ == "dispute.escalated":
        asking = dispute.escalated_by or dispute.opened_by
        other = dispute.other if asking.id == dispute.opened_by_library_id else dispute.opened_by
        return Draft(title=rules.LETTER_EVENTS[type_], subject_type="dispute",
                     subject_id=dispute.id, writer=asking, reader=None, addressees=[other],
                     parties=(asking, other),
                     sections=[("About", about), ("The request", words)],
                     to_do=(f"The federation office will answer both libraries in writing. "
                            f"{other.name} receives this copy (R13) and may write in the "
                            f"dispute meanwhile."))
    heading = "The office's answer" if type_ == "dispute.office_answered" else "Decision"
    to_do = ("Reply in the dispute in Reciprocity if the answer asks anything of you."
             if type_ == "dispute.office_answered" else
             "The dispute is closed with this decision. Act on it as it says.")
    return Draft(title=rules.LETTER_EVENTS[type_], subject_type="dispute",
                 subject_id=dispute.id, writer=None, reader=dispute.opened_by,
                 addressees=parties, parties=tuple(parties),
                 sections=[("About", about), (heading, words)],
                 to_do=to_do)


def _membership(type_: str, data: dict) -> Draft:
    action = _fresh(MembershipAction, data["membership_action_id"])
    library = action.library
    if action.action == "removed":
        what = (f"{library.name} is taken out of full membership of the federation and is "
                f"now an associate member. Until it is reinstated it takes no part in "
                f"reciprocal borrowing (R1): other libraries' verifications of its patrons' "
                f"cards answer that the home library does not take part, and it can neither "
                f"verify cards nor bill or ask for blocks through the federation.")
        to_do = action.requirements or "Contact the federation office about reinstatement."
    else:
        what = (f"{library.name} is reinstated to {library.membership} membership of the "
                f"federation" + (" and takes part in reciprocal borrowing again: its cards "
                                 "are honored and it may verify and bill as before."
                                 if library.reciprocal_borrowing else "."))
        to_do = action.requirements or "Nothing further."
    return Draft(title=rules.LETTER_EVENTS[type_], subject_type="membership",
                 subject_id=action.id, writer=None, reader=library, addressees=[library],
                 parties=(None, library),
                 sections=[("Action", what), ("Reason", action.reason)], to_do=to_do)


DRAFTS = {"notice.sent": _notice, "suspension.imposed": _suspension,
          "suspension.renewed": _suspension, "suspension.lifted": _suspension,
          "dispute.escalated": _dispute, "dispute.office_answered": _dispute,
          "dispute.decided": _dispute, "membership.removed": _membership,
          "membership.reinstated": _membership}


def _party(library: Library | None) -> dict:
    """A letter's name-and-address block: a library's from the registry, else the office's."""
    config = current_app.config
    if library is None:
        lines = [line for line in (config["FEDERATION_ADDRESS"] or "").split("\n") if line]
        return {"name": f"{config['FEDERATION_NAME']}, federation office", "lines": lines}
    place = ", ".join(part for part in (library.city, "IL " + library.zip if library.zip
                                        else None) if part)
    return {"name": library.name, "code": library.code,
            "lines": [line for line in (library.street, place) if line]}


def _queue(session, type_: str, draft: Draft) -> None:
    """Store the letter and queue its email to the addressees, with the office's copy."""
    config = current_app.config
    today = today_in(config["TIMEZONE"])
    first, second = draft.parties or (draft.writer, draft.reader)
    letter = Letter(kind=type_, subject_type=draft.subject_type, subject_id=draft.subject_id,
                    first_library_id=first.id if first else None,
                    second_library_id=second.id if second else None,
                    title=draft.title, html="")
    session.add(letter)
    session.flush()  # the running number
    letter.reference = rules.reference(today.year, letter.number)
    letter.html = render_template(
        "letters/letter.html", federation_name=config["FEDERATION_NAME"],
        federation_lines=[line for line in (config["FEDERATION_ADDRESS"] or "").split("\n")
                          if line],
        office_email=config["OFFICE_EMAIL"], reference=letter.reference,
        date=_long_date(today), title=draft.title, writer=_party(draft.writer),
        reader=_party(draft.reader),
        copies=[_party(library) for library in draft.addressees
                if draft.reader is None or library.id != draft.reader.id],
        sections=draft.sections, to_do=draft.to_do)
    to = rules.addresses([library.contact_email for library in draft.addressees
                          if _wants(library.id, rules.EVENT_KINDS.get(type_))])
    cc = rules.addresses([config["OFFICE_EMAIL"] or ""])
    if not to:  # nobody's address on file: the office's copy is the letter's only delivery
        to, cc = cc, []
    if not to:
        return  # kept for download; no address to send it to
    writer = _party(draft.writer)["name"]
    body = "\n\n".join([
        f"{draft.title} ({letter.reference}), from {writer}, dated {_long_date(today)}.",
        *[f"{heading}:\n{text}" for heading, text in draft.sections],
        f"What to do:\n{draft.to_do}",
        f"The letter is attached as a PDF. The libraries it concerns and the federation "
        f"office can also download it from Reciprocity: GET /api/v1/letters/{letter.reference}.",
    ])
    session.add(OutboundMail(id=new_id("mail"), kind=type_, to=", ".join(to),
                             cc=", ".join(cc) or None,
                             subject=f"[{letter.reference}] {draft.title}: {writer}",
                             body=body, letter=letter))


def _wants(library_id: int, kind: str | None) -> bool:
    """Whether a library takes this kind of email (a kind-less letter: always)."""
    if kind is None:
        return True
    chosen = db.session.execute(select(MailSetting.enabled).where(
        MailSetting.library_id == library_id, MailSetting.kind == kind)).scalar_one_or_none()
    return rules.wanted(kind, {} if chosen is None else {kind: chosen})


def _money(cents: int) -> str:
    """Dollars as a bill writes them."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def _alert_words(type_: str, data: dict, actor: Library, reader: Library) -> tuple[str, str]:
    """The subject and body of an email asking `reader` to act; never patron data (R16)."""
    timezone = current_app.config["TIMEZONE"]
    if type_ == "block.requested":
        block = _fresh(Block, data["block_id"])
        return (f"Block request from {actor.name}: answer by {_long_date(block.response_due_on)}",
                f"{actor.name} ({actor.code}) asks you to block one of your patrons for unpaid "
                f"bills (R8), block request {block.id}.\n\nWhat to do: honor or refuse it in "
                f"Reciprocity by {_long_date(block.response_due_on)}. Refusing makes your "
                f"library liable for the bills (R8). The patron's details are in the request, "
                f"not in this email.")
    if type_ == "bill.issued":
        bill = _fresh(Bill, data["bill_id"])
        return (f"Bill from {actor.name}: {_money(bill.amount_due_cents)}",
                f"{actor.name} ({actor.code}) billed your library {_money(bill.amount_due_cents)} "
                f"for items one of your patrons borrowed there (bill {bill.id}, sent "
                f"{_long_date(bill.sent_on)}).\n\nWhat to do: help collect it, record a payment "
                f"or dispute it in Reciprocity by {_long_date(bill.deadline)}.")
    if type_ == "dispute.message_posted":
        dispute = _fresh(LibraryDispute, data["dispute_id"])
        return (f"{actor.name} wrote in dispute {dispute.id}",
                f"{actor.name} ({actor.code}) wrote in the dispute {dispute.id} about "
                f"{dispute.subject_type} {dispute.subject_id}.\n\nWhat to do: read it and "
                f"answer in Reciprocity; either library may ask the federation office for help "
                f"(R13).")
    # Any other kind (an assistance request, say): the event's plain words and its ids.
    from app.events.types import EVENT_TYPES

    ids = ", ".join(f"{key} {value}" for key, value in sorted(data.items())
                    if key.endswith("_id"))
    return (f"{EVENT_TYPES[type_].rstrip('.')} ({actor.name})",
            f"{EVENT_TYPES[type_]} From {actor.name} ({actor.code}), "
            f"{_long_date(today_in(timezone))}{': ' + ids if ids else ''}.\n\nWhat to do: "
            f"open it in Reciprocity and answer it there.")


def _alert(session, type_: str, data: dict, library_ids: list[int]) -> None:
    """Queue the email telling the library that must act, when it takes this kind."""
    if len(library_ids) < 2:
        return
    actor_id, reader_id = library_ids[:2]
    if type_ == "dispute.message_posted":
        # Either party writes: the reader is the one that did not write the last message.
        author = db.session.execute(
            select(DisputeMessage.author_library_id)
            .where(DisputeMessage.dispute_id == data["dispute_id"])
            .order_by(DisputeMessage.number.desc()).limit(1)).scalar()
        if author == reader_id:
            actor_id, reader_id = reader_id, actor_id
    reader = db.session.get(Library, reader_id)
    if not reader.contact_email or not _wants(reader.id, rules.EVENT_KINDS[type_]):
        return
    # The acting library only for an email that is sent (most kinds are off by default).
    actor = db.session.get(Library, actor_id)
    subject, body = _alert_words(type_, data, actor, reader)
    session.add(OutboundMail(id=new_id("mail"), kind=type_, to=reader.contact_email,
                             subject=subject[:300], body=body))


def mail_settings(library_id: int) -> dict:
    """A library's choice for every kind of email (its own where set, else the default)."""
    chosen = dict(db.session.execute(select(MailSetting.kind, MailSetting.enabled).where(
        MailSetting.library_id == library_id)).all())
    return {kind: {"enabled": rules.wanted(kind, chosen), "default": default,
                   "letter": kind in rules.LETTER_KINDS, "description": description}
            for kind, (description, default) in rules.MAIL_KINDS.items()}


def change_mail_settings(library_id: int, changes: dict[str, bool]) -> dict:
    """Turn kinds of email on or off for a library; letters cannot be turned off (Plan VIII.1)."""
    refused = sorted(kind for kind, on in changes.items()
                     if kind in rules.LETTER_KINDS and not on)
    if refused:
        raise RuleError("Notices and suspensions are letters the Plan requires in writing "
                        "(VIII.1.b, VIII.1.d): they are always mailed.", code="letter_required",
                        errors=dict.fromkeys(refused, "Always mailed: a required letter."))
    for kind, on in changes.items():
        setting = db.session.get(MailSetting, (library_id, kind))
        if setting is None:
            db.session.add(MailSetting(library_id=library_id, kind=kind, enabled=on))
        else:
            setting.enabled = on
    db.session.commit()
    return mail_settings(library_id)


def queue_mail(*, kind: str, to: str, subject: str, body: str) -> None:
    """Queue one email in the current transaction (the caller commits)."""
    db.session.add(OutboundMail(id=new_id("mail"), kind=kind, to=to, subject=subject[:300],
                                body=body))


def letters_query(caller: Caller):
    """The letters the caller may read: those naming its library (the office: all)."""
    query = select(Letter).where(Letter.reference.is_not(None))
    if not caller.is_admin:
        query = query.where(or_(Letter.first_library_id == caller.library_id,
                                Letter.second_library_id == caller.library_id))
    return query


def list_letters(caller: Caller, *, limit: int, cursor: str | None) -> dict:
    """A page of the caller's letters, newest first."""
    return paginate(letters_query(caller), Letter.number, limit=limit, cursor=cursor,
                    descending=True, key_type=int)


def find_letter(caller: Caller, reference: str) -> Letter:
    """A letter the caller is party to, by reference; 404 otherwise (another's is not found)."""
    letter = db.session.execute(letters_query(caller).where(
        Letter.reference == reference)).scalar_one_or_none()
    if letter is None:
        raise NotFoundError("You have no letter with this reference.", code="letter_not_found")
    return letter


def letter_pdf(letter: Letter) -> bytes:
    """The letter's PDF: the stored one, or rendered now from its fixed words and kept."""
    if letter.pdf is None:
        from app.mail.pdf import render_pdf

        letter.pdf = render_pdf(letter.html)
        db.session.commit()
    return letter.pdf
