"""Opaque random identifiers for everything a caller can name (never sequential)."""

import base64
import os

# Crockford's base32 in lower case (no i, l, o, u): easy to read aloud and to type.
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                              "0123456789abcdefghjkmnpqrstvwxyz")


def new_id(prefix: str) -> str:
    """Return `prefix_` and 20 random base32 characters (100 bits of os.urandom)."""
    return prefix + "_" + base64.b32encode(os.urandom(15)).decode("ascii")[:20].translate(
        _TO_CROCKFORD)


def new_ids(prefix: str, count: int) -> list[str]:
    """Return `count` new ids from one read of os.urandom (bulk imports make millions)."""
    raw = base64.b32encode(os.urandom(15 * count)).decode("ascii").translate(_TO_CROCKFORD)
    return [prefix + "_" + raw[i * 24:i * 24 + 20] for i in range(count)]
