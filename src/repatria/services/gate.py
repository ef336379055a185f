"""A fair gate: at most ``n`` holders at once, the others admitted in the order they came.

``threading.BoundedSemaphore`` lets a thread that has just released take the slot again before
the thread it woke, so under a steady load some callers wait for ever (a search's p95 latency
was 50 times its median). Here a release hands its slot straight to the longest waiter.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType

__all__ = ["FairGate"]


class FairGate:
    """A context manager admitting at most ``n`` threads at once, first come first served.

    >>> gate = FairGate(1)
    >>> with gate:
    ...     gate.holders
    1
    >>> gate.holders
    0
    """

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError("a gate admits at least one holder")
        self._n = n
        self._holders = 0
        self._lock = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()

    @property
    def holders(self) -> int:
        return self._holders

    def __enter__(self) -> FairGate:
        with self._lock:
            if self._holders < self._n and not self._waiting:
                self._holders += 1
                return self
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the holder that hands its slot over
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()  # the slot passes on; holders unchanged
            else:
                self._holders -= 1
