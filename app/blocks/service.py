"""Use cases for blocks (R8, R14, R16): request, honor or refuse, release, and deadlines.

Lock order. A bill settled by a payment, void or resolution locks the bill's row, then (as
it writes its events) the parties' event counters, then the blocks it releases
(`settle_for_bill`). Every use case here takes its locks in that same order, bills before
counters before the block, or two answers racing on PostgreSQL deadlock and one of them gets
a 500: so the events of a block change are written before the conditional UPDATE that makes
it (a lost race rolls them back with the rest), and a request or refusal locks the bills it
covers first.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.auth import Caller
from app.bills.models import OPEN_STATES, Bill
from app.blocks import rules
from app.blocks.models import OPEN, Block, block_bills
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.libraries.service import check_card_home, member_by_code
from app.pagination import paginate
from app.patrons.models import ReplacedCard
from app.patrons.rules import card_hmac, normalize_card
from app.patrons.service import patron_by_card
from app.timestamps import utcnow

Hook = Callable[[object], None] | None


@dataclass(frozen=True)
class BlockView:
    """A block as one viewer sees it: the block's own fields, and what only that viewer may see.

    R16: the home library's own reference for the patron is shown to the home library only.
    """

    block: Block
    card_last4: str | None
    external_ref: str | None
    overdue: bool

    def __getattr__(self, name):
        return getattr(self.block, name)


def shown_to(caller: Caller, block: Block, today: date) -> BlockView:
    """The block as `caller` (a party, or the federation office) may see it.

    R16: the office, party to no block, sees what it needs to run the federation (who asked
    whom, the state, the dates) and no patron data, not even the card's last four digits.
    """
    home = caller.library_id == block.home_library_id
    party = home or caller.library_id == block.requester_library_id
    return BlockView(block, card_last4=block.patron.card_last4 if party else None,
                     external_ref=block.patron.external_ref if home else None,
                     overdue=rules.is_overdue(block.status, block.response_due_on, today))


def request_block(caller: Caller, data: dict, key: bytes, today: date, due_days: int,
                  before_commit: Hook = None) -> BlockView:
    """A lending library asks the home library to block a patron or mark them delinquent."""
    requester_id = caller.library_id
    home = member_by_code(data["home_library"], field="home_library")
    if home.id == requester_id:
        raise RuleError("A library blocks its own patrons in its own system.",
                        code="own_patron", errors={"home_library": "This is your own library."})
    # R16: the caller's own bills are checked before anything about the card, and a card its
    # bills do not cover gets the same answer whether or not it is registered anywhere: a
    # member learns whether a card is registered only for a card it has billed.
    wanted = sorted(set(data["bill_ids"]))
    # Locked (PostgreSQL), so a payment settling one of them waits for this request and then
    # finds the block to release, or this request waits and finds the bill settled.
    bills = db.session.execute(select(Bill).where(
        Bill.id.in_(wanted), Bill.issuer_library_id == requester_id,
        Bill.home_library_id == home.id).order_by(Bill.id).with_for_update()).scalars().all()
    card = normalize_card(data["card_number"])
    digest = card_hmac(key, card)
    patron = patron_by_card(home.id, digest) if len(bills) == len(wanted) else None
    if patron is None:
        covered = {bill.id for bill in bills if bill.card_hmac == digest}
    else:
        # A bill sent before the home library registered the card names no patron, only the
        # card: it is still this patron's bill when it was sent to one of the patron's cards.
        cards = {patron.card_hmac, *db.session.execute(select(ReplacedCard.card_hmac).where(
            ReplacedCard.patron_id == patron.id)).scalars()}
        covered = {bill.id for bill in bills if bill.patron_id == patron.id
                   or (bill.patron_id is None and bill.card_hmac in cards)}
    unknown = [bill_id for bill_id in wanted if bill_id not in covered]
    if unknown:
        raise RuleError("A block covers only your own bills for this patron (R8).",
                        code="bill_not_covered",
                        errors={"bill_ids": f"Not your bill for this patron: "
                                            f"{', '.join(unknown)}."})
    if patron is None:
        # Every bill was sent to this very card: the caller is party to them (R16).
        raise RuleError("The home library has not registered this card, so it cannot be "
                        "blocked through the federation; contact the home library (R14).",
                        code="patron_not_registered",
                        errors={"card_number": "Not registered by the home library."})
    check_card_home(card, home, registered=True)  # R15
    settled = [bill.id for bill in bills if bill.status not in OPEN_STATES]
    if settled:
        raise _not_unpaid(settled)
    existing = _open_request(requester_id, patron.id, data["kind"])
    if existing is not None:
        raise _duplicate(existing)
    block = Block(id=new_id("blk"), requester_library_id=requester_id,
                  home_library_id=home.id, patron_id=patron.id, kind=data["kind"],
                  status="requested", note=data.get("note"),
                  response_due_on=rules.response_due(today, due_days), bills=bills)
    db.session.add(block)
    try:
        db.session.flush()
    except IntegrityError:
        # A concurrent request for the same patron and kind got there first.
        db.session.rollback()
        existing = _open_request(requester_id, patron.id, data["kind"])
        if existing is None:
            raise
        raise _duplicate(existing) from None
    # SQLite takes no row locks: only now, holding its write lock, is the bills' status final.
    settled = db.session.execute(select(Bill.id).where(
        Bill.id.in_(wanted), Bill.status.not_in(OPEN_STATES)).order_by(Bill.id)).scalars().all()
    if settled:
        db.session.rollback()
        raise _not_unpaid(settled)
    record([requester_id, home.id], "block.requested", {"block_id": block.id})
    view = shown_to(caller, block, today)
    if before_commit is not None:
        before_commit(view)
    db.session.commit()
    return view


def _not_unpaid(settled: list[str]) -> RuleError:
    """The 422 for bills already paid, resolved or voided."""
    return RuleError("A block is only for unpaid bills (R8).", code="bill_not_unpaid",
                     errors={"bill_ids": f"Already settled: {', '.join(settled)}."})


def _open_request(requester_id: int, patron_id: str, kind: str) -> Block | None:
    """The requester's open request of this kind for this patron, if any."""
    return db.session.execute(select(Block).where(
        Block.requester_library_id == requester_id, Block.patron_id == patron_id,
        Block.kind == kind, Block.status.in_(OPEN))).scalar_one_or_none()


