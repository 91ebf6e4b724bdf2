"""Pure rules of the audit trail: how an entry's hash is made, and what each event records."""

import hashlib
import json
from datetime import UTC, datetime

# Per event type: the record it changes, the key of its id in the event's data, and the
# state the record is in afterwards (None: unchanged). A type not listed here is still
# audited (record type from its prefix, id from its first `*_id`), so none is forgotten.
EVENT_RECORDS: dict[str, tuple[str, str, str | None]] = {
    "bill.issued": ("bill", "bill_id", "open"),
    "bill.payment_recorded": ("bill", "bill_id", None),
    "bill.payment_confirmed": ("bill", "bill_id", None),
    "bill.payment_declined": ("bill", "bill_id", None),
    "bill.paid": ("bill", "bill_id", "paid"),
    "bill.voided": ("bill", "bill_id", "void"),
    "bill.disputed": ("bill", "bill_id", "disputed"),
    "bill.dispute_answered": ("bill", "bill_id", None),
    "bill.dispute_withdrawn": ("bill", "bill_id", "open"),
    "bill.resolution_proposed": ("bill", "bill_id", None),
    "bill.resolved": ("bill", "bill_id", "resolved"),
    "bill.liability_changed": ("bill", "bill_id", None),
    "block.requested": ("block", "block_id", "requested"),
    "block.honored": ("block", "block_id", "honored"),
    "block.refused": ("block", "block_id", "refused"),
    "block.withdrawn": ("block", "block_id", "withdrawn"),
    "block.released": ("block", "block_id", "released"),
    "block.response_overdue": ("block", "block_id", None),
    "directory.policy_published": ("policy", "library", "published"),
    "endpoint.disabled": ("endpoint", "endpoint_id", "disabled"),
    "notice.sent": ("notice", "notice_id", "sent"),
    "notice.acknowledged": ("notice", "notice_id", "acknowledged"),
    "notice.answered": ("notice", "notice_id", "answered"),
    "notice.withdrawn": ("notice", "notice_id", "withdrawn"),
    "suspension.imposed": ("suspension", "suspension_id", "imposed"),
    "suspension.renewed": ("suspension", "suspension_id", None),
    "suspension.lifted": ("suspension", "suspension_id", "lifted"),
    "suspension.ended": ("suspension", "suspension_id", "ended"),
    "dispute.opened": ("dispute", "dispute_id", "open"),
    "dispute.message_posted": ("dispute", "dispute_id", None),
    "dispute.escalated": ("dispute", "dispute_id", "escalated"),
    "dispute.office_answered": ("dispute", "dispute_id", None),
    "dispute.decided": ("dispute", "dispute_id", "closed"),
    "dispute.withdrawn": ("dispute", "dispute_id", "closed"),
    "assistance.requested": ("assistance", "assistance_id", "requested"),
    "assistance.answered": ("assistance", "assistance_id", "answered"),
    "assistance.response_overdue": ("assistance", "assistance_id", None),
    "assistance.closed": ("assistance", "assistance_id", "closed"),
}


def event_record(type_: str, data: dict) -> tuple[str, str, str, str | None]:
    """(record type, record id, action, new state or None) for an event."""
    prefix, _, action = type_.partition(".")
    known = EVENT_RECORDS.get(type_)
    if known is not None:
        record_type, key, state = known
        return record_type, str(data.get(key, "")), action, state
    record_id = next((str(value) for name, value in sorted(data.items())
                      if name.endswith("_id")), "")
    return prefix, record_id, action, None


def instant(value: datetime) -> str:
    """An instant as the hash sees it: UTC, microseconds, the same on every database."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, content: dict) -> str:
    """SHA-256 over the previous entry's hash and this entry's content (canonical JSON)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                           default=str)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def content_of(seq: int, at: datetime, library_id, actor: str, record_type: str,
               record_id: str, action: str, previous_state, new_state, first_party_id,
               second_party_id, detail: dict) -> dict:
    """Everything an entry says, as its hash covers it."""
    return {"seq": seq, "at": instant(at), "library_id": library_id, "actor": actor,
            "record_type": record_type, "record_id": record_id, "action": action,
            "previous_state": previous_state, "new_state": new_state,
            "first_party_id": first_party_id, "second_party_id": second_party_id,
            "detail": detail}
