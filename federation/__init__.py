"""The wire between Reciprocity and member libraries' systems. Never imports Flask or `app`.

`Client` is the member SDK (verification, patrons, bills, blocks, the directory, the event
feed, webhook endpoints); `webhooks.Verifier` checks the signed deliveries a member's receiver
gets; `HomeCheckReceiver` answers the federation's signed live card checks (R14) from the
library's own system.
"""

from __future__ import annotations

from federation.client import (
    Bill,
    Block,
    Client,
    Delivery,
    DirectoryEntry,
    Endpoint,
    Event,
    HomeLibrary,
    ImportSummary,
    Patron,
    Payment,
    PublishedPolicy,
    Resolution,
    Verification,
)
from federation.errors import FederationError, ProblemError, TransportError
from federation.home_system import HomeCheckReceiver, HomePatron
from federation.webhooks import Verifier, WebhookVerificationError

__all__ = ["Bill", "Block", "Client", "Delivery", "DirectoryEntry", "Endpoint", "Event",
           "FederationError", "HomeCheckReceiver", "HomeLibrary", "HomePatron", "ImportSummary",
           "Patron", "Payment", "ProblemError", "PublishedPolicy", "Resolution",
           "TransportError", "Verification", "Verifier", "WebhookVerificationError"]
