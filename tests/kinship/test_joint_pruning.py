"""The joint search's pruning: what it leaves out is bounded, and the bound holds.

Forcing small components (``exact_bits``) makes the engine leave sub-assignments out; the same
case summed with nothing left out gives the true total. The reported bound must cover the true
share left out, and, since it bounds the total variation distance between the kept and the full
posterior, every marginal must move by no more than it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from repatria.kinship.dvi import pairwise_lr
from repatria.kinship.joint import joint_dvi
from repatria.services.pipelines.simulation import simulate_dvi_case


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("exact_bits", [2, 4, 6])
def test_bound_covers_what_was_left_out(seed, exact_bits):
    sim = simulate_dvi_case(12, 12, seed)
    pw = pairwise_lr(sim.problem)
    full = joint_dvi(sim.problem, pw, exact_bits=16)
    assert full.neglected_mass_bound == 0.0
    cut = joint_dvi(sim.problem, pw, exact_bits=exact_bits)
    share = -math.expm1(cut.log_z - full.log_z)  # 1 - Z_kept / Z
    assert cut.log_z <= full.log_z + 1e-12
    assert share <= cut.neglected_mass_bound + 1e-12
    assert np.max(np.abs(cut.marginals - full.marginals)) <= cut.neglected_mass_bound + 1e-9
    if cut.searched["pruned_sub_assignments"] == 0:
        assert cut.neglected_mass_bound == 0.0


def test_pruning_is_local_to_large_components():
    """A small component keeps everything even when a large one elsewhere is pruned."""
    sim = simulate_dvi_case(30, 30, 7)
    pw = pairwise_lr(sim.problem)
    res = joint_dvi(sim.problem, pw, exact_bits=4)
    full = joint_dvi(sim.problem, pw, exact_bits=16)
    assert res.n_assignments == full.n_assignments
    # The best assignment is unchanged when the bound is small.
    if res.neglected_mass_bound < 1e-3:
        assert res.top[0].assignment == full.top[0].assignment


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_probabilities_never_exceed_one(seed):
    sim = simulate_dvi_case(6, 6, seed)
    res = joint_dvi(sim.problem)
    assert np.all((res.marginals >= 0.0) & (res.marginals <= 1.0))
    assert all(0.0 <= r.posterior <= 1.0 for r in res.top)
