"""A short cache of live home answers, per process, bounded in age and size.

The key holds the asking library, so one library's answer is never another's; and the
endpoint's id, so a re-registered endpoint starts afresh. Entries hold no card number: the
key has the card's keyed hash (R16).
"""

import threading
import time
from collections import OrderedDict


class AnswerCache:
    """At most `max_entries` answers, each for at most `seconds` (0 turns caching off)."""

    def __init__(self, seconds: float, max_entries: int = 10_000, clock=time.monotonic):
        """Keep answers `seconds` long, the oldest dropped past `max_entries`."""
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple):
        """The cached answer for `key`, or None."""
        if self.seconds <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if self.clock() >= expires:
                del self._entries[key]
                return None
            return value

    def put(self, key: tuple, value) -> None:
        """Remember an answer."""
        if self.seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (self.clock() + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
