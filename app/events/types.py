"""The one registry of event types: every event written names one of these.

The feed's OpenAPI document lists them as an enum, and `record` refuses a type that is not
here, so a new event is added in one place and documented where integrators look.
"""

EVENT_TYPES: dict[str, str] = {
    # Bills (R6, R9, R10).
    "bill.issued": "A lending library billed a home library for a patron's items.",
    "bill.payment_recorded": "A payment was recorded against a bill (reported, when the home "
                             "library recorded it, until the lending library confirms it).",
    "bill.payment_confirmed": "The lending library confirmed it received a reported payment (R8).",
    "bill.payment_declined": "The lending library declined a reported payment it did not receive.",
    "bill.paid": "A bill's balance reached zero.",
    "bill.voided": "The issuing library voided a bill.",
    "bill.disputed": "The home library disputed a bill.",
    "bill.dispute_answered": "The issuing library answered a bill's dispute.",
    "bill.dispute_withdrawn": "The home library withdrew its dispute of a bill.",
    "bill.resolution_proposed": "A party proposed terms to settle a bill.",
    "bill.resolved": "The other party accepted proposed terms: the bill is settled.",
    # Blocks (R8).
    "block.requested": "A lending library asked a home library to block a patron.",
    "block.honored": "The home library placed the requested block.",
    "block.refused": "The home library refused a block and is liable for its bills (R8).",
    "block.withdrawn": "The requesting library withdrew its request before an answer.",
    "block.released": "The requesting library released a block (or its bills were settled).",
    "block.response_overdue": "A block request is unanswered past its due date.",
    "bill.liability_changed": "A refused block made the home library liable for a bill (R8).",
    # The directory (R5).
    "directory.policy_published": "A library published a new version of its policies.",
    # Webhook delivery.
    "endpoint.disabled": "Delivery to a webhook endpoint stopped (gone, or failing too long).",
    # Between libraries (R12, R13; Plan VIII.1).
    "notice.sent": "A library sent another a notice of non-compliance with its policies.",
    "notice.acknowledged": "The library a notice was sent to acknowledged it.",
    "notice.answered": "The library a notice was sent to answered it in writing.",
    "notice.withdrawn": "The sending library withdrew a notice.",
    "suspension.imposed": "A library restricted or suspended service to another (R12).",
    "suspension.renewed": "The suspending library extended a suspension's end date.",
    "suspension.lifted": "The suspending library lifted a suspension before its end date.",
    "suspension.ended": "A suspension reached its end date and is no longer in force.",
    "dispute.opened": "A library opened a dispute about a record it shares with another.",
    "dispute.message_posted": "A party wrote in a dispute.",
    "dispute.escalated": "A party asked the federation office for help, copying the other.",
    "dispute.office_answered": "The federation office answered both parties to a dispute.",
    "dispute.decided": "The federation office closed a dispute with its decision.",
    "dispute.withdrawn": "The library that opened a dispute withdrew it.",
    # Assistance requests (R7, Plan V.1.b.iii-iv); never the patron details passed (R16).
    "assistance.requested": "A lending library asked a home library for help retrieving "
                            "material or collecting a bill.",
    "assistance.answered": "The home library answered an assistance request.",
    "assistance.response_overdue": "An assistance request is unanswered past its due date.",
    "assistance.closed": "The requesting library closed or withdrew an assistance request.",
    # Membership (R1, Plan VIII.2.c).
    "membership.removed": "The federation office took a library out of full membership: it "
                          "takes no part in reciprocal borrowing until reinstated.",
    "membership.reinstated": "The federation office reinstated a library to the membership it "
                             "had.",
}


def is_known(type_: str) -> bool:
    """Whether `type_` is a registered event type."""
    return type_ in EVENT_TYPES
