"""``pairwise_lr`` from the screening tables, against the textbook definitions.

The oracle places the PM's genotypes on the MP and computes two full pedigree likelihoods per
pairing and marker (no lumping), divided by the PM's Hardy–Weinberg probability written out by
hand; an exclusion is a marker where the same likelihood without mutation is 0 (the references'
own likelihood where the PM is untyped). Cases: burned profiles (``a/-`` and untyped markers),
X-linked markers with PMs of every sex and explicit pairings, no mutation, stepwise mutation
(not lumpable), and references inconsistent without mutation or with the model itself.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.kinship import dvi
from repatria.kinship.dvi import NOBODY, DVIProblem, generate_pairings, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Sex
from repatria.kinship.probability import likelihood
from repatria.kinship.screening import build_tables, count_exclusions, encode_pm
from repatria.kinship.simulate import simulate_dvi, simulate_population
from repatria.services.pipelines.simulation import standard_markers

SHAPES = {
    "parents": 0.2,
    "mother": 0.15,
    "two_siblings": 0.15,
    "child": 0.1,
    "child_and_wife": 0.15,
    "half_sibling": 0.15,
    "cousin": 0.1,
}


def _spoil(problem: DVIProblem, rng: np.random.Generator, share: float) -> DVIProblem:
    """Give one reference of about ``share`` of the families a random allele at one marker, and
    make the first typed parent–child pair inconsistent without mutation at the first marker."""
    am = {f: {p: dict(pr) for p, pr in d.items()} for f, d in problem.am_profiles.items()}
    for d in am.values():
        if not d or rng.random() >= share:
            continue
        pid = sorted(d)[-1]
        m = problem.markers[int(rng.integers(len(problem.markers)))]
        g = d[pid].get(m.name)
        if g is None or g[0] is None:
            continue
        a = m.alleles[int(rng.integers(m.n_alleles))]
        d[pid][m.name] = (a, a) if g[0] == g[1] else (a, g[1])  # an X man stays homozygous
    m = problem.markers[0]
    for f, d in am.items():
        ped = problem.families[f]
        pair = next(
            (
                (c, q)
                for c in sorted(d)
                for q in (ped[c].father, ped[c].mother)
                if q in d and m.name in d[q] and m.name in d[c] and None not in d[q][m.name]
            ),
            None,
        )
        if pair is not None:
            c, q = pair
            x = next(a for a in m.alleles if a not in d[q][m.name])
            d[c][m.name] = (x, x)
            break
    return dataclasses.replace(problem, am_profiles=am, pairings={})


def _burn(problem: DVIProblem, rng: np.random.Generator) -> DVIProblem:
    """Untyped markers and ``a/-`` genotypes in the PM profiles."""
    prof: dict[str, dict[str, Genotype]] = {}
    for v in problem.pm:
        d: dict[str, Genotype] = {}
        for name, g in problem.pm_profiles[v].items():
            r = rng.random()
            if r < 0.15:
                continue
            d[name] = ((g[0], None) if rng.random() < 0.5 else (None, g[1])) if r < 0.35 else g
        prof[v] = d
    return dataclasses.replace(problem, pm_profiles=prof, pairings={})


def _case(kind: str, seed: int, shapes: dict[str, float] = SHAPES) -> DVIProblem:
    rng = np.random.default_rng(seed)
    if kind == "x":
        mk = [
            dataclasses.replace(m, is_x=True) if k < 3 else m
            for k, m in enumerate(standard_markers(6))
        ]
        p = simulate_dvi(mk, 6, 5, rng, shape_weights=SHAPES).problem
        p = _burn(_spoil(p, rng, 0.4), rng)
        sex = {v: Sex(int(rng.integers(0, 3))) if rng.random() < 0.6 else Sex.MALE for v in p.pm}
        # Female PMs come from male profiles: homozygous at X, as a woman may be.
        p = dataclasses.replace(p, pm_sex=sex, pairings={})
        pairs = generate_pairings(p, ignore_sex=True)
        keep = {
            v: tuple(x for x in t if x == NOBODY or rng.random() < 0.8) for v, t in pairs.items()
        }
        return dataclasses.replace(p, pairings=keep)
    mutation = {"burned": "proportional", "nomut": None, "stepwise": "stepwise"}[kind]
    mk = standard_markers(6 if kind == "stepwise" else 8, mutation=mutation, rate=0.01)
    p = simulate_population(mk, 8, 6, rng, shape_weights=shapes, max_dropout=0.5).problem
    return _spoil(p, rng, 0.5)


def _hw(m: Marker, g: Genotype, sex: Sex) -> float:
    p = m.afreq
    known = [m.allele_index(a) for a in g if a is not None]
    if m.is_x and sex == Sex.MALE:
        return float(p[known[0]])
    if len(known) == 1:
        return float(2 * p[known[0]] - p[known[0]] ** 2)
    a, b = known
    return float(p[a] ** 2 if a == b else 2 * p[a] * p[b])


def _male_heterozygous(m: Marker, sex: Sex, g: Genotype | None) -> bool:
    return bool(m.is_x and sex == Sex.MALE and g and None not in g and g[0] != g[1])


def _textbook(problem: DVIProblem, v: str, mp: str) -> tuple[np.ndarray, int]:
    """Per-marker log LR and exclusion count of PM ``v`` on MP ``mp``, two likelihoods each."""
    fam = problem.missing_family[mp]
    ped = problem.families[fam]
    refs = problem.am_profiles.get(fam, {})
    mp_sex = ped[mp].sex
    out = np.zeros(len(problem.markers))
    excluded = 0
    for k, m in enumerate(problem.markers):
        g = problem.pm_profiles[v].get(m.name)
        with_v = {**refs, mp: {m.name: g}} if g is not None else dict(refs)
        l0 = likelihood(ped, [m], refs, lumping="exact").loglik
        if _male_heterozygous(m, mp_sex, g):  # a man carries one X allele: impossible
            l1, l1_nomut = -math.inf, -math.inf
        else:
            l1 = likelihood(ped, [m], with_v, lumping="exact").loglik
            l1_nomut = likelihood(ped, [m.without_mutation()], with_v, lumping="exact").loglik
        excluded += l1_nomut == -math.inf
        if g is not None:
            with np.errstate(invalid="ignore"):
                out[k] = np.float64(l1) - l0 - math.log(_hw(m, g, problem.pm_sex[v]))
    return out, excluded


def _assert_matches_textbook(problem: DVIProblem) -> None:
    pw = pairwise_lr(problem)
    for i, v in enumerate(problem.pm):
        for j, mp in enumerate(problem.missing):
            assert pw.allowed[i, j] == problem.allowed(v, mp)
            if not problem.allowed(v, mp):
                assert math.isnan(pw.log_lr[i, j]) and pw.exclusions[i, j] == -1
                assert np.isnan(pw.marker_log_lr(i, j)).all()
                continue
            want, excl = _textbook(problem, v, mp)
            got = pw.marker_log_lr(i, j)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{v} {mp}")
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=f"{v} {mp}")
            total = pw.log_lr[i, j]
            assert (math.isnan(total) and np.isnan(want.sum())) or total == pytest.approx(
                want.sum(), rel=0, abs=1e-12
            ), (v, mp)
            assert pw.exclusions[i, j] == excl, (v, mp)
    np.testing.assert_array_equal(pw.log_lr_per_marker[pw.allowed].shape[-1], len(pw.markers))
    for i, j in zip(*np.nonzero(pw.allowed), strict=True):
        np.testing.assert_array_equal(pw.log_lr_per_marker[i, j], pw.marker_log_lr(i, j))
    assert np.isnan(pw.log_lr_per_marker[~pw.allowed]).all()


@pytest.mark.parametrize("kind", ["burned", "nomut", "stepwise", "x"])
@pytest.mark.parametrize("seed", [1, 2])
def test_pairwise_lr_equals_textbook_likelihoods(kind: str, seed: int) -> None:
    problem = _case(kind, seed)
    # The cases hold what the test is about.
    typed = [g for prof in problem.pm_profiles.values() for g in prof.values()]
    assert any(None in g for g in typed)
    assert any(len(prof) < len(problem.markers) for prof in problem.pm_profiles.values())
    _assert_matches_textbook(problem)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["burned", "nomut", "x"]))
def test_pairwise_lr_equals_textbook_on_random_cases(seed: int, kind: str) -> None:
    _assert_matches_textbook(_case(kind, seed))


def test_untyped_marker_counts_where_the_references_alone_are_inconsistent() -> None:
    problem = _case("burned", 3, {"child_and_wife": 1.0})
    pw = pairwise_lr(problem)
    bad = pw.tables.refs_impossible
    assert bad is not None and bad.any()  # the spoiled families
    k, j = (int(x[0]) for x in np.nonzero(bad))
    untyped = [
        i for i, v in enumerate(problem.pm) if problem.markers[k].name not in problem.pm_profiles[v]
    ]
    assert untyped
    for i in untyped:
        v, mp = problem.pm[i], problem.missing[j]
        if problem.allowed(v, mp):
            assert pw.exclusions[i, j] == _textbook(problem, v, mp)[1] >= 1


def _clear() -> None:
    dvi._table_cache().clear()


def test_reduced_problems_reuse_the_tables_of_unchanged_families() -> None:
    problem = _case("burned", 4)
    _clear()
    first = pairwise_lr(problem)
    assert first.tables.reused == 0
    sub = problem.subset(pm=problem.pm[::2], missing=problem.missing[1:])
    again = pairwise_lr(sub)
    assert again.tables.reused == len(sub.missing) * len(sub.markers)
    _clear()
    fresh = pairwise_lr(sub)
    assert fresh.tables.reused == 0
    np.testing.assert_array_equal(np.isnan(again.log_lr), np.isnan(fresh.log_lr))
    np.testing.assert_allclose(again.log_lr, fresh.log_lr, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(again.exclusions, fresh.exclusions)
    for f in fresh.family_loglik:
        np.testing.assert_allclose(again.family_loglik[f], fresh.family_loglik[f], atol=1e-12)


def test_a_changed_reference_is_recomputed() -> None:
    problem = _case("burned", 5)
    pairwise_lr(problem)
    mp = problem.missing[0]
    fam = problem.missing_family[mp]
    am = {f: {p: dict(pr) for p, pr in d.items()} for f, d in problem.am_profiles.items()}
    pid = sorted(am[fam])[0]
    m = problem.markers[0]
    g = am[fam][pid][m.name]
    # An allele some PM carries: the marker's layout stays, only this family's tables change.
    other = sorted(problem.pm_alleles[m.name] - set(g))[0]
    am[fam][pid][m.name] = (other, g[1])
    changed = dataclasses.replace(problem, am_profiles=am, pairings={})
    pw = pairwise_lr(changed)
    n_cols = sum(problem.missing_family[x] == fam for x in problem.missing)
    assert pw.tables.reused == len(problem.missing) * len(problem.markers) - n_cols
    _clear()
    np.testing.assert_allclose(pw.log_lr, pairwise_lr(changed).log_lr, rtol=0, atol=1e-12)


def test_exclusion_counts_need_exclusion_tables() -> None:
    problem = _case("burned", 6)
    t = build_tables(problem)
    assert t.impossible is None and t.refs_impossible is None
    with pytest.raises(KinshipError, match="exclusions=True"):
        count_exclusions(t, encode_pm(problem, t).codes)


def test_references_with_a_silent_allele_equal_textbook_likelihoods() -> None:
    """A single peak ``a`` of a reference is ``a/a`` or ``a/silent`` (the core's observation).

    PM genotypes at the silent markers are left heterozygous or untyped here: the pairwise LR
    looks up a PM's single peak as ``a/a`` only (as before these tables).
    """
    rng = np.random.default_rng(11)
    p = simulate_population(standard_markers(6), 8, 6, rng, shape_weights=SHAPES).problem
    silent = {m.name: m.alleles[int(np.argmax(m.afreq))] for m in p.markers[::2]}

    def peaks(prof: dict[str, Genotype], pm: bool) -> dict[str, Genotype]:
        out = {}
        for name, g in prof.items():
            s = silent.get(name)
            if s is not None and s in g:
                other = [a for a in g if a not in (s, None)]
                if not other:
                    continue
                g = (other[0], other[0])
            if pm and s is not None and g[0] == g[1]:
                continue
            out[name] = g
        return out

    markers = tuple(m.with_silent(silent[m.name]) if m.name in silent else m for m in p.markers)
    am = {f: {x: peaks(dict(pr), False) for x, pr in d.items()} for f, d in p.am_profiles.items()}
    pm = {v: peaks(dict(pr), True) for v, pr in p.pm_profiles.items()}
    problem = dataclasses.replace(p, markers=markers, am_profiles=am, pm_profiles=pm, pairings={})
    assert any(
        g[0] == g[1] and name in silent
        for d in am.values()
        for prof in d.values()
        for name, g in prof.items()
    )
    _assert_matches_textbook(problem)
