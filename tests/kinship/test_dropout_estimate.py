"""A sample's dropout estimated from its own profile (``kinship.dropout_estimate``).

Known values derived by hand from the model's score equation (written out in each test), a
naive oracle (the maximum of the log likelihood on a fine grid), and properties: the estimate
lies in [0, cap] and never falls when a typed marker fails instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship import Marker
from repatria.kinship.dropout_estimate import DEFAULT_CAP, estimate_dropout
from repatria.kinship.errors import KinshipError

#: Two equifrequent alleles: heterozygosity h = 1/2 at every marker.
HALF = [Marker(f"L{i}", ("a", "b"), [0.5, 0.5]) for i in range(12)]


def _profile(failed: int, single: int, double: int) -> dict[str, tuple[str | None, str | None]]:
    prof: dict[str, tuple[str | None, str | None]] = {}
    names = [m.name for m in HALF]
    for k in range(single):
        prof[names[failed + k]] = ("a", "a") if k % 2 else ("b", None)
    for k in range(double):
        prof[names[failed + single + k]] = ("a", "b")
    return prof


def test_failures_among_heterozygotes_give_the_failed_share() -> None:
    # Only failed (d^2) and two-peak (h (1-d)^2) markers: 2f/d = 2t/(1-d), so d = f / (f + t).
    est = estimate_dropout(_profile(3, 0, 9), HALF)
    assert est.dropout == pytest.approx(0.25, rel=1e-12)
    assert (est.kit, est.failed, est.single, est.double, est.capped) == (12, 3, 0, 9, False)


def test_homozygote_excess_without_failures_by_hand() -> None:
    # h = 1/2, six single peaks, four two-peak markers, ten markers in the kit:
    # P(one peak) = 0.5 (1 - d)(1 + 3d), so the score is
    # 6 (2 - 6d) / ((1 - d)(1 + 3d)) - 8 / (1 - d) = 0
    # <=> 12 (1 - 3d) = 8 (1 + 3d) <=> d = 1/15.
    est = estimate_dropout(_profile(0, 6, 4), HALF, kit=[m.name for m in HALF[:10]])
    assert est.dropout == pytest.approx(1 / 15, rel=1e-12)


def test_one_failure_and_single_peaks_by_hand() -> None:
    # One failure and nine single peaks (h = 1/2): 2/d + 9 (2 - 6d) / ((1 - d)(1 + 3d)) = 0
    # <=> 30 d^2 - 11 d - 1 = 0  <=>  d = (11 + sqrt(241)) / 60.
    est = estimate_dropout(_profile(1, 9, 0), HALF, kit=[m.name for m in HALF[:10]])
    assert est.dropout == pytest.approx((11 + math.sqrt(241)) / 60, rel=1e-12)


def test_what_hardy_weinberg_expects_is_no_dropout() -> None:
    # Single-peak share exactly 1 - h and no failure: the score at 0 is 2h/(1-h) s - 2 t = 0.
    assert estimate_dropout(_profile(0, 5, 5), HALF, kit=[m.name for m in HALF[:10]]).dropout == 0
    assert estimate_dropout(_profile(0, 0, 12), HALF).dropout == 0


def test_a_sample_that_failed_everywhere_is_capped_and_an_empty_kit_says_nothing() -> None:
    est = estimate_dropout({}, HALF)
    assert est.dropout == DEFAULT_CAP and est.capped and est.failed == 12
    assert estimate_dropout({}, HALF, kit=[]).dropout == 0.0
    assert estimate_dropout(_profile(11, 1, 0), HALF, cap=0.5).dropout == 0.5


def test_a_partial_call_and_a_single_peak_are_the_same_observation() -> None:
    a = estimate_dropout({"L0": ("a", "a"), "L1": ("a", "b")}, HALF[:3])
    b = estimate_dropout({"L0": ("a", None), "L1": ("a", "b")}, HALF[:3])
    assert a == b


def test_bad_arguments_are_one_clear_error() -> None:
    with pytest.raises(KinshipError, match="cap"):
        estimate_dropout({}, HALF, cap=1.0)
    with pytest.raises(KinshipError, match="no frequencies"):
        estimate_dropout({}, HALF, kit=["nowhere"])


def _loglik(d: float, failed: int, single_h: list[float], double: int, h2: float) -> float:
    out = failed * 2 * math.log(d) if failed else 0.0
    out += double * (math.log(h2) + 2 * math.log1p(-d)) if double else 0.0
    for h in single_h:
        out += math.log(h * 2 * d * (1 - d) + (1 - h) * (1 - d * d))
    return out


counts = st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 8)).filter(
    lambda x: sum(x) > 0
)


@settings(max_examples=60, deadline=None)
@given(counts, st.sampled_from([(0.5, 0.5), (0.1, 0.9), (0.2, 0.3, 0.5)]))
def test_the_estimate_is_the_likelihood_maximum_on_a_grid(c: tuple[int, int, int], f) -> None:
    failed, single, double = c
    alleles = tuple("abc"[: len(f)])
    ms = [Marker(f"L{i}", alleles, list(f)) for i in range(sum(c))]
    prof: dict[str, tuple[str | None, str | None]] = {}
    for i in range(failed, failed + single):
        prof[f"L{i}"] = ("a", "a")
    for i in range(failed + single, sum(c)):
        prof[f"L{i}"] = ("a", "b")
    est = estimate_dropout(prof, ms)
    h = 1 - sum(x * x for x in f)
    grid = np.linspace(1e-6, DEFAULT_CAP, 4001)
    ll = [_loglik(d, failed, [h] * single, double, h) for d in grid]
    best = float(grid[int(np.argmax(ll))])
    assert 0 <= est.dropout <= DEFAULT_CAP
    assert abs(est.dropout - best) <= 2 * (grid[1] - grid[0]) or (
        est.dropout == 0 and best <= grid[1]
    )


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(["fail", "one", "two"]), min_size=1, max_size=16),
    st.data(),
    st.floats(0.05, 0.95),
)
def test_the_estimate_stays_in_range_and_grows_with_failed_markers(
    kinds: list[str], data: st.DataObject, cap: float
) -> None:
    ms = [Marker(f"L{i}", ("a", "b", "c"), [0.2, 0.3, 0.5]) for i in range(len(kinds))]
    obs = {"one": ("b", None), "two": ("a", "c")}
    prof = {f"L{i}": obs[k] for i, k in enumerate(kinds) if k != "fail"}
    before = estimate_dropout(prof, ms, cap=cap)
    assert 0 <= before.dropout <= cap
    typed = [n for n in prof]
    if not typed:
        return
    lost = data.draw(st.sampled_from(typed))
    after = estimate_dropout({n: g for n, g in prof.items() if n != lost}, ms, cap=cap)
    assert after.failed == before.failed + 1
    assert after.dropout >= before.dropout - 1e-12
