"""Priors over assignments: the open-population prior against brute-force enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship.dvi import NOBODY, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.joint import joint_dvi
from repatria.kinship.priors import non_dna_pm_prior, open_population_prior
from repatria.services.pipelines.simulation import simulate_dvi_case


def _enumerate(problem, pw, prior):
    """Posterior marginals by listing every assignment (families of one MP: product of LRs)."""
    row = {v: i for i, v in enumerate(problem.pm)}
    col = {m: j for j, m in enumerate(problem.missing)}
    weights, assignments = [], []
    for choice in itertools.product(*(problem.pairings[v] for v in problem.pm)):
        used = [m for m in choice if m != NOBODY]
        if len(used) != len(set(used)):
            continue
        logw = 0.0
        for v, m in zip(problem.pm, choice, strict=True):
            if m != NOBODY:
                logw += pw.log_lr[row[v], col[m]] + prior.log_odds.get(v, {}).get(m, 0.0)
        weights.append(logw)
        assignments.append(choice)
    w = np.exp(np.array(weights) - max(weights))
    w /= w.sum()
    marg = np.zeros((len(problem.pm), len(problem.missing) + 1))
    for wi, choice in zip(w, assignments, strict=True):
        for v, m in zip(problem.pm, choice, strict=True):
            marg[row[v], col[m] if m != NOBODY else -1] += wi
    return marg


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(1, 5000), p=st.floats(0.01, 0.99))
def test_open_population_marginals_equal_enumeration(seed: int, p: float) -> None:
    problem = simulate_dvi_case(4, 3, seed).problem
    pw = pairwise_lr(problem)
    prior = open_population_prior(problem, p)
    j = joint_dvi(problem, pw, prior=prior)
    np.testing.assert_allclose(j.marginals, _enumerate(problem, pw, prior), atol=1e-9)
    np.testing.assert_allclose(j.marginals.sum(axis=1), 1.0, atol=1e-12)
    assert j.prior.startswith("open population")
    # loglik and LR of an assignment stay its likelihood, whatever the prior
    flat = {tuple(a.assignment.items()): a for a in joint_dvi(problem, pw, top=50).top}
    for a in j.top:
        f = flat.get(tuple(a.assignment.items()))
        if f is not None:
            assert a.loglik == pytest.approx(f.loglik, rel=1e-12)


def test_odds_of_one_are_the_flat_prior() -> None:
    # p_v = k_v / (k_v + 1) gives every pairing prior odds 1: dvir's flat prior.
    problem = simulate_dvi_case(5, 4, 3).problem
    pw = pairwise_lr(problem)
    k = {v: len([m for m in problem.pairings[v] if m != NOBODY]) for v in problem.pm}
    prior = open_population_prior(problem, 0.5, per_pm={v: k[v] / (k[v] + 1) for v in k})
    np.testing.assert_allclose(
        joint_dvi(problem, pw, prior=prior).marginals, joint_dvi(problem, pw).marginals, atol=1e-12
    )


def test_weak_link_is_not_likely_under_a_low_prior() -> None:
    # One PM, one family, LR 2.9: flat prior gives 2.9 / 3.9 = 0.74; with p = 0.1 it is
    # 2.9 * 0.1 / 0.9 / (1 + 2.9 * 0.1 / 0.9) = 0.244.
    problem = simulate_dvi_case(1, 1, 7).problem
    pw = pairwise_lr(problem)
    lr = float(pw.lr[0, 0])
    odds = lr * 0.1 / 0.9
    got = joint_dvi(problem, pw, prior=open_population_prior(problem, 0.1)).marginals[0, 0]
    assert got == pytest.approx(odds / (1 + odds), rel=1e-12)
    assert joint_dvi(problem, pw).marginals[0, 0] == pytest.approx(lr / (1 + lr), rel=1e-12)


def test_prior_refuses_bad_probabilities() -> None:
    problem = simulate_dvi_case(2, 2, 1).problem
    for bad in (0.0, 1.5, math.nan):
        with pytest.raises(KinshipError, match="match prior"):
            open_population_prior(problem, bad)


# --- one PM's prior weighted by non-DNA evidence ---------------------------------------------


@given(
    k=st.integers(1, 6),
    p=st.floats(0.001, 1.0),
    lrs=st.lists(st.floats(0.0, 1e6), min_size=6, max_size=6),
)
def test_the_non_dna_pm_prior_normalises(k: int, p: float, lrs: list[float]) -> None:
    mps = [f"M{i}" for i in range(k)]
    prior = non_dna_pm_prior(mps, p, dict(zip(mps, lrs, strict=False)))
    assert set(prior) == {*mps, NOBODY}
    assert math.fsum(prior.values()) == pytest.approx(1.0, rel=1e-12)
    assert all(0 <= x <= 1 for x in prior.values())


@given(k=st.integers(1, 5), p=st.floats(0.01, 0.99))
def test_without_non_dna_evidence_it_is_the_open_population_prior(k: int, p: float) -> None:
    prior = non_dna_pm_prior([f"M{i}" for i in range(k)], p)
    assert prior[NOBODY] == pytest.approx(1 - p, rel=1e-12)
    assert all(prior[f"M{i}"] == pytest.approx(p / k, rel=1e-12) for i in range(k))


def test_its_odds_are_the_open_population_odds_with_the_same_lrs() -> None:
    problem = simulate_dvi_case(2, 3, 11).problem
    v = problem.pm[0]
    mps = [m for m in problem.pairings[v] if m != NOBODY]
    lrs = {m: 3.0**i for i, m in enumerate(mps)}
    prior = non_dna_pm_prior(mps, 0.3, lrs)
    table = open_population_prior(problem, 0.3, pairing_lr={(v, m): x for m, x in lrs.items()})
    for m in mps:
        assert math.log(prior[m] / prior[NOBODY]) == pytest.approx(table.log_odds[v][m], rel=1e-12)


def test_the_non_dna_pm_prior_refuses_bad_input() -> None:
    with pytest.raises(KinshipError, match="not an allowed MP"):
        non_dna_pm_prior(["M1"], 0.5, {"M2": 2.0})
    with pytest.raises(KinshipError, match="match prior"):
        non_dna_pm_prior(["M1"], 0.0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(1, 5000), p=st.floats(0.01, 0.99), data=st.data())
def test_the_non_dna_prior_in_the_joint_normalises_and_is_the_open_prior_at_lr_1(
    seed: int, p: float, data: st.DataObject
) -> None:
    # what identify --non-dna-prior hands the joint (services/workflows/non_dna_prior.py)
    problem = simulate_dvi_case(4, 3, seed).problem
    pw = pairwise_lr(problem)
    pairs = [(v, m) for v in problem.pm for m in problem.pairings[v] if m != NOBODY]
    ones = open_population_prior(problem, p, pairing_lr=dict.fromkeys(pairs, 1.0))
    open_ = open_population_prior(problem, p)
    assert ones.log_odds == open_.log_odds
    np.testing.assert_array_equal(
        joint_dvi(problem, pw, prior=ones).marginals, joint_dvi(problem, pw, prior=open_).marginals
    )
    lrs = {x: data.draw(st.sampled_from([0.0, 0.1, 1.0, 7.0, 1e4])) for x in pairs}
    prior = open_population_prior(problem, p, pairing_lr=lrs)
    j = joint_dvi(problem, pw, prior=prior)
    np.testing.assert_allclose(j.marginals.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(j.marginals, _enumerate(problem, pw, prior), atol=1e-9)


def test_the_non_dna_prior_by_hand() -> None:
    # one body, two MPs allowed, p = 0.5, a non-DNA LR of 4 for M1 (say his papers on the body):
    # prior M1 : M2 : nobody = 0.25 * 4 : 0.25 : 0.5 = 1 : 0.25 : 0.5 (sum 1.75)
    prior = non_dna_pm_prior(["M1", "M2"], 0.5, {"M1": 4.0})
    assert [prior["M1"], prior["M2"], prior[NOBODY]] == pytest.approx([4 / 7, 1 / 7, 2 / 7])
    # DNA LRs 2 (M1) and 1 (M2): posterior 1 * 2 : 0.25 * 1 : 0.5 * 1, M1 = 2 / 2.75 = 8 / 11
    weights = {"M1": prior["M1"] * 2.0, "M2": prior["M2"] * 1.0, NOBODY: prior[NOBODY]}
    assert weights["M1"] / sum(weights.values()) == pytest.approx(8 / 11, rel=1e-12)
    # the joint gives the same for a real one-body case, its DNA LRs read from the pairwise table
    problem = simulate_dvi_case(1, 2, 3).problem
    pw = pairwise_lr(problem)
    v = problem.pm[0]
    mps = [m for m in problem.pairings[v] if m != NOBODY]
    first = mps[0]
    table = open_population_prior(problem, 0.5, pairing_lr={(v, first): 4.0})
    j = joint_dvi(problem, pw, prior=table)
    lr = {m: float(pw.lr[0, problem.missing.index(m)]) for m in mps}
    odds = {m: 0.5 / (len(mps) * 0.5) * (4.0 if m == first else 1.0) for m in mps}
    z = 1 + sum(odds[m] * lr[m] for m in mps)
    for m in mps:
        k = problem.missing.index(m)
        assert j.marginals[0, k] == pytest.approx(odds[m] * lr[m] / z, rel=1e-9)
    assert j.marginals[0, -1] == pytest.approx(1 / z, rel=1e-9)
