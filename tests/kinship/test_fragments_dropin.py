"""The fragment search with drop-in (issue 13): every pair under the full dropout and drop-in
model; without drop-in it is the fragment LR of before (naive oracle), and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship.errors import KinshipError
from repatria.kinship.fragments import direct_match_log_lr, encode_samples, find_fragments
from repatria.kinship.fragments_dropin import (
    find_fragments_drop_in,
    pairwise_log_lr_drop_in,
)
from repatria.kinship.markers import Marker

MARKERS = tuple(
    Marker(f"L{k}", tuple(str(a) for a in range(4)), [0.4, 0.3, 0.2, 0.1]) for k in range(5)
)
ONE = (Marker("L1", ("1", "2", "3"), [0.05, 0.05, 0.9]),)


@st.composite
def samples(draw):  # noqa: ANN001, ANN201
    n = draw(st.integers(2, 5))
    profiles = {}
    for i in range(n):
        prof = {}
        for m in MARKERS:
            fate = draw(st.sampled_from(["het", "single", "aa", "failed"]))
            a, b = draw(st.integers(0, 3)), draw(st.integers(0, 3))
            if fate == "het":
                prof[m.name] = (str(a), str(b))
            elif fate == "single":
                prof[m.name] = (str(a), None)
            elif fate == "aa":
                prof[m.name] = (str(a), str(a))
        profiles[f"S{i}"] = prof
    return profiles


@settings(max_examples=40, deadline=None)
@given(samples(), st.sampled_from([0.0, 0.05, 0.3]), st.data())
def test_without_drop_in_it_is_the_fragment_lr_of_before(profiles, dropout, data) -> None:  # noqa: ANN001
    ids = list(profiles)
    own = {v: data.draw(st.sampled_from([0.0, 0.1, 0.4])) for v in ids}
    got = pairwise_log_lr_drop_in(MARKERS, ids, profiles, own, 0.0)
    enc = encode_samples(MARKERS, ids, profiles)
    d = np.array([own[v] for v in ids])
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            want = direct_match_log_lr(
                MARKERS,
                dropout,
                enc.a[i : i + 1],
                enc.b[i : i + 1],
                enc.a[j : j + 1],
                enc.b[j : j + 1],
                d1=np.full((1, len(MARKERS)), d[i]),
                d2=np.full((1, len(MARKERS)), d[j]),
            )[0]
            if math.isinf(want):
                assert got[i, j] == want
            else:
                assert got[i, j] == pytest.approx(want, rel=1e-9, abs=1e-9)
            assert got[j, i] == pytest.approx(got[i, j], rel=1e-12, abs=1e-12)


def test_a_single_peak_is_an_exclusion_without_dropout_and_not_with_it() -> None:
    profiles = {"V1": {"L1": ("1", "1")}, "V2": {"L1": ("1", "2")}}
    at0 = pairwise_log_lr_drop_in(ONE, ["V1", "V2"], profiles, 0.0, 0.0)
    assert at0[0, 1] == -math.inf
    # d = 0.1: d (1 - d) / P(one peak 1), P = p^2 (1 - d^2) + 2 p (1 - p) d (1 - d), p = 0.05
    lr = 0.1 * 0.9 / (0.05**2 * 0.99 + 2 * 0.05 * 0.95 * 0.1 * 0.9)
    got = pairwise_log_lr_drop_in(ONE, ["V1", "V2"], profiles, 0.1, 0.0)
    assert math.exp(got[0, 1]) == pytest.approx(lr, rel=1e-12)
    assert lr == pytest.approx(0.09 / 0.011025, rel=1e-12)


def test_drop_in_explains_an_extra_peak_by_hand() -> None:
    # no dropout, drop-in c: V1 shows 1 (so is 1/1), V2 shows 1 and 2 (1/1 with 2 dropped in)
    profiles = {"V1": {"L1": ("1", "1")}, "V2": {"L1": ("1", "2")}}
    c, p1, p2 = 0.1, 0.05, 0.05
    lr = c / (2 * p1 * (1 - c) + c * p1 * (p1 + p2))
    got = pairwise_log_lr_drop_in(ONE, ["V1", "V2"], profiles, 0.0, c)
    assert math.exp(got[0, 1]) == pytest.approx(lr, rel=1e-12)
    res = find_fragments_drop_in(ONE, ["V1", "V2"], profiles, 1.0, 0.0, c)
    assert res.groups == [(0, 1)] and res.notes["drop_in"] == c
    # without drop-in the same pair is two people
    assert find_fragments(ONE, ["V1", "V2"], profiles, min_lr=1e-300, dropout=0.0).groups == []


def test_too_many_samples_is_one_line() -> None:
    from repatria.kinship import fragments_dropin

    ids = [f"S{i}" for i in range(fragments_dropin.MAX_SAMPLES + 1)]
    with pytest.raises(KinshipError, match="at most 4000 samples"):
        pairwise_log_lr_drop_in(ONE, ids, {}, 0.0, 0.1)
