"""Use cases for blocks (R8, R14, R16): request, honor or refuse, release, and deadlines."""

from collections.abc import Callable
from datetime import date

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.auth import Caller
from app.bills.models import OPEN_STATES, Bill
from app.blocks import rules
from app.blocks.models import OPEN, Block, block_bills
from app.errors import ConflictError, ForbiddenError, NotFoundError, RuleError
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.libraries.models import Library
from app.pagination import paginate
from app.patrons.models import Patron, ReplacedCard
from app.patrons.rules import card_hmac, normalize_card
from app.timestamps import utcnow

Hook = Callable[[object], None] | None


def _patron(home_id: int, digest: bytes) -> Patron | None:
    """The home library's patron holding, or having held, this card."""
    patron = db.session.execute(select(Patron).where(
        Patron.library_id == home_id, Patron.card_hmac == digest)).scalar_one_or_none()
    if patron is None:
        patron_id = db.session.execute(select(ReplacedCard.patron_id).where(
            ReplacedCard.library_id == home_id, ReplacedCard.card_hmac == digest)).scalar()
        patron = db.session.get(Patron, patron_id) if patron_id else None
    return patron


def request_block(requester_id: int, data: dict, key: bytes, today: date, due_days: int,
                  before_commit: Hook = None) -> Block:
    """A lending library asks the home library to block a patron or mark them delinquent."""
    home = db.session.execute(select(Library).where(Library.code == data["home_library"])
                              ).scalar_one_or_none()
    if home is None:
        raise RuleError(f"No member library has the code {data['home_library']}.",
                        code="unknown_home_library",
                        errors={"home_library": "Not a member library's code."})
    if home.id == requester_id:
        raise RuleError("A library blocks its own patrons in its own system.",
                        code="own_patron", errors={"home_library": "This is your own library."})
    patron = _patron(home.id, card_hmac(key, normalize_card(data["card_number"])))
    if patron is None:
        raise RuleError("The home library has not registered this card, so it cannot be "
                        "blocked through the federation; contact the home library (R14).",
                        code="patron_not_registered",
                        errors={"card_number": "Not registered by the home library."})
    wanted = sorted(set(data["bill_ids"]))
    bills = db.session.execute(select(Bill).where(
        Bill.id.in_(wanted), Bill.issuer_library_id == requester_id,
        Bill.home_library_id == home.id, Bill.patron_id == patron.id)).scalars().all()
    found = {bill.id: bill for bill in bills}
    unknown = [bill_id for bill_id in wanted if bill_id not in found]
    if unknown:
        raise RuleError("A block covers only your own bills for this patron (R8).",
                        code="bill_not_covered",
                        errors={"bill_ids": f"Not your bill for this patron: "
                                            f"{', '.join(unknown)}."})
    settled = [bill.id for bill in bills if bill.status not in OPEN_STATES]
    if settled:
        raise RuleError("A block is only for unpaid bills (R8).", code="bill_not_unpaid",
                        errors={"bill_ids": f"Already settled: {', '.join(settled)}."})
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
    record([requester_id, home.id], "block.requested", {"block_id": block.id})
    if before_commit is not None:
        before_commit(block)
    db.session.commit()
    return block


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


def list_blocks(caller: Caller, today: date, *, as_=None, status=None, overdue=None,
                limit=None, cursor=None) -> dict:
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
    return paginate(query, Block.id, limit=limit, cursor=cursor)


def _act(caller: Caller, block_id: str, action: str, **values) -> Block:
    """Take an action on a block if the caller may and the block's state allows it (no race)."""
    block = party_block(caller, block_id)
    side = rules.ACTORS[action]
    actor_id = block.home_library_id if side == "home" else block.requester_library_id
    if caller.library_id != actor_id:
        who = "the patron's home library" if side == "home" else "the library that asked"
        raise ForbiddenError(f"Only {who} can {action} this block (R8).",
                             code="not_your_block")
    target = rules.next_state(action, block.status)
    moved = target is not None and db.session.execute(
        update(Block).where(Block.id == block.id, Block.status == block.status)
        .values(status=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not moved:
        db.session.rollback()
        db.session.refresh(block)
        raise ConflictError(f"This block is {block.status}; it cannot be {action}ed now.",
                            code=f"block_{block.status}", status_now=block.status)
    record([block.requester_library_id, block.home_library_id], f"block.{target}",
           {"block_id": block.id})
    return block


def honor_block(caller: Caller, block_id: str) -> Block:
    """The home library honors the request: the patron is blocked or marked everywhere."""
    block = _act(caller, block_id, "honor", answered_at=utcnow())
    db.session.commit()
    db.session.refresh(block)
    return block


def refuse_block(caller: Caller, block_id: str, reason: str) -> Block:
    """The home library refuses, and becomes liable for every bill the request covers (R8)."""
    block = _act(caller, block_id, "refuse", answered_at=utcnow(), refusal_reason=reason,
                 closed_at=utcnow())
    bill_ids = [bill.id for bill in block.bills]
    db.session.execute(update(Bill).where(Bill.id.in_(bill_ids))
                       .values(liable_party="home_library", updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    for bill_id in bill_ids:
        record([block.requester_library_id, block.home_library_id],
               "bill.liability_changed", {"bill_id": bill_id, "block_id": block.id})
    db.session.commit()
    db.session.refresh(block)
    return block


def release_block(caller: Caller, block_id: str) -> Block:
    """The requester says the block is no longer needed (R8)."""
    block = _act(caller, block_id, "release", release_reason="requester", closed_at=utcnow())
    db.session.commit()
    db.session.refresh(block)
    return block


def withdraw_block(caller: Caller, block_id: str) -> Block:
    """The requester withdraws a request the home library has not answered."""
    block = _act(caller, block_id, "withdraw", release_reason="requester", closed_at=utcnow())
    db.session.commit()
    db.session.refresh(block)
    return block


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
    for block in candidates:
        action = rules.settled_action(block.status)
        target = rules.next_state(action, block.status)
        moved = db.session.execute(
            update(Block).where(Block.id == block.id, Block.status == block.status)
            .values(status=target, release_reason="bills_settled", closed_at=utcnow(),
                    updated_at=utcnow()).execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            record([block.requester_library_id, block.home_library_id], f"block.{target}",
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
        won = db.session.execute(
            update(Block).where(Block.id == block_id, Block.status == "requested",
                                Block.overdue_notified_at.is_(None))
            .values(overdue_notified_at=utcnow()).execution_options(
                synchronize_session=False)).rowcount == 1
        if won:
            record([requester_id, home_id], "block.response_overdue", {"block_id": block_id})
            marked += 1
        db.session.commit()
    return marked
