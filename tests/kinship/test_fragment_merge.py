"""Fragments of one body merged into one PM, against the naive product of their likelihoods.

The oracle is the definition: with ``G[i, j] = P(family data, MP has {i, j})``
(:func:`repatria.kinship.probability.genotype_likelihoods`) and each fragment's weight
``w_f({i, j}) = P(its peaks | {i, j})``, the body's LR at a marker is
``Σ G[i, j] ∏_f w_f / (L(family) Σ HW(i, j) ∏_f w_f)``. The merged PM must give it through the
ordinary pairwise engine, for fragments typed exactly or under dropout models.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.kinship.dropout import DropoutModel, observation_matrix
from repatria.kinship.dvi import NOBODY, DVIProblem, pairwise_lr
from repatria.kinship.fragment_merge import (
    Conflict,
    body_groups,
    combine_marker,
    merge_fragments,
)
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Sex
from repatria.kinship.probability import genotype_likelihoods, likelihood
from repatria.kinship.simulate import simulate_dvi
from repatria.services.pipelines.simulation import standard_markers

MARKERS = standard_markers(6)


def _exact_weight(m: Marker, g: Genotype) -> np.ndarray:
    """Weights over ordered allele pairs of a genotype typed exactly (``a/-``: any partner)."""
    n = m.n_alleles
    w = np.zeros((n, n))
    a = m.allele_index(g[0]) if g[0] is not None else None
    b = m.allele_index(g[1]) if g[1] is not None else None
    if a is None or b is None:
        x = a if a is not None else b
        w[x, :] = w[:, x] = 1.0
    else:
        w[a, b] = w[b, a] = 1.0
    return w


def naive_body_log_lr(problem: DVIProblem, fragments: list[str], mp: str) -> float:
    fam = problem.missing_family[mp]
    refs = problem.am_profiles.get(fam, {})
    ped = problem.families[fam]
    total = 0.0
    for m in problem.markers:
        w = np.ones((m.n_alleles, m.n_alleles))
        typed = False
        for v in fragments:
            g = problem.pm_profiles[v].get(m.name)
            if g is None or (g[0] is None and g[1] is None):
                continue
            typed = True
            model = problem.pm_dropout.get(v)
            if model is None:
                w = w * _exact_weight(m, g)
            else:
                idx = tuple(None if x is None else m.allele_index(x) for x in g)
                w = w * observation_matrix(idx, 2, np.asarray(m.afreq), model)
        if not typed:
            continue
        table = genotype_likelihoods(
            ped, m, {p: pr[m.name] for p, pr in refs.items() if m.name in pr}, mp
        )
        fam_lik = math.exp(likelihood(ped, [m], refs).loglik)
        p = np.asarray(m.afreq)
        upper = np.triu(np.ones_like(w))  # unordered genotypes once each
        num = float(np.nansum(table * w * upper))
        hw = np.outer(p, p) * (2 - np.eye(len(p)))
        den = fam_lik * float(np.sum(hw * w * upper))
        total += math.log(num) - math.log(den) if num > 0 else -math.inf
    return total


def burned(
    truth: dict[str, Genotype], rng: np.random.Generator, d: float, exact: bool
) -> dict[str, Genotype]:
    prof: dict[str, Genotype] = {}
    for name, g in truth.items():
        kept = [x for x in g if x is not None and rng.random() >= d]
        if not kept:
            continue
        if len(kept) == 2 and kept[0] != kept[1]:
            prof[name] = (kept[0], kept[1])
        elif exact and g[0] != g[1]:
            prof[name] = (kept[0], None)  # a lab that knows a copy was lost
        else:
            prof[name] = (kept[0], kept[0])
    return prof


def case_with_fragments(seed: int, k: int, exact: bool) -> tuple[DVIProblem, list[str]]:
    rng = np.random.default_rng(seed)
    sim = simulate_dvi(MARKERS, 3, 3, rng, unrelated_victims=0.0)
    p = sim.problem
    body = p.pm[0]
    frags = [f"{body}.{i}" for i in range(k)]
    ds = rng.uniform(0.05, 0.6, size=k)
    profiles = {v: p.pm_profiles[v] for v in p.pm[1:]}
    models = {}
    for f, d in zip(frags, ds, strict=True):
        profiles[f] = burned(dict(p.pm_profiles[body]), rng, float(d), exact)
        if not exact:
            models[f] = DropoutModel(float(d))
    pm = (*frags, *p.pm[1:])
    problem = DVIProblem(
        p.markers,
        pm,
        {v: Sex.MALE for v in pm},
        profiles,
        p.families,
        p.am_profiles,
        p.missing,
        p.missing_family,
        {},
        models,
    )
    return problem, frags


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), k=st.integers(2, 3), exact=st.booleans())
def test_merged_body_lr_is_the_product_of_its_fragments(seed: int, k: int, exact: bool) -> None:
    problem, frags = case_with_fragments(seed, k, exact)
    merged = merge_fragments(problem, [frags])
    if not merged.bodies:  # peaks that conflict cannot come from one simulated person
        pytest.fail(f"kept apart: {merged.kept_apart}")
    row = merged.problem.pm.index(frags[0])
    pw = pairwise_lr(merged.problem)
    for j, mp in enumerate(problem.missing):
        want = naive_body_log_lr(problem, frags, mp)
        got = float(pw.log_lr[row, j])
        if math.isinf(want):
            assert got == -math.inf
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_single_fragment_group_and_no_groups_change_nothing() -> None:
    problem, frags = case_with_fragments(1, 2, False)
    same = merge_fragments(problem, [])
    assert same.problem is problem and not same.bodies
    assert merge_fragments(problem, [[frags[0]]]).problem is problem


def test_merged_rows_and_pairings() -> None:
    problem, frags = case_with_fragments(2, 3, False)
    merged = merge_fragments(problem, [frags])
    assert merged.problem.pm[0] == frags[0]
    assert not set(frags[1:]) & set(merged.problem.pm)
    assert merged.bodies == {frags[0]: tuple(frags)}
    assert merged.row_of(frags[2]) == frags[0] and merged.row_of("V9") == "V9"
    assert merged.to_dict()["merged"] == {frags[0]: frags}
    # Restricted pairings: the body may be what all its fragments may be.
    mp = problem.missing
    pairings = {v: (NOBODY, *mp) for v in problem.pm}
    pairings[frags[1]] = (NOBODY, mp[0])
    restricted = DVIProblem(
        problem.markers, problem.pm, problem.pm_sex, problem.pm_profiles, problem.families,
        problem.am_profiles, problem.missing, problem.missing_family, pairings,
        problem.pm_dropout,
    )  # fmt: skip
    assert merge_fragments(restricted, [frags]).problem.pairings[frags[0]] == (NOBODY, mp[0])


def _two(problem: DVIProblem, a: Genotype, b: Genotype, **kw: object) -> DVIProblem:
    name = problem.markers[0].name
    profiles = dict(problem.pm_profiles)
    profiles["F1"], profiles["F2"] = {name: a}, {name: b}
    pm = ("F1", "F2", *problem.pm)
    sexes = {**problem.pm_sex, "F1": kw.get("s1", Sex.MALE), "F2": kw.get("s2", Sex.MALE)}
    models = dict(kw.get("models", {}))  # type: ignore[call-overload]
    return DVIProblem(
        problem.markers, pm, sexes, profiles, problem.families, problem.am_profiles,
        problem.missing, problem.missing_family, {}, models,
    )  # fmt: skip


def test_groups_no_genotype_explains_are_kept_apart_with_the_reason() -> None:
    base, _ = case_with_fragments(3, 2, True)
    m = base.markers[0]
    a, b, c = m.alleles[:3]
    cases = {
        "more alleles": _two(base, (a, b), (c, None)),
        "homozygote beside": _two(base, (a, a), (b, None)),
        "sexes differ": _two(base, (a, b), (a, None), s1=Sex.MALE, s2=Sex.FEMALE),
        "drop-in": _two(base, (a, b), (a, None), models={"F1": DropoutModel(0.1, 0.05)}),
        "typed exactly, others": _two(base, (a, b), (a, None), models={"F1": DropoutModel(0.1)}),
    }
    for why, problem in cases.items():
        merged = merge_fragments(problem, [["F1", "F2"]])
        assert not merged.bodies and merged.problem is problem
        ((members, reason),) = merged.kept_apart.values()
        assert members == ("F1", "F2") and why in reason
        assert a not in reason and b not in reason  # names the marker, never a genotype


def test_combine_marker_by_hand() -> None:
    m = MARKERS[0]
    a, b = m.alleles[:2]
    d1, d2 = DropoutModel(0.2), DropoutModel(0.5)
    # ratio (1.2 / 0.2) (1.5 / 0.5) = 18 = 1 + 1/d*  ->  d* = 1/17
    g, d = combine_marker(m, [((a, None), d1), ((a, a), d2)], False)  # type: ignore[misc]
    assert g == (a, a) and d == pytest.approx(1 / 17, rel=1e-12)
    assert combine_marker(m, [((a, None), d1), ((b, b), d2)], False) == (
        tuple(sorted((a, b), key=m.allele_index)),
        None,
    )
    assert combine_marker(m, [((a, a), DropoutModel(0.0)), ((a, None), d2)], False) == (
        (a, a),
        0.0,
    )
    assert combine_marker(m, [((a, None), None), ((a, a), None)], False) == ((a, a), None)
    assert combine_marker(m, [((a, None), None), ((a, None), None)], False) == ((a, None), None)
    assert combine_marker(m, [], False) is None
    with pytest.raises(Conflict):
        combine_marker(m, [((a, None), d1), ((b, None), d2)], True)  # a male's one X allele


def test_per_marker_dropout_reaches_every_likelihood() -> None:
    """A model with per-marker values refuses to be used whole for one marker."""
    from repatria.kinship.errors import KinshipError

    model = DropoutModel(0.3, marker_dropout=((MARKERS[0].name, 0.1),))
    with pytest.raises(KinshipError, match="at\\(marker\\)"):
        observation_matrix((0, None), 2, np.array([0.5, 0.5]), model)
    assert model.at(MARKERS[0].name) == DropoutModel(0.1)
    assert model.at(MARKERS[1].name) == DropoutModel(0.3)
    assert "fragments combined" in model.describe()


def test_body_groups_find_simulated_fragments() -> None:
    problem, frags = case_with_fragments(4, 3, False)
    assert body_groups(problem, min_lr=50) == [tuple(frags)]  # six markers: a low threshold
