"""Per-pair posterior bounds: the exact posterior lies inside every interval.

The oracle is deliberately naive: every assignment enumerated, weights summed. It is checked
against random factor models (Hypothesis: a few PMs, families with one or two MPs, exclusions,
PMs that must be someone), simulated cases with the joint search forced to prune, and the shared
reference cases small enough to enumerate.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.formats.casefolder import read_case_folder
from repatria.kinship.bounds import (
    FactorModel,
    bound_marginals,
    factor_model,
    pair_ratios,
    posterior_bounds,
)
from repatria.kinship.dvi import pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.joint import joint_dvi
from repatria.kinship.priors import open_population_prior
from repatria.kinship.simulate import simulate_dvi
from repatria.services.pipelines.simulation import simulate_dvi_case, standard_markers
from shared_data import CASE_NAMES

TOL = 1e-9


def naive_marginals(model: FactorModel) -> np.ndarray:
    """Exact posteriors by enumerating every assignment (flat prior), shape ``(n_pm, n_mp + 1)``."""
    n, k = model.n_pm, model.n_mp
    choices = []
    for v in range(n):
        c = [m for m in range(k) if any((v, m) in s for opts in model.options for s in opts)]
        if model.nobody[v]:
            c.append(k)
        choices.append(c)
    logs, assigns = [], []
    for a in itertools.product(*choices):
        used = [m for m in a if m != k]
        if len(used) != len(set(used)):
            continue
        lw = model.log_weight(np.array(a, dtype=np.int64))
        if lw > -math.inf:
            logs.append(lw)
            assigns.append(a)
    if not logs:
        return np.full((n, k + 1), np.nan)  # no possible assignment
    logs_arr = np.array(logs)
    w = np.exp(logs_arr - logs_arr.max())
    w /= w.sum()
    out = np.zeros((n, k + 1))
    for a, p in zip(assigns, w, strict=True):
        for v, m in enumerate(a):
            out[v, m] += p
    return out


def assert_inside(lo: np.ndarray, hi: np.ndarray, exact: np.ndarray) -> None:
    assert np.all(lo >= 0.0) and np.all(hi <= 1.0)
    assert np.all(lo <= hi + 1e-15)
    bad = np.argwhere((exact < lo - TOL) | (exact > hi + TOL))
    assert not bad.size, [(tuple(c), lo[tuple(c)], exact[tuple(c)], hi[tuple(c)]) for c in bad]


@st.composite
def factor_models(draw: st.DrawFn) -> FactorModel:
    """Small random models: 1-5 PMs, 1-4 families of one or two MPs, strong and weak LRs."""
    n = draw(st.integers(1, 5))
    sizes = draw(st.lists(st.integers(1, 2), min_size=1, max_size=4))
    family = np.array([f for f, s in enumerate(sizes) for _ in range(s)], dtype=np.int64)
    k = len(family)
    log_lr = st.one_of(
        st.just(-math.inf),  # excluded
        st.floats(-6.0, 3.0),  # weak or against
        st.floats(5.0, 25.0),  # strong
    )
    single = np.array([[draw(log_lr) for _ in range(k)] for _ in range(n)])
    nobody = np.array([draw(st.booleans()) or draw(st.booleans()) for _ in range(n)])
    options = []
    for f in range(len(sizes)):
        mps = [int(m) for m in np.flatnonzero(family == f)]
        opts: dict[frozenset[tuple[int, int]], float] = {frozenset(): 0.0}
        for m in mps:
            for v in range(n):
                if single[v, m] > -math.inf:
                    opts[frozenset({(v, m)})] = float(single[v, m])
        if len(mps) == 2:
            m1, m2 = mps
            for v, u in itertools.permutations(range(n), 2):
                if single[v, m1] > -math.inf and single[u, m2] > -math.inf:
                    if draw(st.integers(0, 5)) == 0:
                        continue  # jointly impossible
                    extra = draw(st.floats(-3.0, 3.0))
                    opts[frozenset({(v, m1), (u, m2)})] = float(
                        single[v, m1] + single[u, m2] + extra
                    )
        options.append(opts)
    return FactorModel(
        tuple(f"V{i}" for i in range(n)),
        tuple(f"M{j}" for j in range(k)),
        family,
        tuple(f"F{f}" for f in range(len(sizes))),
        nobody,
        tuple(options),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factor_models())
def test_exact_posterior_inside_every_interval(model):
    exact = naive_marginals(model)
    if not np.all(np.isfinite(exact)):
        return  # no possible assignment (PMs that must be someone, too few MPs)
    lo, hi, _ = bound_marginals(model)
    assert_inside(lo, hi, exact)


@settings(max_examples=150, deadline=None)
@given(factor_models(), st.floats(0.0, 0.3), st.integers(0, 2**32 - 1))
def test_given_intervals_are_kept_and_tightened(model, slack, seed):
    """Starting from any valid intervals (the exact value widened), the result stays valid."""
    exact = naive_marginals(model)
    if not np.all(np.isfinite(exact)):
        return
    rng = np.random.default_rng(seed)
    lo0 = np.clip(exact - slack * rng.random(exact.shape), 0.0, 1.0)
    hi0 = np.clip(exact + slack * rng.random(exact.shape), 0.0, 1.0)
    lo, hi, _ = bound_marginals(model, lo0, hi0)
    assert_inside(lo, hi, exact)
    assert np.all(lo >= lo0 - 1e-11) and np.all(hi <= hi0 + 1e-11)


def test_single_pm_single_mp_is_exact():
    fm = FactorModel(
        ("V",),
        ("M",),
        np.array([0]),
        ("F",),
        np.array([True]),
        ({frozenset(): 0.0, frozenset({(0, 0)}): math.log(1e6)},),
    )
    lo, hi, _ = bound_marginals(fm)
    assert lo[0, 0] == pytest.approx(1e6 / (1e6 + 1), abs=1e-9)
    assert hi[0, 0] == pytest.approx(1e6 / (1e6 + 1), abs=1e-9)


def test_ratios_of_a_family_with_one_mp_are_the_lr():
    sim = simulate_dvi_case(5, 5, 3)
    fm = factor_model(sim.problem)
    lp, lm = pair_ratios(fm)
    assert np.array_equal(lp, fm.log_lr()) and np.array_equal(lm, fm.log_lr())


def test_ratios_of_a_family_with_two_mps():
    # W({(0,0)}) = 2, W({(1,1)}) = 3, W({(0,0),(1,1)}) = 12 (interaction 2): rho+(0,0) = 12/3,
    # rho-(0,0) = min(2/1, 12/3) = 2.
    opts = {
        frozenset(): 0.0,
        frozenset({(0, 0)}): math.log(2),
        frozenset({(1, 1)}): math.log(3),
        frozenset({(0, 0), (1, 1)}): math.log(12),
    }
    fm = FactorModel(
        ("V0", "V1"), ("M0", "M1"), np.array([0, 0]), ("F",), np.array([True, True]), (opts,)
    )
    lp, lm = pair_ratios(fm)
    assert math.exp(lp[0, 0]) == pytest.approx(4.0) and math.exp(lm[0, 0]) == pytest.approx(2.0)
    assert math.exp(lp[1, 1]) == pytest.approx(6.0) and math.exp(lm[1, 1]) == pytest.approx(3.0)
    assert lp[0, 1] == -math.inf


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("exact_bits", [2, 4])
def test_simulated_case_with_pruning(seed, exact_bits):
    """The joint search forced to prune: the bounds still hold the exact marginals, and clear
    pairings get narrow intervals although the global bound may be large."""
    sim = simulate_dvi_case(12, 12, seed)
    pw = pairwise_lr(sim.problem)
    full = joint_dvi(sim.problem, pw, exact_bits=16)
    assert full.neglected_mass_bound == 0.0 and full.exact_rows is not None
    assert full.exact_rows.all()
    cut = joint_dvi(sim.problem, pw, exact_bits=exact_bits)
    fm = factor_model(sim.problem, pw)
    for joint in (None, cut):
        b = posterior_bounds(sim.problem, joint, pw, model=fm)
        assert_inside(b.lower, b.upper, full.marginals)
    b = posterior_bounds(sim.problem, cut, pw, model=fm)
    # Exact rows are exact.
    rows = np.asarray(cut.exact_rows)
    assert np.allclose(b.lower[rows], full.marginals[rows], atol=1e-9)
    assert np.allclose(b.upper[rows], full.marginals[rows], atol=1e-9)
    # Clear pairings: pairwise LR >= 1e6 and an exact posterior above 0.999.
    clear = (pw.lr >= 1e6) & (full.marginals[:, :-1] > 0.999)
    assert clear.any()
    assert np.all(b.width[:, :-1][clear] < 0.01)


def test_exact_case_gives_exact_intervals():
    sim = simulate_dvi_case(8, 8, 5)
    pw = pairwise_lr(sim.problem)
    j = joint_dvi(sim.problem, pw)
    b = posterior_bounds(sim.problem, j, pw)
    assert b.exact_rows.all()
    assert np.max(b.width) < 1e-8
    assert b.interval(sim.problem.pm[0], "*")[0] <= j.marginals[0, -1] + 1e-12


@pytest.mark.reference
@pytest.mark.parametrize("name", [c for c in CASE_NAMES if c != "exclusionExample"])
def test_reference_cases_enumerated(name, reference_cases):
    """Cases small enough to enumerate: the bounds from the LRs alone hold the exact marginals,
    and the joint's exact sums agree with the naive oracle."""
    problem = read_case_folder(reference_cases / name)
    pw = pairwise_lr(problem)
    fm = factor_model(problem, pw)
    exact = naive_marginals(fm)
    j = joint_dvi(problem, pw)
    assert np.allclose(j.marginals, exact, atol=1e-9)
    lo, hi, _ = bound_marginals(fm)
    assert_inside(lo, hi, exact)
    b = posterior_bounds(problem, j, pw, model=fm)
    assert_inside(b.lower, b.upper, exact)


