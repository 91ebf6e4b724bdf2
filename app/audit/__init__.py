"""The audit trail (Plan VIII): every state change, appended to a hash-chained log that shows
tampering; who, what, when, the previous and the new state, never patron data (R16)."""
