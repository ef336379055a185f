"""The joint search on option arrays against the object version it replaced, as an oracle.

``joint_oracle_old`` is the joint search as it was before its options went on numpy arrays
(one Python object per option, dict lookups in pruning, add-back and the bound). On cases that
prune, add back and bound, both must give the same total, marginals, best assignments, bound and
exact rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joint_oracle_old import joint_dvi as old_joint_dvi

from repatria.kinship.dvi import pairwise_lr
from repatria.kinship.joint import joint_dvi
from repatria.kinship.priors import open_population_prior
from repatria.kinship.simulate import simulate_population
from repatria.services.pipelines.simulation import simulate_dvi_case, standard_markers


def _same(new, old) -> None:
    assert new.log_z == pytest.approx(old.log_z, rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(new.marginals, old.marginals, rtol=1e-9, atol=1e-12)
    assert new.neglected_mass_bound == pytest.approx(old.neglected_mass_bound, rel=1e-9, abs=1e-14)
    np.testing.assert_array_equal(new.exact_rows, old.exact_rows)
    assert [a.assignment for a in new.top] == [a.assignment for a in old.top]
    for a, b in zip(new.top, old.top, strict=True):
        assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    assert new.bound_proven == old.bound_proven
    assert new.searched == old.searched


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("exact_bits", [2, 4, 6, 16])
def test_same_as_object_version_on_simulated_cases(seed: int, exact_bits: int) -> None:
    sim = simulate_dvi_case(12, 12, seed)
    pw = pairwise_lr(sim.problem)
    _same(
        joint_dvi(sim.problem, pw, exact_bits=exact_bits),
        old_joint_dvi(sim.problem, pw, exact_bits=exact_bits),
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(6, 40),
    seed=st.integers(0, 10_000),
    exact_bits=st.sampled_from([3, 5, 8, 12, 16]),
    with_prior=st.booleans(),
)
def test_same_as_object_version_on_exchanges(
    n: int, seed: int, exact_bits: int, with_prior: bool
) -> None:
    """Weak families, partial profiles, fragments and multi-reference families, pruned hard."""
    sim = simulate_population(
        standard_markers(12),
        n,
        max(1, 3 * n // 4),
        np.random.default_rng(seed),
        shape_weights={"parents": 0.3, "half_sibling": 0.3, "cousin": 0.2, "child": 0.2},
        max_dropout=0.3,
        fragmented=0.1,
    )
    pw = pairwise_lr(sim.problem)
    prior = open_population_prior(sim.problem, 0.5) if with_prior else None
    new = joint_dvi(sim.problem, pw, exact_bits=exact_bits, prior=prior)
    old = old_joint_dvi(sim.problem, pw, exact_bits=exact_bits, prior=prior)
    _same(new, old)


def _inside_row_bounds(cut, full) -> None:
    assert cut.row_bounds is not None
    b = cut.row_bounds[:, None]
    p = cut.marginals
    lo, hi = p * (1.0 - b), p + b * (1.0 - p)
    bad = np.argwhere((full.marginals < lo - 1e-9) | (full.marginals > hi + 1e-9))
    assert not bad.size, [
        (tuple(c), lo[tuple(c)], full.marginals[tuple(c)], hi[tuple(c)]) for c in bad
    ]
    assert np.all((cut.row_bounds >= 0.0) & (cut.row_bounds <= 1.0))
    # Exact rows have nothing left out around them.
    assert np.all(cut.row_bounds[np.asarray(cut.exact_rows)] == 0.0)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("exact_bits", [2, 3, 4, 6])
def test_row_bounds_hold_the_exact_posteriors(seed: int, exact_bits: int) -> None:
    """Per-component (J): the true posteriors lie within the row's interval around the kept
    marginals, the truth summed with nothing left out."""
    sim = simulate_dvi_case(12, 12, seed)
    pw = pairwise_lr(sim.problem)
    full = joint_dvi(sim.problem, pw, exact_bits=16)
    assert full.neglected_mass_bound == 0.0
    _inside_row_bounds(joint_dvi(sim.problem, pw, exact_bits=exact_bits), full)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(4, 14),
    seed=st.integers(0, 10_000),
    exact_bits=st.sampled_from([1, 2, 3, 5]),
    with_prior=st.booleans(),
)
def test_row_bounds_hold_on_exchanges(n: int, seed: int, exact_bits: int, with_prior: bool) -> None:
    sim = simulate_population(
        standard_markers(8),
        n,
        max(1, 3 * n // 4),
        np.random.default_rng(seed),
        shape_weights={"parents": 0.3, "half_sibling": 0.3, "cousin": 0.2, "child": 0.2},
        max_dropout=0.3,
        fragmented=0.2,
    )
    pw = pairwise_lr(sim.problem)
    prior = open_population_prior(sim.problem, 0.5) if with_prior else None
    full = joint_dvi(sim.problem, pw, exact_bits=16, prior=prior)
    if full.neglected_mass_bound > 0.0:
        return  # too linked to sum whole: no truth to compare with
    _inside_row_bounds(joint_dvi(sim.problem, pw, exact_bits=exact_bits, prior=prior), full)


def test_single_mp_options_behave_as_the_dict_they_replace() -> None:
    from repatria.kinship.bounds import SingleMPOptions

    opts = SingleMPOptions(3, np.array([0, 2, 5]), np.log(np.array([2.0, 0.5, 7.0])))
    as_dict = {
        frozenset(): 0.0,
        **{frozenset({(u, 3)}): w for u, w in zip([0, 2, 5], np.log([2.0, 0.5, 7.0]), strict=True)},
    }
    assert dict(opts.items()) == pytest.approx(as_dict)
    assert len(opts) == 4 and frozenset({(2, 3)}) in opts
    assert opts.get(frozenset({(1, 3)})) is None and opts.get(frozenset({(0, 4)})) is None
    assert opts.get(frozenset({(0, 3), (2, 3)})) is None
