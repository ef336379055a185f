"""Exclusion counts of PMs typed ``a/-`` (one allele lost to dropout) against a naive oracle: the
marker counts where no genotype carrying ``a`` is possible for the MP without mutation, asked of
the full pedigree likelihood, one pairing and marker at a time."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship.dvi import pairwise_lr
from repatria.kinship.probability import genotype_likelihoods
from repatria.services.pipelines.simulation import simulate_dvi_case


def _naive_exclusions(problem, v: str, mp: str) -> int:
    fam = problem.missing_family[mp]
    refs = problem.am_profiles.get(fam, {})
    count = 0
    for m in problem.markers:
        g = problem.pm_profiles[v].get(m.name)
        geno = {p: pr[m.name] for p, pr in refs.items() if pr.get(m.name) is not None}
        table = genotype_likelihoods(problem.families[fam], m.without_mutation(), geno, mp)
        if g is None:
            count += int(not np.nansum(table) > 0)
            continue
        known = [m.allele_index(a) for a in g if a is not None]
        if len(known) == 2:
            count += int(not table[known[0], known[1]] > 0)
        else:
            count += int(not np.nansum(table[known[0]]) > 0)
    return count


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(1, 10_000), drop=st.integers(1, 12))
def test_partial_pm_exclusions_equal_naive_count(seed: int, drop: int) -> None:
    problem = simulate_dvi_case(3, 3, seed).problem
    rng = np.random.default_rng(seed)
    pm_profiles = {}
    for v in problem.pm:
        prof = dict(problem.pm_profiles[v])
        for name in rng.choice([m.name for m in problem.markers], size=drop, replace=False):
            a, b = prof[name]
            prof[name] = (None, b) if rng.random() < 0.5 else (a, None)
        pm_profiles[v] = prof
    problem = dataclasses.replace(problem, pm_profiles=pm_profiles)
    pw = pairwise_lr(problem)
    for i, v in enumerate(problem.pm):
        for j, mp in enumerate(problem.missing):
            if problem.allowed(v, mp):
                assert pw.exclusions[i, j] == _naive_exclusions(problem, v, mp), (v, mp)
