"""The fair gate in front of the search: never more than n holders, and waiters admitted in
the order they came (a thread that has just left cannot jump the queue)."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.services.gate import FairGate


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4), threads=st.integers(1, 12))
def test_never_more_than_n_holders(n: int, threads: int) -> None:
    gate, lock = FairGate(n), threading.Lock()
    seen: list[int] = []

    def work() -> None:
        for _ in range(20):
            with gate:
                with lock:
                    seen.append(gate.holders)
                time.sleep(0)

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(seen) == 20 * threads and max(seen) <= n and gate.holders == 0


def test_waiters_are_admitted_first_come_first_served() -> None:
    gate = FairGate(1)
    order: list[int] = []
    gate.__enter__()  # the gate is held: everyone below must queue
    started = []

    def wait(k: int) -> None:
        started.append(k)
        with gate:
            order.append(k)

    ts = []
    for k in range(5):
        t = threading.Thread(target=wait, args=(k,))
        t.start()
        ts.append(t)
        while len(gate._waiting) < k + 1:  # queued in this order
            time.sleep(0.001)
    gate.__exit__(None, None, None)
    for t in ts:
        t.join()
    assert order == [0, 1, 2, 3, 4] and gate.holders == 0


def test_an_error_inside_frees_the_slot() -> None:
    gate = FairGate(1)
    with pytest.raises(RuntimeError), gate:
        raise RuntimeError("boom")
    assert gate.holders == 0
    with pytest.raises(ValueError):
        FairGate(0)
