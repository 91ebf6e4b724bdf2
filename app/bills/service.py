"""Use cases for bills: issue, pay, void, dispute, settle (R6, R7, R9, R10, R13, R16).

Every transition is a conditional UPDATE on the bill's status (and, for payments, on its
balance), so two requests racing cannot both succeed, on PostgreSQL or on SQLite, without
holding locks across a request. Each use case writes its events in the same transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.bills import rules
from app.bills.models import OPEN_STATES, Bill, BillItem, Payment, Resolution
from app.blocks.service import settle_for_bill
from app.directory.service import processing_fee_cap
from app.disputes.models import DisputeMessage, LibraryDispute
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.libraries.models import Library
from app.libraries.service import check_card_home, member_by_code
from app.pagination import paginate
from app.patrons.rules import card_hmac, last4, normalize_card
from app.patrons.service import patron_by_card
from app.timestamps import utcnow
from app.transaction import commit_and_refresh, commit_keeping

Hook = Callable[[object], None] | None


def _commit(result, before_commit: Hook, keep: tuple = ()):
    """Run the idempotency hook, if any, and commit once (keeping `keep` loaded, when given:
    rows just inserted, which the answer shows as they are)."""
    if before_commit is not None:
        before_commit(result)
    if keep:
        commit_keeping(*keep)
    else:
        db.session.commit()
    return result


@dataclass(frozen=True)
class BillView:
    """A bill as one party sees it: the bill's own fields, and what only that party may see.

    R16: the home library's own patron id is shown to the home library only.
    """

    bill: Bill
    patron_id: str | None

    def __getattr__(self, name):
        return getattr(self.bill, name)


def shown_to(library_id: int, bill: Bill) -> BillView:
    """The bill as the library `library_id` (one of its parties) may see it."""
    return BillView(bill, bill.patron_id if library_id == bill.home_library_id else None)


def issue_bill(issuer_id: int, data: dict, key: bytes, today: date,
               before_commit: Hook = None) -> BillView:
    """A lending library bills a home library for its patron's lost or damaged items."""
    home = member_by_code(data["home_library"], field="home_library")
    if home.id == issuer_id:
        raise RuleError("A library does not bill itself for its own patron.", code="own_patron",
                        errors={"home_library": "This is your own library."})
    check = rules.check_deadline(data["infraction_date"], today)
    if not check.allowed:
        if check.code == "infraction_in_future":
            raise RuleError(f"The infraction date {data['infraction_date']} is after today "
                            f"({today}).", code="infraction_in_future",
                            errors={"infraction_date": "Must not be in the future."})
        raise RuleError(
            f"A bill must be sent within one year of the infraction (R9): the deadline for "
            f"an infraction on {data['infraction_date']} was {check.deadline}.",
            code="bill_past_deadline", deadline=check.deadline.isoformat(),
            errors={"infraction_date": f"The deadline was {check.deadline}."})
    problems = {}
    for index, item in enumerate(data["items"]):
        for name, message in rules.item_problems(item).items():
            problems[f"items.{index}.{name}"] = message
    if problems:
        raise RuleError("An item's replacement cost does not follow R10.",
                        code="invalid_replacement_cost", errors=problems)
    _check_published_fee(issuer_id, data["items"])
    card = normalize_card(data["card_number"])
    digest = card_hmac(key, card)
    items = [BillItem(position=index, amount_cents=rules.item_amount(item),
                      **{name: item.get(name) for name in (
                          "title", "barcode", "format", "kind", "in_print", "list_price_cents",
                          "equivalent_title", "processing_fee_cents")})
             for index, item in enumerate(data["items"])]
    patron = patron_by_card(home.id, digest)
    check_card_home(card, home, registered=patron is not None)
    bill = Bill(id=new_id("bil"), issuer_library_id=issuer_id, home_library_id=home.id,
                card_hmac=digest, card_last4=last4(card), patron_id=patron.id if patron else None,
                infraction_date=data["infraction_date"], sent_on=today,
                deadline=check.deadline, status="open",
                amount_due_cents=sum(item.amount_cents for item in items), amount_paid_cents=0,
                liable_party="patron", note=data.get("note"), items=items)
    db.session.add(bill)
    db.session.flush()
    # A bill inserted in this transaction has no payments, disputes or resolutions yet: known
    # without asking, so the answer does not load three empty lists.
    for name in ("payments", "disputes", "resolutions"):
        set_committed_value(bill, name, [])
    record([issuer_id, home.id], "bill.issued", {"bill_id": bill.id})
    return _commit(shown_to(issuer_id, bill), before_commit, keep=(bill, *bill.items, home))


