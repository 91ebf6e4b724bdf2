"""Errors a member's system sees: the service's problem details, or the network failing."""

from __future__ import annotations


class FederationError(Exception):
    """Anything that went wrong talking to the service."""


class TransportError(FederationError):
    """The service could not be reached, or did not answer in time."""


class ProblemError(FederationError):
    """The service answered with RFC 9457 problem details."""

    def __init__(self, status: int, code: str, detail: str, errors: dict | None = None,
                 retry_after: int | None = None):
        """Keep the problem's fields for the caller to act on."""
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors or {}
        self.retry_after = retry_after
