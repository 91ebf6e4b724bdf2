"""The patron registry: each home library's own patrons, with card numbers kept only as HMACs."""
