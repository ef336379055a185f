"""Reduced problems' pairwise LRs read from the whole problem's, against computing them afresh."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.kinship import dvi
from repatria.kinship.conclusions import dvi_solve
from repatria.kinship.dvi import NOBODY, pairwise_lr
from repatria.kinship.pairwise_restrict import restrict_pairwise
from repatria.kinship.simulate import simulate_population
from repatria.kinship.solve import problem as solve_problem
from repatria.kinship.solve.problem import rebuild
from repatria.services.pipelines.simulation import standard_markers


def _exchange(n: int, seed: int):  # noqa: ANN202
    return simulate_population(
        standard_markers(12),
        n,
        max(1, 3 * n // 4),
        np.random.default_rng(seed),
        shape_weights={"parents": 0.3, "half_sibling": 0.3, "cousin": 0.2, "child": 0.2},
        max_dropout=0.3,
        fragmented=0.1,
    ).problem


def _same(a: dvi.PairwiseResult, b: dvi.PairwiseResult) -> None:
    assert a.pm == b.pm and a.missing == b.missing and a.markers == b.markers
    np.testing.assert_array_equal(a.allowed, b.allowed)
    np.testing.assert_allclose(a.log_lr, b.log_lr, rtol=1e-12, atol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(a.exclusions, b.exclusions)
    assert a.family_loglik.keys() == b.family_loglik.keys()
    for f in a.family_loglik:
        np.testing.assert_allclose(a.family_loglik[f], b.family_loglik[f], rtol=1e-12)
    for i in range(min(3, len(a.pm))):
        for j in range(min(3, len(a.missing))):
            if a.allowed[i, j]:
                np.testing.assert_allclose(
                    a.marker_log_lr(i, j),
                    b.marker_log_lr(i, j),
                    rtol=1e-12,
                    atol=1e-12,
                )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 30), seed=st.integers(0, 10_000), data=st.data())
def test_a_reduced_problem_reads_the_same_numbers(n: int, seed: int, data: st.DataObject) -> None:
    base = _exchange(n, seed)
    pw = pairwise_lr(base)
    pm = data.draw(st.lists(st.sampled_from(base.pm), unique=True, min_size=1))
    mps = data.draw(st.lists(st.sampled_from(base.missing), unique=True, min_size=1))
    narrowed = {
        v: (NOBODY, *[m for m in base.pairings[v] if m != NOBODY and data.draw(st.booleans())])
        for v in pm
    }
    sub, _ = rebuild(base, pm, mps, narrowed, drop_unpaired=False)
    if not sub.pm or not sub.missing:
        return
    got = restrict_pairwise(base, pw, sub)
    assert got is not None
    _same(got, pairwise_lr(sub))


def test_a_problem_with_other_reference_data_is_computed_afresh() -> None:
    import dataclasses

    base = _exchange(20, 3)
    pw = pairwise_lr(base)
    fam = next(f for f, p in base.am_profiles.items() if p and base.family_missing.get(f))
    fewer = dict(base.am_profiles)
    fewer[fam] = dict(list(base.am_profiles[fam].items())[1:])  # one reference less
    sub = dataclasses.replace(base, am_profiles=fewer)
    assert restrict_pairwise(base, pw, sub) is None
    # and the PM side: another profile for one PM
    v = base.pm[0]
    other = dict(base.pm_profiles)
    other[v] = {}
    assert restrict_pairwise(base, pw, dataclasses.replace(base, pm_profiles=other)) is None


def test_a_pairing_the_whole_problem_did_not_allow_is_computed_afresh() -> None:
    full = _exchange(20, 5)
    v, m = full.pm[0], full.missing[0]
    narrowed = dict(full.pairings)
    narrowed[v] = tuple(x for x in full.pairings[v] if x != m)
    base, _ = rebuild(full, full.pm, full.missing, narrowed, drop_unpaired=False)
    pw = pairwise_lr(base)
    assert not pw.allowed[0, 0]
    sub, _ = rebuild(base, base.pm, base.missing, full.pairings, drop_unpaired=False)
    assert restrict_pairwise(base, pw, sub) is None


def test_dvi_solve_gives_the_same_conclusions_with_and_without_reuse(monkeypatch) -> None:  # noqa: ANN001
    base = _exchange(40, 11)
    pw = pairwise_lr(base)
    reused = dvi_solve(base, pairwise=pw)
    monkeypatch.setattr(solve_problem, "restrict_pairwise", lambda *a: None)
    fresh = dvi_solve(base, pairwise=pw)
    assert reused.am == fresh.am
    assert reused.pm == fresh.pm
    assert reused.log == fresh.log


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 30), seed=st.integers(0, 10_000), data=st.data())
def test_a_variant_reusing_the_pm_encoding_gives_the_same_numbers(
    n: int, seed: int, data: st.DataObject
) -> None:
    """``pairwise_lr(variant, like=pw)``: a family with a reference left out, the PMs' encoding
    taken from the full problem's result where the tables code alleles alike."""
    base = _exchange(n, seed)
    typed = [f for f, p in base.am_profiles.items() if len(p) >= 2 and base.family_missing[f]]
    if not typed:
        return
    fam = data.draw(st.sampled_from(typed))
    prof = base.am_profiles[fam]
    left_out = data.draw(st.sampled_from(sorted(prof)))
    variant = base.with_am_profiles(
        {**base.am_profiles, fam: {r: g for r, g in prof.items() if r != left_out}}
    )
    pw = pairwise_lr(base)
    _same(pairwise_lr(variant, like=pw), pairwise_lr(variant))
