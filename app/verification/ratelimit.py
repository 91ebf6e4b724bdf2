"""A token bucket per API key, so no member can sweep card numbers through verification.

The buckets live in each server process: with W gunicorn workers a key can make at most W
times the configured rate in the worst case (requests spread evenly over every worker).
Set the rate with that in mind; keeping it in-process keeps a database write off the hot path.
"""

import math
import threading
import time


class TokenBucketLimiter:
    """`rate` requests per minute per key, with bursts of up to `rate`."""

    def __init__(self, rate_per_minute: int, clock=time.monotonic):
        """Create a limiter; a rate of 0 allows everything."""
        self.rate = rate_per_minute
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Take a token for `key`; return 0 when allowed, else seconds until one is free."""
        if self.rate <= 0:
            return 0.0
        per_second = self.rate / 60.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / per_second


def retry_after(seconds: float) -> str:
    """A Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
