"""The "PM" stationary version of a mutation matrix (Simonsson & Mostad 2016), without files."""

from __future__ import annotations

import numpy as np
import pytest

from repatria.errors import KinshipError
from repatria.kinship.markers import MutationModel, mutation_model
from repatria.kinship.stationary import stabilize_pm, stationary_model


def test_two_alleles_by_hand():
    # With two alleles, stationarity is p1 m12 = p2 m21 and the overall rate p1 a + p2 b is kept,
    # so m12* = (p1 a + p2 b) / (2 p1): here (0.05 + 0.15) / 1 = 0.2 on both sides.
    m = np.array([[0.9, 0.1], [0.3, 0.7]])
    s = stabilize_pm(m, np.array([0.5, 0.5]))
    np.testing.assert_allclose(s, [[0.8, 0.2], [0.2, 0.8]], rtol=0, atol=1e-15)


def test_stepwise_made_stationary_keeps_the_rate():
    alleles = ["9", "10", "11", "12"]
    p = np.array([0.1, 0.2, 0.3, 0.4])
    step = mutation_model("stepwise", alleles, p, rate=0.005, rate2=1e-6, range_=0.5)
    assert not step.is_stationary(p)
    s = stationary_model(step, p)
    assert s.is_stationary(p, tol=1e-12)
    np.testing.assert_allclose(s.matrix.sum(axis=1), 1, rtol=0, atol=1e-12)
    rate = float(np.sum(p * (1 - np.diag(step.matrix))))
    assert float(np.sum(p * (1 - np.diag(s.matrix)))) == pytest.approx(rate, rel=1e-12)
    assert s.params["stationary"] is True and s.params["model"] == "custom"
    assert s.params["rate"] == 0.005  # the parameters it was built from are kept


def test_already_stationary_is_unchanged():
    p = np.array([0.2, 0.3, 0.5])
    eq = mutation_model("proportional", ["1", "2", "3"], p, rate=0.01)
    np.testing.assert_allclose(stabilize_pm(eq.matrix, p), eq.matrix, rtol=0, atol=1e-14)


def test_impossible_stationary_version():
    # A high rate away from a rare allele cannot be balanced: the diagonal would go negative.
    m = np.array([[0.01, 0.99], [0.5, 0.5]])
    with pytest.raises(KinshipError, match="does not exist"):
        stationary_model(MutationModel(m), np.array([0.01, 0.99]))