@pytest.mark.reference
def test_exclusion_example_against_the_exact_joint(reference_cases):
    """4e13 assignments: the joint sums it exactly (no pruning); the LR-only bounds hold it."""
    problem = read_case_folder(reference_cases / "exclusionExample")
    pw = pairwise_lr(problem)
    j = joint_dvi(problem, pw)
    assert j.neglected_mass_bound == 0.0
    fm = factor_model(problem, pw)
    lo, hi, _ = bound_marginals(fm)
    assert_inside(lo, hi, j.marginals)


def test_clear_pairings_stay_narrow_when_the_global_bound_is_near_one():
    """30% of the families with a cousin or half-sibling as only reference, and the joint forced
    to prune hard: its global bound is 0.9, yet every clear pairing is certified to 0.01."""
    weights = {
        "parents": 0.2,
        "mother": 0.2,
        "father": 0.1,
        "two_siblings": 0.2,
        "child": 0.1,
        "child_and_wife": 0.1,
    }
    weights = {k: v / sum(weights.values()) * 0.7 for k, v in weights.items()}
    weights.update(half_sibling=0.18, cousin=0.12)
    sim = simulate_dvi(standard_markers(23), 24, 24, np.random.default_rng(1), weights)
    pw = pairwise_lr(sim.problem)
    full = joint_dvi(sim.problem, pw)
    cut = joint_dvi(sim.problem, pw, exact_bits=3)
    assert full.neglected_mass_bound < 1e-8 and cut.neglected_mass_bound > 0.5
    b = posterior_bounds(sim.problem, cut, pw)
    tol = TOL + full.neglected_mass_bound
    assert np.all((full.marginals >= b.lower - tol) & (full.marginals <= b.upper + tol))
    clear = (pw.lr >= 1e4) & (full.marginals[:, :-1] > 0.999)
    assert clear.sum() >= 10
    assert np.all(b.width[:, :-1][clear] < 0.01)


