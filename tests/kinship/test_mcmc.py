"""MCMC over assignments: agrees with exact sums within its Monte Carlo error, respects the rules.

The exact values come from a naive enumeration of every assignment (small random models with
families of one and two MPs) and from the joint search on reference cases it sums whole.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from repatria.formats.casefolder import read_case_folder
from repatria.kinship.bounds import FactorModel, factor_model, posterior_bounds
from repatria.kinship.dvi import pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.joint import joint_dvi
from repatria.kinship.mcmc import mcmc_marginals, mcmc_where_wide, split_rhat_ess
from repatria.services.pipelines.simulation import simulate_dvi_case


def naive_marginals(model: FactorModel) -> np.ndarray:
    """Exact posteriors by enumerating every assignment (flat prior), shape ``(n_pm, n_mp + 1)``."""
    n, k = model.n_pm, model.n_mp
    valid = model.valid()
    choices = [
        [*np.flatnonzero(valid[v]).tolist(), *([k] if model.nobody[v] else [])] for v in range(n)
    ]
    out = np.zeros((n, k + 1))
    logs, assigns = [], []
    for a in itertools.product(*choices):
        used = [m for m in a if m != k]
        if len(used) == len(set(used)):
            lw = model.log_weight(np.array(a, dtype=np.int64))
            if lw > -math.inf:
                logs.append(lw)
                assigns.append(a)
    w = np.exp(np.array(logs) - max(logs))
    w /= w.sum()
    for a, p in zip(assigns, w, strict=True):
        out[np.arange(n), list(a)] += p
    return out


def random_model(seed: int, n: int = 5, sizes: tuple[int, ...] = (1, 2, 1, 2)) -> FactorModel:
    """A random model: LRs log-normal with some strong pairs and exclusions; joint factors of
    two-MP families with an interaction; one PM that must be someone."""
    rng = np.random.default_rng(seed)
    family = np.array([f for f, s in enumerate(sizes) for _ in range(s)], dtype=np.int64)
    k = len(family)
    single = rng.normal(0.0, 2.0, size=(n, k))
    single[rng.random((n, k)) < 0.2] = -np.inf
    single[0, 0] = 6.0
    options = []
    for f, s in enumerate(sizes):
        mps = [int(m) for m in np.flatnonzero(family == f)]
        opts: dict[frozenset[tuple[int, int]], float] = {frozenset(): 0.0}
        for m in mps:
            for v in range(n):
                if single[v, m] > -np.inf:
                    opts[frozenset({(v, m)})] = float(single[v, m])
        if s == 2:
            for v, u in itertools.permutations(range(n), 2):
                if single[v, mps[0]] > -np.inf and single[u, mps[1]] > -np.inf:
                    w = single[v, mps[0]] + single[u, mps[1]] + rng.normal()
                    opts[frozenset({(v, mps[0]), (u, mps[1])})] = float(w)
        options.append(opts)
    nobody = np.ones(n, dtype=bool)
    nobody[2] = False
    return FactorModel(
        tuple(f"V{i}" for i in range(n)),
        tuple(f"M{j}" for j in range(k)),
        family,
        tuple(f"F{f}" for f in range(len(sizes))),
        nobody,
        tuple(options),
    )


def assert_agrees(est: np.ndarray, err: np.ndarray, exact: np.ndarray, z: float = 4.5) -> None:
    dev = np.abs(est - exact)
    bad = np.argwhere(dev > z * err + 2e-3)
    assert not bad.size, [(tuple(c), est[tuple(c)], exact[tuple(c)], err[tuple(c)]) for c in bad]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agrees_with_enumeration(seed):
    model = random_model(seed)
    exact = naive_marginals(model)
    res = mcmc_marginals(model, chains=4, steps=40_000, thin=5, seed=seed)
    assert_agrees(res.marginals, res.mc_error, exact)
    assert res.max_rhat < 1.05
    assert res.min_ess > 100
    assert res.chains == 4 and res.steps == 40_000 and res.burn_in == 10_000 and res.seed == seed
    assert len(res.starts) == 4 and all(0.0 < a < 1.0 for a in res.acceptance)
    assert np.allclose(res.marginals.sum(axis=1), 1.0)


def test_draws_respect_the_rules():
    """No MP twice, only allowed pairings, only possible sub-assignments, "*" only if allowed."""
    model = random_model(7)
    res = mcmc_marginals(model, chains=3, steps=6_000, thin=3, seed=7)
    k = model.n_mp
    valid = model.valid()
    for a in res.draws.reshape(-1, model.n_pm):
        used = a[a < k]
        assert len(used) == len(set(used.tolist()))
        for v, m in enumerate(a.tolist()):
            assert (m == k and model.nobody[v]) or (m < k and valid[v, m])
        assert model.log_weight(a) > -math.inf


def test_seeded_and_reproducible():
    model = random_model(2)
    a = mcmc_marginals(model, steps=4_000, seed=11)
    b = mcmc_marginals(model, steps=4_000, seed=11)
    c = mcmc_marginals(model, steps=4_000, seed=12)
    assert np.array_equal(a.draws, b.draws) and np.array_equal(a.marginals, b.marginals)
    assert not np.array_equal(a.draws, c.draws)


def test_refuses_one_chain_and_too_few_draws():
    model = random_model(1)
    with pytest.raises(KinshipError, match="2 chains"):
        mcmc_marginals(model, chains=1)
    with pytest.raises(KinshipError, match="fewer than 4 draws"):
        mcmc_marginals(model, steps=10, thin=5)


def test_split_rhat_and_ess_on_known_series():
    rng = np.random.default_rng(0)
    iid = rng.normal(size=(1, 4, 2000))
    r, e = split_rhat_ess(iid)
    assert abs(r[0] - 1.0) < 0.01 and 6000 < e[0] < 10000
    # AR(1) with phi = 0.9: ESS about n (1 - phi) / (1 + phi).
    x = np.zeros((1, 4, 4000))
    for t in range(1, 4000):
        x[0, :, t] = 0.9 * x[0, :, t - 1] + rng.normal(size=4)
    r, e = split_rhat_ess(x)
    assert r[0] < 1.05 and 16000 * 0.05 * 0.6 < e[0] < 16000 * 0.053 * 1.6
    # Chains stuck in different places: R-hat is large.
    stuck = np.concatenate([np.zeros((1, 2, 500)), np.ones((1, 2, 500))], axis=1)
    stuck += rng.normal(0, 0.01, size=stuck.shape)
    assert split_rhat_ess(stuck)[0][0] > 10
    # Constant: undefined.
    r, e = split_rhat_ess(np.ones((1, 3, 100)))
    assert math.isnan(r[0]) and math.isnan(e[0])


@pytest.mark.reference
@pytest.mark.parametrize("name", ["symmetricSibs", "planecrash", "example2"])
def test_reference_cases_against_the_exact_joint(name, reference_cases):
    problem = read_case_folder(reference_cases / name)
    pw = pairwise_lr(problem)
    j = joint_dvi(problem, pw)
    assert j.neglected_mass_bound == 0.0
    res = mcmc_marginals(factor_model(problem, pw), chains=4, steps=30_000, seed=3)
    assert_agrees(res.marginals, res.mc_error, j.marginals)
    assert res.max_rhat < 1.05


def test_where_wide_on_a_pruned_case():
    """The joint forced to prune; MCMC on the parts left wide agrees with the exact sums."""
    sim = simulate_dvi_case(12, 12, 2)
    pw = pairwise_lr(sim.problem)
    full = joint_dvi(sim.problem, pw)
    cut = joint_dvi(sim.problem, pw, exact_bits=2)
    fm = factor_model(sim.problem, pw)
    b = posterior_bounds(sim.problem, cut, pw, model=fm)
    res = mcmc_where_wide(fm, b, width=0.0, steps=20_000, seed=5)
    assert res.sampled_rows.any()
    rows = res.sampled_rows
    assert_agrees(res.marginals[rows], res.mc_error[rows], full.marginals[rows])
    assert np.all(np.isnan(res.marginals[~rows]))
    # Nothing wide: nothing sampled.
    none = mcmc_where_wide(fm, b, width=2.0)
    assert not none.sampled_rows.any() and none.chains == 0