def _check_published_fee(issuer_id: int, items: list[dict]) -> None:
    """A lending library's bill may not charge more than the processing fee it published (R5)."""
    cap = processing_fee_cap(issuer_id)
    above = rules.fees_above_published(items, cap)
    if above:
        raise RuleError((f"A processing fee is above the {cap} cents you published in the "
                         if cap else "A processing fee is charged although you published none in "
                         ) + "the directory's interlibrary loan policy (R5).",
                        code="processing_fee_above_published", errors=above,
                        published_fee_cents=cap)


# Everything a bill's answer shows, loaded with the bills: a page of 50 bills costs a fixed
# handful of statements rather than several per bill.
_WITH_EVERYTHING = (
    joinedload(Bill.issuer), joinedload(Bill.home), selectinload(Bill.items),
    selectinload(Bill.payments).joinedload(Payment.recorded_by),
    selectinload(Bill.disputes).selectinload(LibraryDispute.messages),
    selectinload(Bill.resolutions).joinedload(Resolution.proposed_by),
)


def party_bill(library_id: int, bill_id: str) -> Bill:
    """A bill the caller is party to; any other bill is simply not found (R16)."""
    bill = db.session.execute(select(Bill).where(
        Bill.id == bill_id,
        or_(Bill.issuer_library_id == library_id, Bill.home_library_id == library_id))
    ).scalar_one_or_none()
    if bill is None:
        raise NotFoundError("You have no bill with this id.", code="bill_not_found")
    return bill


def show_bill(library_id: int, bill_id: str) -> BillView:
    """A bill the caller is party to, as the caller may see it."""
    return shown_to(library_id, party_bill(library_id, bill_id))


def list_bills(library_id: int, *, as_: str | None = None, status: str | None = None,
               limit: int, cursor=None) -> dict:
    """A page of the bills the caller issued (`issuer`), received (`home`), or both."""
    query = select(Bill).options(*_WITH_EVERYTHING)
    if as_ == "issuer":
        query = query.where(Bill.issuer_library_id == library_id)
    elif as_ == "home":
        query = query.where(Bill.home_library_id == library_id)
    else:
        query = query.where(or_(Bill.issuer_library_id == library_id,
                                Bill.home_library_id == library_id))
    if status:
        query = query.where(Bill.status == status)
    page = paginate(query, Bill.id, limit=limit, cursor=cursor)
    return {**page, "items": [shown_to(library_id, bill) for bill in page["items"]]}


# Who is refused each action, and what they are told (the table is rules.ACTORS).
_NOT_YOURS = {
    "issuer": ("only_issuer", {
        "void": "Only the library that issued a bill can void it.",
        "answer": "Only the library that issued a bill answers its dispute.",
        "confirm_payment": "Only the library that issued a bill confirms or declines a "
                           "payment the home library reported (R8)."}),
    "home": ("only_home_library", {
        "dispute": "Only the home library can dispute a bill.",
        "withdraw_dispute": "Only the home library can withdraw its dispute."}),
}


def _check_actor(bill: Bill, library_id: int, action: str) -> None:
    """Refuse (403) a party the bill's rules do not let take this action."""
    side = "issuer" if library_id == bill.issuer_library_id else "home"
    if not rules.may_act(action, side):
        code, messages = _NOT_YOURS[rules.ACTORS[action]]
        raise ForbiddenError(messages[action], code=code)


