"""Assistance requests (R7, Plan V.1.b.iii-iv): a lending library asks a patron's home library
to help retrieve delinquent material or collect a bill; the home library answers within a due
period, and patron details it passes are seen by the requesting library alone (R16)."""
