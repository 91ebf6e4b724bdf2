"""NCIP 2.02 front door: LookupUser answered from the verification decision (R2, R14-R16)."""