def _transition(bill: Bill, action: str, **values) -> bool:
    """Take a state-changing action if the bill is still in a state allowing it (no race)."""
    states = rules.from_states(action)
    (target,) = {rules.next_state(action, state) for state in states}
    result = db.session.execute(
        update(Bill).where(Bill.id == bill.id, Bill.status.in_(states))
        .values(status=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _state_conflict(bill: Bill, action: str) -> ConflictError:
    """The 409 for acting on a bill in the wrong state (re-read: a racer may have moved it)."""
    db.session.rollback()
    db.session.refresh(bill)
    return ConflictError(f"This bill is {bill.status}; it cannot be {action}.",
                         code=f"bill_{bill.status}", status_now=bill.status)


def _parties(bill: Bill) -> list[int]:
    """Both libraries party to a bill."""
    return [bill.issuer_library_id, bill.home_library_id]


def record_payment(library_id: int, bill_id: str, data: dict, today: date,
                   before_commit: Hook = None) -> Payment:
    """Either party records a payment, never more than the balance (R6, R7, R8).

    The lending library records money it received: confirmed at once. The home library
    reports money it says it collected: it counts toward the bill only when the lender
    confirms receipt, so the home library cannot settle a bill (and release its blocks) by
    saying so.
    """
    bill = party_bill(library_id, bill_id)
    _check_actor(bill, library_id, "record_payment")
    amount = data["amount_cents"]
    confirmed = library_id == bill.issuer_library_id
    column = "amount_paid_cents" if confirmed else "amount_reported_cents"
    # One statement checks the state and the balance and adds the payment: a second payment
    # racing for the last dollar finds the balance already taken. Reported money holds its
    # share of the balance until it is confirmed or declined.
    paid = db.session.execute(
        update(Bill).where(Bill.id == bill.id,
                           Bill.status.in_(rules.from_states("record_payment")),
                           Bill.amount_paid_cents + Bill.amount_reported_cents + amount
                           <= Bill.amount_due_cents)
        .values({column: getattr(Bill, column) + amount, "updated_at": utcnow()})
        .execution_options(synchronize_session=False))
    if paid.rowcount != 1:
        db.session.rollback()
        db.session.refresh(bill)
        if bill.status not in OPEN_STATES:
            raise ConflictError(f"This bill is {bill.status}; it takes no more payments.",
                                code=f"bill_{bill.status}", status_now=bill.status)
        open_cents = bill.balance_cents - bill.amount_reported_cents
        raise ConflictError(f"The payment of {amount} cents is more than the {open_cents} "
                            "cents neither received nor reported.", code="overpayment",
                            balance_cents=bill.balance_cents,
                            reported_cents=bill.amount_reported_cents)
    payment = Payment(id=new_id("pay"), bill_id=bill.id, amount_cents=amount,
                      paid_by=data["paid_by"], reference=data.get("reference"),
                      recorded_by_library_id=library_id, paid_on=today,
                      status="confirmed" if confirmed else "reported",
                      confirmed_on=today if confirmed else None, declined_on=None,
                      decline_reason=None)
    db.session.add(payment)
    db.session.flush()
    record(_parties(bill), "bill.payment_recorded", {"bill_id": bill.id,
                                                     "payment_id": payment.id})
    if confirmed:
        _settle_if_paid(bill, today)
    return _commit(payment, before_commit, keep=(payment,))


def _settle_if_paid(bill: Bill, today: date) -> None:
    """When confirmed money covers the amount due: the bill is paid and its blocks go (R8)."""
    paid_in_full = db.session.execute(
        update(Bill).where(Bill.id == bill.id, Bill.status.in_(rules.from_states("settle")),
                           Bill.amount_paid_cents == Bill.amount_due_cents)
        .values(status=rules.next_state("settle", "open"), closed_on=today)
        .execution_options(synchronize_session=False))
    if paid_in_full.rowcount == 1:
        _close_disputes(bill, "settled")
        record(_parties(bill), "bill.paid", {"bill_id": bill.id})
        settle_for_bill(bill.id)


def _reported_payment(bill: Bill, payment_id: str) -> Payment:
    """A payment on this bill, or 404."""
    payment = db.session.execute(select(Payment).where(
        Payment.id == payment_id, Payment.bill_id == bill.id)).scalar_one_or_none()
    if payment is None:
        raise NotFoundError("This bill has no such payment.", code="payment_not_found")
    return payment


def _answer_report(library_id: int, bill_id: str, payment_id: str, action: str,
                   **values) -> tuple[Bill, Payment]:
    """Move a reported payment to confirmed or declined, once (no race), for the issuer."""
    bill = party_bill(library_id, bill_id)
    _check_actor(bill, library_id, "confirm_payment")
    payment = _reported_payment(bill, payment_id)
    moved = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == "reported")
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1
    if not moved:
        db.session.rollback()
        db.session.refresh(payment)
        raise ConflictError(f"This payment is {payment.status}; only a reported payment is "
                            f"{action}.", code=f"payment_{payment.status}",
                            status_now=payment.status)
    confirm = values["status"] == "confirmed"
    moved = db.session.execute(
        update(Bill).where(Bill.id == bill.id,
                           Bill.status.in_(rules.from_states("confirm_payment")))
        .values(amount_reported_cents=Bill.amount_reported_cents - payment.amount_cents,
                amount_paid_cents=Bill.amount_paid_cents + (payment.amount_cents
                                                            if confirm else 0),
                updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    if not moved:
        raise _state_conflict(bill, action)
    return bill, payment


def confirm_payment(library_id: int, bill_id: str, payment_id: str, today: date) -> BillView:
    """The lending library confirms it received a payment the home library reported (R8)."""
    bill, payment = _answer_report(library_id, bill_id, payment_id, "confirmed",
                                   status="confirmed", confirmed_on=today)
    record(_parties(bill), "bill.payment_confirmed", {"bill_id": bill.id,
                                                      "payment_id": payment.id})
    _settle_if_paid(bill, today)
    return shown_to(library_id, commit_and_refresh(bill))


def decline_payment(library_id: int, bill_id: str, payment_id: str, reason: str,
                    today: date) -> BillView:
    """The lending library says it never received a reported payment; the balance stands."""
    bill, payment = _answer_report(library_id, bill_id, payment_id, "declined",
                                   status="declined", declined_on=today, decline_reason=reason)
    record(_parties(bill), "bill.payment_declined", {"bill_id": bill.id,
                                                     "payment_id": payment.id})
    return shown_to(library_id, commit_and_refresh(bill))


def _close_disputes(bill: Bill, because: str) -> None:
    """Close any open dispute of a bill that is settled or withdrawn (R13: one dispute
    record, app/disputes, whichever route opened it)."""
    db.session.execute(update(LibraryDispute).where(
        LibraryDispute.subject_type == "bill", LibraryDispute.subject_id == bill.id,
        LibraryDispute.status != "closed")
        .values(status="closed", outcome=because, closed_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False))


def void_bill(library_id: int, bill_id: str, reason: str, today: date) -> BillView:
    """The issuer withdraws its bill, saying why."""
    bill = party_bill(library_id, bill_id)
    _check_actor(bill, library_id, "void")
    if not _transition(bill, "void", void_reason=reason, closed_on=today):
        raise _state_conflict(bill, "voided")
    _close_disputes(bill, "settled")
    record(_parties(bill), "bill.voided", {"bill_id": bill.id})
    settle_for_bill(bill.id)
    return shown_to(library_id, commit_and_refresh(bill))


def dispute_bill(library_id: int, bill_id: str, reason: str) -> BillView:
    """The home library disputes a bill (R13: the libraries work it out first).

    The dispute is a general one about the bill (app/disputes): either library may write in
    it, escalate it to the federation office, and the office may decide it.
    """
    bill = party_bill(library_id, bill_id)
    _check_actor(bill, library_id, "dispute")
    if not _transition(bill, "dispute"):
        raise _state_conflict(bill, "disputed")
    dispute = LibraryDispute(id=new_id("dis"), subject_type="bill", subject_id=bill.id,
                             opened_by_library_id=library_id,
                             other_library_id=bill.issuer_library_id, status="open")
    dispute.messages.append(DisputeMessage(id=new_id("dim"), author_library_id=library_id,
                                           kind="opening", body=reason))
    db.session.add(dispute)
    db.session.flush()
    record(_parties(bill), "bill.disputed", {"bill_id": bill.id, "dispute_id": dispute.id})
    return shown_to(library_id, commit_and_refresh(bill))


def _open_dispute(bill: Bill, opened_by: int | None = None) -> LibraryDispute | None:
    """The bill's dispute still open (the one `opened_by` opened, when given), if any."""
    query = select(LibraryDispute).where(
        LibraryDispute.subject_type == "bill", LibraryDispute.subject_id == bill.id,
        LibraryDispute.status != "closed")
    if opened_by is not None:
        query = query.where(LibraryDispute.opened_by_library_id == opened_by)
    return db.session.execute(query).unique().scalar_one_or_none()


def answer_dispute(library_id: int, bill_id: str, answer: str) -> BillView:
    """The issuer answers the home library's dispute; the bill stays disputed."""
    bill = party_bill(library_id, bill_id)
    _check_actor(bill, library_id, "answer")
    dispute = _open_dispute(bill, opened_by=bill.home_library_id)
    if rules.next_state("answer", bill.status) is None or dispute is None:
        raise ConflictError("This bill has no open dispute to answer.", code="no_open_dispute")
    db.session.add(DisputeMessage(id=new_id("dim"), dispute_id=dispute.id,
                                  author_library_id=library_id, kind="message", body=answer))
    dispute.updated_at = utcnow()
    record(_parties(bill), "bill.dispute_answered", {"bill_id": bill.id,
                                                     "dispute_id": dispute.id})
    return shown_to(library_id, commit_and_refresh(bill))


def withdraw_dispute(library_id: int, bill_id: str) -> BillView:
    """The home library withdraws its dispute; the bill is open again."""
    bill = party_bill(library_id, bill_id)
    _check_actor(bill, library_id, "withdraw_dispute")
    dispute = _open_dispute(bill, opened_by=library_id)
    if dispute is None or not _transition(bill, "withdraw_dispute"):
        db.session.rollback()
        raise ConflictError("This bill has no open dispute to withdraw.",
                            code="no_open_dispute")
    _close_disputes(bill, "withdrawn")
    db.session.add(DisputeMessage(id=new_id("dim"), dispute_id=dispute.id,
                                  author_library_id=library_id, kind="withdrawal",
                                  body="Withdrawn."))
    if dispute.status == "escalated":
        # The office was asked for help (R13): it is told the dispute is over, as through
        # /disputes/{id}/withdraw.
        record(_parties(bill), "dispute.withdrawn", {
            "dispute_id": dispute.id, "subject_type": "bill", "subject_id": bill.id},
            office=True)
    record(_parties(bill), "bill.dispute_withdrawn", {"bill_id": bill.id})
    return shown_to(library_id, commit_and_refresh(bill))


def reopen_after_dispute(bill_id: str, *, withdrawn: bool) -> None:
    """In a general dispute's transaction: its bill, disputed, is open again once the dispute
    is withdrawn or decided (R13); the caller commits."""
    bill = db.session.execute(select(Bill).where(Bill.id == bill_id)).scalar_one()
    moved = db.session.execute(
        update(Bill).where(Bill.id == bill_id, Bill.status == "disputed")
        .values(status="open", updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    if moved and withdrawn:
        record(_parties(bill), "bill.dispute_withdrawn", {"bill_id": bill.id})


def mark_disputed(bill_id: str, dispute_id: str) -> None:
    """In a general dispute's transaction: an open bill it is about becomes disputed (R13:
    either party may dispute a bill); the caller commits."""
    bill = db.session.execute(select(Bill).where(Bill.id == bill_id)).scalar_one()
    moved = db.session.execute(
        update(Bill).where(Bill.id == bill_id, Bill.status == "open")
        .values(status="disputed", updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    if moved:
        record(_parties(bill), "bill.disputed", {"bill_id": bill.id, "dispute_id": dispute_id})


def propose_resolution(library_id: int, bill_id: str, data: dict,
                       before_commit: Hook = None) -> Resolution:
    """Either party proposes alternate terms (R6); an earlier open proposal is superseded."""
    bill = party_bill(library_id, bill_id)
    _check_actor(bill, library_id, "propose")
    if rules.next_state("propose", bill.status) is None:
        raise ConflictError(f"This bill is {bill.status}; there is nothing left to settle.",
                            code=f"bill_{bill.status}", status_now=bill.status)
    db.session.execute(update(Resolution).where(Resolution.bill_id == bill.id,
                                                Resolution.status == "proposed")
                       .values(status="superseded").execution_options(
                           synchronize_session=False))
    proposal = Resolution(id=new_id("res"), bill_id=bill.id, proposed_by_library_id=library_id,
                          terms=data["terms"], detail=data["detail"], status="proposed")
    db.session.add(proposal)
    db.session.flush()
    record(_parties(bill), "bill.resolution_proposed", {"bill_id": bill.id,
                                                        "resolution_id": proposal.id})
    return _commit(proposal, before_commit)


def accept_resolution(library_id: int, bill_id: str, resolution_id: str,
                      today: date) -> BillView:
    """The other party accepts the proposal; only then is the bill resolved (R6)."""
    bill = party_bill(library_id, bill_id)
    _check_actor(bill, library_id, "resolve")
    proposal = db.session.execute(select(Resolution).where(
        Resolution.id == resolution_id, Resolution.bill_id == bill.id)).scalar_one_or_none()
    if proposal is None:
        raise NotFoundError("This bill has no such proposal.", code="resolution_not_found")
    if proposal.proposed_by_library_id == library_id:
        raise ForbiddenError("The other party must accept a proposal: both must agree (R6).",
                             code="only_other_party")
    if proposal.status != "proposed":
        raise ConflictError(f"This proposal is {proposal.status}.",
                            code=f"resolution_{proposal.status}")
    accepted = db.session.execute(
        update(Resolution).where(Resolution.id == proposal.id,
                                 Resolution.status == "proposed")
        .values(status="accepted", accepted_at=utcnow())
        .execution_options(synchronize_session=False))
    if accepted.rowcount != 1 or not _transition(bill, "resolve", closed_on=today):
        raise _state_conflict(bill, "resolved")
    _close_disputes(bill, "settled")
    record(_parties(bill), "bill.resolved", {"bill_id": bill.id,
                                             "resolution_id": proposal.id})
    settle_for_bill(bill.id)
    return shown_to(library_id, commit_and_refresh(bill))


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a calendar quarter."""
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def statement(library_id: int, year: int, quarter: int) -> dict:
    """A quarter's statement: per counterparty, what the caller billed, was paid, is owed, owes.

    Balances are as at the quarter's last day: bills sent by then, less money the lender had
    confirmed receiving by then (R8), leaving out bills voided or settled by alternate
    resolution by then. Money the home library had reported but the lender had not yet
    confirmed is shown beside it, and does not reduce the balance.
    """
    start, end = quarter_bounds(year, quarter)
    me = library_id
    rows: dict[int, dict] = {}

    def row(other: int) -> dict:
        return rows.setdefault(other, {
            "billed_by_you_cents": 0, "billed_to_you_cents": 0, "received_cents": 0,
            "paid_cents": 0, "owed_to_you_cents": 0, "you_owe_cents": 0,
            "you_owe_as_liable_cents": 0, "reported_to_you_cents": 0,
            "reported_by_you_cents": 0})

    bills = db.session.execute(
        select(Bill.id, Bill.issuer_library_id, Bill.home_library_id, Bill.amount_due_cents,
               Bill.sent_on, Bill.status, Bill.closed_on, Bill.liable_party)
        .where(or_(Bill.issuer_library_id == me, Bill.home_library_id == me),
               Bill.sent_on <= end)).all()
    mine_or_theirs = or_(Bill.issuer_library_id == me, Bill.home_library_id == me)

    def sums(*conditions) -> dict[str, int]:
        return dict(db.session.execute(
            select(Payment.bill_id, db.func.sum(Payment.amount_cents)).join(Bill)
            .where(mine_or_theirs, *conditions).group_by(Payment.bill_id)).all())

    confirmed_by_end = Payment.confirmed_on.is_not(None) & (Payment.confirmed_on <= end)
    paid_by_end = sums(confirmed_by_end)
    paid_in_quarter = sums(confirmed_by_end, Payment.confirmed_on >= start)
    # Reported by the quarter's end, and by then neither confirmed nor declined.
    reported_at_end = sums(
        Payment.paid_on <= end, ~confirmed_by_end,
        or_(Payment.declined_on.is_(None), Payment.declined_on > end))
    for bill in bills:
        mine = bill.issuer_library_id == me
        entry = row(bill.home_library_id if mine else bill.issuer_library_id)
        if bill.sent_on >= start:
            entry["billed_by_you_cents" if mine else "billed_to_you_cents"] += \
                bill.amount_due_cents
        entry["received_cents" if mine else "paid_cents"] += paid_in_quarter.get(bill.id, 0)
        settled_otherwise = bill.status in ("void", "resolved") and bill.closed_on <= end
        if settled_otherwise:
            continue
        entry["reported_to_you_cents" if mine else "reported_by_you_cents"] += \
            reported_at_end.get(bill.id, 0)
        balance = bill.amount_due_cents - (paid_by_end.get(bill.id) or 0)
        if mine:
            entry["owed_to_you_cents"] += balance
        else:
            entry["you_owe_cents"] += balance
            if bill.liable_party == "home_library":
                entry["you_owe_as_liable_cents"] += balance
    names = {r.id: (r.code, r.name) for r in db.session.execute(
        select(Library.id, Library.code, Library.name).where(Library.id.in_(list(rows))))}
    out = []
    for other, entry in sorted(rows.items(), key=lambda item: names[item[0]][0]):
        entry["net_cents"] = entry["owed_to_you_cents"] - entry["you_owe_cents"]
        out.append({"library": names[other][0], "name": names[other][1], **entry})
    code = db.session.execute(select(Library.code).where(Library.id == me)).scalar_one()
    return {"library": code, "period": f"{year}-Q{quarter}", "starts_on": start,
            "ends_on": end, "rows": out}
