"""The progress protocol: the ETA formula on hand values, and how the tracker times a step."""

from __future__ import annotations

import pytest

from repatria.services.progress import ProgressTracker, ProgressUpdate, eta_seconds, step


@pytest.mark.parametrize(
    ("done", "total", "elapsed", "eta"),
    [
        (1, 4, 2.0, 6.0),  # 2 s per unit, 3 units left
        (3, 4, 9.0, 3.0),  # 3 s per unit, 1 left
        (5, 20, 1.0, 3.0),  # 0.2 s per unit, 15 left
        (4, 4, 7.0, 0.0),  # finished
        (5, 4, 7.0, 0.0),  # over-reported: still finished
        (0, 4, 3.0, None),  # nothing done: no pace yet
        (0, 0, 0.0, None),  # nothing to do, total unknown
        (2, -1, 1.0, None),
    ],
)
def test_eta_is_the_pace_of_the_finished_units(done, total, elapsed, eta):
    assert eta_seconds(done, total, elapsed) == eta


def _tracker(times, **kw):
    seen: list[ProgressUpdate] = []
    return ProgressTracker(seen.append, clock=iter(times).__next__, **kw), seen


def test_a_step_starts_at_its_first_report_with_nothing_done():
    track, seen = _tracker([0.0, 10.0, 12.0, 18.0])
    track("screen", 0, 4)  # t = 10
    track("screen", 1, 4)  # t = 12: 2 s per block
    track("screen", 4, 4)  # t = 18
    assert [u.to_dict() for u in seen] == [
        {"step": "screen", "done": 0, "total": 4, "elapsed_s": 0.0, "eta_s": None},
        {"step": "screen", "done": 1, "total": 4, "elapsed_s": 2.0, "eta_s": 6.0},
        {"step": "screen", "done": 4, "total": 4, "elapsed_s": 8.0, "eta_s": 0.0},
    ]


def test_a_step_first_reported_part_done_started_at_the_previous_report():
    # The core reports a table only once it is built: "tables" began when "read" ended.
    track, seen = _tracker([0.0, 1.0, 3.0, 7.0, 9.0])
    track("read", 0, 1)  # t = 1
    track("read", 1, 1)  # t = 3
    track("tables", 1, 3)  # t = 7: 4 s for the first table
    track("tables", 3, 3)  # t = 9
    assert [(u.step, u.elapsed_s, u.eta_s) for u in seen] == [
        ("read", 0.0, None),
        ("read", 2.0, 0.0),
        ("tables", 4.0, 8.0),
        ("tables", 6.0, 0.0),
    ]


def test_a_first_report_part_done_without_any_before_counts_from_the_tracker_creation():
    track, seen = _tracker([5.0, 6.0])
    track("fragments", 1, 2)
    assert (seen[0].elapsed_s, seen[0].eta_s) == (1.0, 1.0)


def test_close_reports_are_dropped_but_never_the_first_or_the_last():
    track, seen = _tracker([0.0, 0.0, 0.1, 0.2, 0.6, 0.7, 0.8], min_interval=0.5)
    for done in range(6):
        track("store", done, 5)
    assert [u.done for u in seen] == [0, 3, 5]


def test_step_reports_a_step_without_counts_whole():
    calls = []
    with step(lambda *a: calls.append(a), "joint"):
        calls.append("work")
    assert calls == [("joint", 0, 1), "work", ("joint", 1, 1)]
    with step(None, "joint"):  # no callback: nothing to report
        pass
