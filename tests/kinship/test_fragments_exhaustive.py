"""Fragments of burned bodies: per-sample dropout in the direct-match LR, and a candidate search
that misses no pair above the threshold, against an exact all-pairs oracle."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.kinship.fragments import _Model, direct_match_log_lr, encode_samples, find_fragments
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype
from repatria.services.pipelines.simulation import standard_markers


def _p_obs(o: tuple[int, ...], g: tuple[int, int], d: float) -> float:
    x, y = g
    if len(o) == 2:
        return (1 - d) ** 2 if set(o) == {x, y} else 0.0
    (a,) = o
    if x == y:
        return 1 - d**2 if a == x else 0.0
    return d * (1 - d) if a in (x, y) else 0.0


def _brute(m: Marker, o1: tuple[int, ...], o2: tuple[int, ...], d1: float, d2: float) -> float:
    p = m.afreq
    gens = [
        ((x, y), p[x] ** 2 if x == y else 2 * p[x] * p[y])
        for x in range(m.n_alleles)
        for y in range(x, m.n_alleles)
    ]
    joint = sum(w * _p_obs(o1, g, d1) * _p_obs(o2, g, d2) for g, w in gens)
    p1 = sum(w * _p_obs(o1, g, d1) for g, w in gens)
    p2 = sum(w * _p_obs(o2, g, d2) for g, w in gens)
    return math.log(joint / (p1 * p2)) if joint > 0 else -math.inf


@pytest.mark.parametrize(
    ("o1", "o2"), [((0, 1), (0, 1)), ((0, 1), (0,)), ((0,), (0, 1)), ((0,), (0,)), ((0,), (1,))]
)
@pytest.mark.parametrize(("d1", "d2"), [(0.05, 0.4), (0.3, 0.0), (0.0, 0.0)])
def test_per_sample_dropout_equals_the_sum_over_genotypes(o1, o2, d1, d2) -> None:
    m = Marker("L", ("a", "b", "c"), [0.2, 0.3, 0.5])
    prof: dict[str, dict[str, Genotype]] = {
        "A": {"L": tuple(m.alleles[x] for x in o1) if len(o1) == 2 else (m.alleles[o1[0]], None)},
        "B": {"L": tuple(m.alleles[x] for x in o2) if len(o2) == 2 else (m.alleles[o2[0]], None)},
    }
    enc = encode_samples([m], ["A", "B"], prof)
    got = direct_match_log_lr(
        _Model([m], 0.05),
        None,
        enc.a[:1],
        enc.b[:1],
        enc.a[1:],
        enc.b[1:],
        d1=np.array([[d1]]),
        d2=np.array([[d2]]),
    )[0]
    want = _brute(m, o1, o2, d1, d2)
    if want == -math.inf:
        assert got == -math.inf
    else:
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def _burn(rng: np.random.Generator, m: Marker, g: tuple[int, int], d: float, fail: float):
    """One sample of genotype ``g``: the marker failed with probability ``fail``, each copy lost
    with ``d``; a single peak written a/a or a/- at random."""
    if rng.random() < fail:
        return None
    kept = (
        [x for x in g if rng.random() >= d]
        if g[0] != g[1]
        else ([g[0]] if rng.random() >= d * d else [])
    )
    if not kept:
        return None
    if len(kept) == 2:
        return (m.alleles[kept[0]], m.alleles[kept[1]])
    a = m.alleles[kept[0]]
    return (a, a) if rng.random() < 0.5 else (a, None)


def _oracle(markers, ids, profiles, rates, min_lr: float) -> set[tuple[int, int]]:
    enc = encode_samples(markers, ids, profiles)
    model = _Model(markers, 0.05)
    i, j = np.array(list(itertools.combinations(range(len(ids)), 2))).T
    d = np.array([rates[v] for v in ids])[:, None] * np.ones((1, len(markers)))
    llr = direct_match_log_lr(model, None, enc.a[i], enc.b[i], enc.a[j], enc.b[j], d1=d[i], d2=d[j])
    return {(int(a), int(b)) for a, b, v in zip(i, j, llr, strict=True) if v >= math.log(min_lr)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 100_000),
    n_others=st.integers(2, 40),
    d=st.sampled_from([0.2, 0.35, 0.5]),
    fail=st.sampled_from([0.0, 0.2, 0.4]),
)
def test_a_planted_burned_pair_is_always_found(seed: int, n_others: int, d: float, fail: float):
    """Two fragments of one body, each burned at its own rate, among unrelated samples: every pair
    the exact all-pairs check links is linked by the search, whatever the failed markers."""
    rng = np.random.default_rng(seed)
    markers = standard_markers(16)
    min_lr = 1e3

    def draw():
        return [
            tuple(sorted(int(x) for x in rng.choice(m.n_alleles, 2, p=m.afreq))) for m in markers
        ]

    body = draw()
    ids = [f"S{k}" for k in range(n_others + 2)]
    genos = [body, body] + [draw() for _ in range(n_others)]
    rates = {v: (d if k < 2 else float(rng.choice([0.0, 0.05, d]))) for k, v in enumerate(ids)}
    profiles: dict[str, dict[str, Genotype]] = {}
    for v, g in zip(ids, genos, strict=True):
        prof = {}
        for m, gm in zip(markers, g, strict=True):
            o = _burn(rng, m, gm, rates[v], fail if v in ("S0", "S1") else 0.05)
            if o is not None:
                prof[m.name] = o
        profiles[v] = prof
    want = _oracle(markers, ids, profiles, rates, min_lr)
    res = find_fragments(markers, ids, profiles, min_lr=min_lr, sample_dropout=rates)
    got = set(zip(res.edge_i.tolist(), res.edge_j.tolist(), strict=True))
    assert got == want
    assert len(res.edge_i) == len(got)  # each link once


def test_banded_alone_can_miss_a_burned_pair_that_the_exact_check_finds() -> None:
    """Two fragments, each a single peak where the other is a heterozygote, marker by marker: no
    band matches exactly, so only the exact check of pairs no band vouches for finds them."""
    markers = standard_markers(12)
    a: dict[str, Genotype] = {}
    b: dict[str, Genotype] = {}
    for k, m in enumerate(markers):
        x, y = m.alleles[0], m.alleles[1]
        a[m.name], b[m.name] = ((x, y), (x, None)) if k % 2 else ((x, None), (x, y))
    ids = ["A", "B"]
    prof = {"A": a, "B": b}
    rates = {"A": 0.4, "B": 0.4}
    fast = find_fragments(markers, ids, prof, min_lr=10, sample_dropout=rates, exhaustive=False)
    full = find_fragments(markers, ids, prof, min_lr=10, sample_dropout=rates)
    assert len(fast.edge_i) == 0
    assert full.groups == [(0, 1)]
    assert full.notes["exhaustive"]["pairs_checked_exactly"] == 1
