"""The registry's fragment search is exact: every pair above the threshold is found, whatever
markers failed, against a naive oracle (one pair at a time); and a banded search can miss
what it finds."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship.fragments import direct_match_log_lr, encode_samples
from repatria.kinship.markers import Marker
from repatria.services.workflows.fragment_search import linked_pairs

MARKERS = tuple(
    Marker(f"L{k}", tuple(str(a) for a in range(5)), [0.3, 0.25, 0.2, 0.15, 0.1]) for k in range(10)
)


def _oracle(ids, bodies, profiles, dropout, min_lr):  # noqa: ANN001, ANN202
    enc = encode_samples(MARKERS, ids, profiles)
    out = set()
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            if bodies[i] == bodies[j]:
                continue
            ln = direct_match_log_lr(
                MARKERS,
                dropout,
                enc.a[i : i + 1],
                enc.b[i : i + 1],
                enc.a[j : j + 1],
                enc.b[j : j + 1],
            )[0]
            if ln >= math.log(min_lr):
                out.add((ids[i], ids[j]))
    return out


@st.composite
def burned(draw):  # noqa: ANN001, ANN201
    """Samples of a few people, each marker failing or losing an allele at random."""
    n_people = draw(st.integers(1, 3))
    people = [
        {m.name: (draw(st.integers(0, 4)), draw(st.integers(0, 4))) for m in MARKERS}
        for _ in range(n_people)
    ]
    n = draw(st.integers(2, 7))
    profiles, bodies, ids = {}, [], []
    for i in range(n):
        who = people[draw(st.integers(0, n_people - 1))]
        prof = {}
        for m in MARKERS:
            fate = draw(st.sampled_from(["typed", "typed", "failed", "single"]))
            a, b = who[m.name]
            if fate == "typed":
                prof[m.name] = (str(a), str(b))
            elif fate == "single":
                prof[m.name] = (str(a), None)
        ids.append(f"S{i}")
        profiles[f"S{i}"] = prof
        bodies.append(draw(st.integers(0, n - 1)))
    return ids, bodies, profiles


@settings(max_examples=60, deadline=None)
@given(burned(), st.sampled_from([0.0, 0.05, 0.3]), st.sampled_from([10.0, 1e3, 1e6]))
def test_the_exact_search_finds_every_pair_the_oracle_finds(case, dropout, min_lr) -> None:  # noqa: ANN001
    ids, bodies, profiles = case
    links, pairs = linked_pairs(MARKERS, ids, bodies, profiles, dropout=dropout, min_lr=min_lr)
    assert {(a, b) for a, b, _ in links} == _oracle(ids, bodies, profiles, dropout, min_lr)
    assert pairs == sum(
        1 for i in range(len(ids)) for j in range(i + 1, len(ids)) if bodies[i] != bodies[j]
    )
    assert all(v >= math.log10(min_lr) - 1e-12 for _, _, v in links)


def test_a_failed_marker_in_every_band_hides_nothing_from_the_exact_search() -> None:
    # one person typed twice; the second sample lost every other marker, so each band of two
    # markers holds one failure and a banded search has no band on which the two agree fully
    rng = np.random.default_rng(3)
    full = {m.name: tuple(sorted(map(str, rng.integers(0, 5, 2)))) for m in MARKERS}
    half = {m.name: full[m.name] for k, m in enumerate(MARKERS) if k % 2 == 0}
    profiles = {"A": full, "B": half}
    links, _ = linked_pairs(MARKERS, ["A", "B"], [1, 2], profiles, dropout=0.05, min_lr=10)
    assert [(a, b) for a, b, _ in links] == [("A", "B")]


@settings(max_examples=40, deadline=None)
@given(burned(), st.sampled_from([0.0, 0.05]), st.data())
def test_each_sample_is_weighed_with_its_own_recorded_dropout(case, dropout, data) -> None:  # noqa: ANN001
    ids, bodies, profiles = case
    own = {r: data.draw(st.sampled_from([0.0, 0.1, 0.4])) for r in ids if data.draw(st.booleans())}
    links, _ = linked_pairs(
        MARKERS, ids, bodies, profiles, dropout=dropout, min_lr=10.0, sample_dropout=own
    )
    enc = encode_samples(MARKERS, ids, profiles)
    want = set()
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            if bodies[i] == bodies[j]:
                continue
            d1 = np.array([[own.get(ids[i], dropout)]])
            d2 = np.array([[own.get(ids[j], dropout)]])
            ln = direct_match_log_lr(
                MARKERS, dropout, enc.a[i : i + 1], enc.b[i : i + 1], enc.a[j : j + 1],
                enc.b[j : j + 1], d1=d1, d2=d2,
            )[0]  # fmt: skip
            if ln >= math.log(10.0):
                want.add((ids[i], ids[j]))
    assert {(a, b) for a, b, _ in links} == want


def test_a_burned_sample_s_own_dropout_explains_its_single_peaks() -> None:
    # B is A burned: where A is a/b, B shows one peak, written a/a by the lab
    full = {m.name: ("0", "1") for m in MARKERS}
    burned = {m.name: (("0", "0") if k % 3 == 0 else ("0", "1")) for k, m in enumerate(MARKERS)}
    profiles = {"A": full, "B": burned}
    exact, _ = linked_pairs(MARKERS, ["A", "B"], [1, 2], profiles, dropout=0.0, min_lr=10)
    assert exact == []  # a homozygote against a heterozygote: two people, without dropout
    own, _ = linked_pairs(
        MARKERS, ["A", "B"], [1, 2], profiles, dropout=0.0, min_lr=10, sample_dropout={"B": 0.3}
    )
    assert [(a, b) for a, b, _ in own] == [("A", "B")]
