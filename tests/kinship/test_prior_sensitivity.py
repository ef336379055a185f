"""Each identification's posterior against the open-population prior's p
(``kinship.prior_sensitivity``).

The math checked before asserting (see the module docstring): under the open prior an
assignment weighs LR x prod over placed PMs of p / (k_v (1 - p)); the flat prior weighs LR. So
the flat prior is p = k / (k + 1) when every PM may be the same k MPs, and *not* p = 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship.dvi import NOBODY, pairwise_lr
from repatria.kinship.joint import joint_dvi
from repatria.kinship.prior_sensitivity import (
    DEFAULT_P,
    FLAT,
    flat_equivalent_p,
    identified_pairings,
    prior_sensitivity,
)
from repatria.kinship.priors import open_population_prior
from repatria.services.pipelines.simulation import simulate_dvi_case


@pytest.fixture(scope="module")
def case():
    problem = simulate_dvi_case(4, 3, 11).problem
    return problem, pairwise_lr(problem)


def test_the_flat_prior_is_the_open_prior_at_k_over_k_plus_one(case) -> None:
    problem, pw = case
    k = len(problem.missing)  # simulated soldiers: every PM may be every MP
    assert all(len([m for m in problem.pairings[v] if m != NOBODY]) == k for v in problem.pm)
    p = flat_equivalent_p(problem)
    assert p == k / (k + 1)
    flat = joint_dvi(problem, pw)
    same = joint_dvi(problem, pw, prior=open_population_prior(problem, p))
    np.testing.assert_allclose(same.marginals, flat.marginals, rtol=1e-12, atol=1e-15)


def test_p_one_is_not_the_flat_prior_one_pm_one_mp_by_hand() -> None:
    # One PM, one MP (k = 1), LR L: flat posterior L / (1 + L); open prior odds p / (1 - p), so
    # posterior L p / (1 - p) / (1 + L p / (1 - p)); equal at p = 1/2, and -> 1 as p -> 1.
    problem = simulate_dvi_case(1, 1, 3).problem
    pw = pairwise_lr(problem)
    lr = float(pw.lr[0, 0])
    pairs = [(problem.pm[0], problem.missing[0])]
    (row,) = prior_sensitivity(problem, pw, pairs, ps=(0.1, 0.5, 1.0))
    for p in (0.1, 0.5):
        odds = lr * p / (1 - p)
        assert row.posterior_by_p[f"{p:g}"] == pytest.approx(odds / (1 + odds), rel=1e-9)
    assert row.posterior_by_p[FLAT] == pytest.approx(lr / (1 + lr), rel=1e-9)
    assert row.posterior_by_p["0.5"] == pytest.approx(row.posterior_by_p[FLAT], rel=1e-12)
    if lr > 0:
        assert row.posterior_by_p["1"] == pytest.approx(1.0, abs=1e-9)


def test_the_table_has_every_p_and_flat_for_the_identified_pairings(case) -> None:
    problem, pw = case
    joint = joint_dvi(problem, pw)
    pairs = identified_pairings(problem, joint)
    assert pairs, "the simulated case identifies someone"
    best = {(v, m) for v, m in joint.top[0].assignment.items() if m != NOBODY}
    assert best <= set(pairs)
    rows = prior_sensitivity(problem, pw, pairs, known={FLAT: joint})
    assert [(r.pm, r.mp) for r in rows] == pairs
    for r in rows:
        assert list(r.posterior_by_p) == [*(f"{p:g}" for p in DEFAULT_P), FLAT]
        assert all(0 <= x <= 1 for x in r.posterior_by_p.values())
        i, k = problem.pm.index(r.pm), problem.missing.index(r.mp)
        assert r.posterior_by_p[FLAT] == joint.marginals[i, k]  # reused, not rerun
    assert prior_sensitivity(problem, pw, []) == []


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(1, 3000), p=st.floats(0.01, 1.0))
def test_open_prior_posteriors_normalise_and_grow_with_p_for_a_lone_pm(seed: int, p: float) -> None:
    problem = simulate_dvi_case(3, 3, seed).problem
    pw = pairwise_lr(problem)
    j = joint_dvi(problem, pw, prior=open_population_prior(problem, p))
    np.testing.assert_allclose(j.marginals.sum(axis=1), 1.0, atol=1e-12)
    # A PM's chance of being nobody never grows with p (here for the single-PM sub-case).
    one = simulate_dvi_case(1, 2, seed).problem
    pw1 = pairwise_lr(one)
    lo = joint_dvi(one, pw1, prior=open_population_prior(one, p / 2)).marginals[0, -1]
    hi = joint_dvi(one, pw1, prior=open_population_prior(one, p)).marginals[0, -1]
    assert hi <= lo + 1e-12 or math.isclose(hi, lo, rel_tol=1e-12)
