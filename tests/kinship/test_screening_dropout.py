"""Dropout in the screening tables against the naive path, and dropout 0 against today's numbers.

The naive path is ``missing_person_lr`` with the PM's :class:`DropoutModel`, which builds both
hypotheses' pedigrees and contracts :class:`~repatria.kinship.probability.MarkerNetwork` with the
observation factor ``P(peaks | alleles)`` from scratch; the tables instead combine a few entries of
each MP's genotype table (:mod:`repatria.kinship.screening_dropout`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.kinship.dropout import DropoutModel
from repatria.kinship.dvi import DVIProblem, pairwise_lr
from repatria.kinship.joint import joint_dvi
from repatria.kinship.lr import missing_person_lr
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex
from repatria.kinship.probability import likelihood
from repatria.kinship.screening import screen
from repatria.kinship.simulate import simulate_dvi
from repatria.services.pipelines.simulation import standard_markers


def burn(
    problem: DVIProblem, rng: np.random.Generator, d: float, written: str = "mixed"
) -> dict[str, dict[str, Genotype]]:
    """PM profiles with each allele copy lost with probability ``d``; a single peak is written
    ``a/a`` or ``a/-`` (``written``: "aa", "a-" or "mixed", as labs export them)."""
    out: dict[str, dict[str, Genotype]] = {}
    for v in problem.pm:
        prof: dict[str, Genotype] = {}
        for name, g in problem.pm_profiles[v].items():
            kept = [x for x in g if x is not None and rng.random() >= d]
            if not kept:
                continue
            if len(kept) == 2 and kept[0] != kept[1]:
                prof[name] = (kept[0], kept[1])
                continue
            style = written if written != "mixed" else ("aa", "a-")[int(rng.integers(2))]
            prof[name] = (kept[0], kept[0]) if style == "aa" else (kept[0], None)
        out[v] = prof
    return out


def with_pm(
    problem: DVIProblem,
    profiles: dict[str, dict[str, Genotype]],
    dropout: dict[str, DropoutModel],
) -> DVIProblem:
    return DVIProblem(
        problem.markers,
        problem.pm,
        dict(problem.pm_sex),
        profiles,
        problem.families,
        problem.am_profiles,
        problem.missing,
        problem.missing_family,
        {},
        dropout,
    )


def naive_log_lr(problem: DVIProblem, impossible: np.ndarray | None = None) -> np.ndarray:
    """Naive log LRs; ``impossible`` (int, PM × MP) is filled with the markers whose numerator
    is 0 (the exclusions, when the markers have no mutation model)."""
    out = np.full((len(problem.pm), len(problem.missing)), np.nan)
    for i, v in enumerate(problem.pm):
        for j, mp in enumerate(problem.missing):
            if not problem.allowed(v, mp):
                continue
            fam = problem.missing_family[mp]
            profiles = {**problem.am_profiles.get(fam, {}), v: problem.pm_profiles[v]}
            model = problem.pm_dropout.get(v)
            r = missing_person_lr(
                problem.families[fam],
                mp,
                v,
                problem.markers,
                profiles,
                poi_sex=problem.pm_sex[v],
                dropout=None if model is None else {v: model},
            )
            out[i, j] = r.numerator.loglik - r.denominator.loglik
            if impossible is not None:
                impossible[i, j] = int(np.isneginf(r.numerator.loglik_per_marker).sum())
    return out


def assert_log_close(got: np.ndarray, want: np.ndarray) -> None:
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(np.isneginf(got), np.isneginf(want)), "impossible pairs differ"
    ok = np.isfinite(want)
    assert np.abs(got[ok] - want[ok]).max(initial=0.0) < 1e-12 * max(
        1.0, float(np.abs(want[ok]).max(initial=1.0))
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_markers=st.integers(1, 4),
    victims=st.integers(1, 4),
    families=st.integers(1, 3),
    d=st.sampled_from([0.05, 0.2, 0.45]),
    c=st.sampled_from([0.0, 0.0, 0.05]),
    mutation=st.booleans(),
)
def test_tables_equal_the_naive_path_on_burned_profiles(
    seed: int, n_markers: int, victims: int, families: int, d: float, c: float, mutation: bool
) -> None:
    rng = np.random.default_rng(seed)
    markers = (
        standard_markers(n_markers) if mutation else standard_markers(n_markers, mutation=None)
    )
    p = simulate_dvi(markers, victims, families, rng).problem
    prof = burn(p, rng, d)
    # Some PMs under the model with their own rates, one typed exactly (no model).
    models = {v: DropoutModel(d if k % 2 else d / 2, c) for k, v in enumerate(p.pm[1:])}
    q = with_pm(p, prof, models)
    pw = pairwise_lr(q)
    bad = np.full(pw.exclusions.shape, -1)
    want = naive_log_lr(q, bad)
    assert_log_close(pw.log_lr, want)
    if not mutation:  # exclusions: exactly the markers the model makes impossible
        assert np.array_equal(pw.exclusions, bad)
    # Per-marker values add up to the whole, as without the model.
    assert np.allclose(
        np.nansum(pw.log_lr_per_marker, axis=2)[~np.isnan(want)], pw.log_lr[~np.isnan(want)]
    )
    res = screen(q, min_lr=0, top=None, block_size=2)
    dense = np.full(want.shape, np.nan)
    dense[res.pm_index, res.mp_index] = res.log_lr
    assert_log_close(dense, want)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_markers=st.integers(1, 4), victims=st.integers(1, 4))
def test_dropout_zero_gives_todays_numbers_exactly(seed: int, n_markers: int, victims: int) -> None:
    """Profiles written ``a/a`` or ``a/b``: a model with dropout and drop-in 0 changes nothing,
    bit for bit (the LRs, the per-marker values and the exclusion counts)."""
    rng = np.random.default_rng(seed)
    p = simulate_dvi(standard_markers(n_markers, mutation=None), victims, 3, rng).problem
    prof = burn(p, rng, 0.3, written="aa")
    plain = with_pm(p, prof, {})
    zero = with_pm(p, prof, {v: DropoutModel(0.0) for v in p.pm})
    a, b = pairwise_lr(plain), pairwise_lr(zero)
    assert np.array_equal(a.log_lr, b.log_lr, equal_nan=True)
    assert np.array_equal(a.exclusions, b.exclusions)
    assert np.array_equal(a.log_lr_per_marker, b.log_lr_per_marker, equal_nan=True)
    assert a.tables is not None and b.tables is not None
    assert np.array_equal(a.tables.logt, b.tables.logt)


def _trio() -> tuple[Marker, Pedigree]:
    m = Marker("L", ("a", "b", "c"), [0.2, 0.3, 0.5])
    ped = Pedigree(
        [
            Individual("FA", sex=Sex.MALE),
            Individual("MO", sex=Sex.FEMALE),
            Individual("MP", "FA", "MO", Sex.MALE),
        ]
    )
    return m, ped


def _trio_problem(pm_g: Genotype, model: DropoutModel | None) -> DVIProblem:
    m, ped = _trio()
    return DVIProblem(
        (m,),
        ("V",),
        {"V": Sex.MALE},
        {"V": {"L": pm_g}},
        {"F": ped},
        {"F": {"FA": {"L": ("b", "b")}, "MO": {"L": ("c", "c")}}},
        ("MP",),
        {"MP": "F"},
        {},
        {} if model is None else {"V": model},
    )


def test_single_peak_by_hand_and_exclusions_only_where_impossible() -> None:
    """Parents b/b and c/c: the MP is b/c. A PM showing only b (d = 0.2): numerator
    ``d (1 - d)`` (c dropped), denominator ``p_b² (1 - d²) + 2 p_b (1 - p_b) d (1 - d)``. Without
    the model ``b/b`` is an exclusion (LR 0); under it, not; a peak ``a`` stays one."""
    d, pb = 0.2, 0.3
    pw = pairwise_lr(_trio_problem(("b", "b"), DropoutModel(d)))
    want = d * (1 - d) / (pb * pb * (1 - d * d) + 2 * pb * (1 - pb) * d * (1 - d))
    assert math.exp(pw.log_lr[0, 0]) == pytest.approx(want, rel=1e-12)
    assert pw.exclusions[0, 0] == 0
    exact = pairwise_lr(_trio_problem(("b", "b"), None))
    assert exact.log_lr[0, 0] == -math.inf and exact.exclusions[0, 0] == 1
    other = pairwise_lr(_trio_problem(("a", "a"), DropoutModel(d)))
    assert other.log_lr[0, 0] == -math.inf and other.exclusions[0, 0] == 1
    # With drop-in, a peak a is a drop-in over a lost genotype: not impossible any more.
    spill = pairwise_lr(_trio_problem(("a", None), DropoutModel(d, 0.05)))
    assert spill.log_lr[0, 0] > -math.inf and spill.exclusions[0, 0] == 0


def test_x_marker_male_mp_under_the_model() -> None:
    m = Marker("X1", ("a", "b"), [0.4, 0.6], is_x=True)
    ped = Pedigree(
        [
            Individual("FA", sex=Sex.MALE),
            Individual("MO", sex=Sex.FEMALE),
            Individual("MP", "FA", "MO", Sex.MALE),
            Individual("SIS", "FA", "MO", Sex.FEMALE),
        ]
    )
    prob = DVIProblem(
        (m,),
        ("V",),
        {"V": Sex.MALE},
        {"V": {"X1": ("a", None)}},
        {"F": ped},
        {"F": {"MO": {"X1": ("a", "b")}}},
        ("MP",),
        {"MP": "F"},
        {},
        {"V": DropoutModel(0.3, 0.02)},
    )
    assert_log_close(pairwise_lr(prob).log_lr, naive_log_lr(prob))


def test_joint_follows_the_model_in_a_family_with_two_mps() -> None:
    """Two brothers missing, both parents typed: the joint weighs both placed PMs under their
    models (the naive likelihood with both models on the MPs)."""
    m = Marker("L", ("a", "b", "c"), [0.2, 0.3, 0.5])
    ped = Pedigree(
        [
            Individual("FA", sex=Sex.MALE),
            Individual("MO", sex=Sex.FEMALE),
            Individual("B1", "FA", "MO", Sex.MALE),
            Individual("B2", "FA", "MO", Sex.MALE),
        ]
    )
    dm = DropoutModel(0.25)
    prob = DVIProblem(
        (m,),
        ("V1", "V2"),
        {"V1": Sex.MALE, "V2": Sex.MALE},
        {"V1": {"L": ("a", "a")}, "V2": {"L": ("a", "c")}},
        {"F": ped},
        {"F": {"FA": {"L": ("a", "b")}, "MO": {"L": ("c", "c")}}},
        ("B1", "B2"),
        {"B1": "F", "B2": "F"},
        {},
        {"V1": dm, "V2": dm},
    )
    jr = joint_dvi(prob, top=50)
    got = {tuple(sorted(a.assignment.items())): a for a in jr.top}
    both = got[(("V1", "B1"), ("V2", "B2"))]
    refs = dict(prob.am_profiles["F"])
    num = likelihood(
        ped,
        [m],
        {**refs, "B1": {"L": ("a", "a")}, "B2": {"L": ("a", "c")}},
        dropout={"B1": dm, "B2": dm},
    ).loglik
    den = likelihood(ped, [m], refs).loglik + sum(
        float(np.sum(prob.pm_logliks[v])) for v in ("V1", "V2")
    )
    assert math.log(both.lr) == pytest.approx(num - den, abs=1e-12)


def test_dvi_solve_steps_keep_the_models() -> None:
    """Every reduced problem of dviSolve keeps its PMs' models: the first step's pairwise LRs are
    those of the whole problem under the model, and the conclusions are reached."""
    from repatria.kinship.conclusions import dvi_solve

    rng = np.random.default_rng(3)
    p = simulate_dvi(standard_markers(8), 6, 5, rng).problem
    q = with_pm(p, burn(p, rng, 0.3), {v: DropoutModel(0.3) for v in p.pm})
    res = dvi_solve(q)
    first = res.lr_matrix_first
    assert first is not None
    want = pairwise_lr(q.subset(pm=first.pm, missing=first.missing))
    kept = ~np.isnan(first.log_lr)  # pairings the exclusions left
    assert kept.any()
    assert np.array_equal(first.log_lr[kept], want.log_lr[kept])
    assert {row["sample"] for row in res.tables()["pm"]} == set(q.pm)