def test_bounds_under_an_open_population_prior():
    """With a prior, the model carries its odds: the exact posterior (enumerated) lies inside,
    equals the joint's under the same prior, and a joint of another prior is refused."""
    sim = simulate_dvi_case(6, 6, 4)
    pw = pairwise_lr(sim.problem)
    prior = open_population_prior(sim.problem, 0.3)
    fm = factor_model(sim.problem, pw, prior)
    assert fm.prior == prior.name
    exact = naive_marginals(fm)
    j = joint_dvi(sim.problem, pw, prior=prior)
    assert np.allclose(j.marginals, exact, atol=1e-9)
    b = posterior_bounds(sim.problem, j, pw, model=fm, prior=prior)
    assert_inside(b.lower, b.upper, exact)
    assert b.prior == prior.name
    lo, hi, _ = bound_marginals(fm)
    assert_inside(lo, hi, exact)
    with pytest.raises(KinshipError, match="prior"):
        posterior_bounds(sim.problem, joint_dvi(sim.problem, pw), pw, model=fm, prior=prior)
    with pytest.raises(KinshipError, match="prior"):
        posterior_bounds(sim.problem, j, pw)


def test_a_clear_pairing_beside_weak_ones_is_narrow():
    """Rule (U2): V0 is M0 (LR 4e4) with weak LRs of 30 to five other MPs, and three rivals for
    M0 (LR 3) that are clearly someone else. P(V0 = *) is then tiny, which bounds every weak
    pairing of V0, and the clear one is pinned within 1e-3 (without U2 the interval was 0.009
    wide), the exact posterior inside."""
    k = 6
    lr = np.zeros((4, k))
    lr[0] = [4e4, 30, 30, 30, 30, 30]
    for v in (1, 2, 3):
        lr[v, v], lr[v, 0] = 1e5, 3.0
    options = []
    for m in range(k):
        opts = {frozenset(): 0.0}
        opts |= {frozenset({(v, m)}): math.log(lr[v, m]) for v in range(4) if lr[v, m] > 0}
        options.append(opts)
    fm = FactorModel(
        tuple(f"V{i}" for i in range(4)),
        tuple(f"M{j}" for j in range(k)),
        np.arange(k),
        tuple(f"F{j}" for j in range(k)),
        np.ones(4, dtype=bool),
        tuple(options),
    )
    exact = naive_marginals(fm)
    lo, hi, _ = bound_marginals(fm)
    assert_inside(lo, hi, exact)
    assert hi[0, 0] - lo[0, 0] < 1e-3
    assert hi[0, k] < 1e-4  # P(V0 = *) = 2.5e-5
