"""A PM typed with one allele unknown (``a/-``, allelic dropout): its pairwise LR is the sum over
the unknown allele, also when the alleles no PM carries are lumped in the family's tables."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from repatria.kinship.dvi import pairwise_lr
from repatria.kinship.lr import missing_person_lr
from repatria.services.pipelines.simulation import simulate_dvi_case


@pytest.mark.parametrize("seed", [1, 2])
def test_half_typed_pm_lr_equals_missing_person_lr(seed):
    problem = simulate_dvi_case(4, 4, seed).problem
    v = problem.pm[0]
    prof = dict(problem.pm_profiles[v])
    for name in [m.name for m in problem.markers][:6]:  # drop the second allele at six markers
        a, _ = prof[name]
        prof[name] = (a, None)
    pm_profiles = dict(problem.pm_profiles)
    pm_profiles[v] = prof
    problem = dataclasses.replace(problem, pm_profiles=pm_profiles)
    pw = pairwise_lr(problem)
    for j, mp in enumerate(problem.missing):
        if not problem.allowed(v, mp):
            continue
        fam = problem.missing_family[mp]
        profiles = {**problem.am_profiles.get(fam, {}), "POI": prof}
        want = missing_person_lr(
            problem.families[fam],
            mp,
            "POI",
            problem.markers,
            profiles,
            poi_sex=problem.pm_sex.get(v),
        )
        got = pw.lr_per_marker[0, j]
        np.testing.assert_allclose(got, want.lr_per_marker, rtol=1e-9)