def _duplicate(existing: Block) -> ConflictError:
    """The 409 pointing at the open request that already exists."""
    return ConflictError(f"You already have an open {existing.kind} request for this patron: "
                         f"{existing.id}.", code="block_exists", existing_block_id=existing.id)


def party_block(caller: Caller, block_id: str) -> Block:
    """A block the caller is party to (the federation office sees all); else 404 (R16)."""
    query = select(Block).where(Block.id == block_id)
    if not caller.is_admin:
        query = query.where(or_(Block.requester_library_id == caller.library_id,
                                Block.home_library_id == caller.library_id))
    block = db.session.execute(query).scalar_one_or_none()
    if block is None:
        raise NotFoundError("You have no block with this id.", code="block_not_found")
    return block


def show_block(caller: Caller, block_id: str, today: date) -> BlockView:
    """A block the caller is party to, as the caller may see it."""
    return shown_to(caller, party_block(caller, block_id), today)


def list_blocks(caller: Caller, today: date, *, as_=None, status=None, overdue=None,
                limit: int, cursor=None) -> dict:
    """A page of blocks: the caller's as requester or home (the office: all)."""
    query = select(Block)
    if caller.is_admin:
        pass
    elif as_ == "requester":
        query = query.where(Block.requester_library_id == caller.library_id)
    elif as_ == "home":
        query = query.where(Block.home_library_id == caller.library_id)
    else:
        query = query.where(or_(Block.requester_library_id == caller.library_id,
                                Block.home_library_id == caller.library_id))
    if status:
        query = query.where(Block.status == status)
    if overdue is not None:
        late = (Block.status == "requested") & (Block.response_due_on < today)
        query = query.where(late if overdue else ~late)
    page = paginate(query.options(*_WITH_EVERYTHING), Block.id, limit=limit, cursor=cursor)
    return {**page, "items": [shown_to(caller, block, today) for block in page["items"]]}


# What a block's answer shows, loaded with the page rather than block by block.
_WITH_EVERYTHING = (joinedload(Block.requester), joinedload(Block.home),
                    joinedload(Block.patron), selectinload(Block.bills))


def _act(caller: Caller, block_id: str, action: str, *, lock_bills: bool = False,
         **values) -> Block:
    """Take an action on a block if the caller may and the block's state allows it (no race).

    Locks in the module's order: the covered bills (when asked), the event counters, the block.
    """
    block = party_block(caller, block_id)
    side = rules.ACTORS[action]
    actor_id = block.home_library_id if side == "home" else block.requester_library_id
    if caller.library_id != actor_id:
        who = "the patron's home library" if side == "home" else "the library that asked"
        raise ForbiddenError(f"Only {who} can {action} this block (R8).",
                             code="not_your_block")
    target = rules.next_state(action, block.status)
    moved = False
    if target is not None:
        if lock_bills:
            db.session.execute(select(Bill.id).join(block_bills, block_bills.c.bill_id == Bill.id)
                               .where(block_bills.c.block_id == block.id)
                               .order_by(Bill.id).with_for_update(of=Bill))
        record([block.requester_library_id, block.home_library_id], f"block.{target}",
               {"block_id": block.id})
        moved = db.session.execute(
            update(Block).where(Block.id == block.id, Block.status == block.status)
            .values(status=target, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)).rowcount == 1
    if not moved:
        db.session.rollback()  # and the events written for the change that did not happen
        db.session.refresh(block)
        raise ConflictError(f"This block is {block.status}; it cannot be {action}ed now.",
                            code=f"block_{block.status}", status_now=block.status)
    return block


