"""Cross-library blocks: a lender asks, the home library honors or refuses, the lender releases
(R8)."""
