"""Reaching out: asking a home library's own system (R14) and peer federations (R17).

The outbound protocol clients live here (NCIP LookupUser initiator, SIP2 client, the signed
JSON home check, the peer-federation client), behind `clients.Outbound`, which tests may
replace. Every call runs inside the verification's time budget.
"""
