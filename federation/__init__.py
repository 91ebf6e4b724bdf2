"""The wire between Reciprocity and member libraries' systems. Never imports Flask or `app`.

For now: a small client for card verification, the call a circulation system makes most.
"""

from federation.client import Client, HomeLibrary, Verification
from federation.errors import FederationError, ProblemError, TransportError

__all__ = ["Client", "FederationError", "HomeLibrary", "ProblemError", "TransportError",
           "Verification"]
