"""``screen`` against a naive oracle: one ``missing_person_lr`` per PM sample and missing person.

The screen computes each family's tables once and scores every PM by lookups and sparse products,
in blocks; the oracle below does none of that. It loops over every PM × MP pair, builds the two
pedigrees of the hypotheses (the PM is the MP; the PM is unrelated) and computes both likelihoods
from scratch, as tskit's ``naive_*`` statistics check its fast ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.kinship.dvi import NOBODY, DVIProblem
from repatria.kinship.lr import missing_person_lr
from repatria.kinship.pedigree import Genotype, Sex
from repatria.kinship.screening import screen
from repatria.kinship.simulate import simulate_dvi
from repatria.services.pipelines.simulation import standard_markers


def naive_screen(problem: DVIProblem) -> np.ndarray:
    """The LR of every allowed PM × MP pair, ``nan`` where the pairings forbid it.

    Shape ``(len(problem.pm), len(problem.missing))``. LR = P(data | the PM is the MP) /
    P(data | the PM is unrelated to the family), over all markers, theta 0.
    """
    lr = np.full((len(problem.pm), len(problem.missing)), np.nan)
    for i, v in enumerate(problem.pm):
        for j, mp in enumerate(problem.missing):
            if not problem.allowed(v, mp):
                continue
            famid = problem.missing_family[mp]
            profiles = {**problem.am_profiles.get(famid, {}), v: problem.pm_profiles[v]}
            result = missing_person_lr(
                problem.families[famid],
                mp,
                v,
                problem.markers,
                profiles,
                poi_sex=problem.pm_sex[v],
            )
            lr[i, j] = result.lr
    return lr


def screened(problem: DVIProblem, block_size: int | None = None) -> np.ndarray:
    """``screen``'s LRs as a dense matrix (every allowed pair kept), ``nan`` where not screened."""
    res = screen(problem, min_lr=0, top=None, block_size=block_size)
    lr = np.full((len(problem.pm), len(problem.missing)), np.nan)
    lr[res.pm_index, res.mp_index] = np.exp(res.log_lr)
    return lr


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    assert np.array_equal(np.isnan(got), np.isnan(want)), "different pairs screened"
    ok = ~np.isnan(want)
    assert got[ok] == pytest.approx(want[ok], rel=1e-9, abs=1e-300)


def small_case(seed: int, n_markers: int, victims: int, families: int) -> DVIProblem:
    rng = np.random.default_rng(seed)
    return simulate_dvi(standard_markers(n_markers), victims, families, rng).problem


def with_changes(
    problem: DVIProblem,
    pm_sex: dict[str, Sex] | None = None,
    pm_profiles: dict[str, dict[str, Genotype]] | None = None,
    pairings: dict[str, tuple[str, ...]] | None = None,
) -> DVIProblem:
    return DVIProblem(
        problem.markers,
        problem.pm,
        pm_sex or dict(problem.pm_sex),
        pm_profiles or {v: dict(p) for v, p in problem.pm_profiles.items()},
        problem.families,
        problem.am_profiles,
        problem.missing,
        problem.missing_family,
        pairings or {},
    )


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_screen_equals_the_naive_loop(seed: int) -> None:
    p = small_case(seed, n_markers=5, victims=6, families=4)
    want = naive_screen(p)
    assert not np.isnan(want).any()  # all male: every PM may be every MP
    assert_same(screened(p), want)
    assert_same(screened(p, block_size=1), want)


def test_screen_equals_the_naive_loop_without_mutation() -> None:
    rng = np.random.default_rng(5)
    p = simulate_dvi(standard_markers(4, mutation=None), 5, 3, rng).problem
    want = naive_screen(p)
    assert (want == 0).any() and (want > 0).any()  # exclusions (LR 0) and matches
    assert_same(screened(p), want)


def test_screen_equals_the_naive_loop_with_partial_and_untyped_pm_markers() -> None:
    p = small_case(11, n_markers=4, victims=5, families=3)
    profiles = {v: dict(prof) for v, prof in p.pm_profiles.items()}
    first, second = p.pm[0], p.pm[1]
    name = p.markers[0].name
    a, _ = profiles[first][name]
    profiles[first][name] = (a, None)  # one allele seen
    del profiles[second][p.markers[1].name]  # untyped at a marker
    q = with_changes(p, pm_profiles=profiles)
    assert_same(screened(q), naive_screen(q))


def test_screen_equals_the_naive_loop_where_pairings_forbid_pairs() -> None:
    p = small_case(3, n_markers=4, victims=6, families=4)
    sexes = dict(p.pm_sex)
    sexes[p.pm[0]] = Sex.FEMALE  # the MPs are men: by the default sex rule, only "*"
    q = with_changes(p, pm_sex=sexes)
    want = naive_screen(q)
    assert np.isnan(want[0]).all() and not np.isnan(want[1:]).any()
    assert_same(screened(q), want)
    explicit = {v: (NOBODY, *p.missing[k % 2 :: 2]) for k, v in enumerate(p.pm)}
    r = with_changes(p, pairings=explicit)
    want = naive_screen(r)
    assert np.isnan(want).any() and not np.isnan(want).all()
    assert_same(screened(r, block_size=2), want)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_markers=st.integers(1, 4),
    victims=st.integers(1, 5),
    families=st.integers(1, 4),
)
def test_screen_equals_the_naive_loop_on_drawn_cases(
    seed: int, n_markers: int, victims: int, families: int
) -> None:
    p = small_case(seed, n_markers, victims, families)
    assert_same(screened(p), naive_screen(p))
