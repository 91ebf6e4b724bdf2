"""SIP2 front door: a self-check / ILS protocol server answering from verification (R2, R14-R16)."""
