"""A one-frame mailbox between the call (asyncio) and a painter thread: the latest frame wins.

The call puts every decoded frame; a converter thread (the UI's, off the GUI thread) takes the
newest one when it is ready for another, so a slow painter drops frames instead of queueing
them (no growing delay).
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestFrame(Generic[T]):
    """Thread-safe slot holding only the newest item, with a count of what was overwritten."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._seq = 0
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._seq += 1
            self._cond.notify_all()

    def take(self) -> T | None:
        """The newest item not yet taken, or None."""
        with self._cond:
            item, self._item = self._item, None
            return item

    def wait(self, timeout: float | None = None) -> T | None:
        """Block (in a worker thread) until an item is there or ``timeout`` passes."""
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item

    @property
    def count(self) -> int:
        """How many items were ever put."""
        return self._seq