def _commit_and_reload(block: Block) -> Block:
    """Commit, then read the block back with everything its answer shows in one go (the
    block, both libraries and the patron in one SELECT, its bills in another) rather than
    one lazy load after another."""
    block_id = block.id  # read before the commit expires it
    db.session.commit()
    return db.session.execute(
        select(Block).where(Block.id == block_id).options(*_WITH_EVERYTHING)
        .execution_options(populate_existing=True)).unique().scalar_one()


def honor_block(caller: Caller, block_id: str, today: date) -> BlockView:
    """The home library honors the request: the patron is blocked or marked everywhere."""
    block = _act(caller, block_id, "honor", answered_at=utcnow())
    return shown_to(caller, _commit_and_reload(block), today)


def refuse_block(caller: Caller, block_id: str, reason: str, today: date) -> BlockView:
    """The home library refuses, and becomes liable for the covered bills still unpaid (R8)."""
    block = _act(caller, block_id, "refuse", lock_bills=True, answered_at=utcnow(),
                 refusal_reason=reason, closed_at=utcnow())
    # Only bills still unpaid: one paid, resolved or voided since the request needs no payer,
    # and saying its liability moved would send the home library a bill it does not owe.
    # The status condition is in the UPDATE, so a payment settling a bill meanwhile wins.
    moved = db.session.execute(
        update(Bill).where(Bill.id.in_([bill.id for bill in block.bills]),
                           Bill.status.in_(OPEN_STATES))
        .values(liable_party="home_library", updated_at=utcnow())
        .returning(Bill.id).execution_options(synchronize_session=False))
    bill_ids = sorted(moved.scalars().all())
    for bill_id in bill_ids:
        record([block.requester_library_id, block.home_library_id],
               "bill.liability_changed", {"bill_id": bill_id, "block_id": block.id})
    return shown_to(caller, _commit_and_reload(block), today)


def release_block(caller: Caller, block_id: str, today: date) -> BlockView:
    """The requester says the block is no longer needed (R8)."""
    block = _act(caller, block_id, "release", release_reason="requester", closed_at=utcnow())
    return shown_to(caller, _commit_and_reload(block), today)


def withdraw_block(caller: Caller, block_id: str, today: date) -> BlockView:
    """The requester withdraws a request the home library has not answered."""
    block = _act(caller, block_id, "withdraw", release_reason="requester", closed_at=utcnow())
    return shown_to(caller, _commit_and_reload(block), today)


def settle_for_bill(bill_id: str) -> None:
    """In the bill's transaction: release blocks whose every covered bill is now settled.

    Called when a bill becomes paid, resolved or void; the caller commits.
    """
    covered, other = block_bills.alias("covered"), aliased(Bill, name="other_bill")
    other_unsettled = exists().where(
        covered.c.block_id == Block.id, covered.c.bill_id == other.id,
        other.status.in_(OPEN_STATES))
    candidates = db.session.execute(
        select(Block).join(block_bills, block_bills.c.block_id == Block.id)
        .where(block_bills.c.bill_id == bill_id, Block.status.in_(OPEN), ~other_unsettled)
    ).scalars().all()
    # The target follows the state the block is in when the UPDATE takes its row, not the one
    # read above: an honor committed in between makes it a release rather than a lost update.
    target = case({state: rules.next_state(rules.settled_action(state), state)
                   for state in OPEN}, value=Block.status)
    for block in candidates:
        moved = db.session.execute(
            update(Block).where(Block.id == block.id, Block.status.in_(OPEN))
            .values(status=target, release_reason="bills_settled", closed_at=utcnow(),
                    updated_at=utcnow())
            .returning(Block.status).execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if moved is not None:
            record([block.requester_library_id, block.home_library_id], f"block.{moved}",
                   {"block_id": block.id, "reason": "bills_settled"})


def mark_overdue(today: date) -> int:
    """Write `block.response_overdue` once for each request unanswered past its due date.

    Safe to run at any time and any number of times: the conditional UPDATE marks each
    request once even when two runs overlap.
    """
    due = db.session.execute(select(Block.id, Block.requester_library_id,
                                    Block.home_library_id).where(
        Block.status == "requested", Block.response_due_on < today,
        Block.overdue_notified_at.is_(None)).order_by(Block.id)).all()
    marked = 0
    for block_id, requester_id, home_id in due:
        # Events first, as everywhere here (the module's lock order); rolled back if lost.
        record([requester_id, home_id], "block.response_overdue", {"block_id": block_id})
        won = db.session.execute(
            update(Block).where(Block.id == block_id, Block.status == "requested",
                                Block.overdue_notified_at.is_(None))
            .values(overdue_notified_at=utcnow()).execution_options(
                synchronize_session=False)).rowcount == 1
        if won:
            db.session.commit()
            marked += 1
        else:
            db.session.rollback()
    return marked
