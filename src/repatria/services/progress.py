"""Progress of long work: one protocol from the kinship core to every surface.

A service reports ``progress(step, done, total)`` (the :data:`Progress` signature, the same the
kinship core's screening and fragments take), e.g. ``("screen", 3, 25)`` when 3 of 25 blocks
are scored. A step the core offers no count for is reported whole: ``(step, 0, 1)`` when it
starts and ``(step, 1, 1)`` when it ends (:func:`step`).

A surface turns the calls into :class:`ProgressUpdate` records with a :class:`ProgressTracker`,
the one place that measures the elapsed time and estimates the time left (:func:`eta_seconds`),
and shows them: Rich bars on a terminal, one JSON line per update for machines
(``--progress-json``), a job page later.

>>> clock = iter([0.0, 2.0, 4.0]).__next__
>>> seen = []
>>> track = ProgressTracker(seen.append, clock=clock)
>>> track("screen", 0, 4)
>>> track("screen", 1, 4)
>>> seen[-1].to_dict()
{'step': 'screen', 'done': 1, 'total': 4, 'elapsed_s': 2.0, 'eta_s': 6.0}
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Progress",
    "ProgressUpdate",
    "ProgressTracker",
    "eta_seconds",
    "quiet",
    "step",
]

#: ``progress(step, done, total)``: ``done`` of ``total`` units of ``step`` are finished.
Progress = Callable[[str, int, int], None]


def quiet(step: str, done: int, total: int) -> None:
    """The progress callback that reports nothing (the default of every service)."""


@dataclass(frozen=True)
class ProgressUpdate:
    """One report of a step: what is done, since when, and how long the rest should take.

    ``elapsed_s`` is counted from the start of the step (see :class:`ProgressTracker`);
    ``eta_s`` is :func:`eta_seconds` of it, ``None`` while nothing is done yet.
    """

    step: str
    done: int
    total: int
    elapsed_s: float
    eta_s: float | None

    def to_dict(self) -> dict[str, Any]:
        """The ``--progress-json`` line: ``step``, ``done``, ``total``, ``elapsed_s``, ``eta_s``."""
        return {
            "step": self.step,
            "done": self.done,
            "total": self.total,
            "elapsed_s": round(self.elapsed_s, 3),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 3),
        }


def eta_seconds(done: int, total: int, elapsed_s: float) -> float | None:
    """The time left if the remaining units go at the pace of the finished ones.

    ``elapsed_s * (total - done) / done``; 0 once ``done >= total``; ``None`` (unknown) while
    ``done`` is 0 or ``total`` is not positive.

    >>> eta_seconds(1, 4, 2.0)
    6.0
    >>> eta_seconds(3, 3, 5.0), eta_seconds(0, 10, 1.0)
    (0.0, None)
    """
    if total <= 0 or done <= 0:
        return None
    if done >= total:
        return 0.0
    return elapsed_s * (total - done) / done


class ProgressTracker:
    """A :data:`Progress` callback that sends each report to ``sink`` as a :class:`ProgressUpdate`.

    A step starts at its first report with ``done == 0``. A step first reported with some units
    already done (the kinship core reports a block only once it is scored) started at the
    tracker's previous report, or at the tracker's creation: steps run one after another.

    ``min_interval`` (seconds): reports of a step closer together than this are dropped, except
    its first and its last (``done >= total``), so a step of 10^5 units does not print 10^5 lines.
    """

    def __init__(
        self,
        sink: Callable[[ProgressUpdate], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        min_interval: float = 0.0,
    ) -> None:
        self._sink = sink
        self._clock = clock
        self._min_interval = min_interval
        self._last = clock()  # time of the previous report, of any step
        self._start: dict[str, float] = {}
        self._sent: dict[str, float] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        now = self._clock()
        first = step not in self._start
        if first:
            self._start[step] = now if done <= 0 else self._last
        self._last = now
        if not (first or done >= total) and now - self._sent[step] < self._min_interval:
            return
        self._sent[step] = now
        elapsed = now - self._start[step]
        self._sink(ProgressUpdate(step, done, total, elapsed, eta_seconds(done, total, elapsed)))


@contextmanager
def step(progress: Progress | None, name: str) -> Iterator[None]:
    """Report a step that has no count of its own: ``(name, 0, 1)``, the work, ``(name, 1, 1)``."""
    report = progress or quiet
    report(name, 0, 1)
    yield
    report(name, 1, 1)
