"""Bills for lost and damaged items, sent by lending libraries to home libraries (R6-R10)."""
