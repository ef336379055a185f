"""PM–PM matching: direct-match LR with dropout, banded candidate search, groups."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship.errors import KinshipError
from repatria.kinship.fragments import _Model, direct_match_log_lr, encode_samples, find_fragments
from repatria.kinship.markers import Marker
from repatria.kinship.simulate import simulate_population
from repatria.services.pipelines.simulation import standard_markers


def _brute_force(m: Marker, d: float, o1, o2) -> float:
    """Sum over every true genotype: P(o1, o2 | same) / (P(o1) P(o2)), straight from the model."""
    n = m.n_alleles
    p = m.afreq

    def p_obs(o, g):
        x, y = g
        if o is None:
            return 1.0
        obs = set(o)
        if len(obs) == 2:
            return (1 - d) ** 2 if obs == {x, y} else 0.0
        (a,) = obs
        if x == y:
            return 1 - d**2 if a == x else 0.0
        return d * (1 - d) if a in (x, y) else 0.0

    gens = [
        ((x, y), (p[x] ** 2 if x == y else 2 * p[x] * p[y])) for x in range(n) for y in range(x, n)
    ]
    joint = sum(w * p_obs(o1, g) * p_obs(o2, g) for g, w in gens)
    m1 = sum(w * p_obs(o1, g) for g, w in gens)
    m2 = sum(w * p_obs(o2, g) for g, w in gens)
    return math.log(joint) - math.log(m1) - math.log(m2) if joint > 0 else -math.inf


@settings(max_examples=60, deadline=None)
@given(
    d=st.sampled_from([0.0, 0.05, 0.3]),
    g1=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    g2=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    s1=st.booleans(),
    s2=st.booleans(),
)
def test_direct_match_lr_equals_brute_force(d, g1, g2, s1, s2):
    m = Marker("L", ("1", "2", "3", "4"), [0.1, 0.2, 0.3, 0.4])
    o1 = (g1[0],) if s1 else g1
    o2 = (g2[0],) if s2 else g2
    prof = {
        "A": {"L": tuple(m.alleles[x] for x in o1) if len(o1) == 2 else (m.alleles[o1[0]], None)},
        "B": {"L": tuple(m.alleles[x] for x in o2) if len(o2) == 2 else (m.alleles[o2[0]], None)},
    }
    enc = encode_samples([m], ["A", "B"], prof)
    got = direct_match_log_lr(_Model([m], d), None, enc.a[:1], enc.b[:1], enc.a[1:], enc.b[1:])[0]
    want = _brute_force(m, d, tuple(set(o1)), tuple(set(o2)))
    if want == -math.inf:
        assert got == -math.inf
    else:
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_fragments_of_simulated_bodies_are_regrouped():
    sim = simulate_population(
        standard_markers(23), 600, 100, np.random.default_rng(4), fragmented=0.3
    )
    p = sim.problem
    res = find_fragments(p.markers, p.pm, p.pm_profiles)
    got = {tuple(sorted(p.pm[i] for i in g)) for g in res.groups}
    want = {tuple(f) for f in sim.fragments}
    assert len(got & want) / len(want) >= 0.95
    # No group mixes two bodies.
    body = {}
    for k, f in enumerate(sim.fragments):
        for v in f:
            body[v] = k
    for g in got:
        assert len({body.get(v, v) for v in g}) == 1
    assert res.candidates_checked < len(p.pm) * (len(p.pm) - 1) // 2 / 10


def test_band_search_finds_what_all_pairs_find():
    sim = simulate_population(
        standard_markers(23), 150, 30, np.random.default_rng(9), fragmented=0.4
    )
    p = sim.problem
    res = find_fragments(p.markers, p.pm, p.pm_profiles, min_lr=1e6)
    enc = encode_samples(p.markers, p.pm, p.pm_profiles)
    i, j = np.array(list(itertools.combinations(range(len(p.pm)), 2))).T
    llr = direct_match_log_lr(_Model(p.markers, 0.05), None, enc.a[i], enc.b[i], enc.a[j], enc.b[j])
    all_pairs = {(a, b) for a, b, v in zip(i, j, llr, strict=False) if v >= math.log(1e6)}
    banded = set(zip(res.edge_i.tolist(), res.edge_j.tolist(), strict=False))
    assert banded <= all_pairs
    assert len(banded) >= 0.95 * len(all_pairs)


def test_bad_parameters():
    m = standard_markers(2)
    with pytest.raises(KinshipError):
        find_fragments(m, [], {}, min_lr=0)
    with pytest.raises(KinshipError):
        find_fragments(m, [], {}, dropout=1.5)
