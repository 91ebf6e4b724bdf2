"""The wire between Reciprocity and member libraries' systems. Never imports Flask or `app`.

`Client` is the member SDK (verification, patrons, bills, blocks, the directory, the event
feed, webhook endpoints, notices, suspensions, disputes and assistance requests);
`webhooks.Verifier` checks the signed deliveries a member's receiver gets; `HomeCheckReceiver`
answers the federation's signed live card checks (R14) from the library's own system.
"""

from __future__ import annotations

from federation.client import (
    AssistanceRequest,
    Bill,
    Block,
    Client,
    Delivery,
    DirectoryEntry,
    Dispute,
    Endpoint,
    Event,
    HomeLibrary,
    ImportSummary,
    Letter,
    MembershipAction,
    Notice,
    Patron,
    Payment,
    PublishedPolicy,
    Resolution,
    Suspension,
    Verification,
)
from federation.errors import FederationError, ProblemError, TransportError
from federation.home_system import HomeCheckReceiver, HomePatron
from federation.webhooks import Verifier, WebhookVerificationError

__all__ = ["AssistanceRequest", "Bill", "Block", "Client", "Delivery", "DirectoryEntry",
           "Dispute", "Endpoint",
           "Event", "FederationError", "HomeCheckReceiver", "HomeLibrary", "HomePatron",
           "ImportSummary", "Letter", "MembershipAction", "Notice", "Patron", "Payment",
           "ProblemError", "PublishedPolicy", "Resolution", "Suspension", "TransportError",
           "Verification", "Verifier", "WebhookVerificationError"]
