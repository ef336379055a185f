"""Screening at scale: the same LRs as the DVI pairwise analysis, streamed in blocks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.formats.casefolder import read_case_folder
from repatria.kinship.dvi import DVIProblem, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.probability import genotype_likelihoods
from repatria.kinship.screening import build_tables, encode_pm, score_block, screen
from repatria.kinship.simulate import simulate_dvi
from repatria.services.pipelines.simulation import standard_markers
from shared_data import CASE_NAMES


def _assert_same_lrs(problem: DVIProblem, res, pw) -> None:
    got = np.full((len(problem.pm), len(problem.missing)), np.nan)
    got[res.pm_index, res.mp_index] = res.log_lr
    want = pw.log_lr
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    a, b = np.exp(got[ok]), np.exp(want[ok])
    assert a == pytest.approx(b, rel=1e-9, abs=1e-300)


@pytest.mark.reference
@pytest.mark.parametrize("name", CASE_NAMES)
def test_screen_equals_pairwise_lr_on_reference_cases(reference_cases, name):
    p = read_case_folder(reference_cases / name)
    res = screen(p, min_lr=0, top=None)
    _assert_same_lrs(p, res, pairwise_lr(p))
    assert res.pairs_screened == int((~np.isnan(pairwise_lr(p).log_lr)).sum())


@pytest.mark.reference
@pytest.mark.parametrize("name", CASE_NAMES)
def test_block_size_and_top_do_not_change_lrs(reference_cases, name):
    p = read_case_folder(reference_cases / name)
    full = screen(p, min_lr=0, top=None)
    one = screen(p, min_lr=0, top=None, block_size=1, threads=1)
    two = screen(p, min_lr=0, top=None, block_size=1, threads=2)
    assert np.array_equal(one.log_lr, two.log_lr) and np.array_equal(one.mp_index, two.mp_index)
    assert np.array_equal(full.pm_index, one.pm_index) and np.array_equal(
        full.mp_index, one.mp_index
    )
    assert np.array_equal(full.log_lr, one.log_lr)
    a = screen(p, min_lr=1.0, top=1, block_size=2)
    b = screen(p, min_lr=1.0, top=1)
    assert np.array_equal(a.pm_index, b.pm_index) and np.array_equal(a.log_lr, b.log_lr)


def _small_case(seed: int, n_markers: int, victims: int, families: int) -> DVIProblem:
    rng = np.random.default_rng(seed)
    return simulate_dvi(standard_markers(n_markers), victims, families, rng).problem


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_markers=st.integers(1, 4),
    victims=st.integers(1, 6),
    families=st.integers(1, 6),
    block=st.integers(1, 7),
)
def test_screen_equals_pairwise_on_simulated_cases(seed, n_markers, victims, families, block):
    p = _small_case(seed, n_markers, victims, families)
    res = screen(p, min_lr=0, top=None, block_size=block)
    _assert_same_lrs(p, res, pairwise_lr(p))


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    top=st.integers(1, 4),
    block=st.integers(1, 9),
    min_lr=st.sampled_from([0.0, 0.5, 1.0, 10.0]),
)
def test_candidates_are_the_top_k_per_pm_or_family(seed, top, block, min_lr):
    p = _small_case(seed, 3, 9, 7)
    # The screen's own LRs (equal to the pairwise ones to rounding): ties must be exact here.
    full = screen(p, min_lr=0, top=None)
    log_lr = np.full((len(p.pm), len(p.missing)), np.nan)
    log_lr[full.pm_index, full.mp_index] = full.log_lr
    res = screen(p, min_lr=min_lr, top=top, block_size=block)
    thr = math.log(min_lr) if min_lr > 0 else -math.inf
    want = set()
    passing = np.where(log_lr >= thr, log_lr, -np.inf)
    for i in range(len(p.pm)):
        row = passing[i]
        kth = np.sort(row[np.isfinite(row) | (row == -np.inf)])[::-1][min(top, len(row)) - 1]
        want |= {(i, j) for j in range(len(row)) if log_lr[i, j] >= thr and row[j] >= kth}
    fam_cols: dict[str, list[int]] = {}
    for j, m in enumerate(p.missing):
        fam_cols.setdefault(p.missing_family[m], []).append(j)
    for cols in fam_cols.values():
        vals = sorted((passing[i, j] for i in range(len(p.pm)) for j in cols), reverse=True)
        kth = vals[min(top, len(vals)) - 1]
        want |= {
            (i, j)
            for i in range(len(p.pm))
            for j in cols
            if log_lr[i, j] >= thr and passing[i, j] >= kth
        }
    got = set(zip(res.pm_index.tolist(), res.mp_index.tolist(), strict=False))
    assert got == want


def test_partial_pm_genotype_sums_every_genotype_with_the_allele():
    p = _small_case(3, 2, 3, 2)
    m = p.markers[0]
    v = p.pm[0]
    a = p.pm_profiles[v][m.name][0]
    profiles = {x: dict(pr) for x, pr in p.pm_profiles.items()}
    profiles[v][m.name] = (a, None)
    q = DVIProblem(
        p.markers,
        p.pm,
        p.pm_sex,
        profiles,
        p.families,
        p.am_profiles,
        p.missing,
        p.missing_family,
        {},
    )
    t = build_tables(q)
    e = encode_pm(q, t)
    one = score_block(t.logt, e.codes[:1], e.loglik[:1])[0]
    for j, mp in enumerate(q.missing):
        fam = q.missing_family[mp]
        geno = {pid: pr[m.name] for pid, pr in q.am_profiles[fam].items()}
        g = genotype_likelihoods(q.families[fam], m, geno, mp)  # no lumping: ground truth
        ia = m.allele_index(a)
        per_marker = [
            math.log(g[ia].sum() / g[np.triu_indices(len(g))].sum())
            - math.log(2 * m.afreq[ia] - m.afreq[ia] ** 2)
        ]
        for mk in q.markers[1:]:
            gk = genotype_likelihoods(
                q.families[fam],
                mk,
                {pid: pr[mk.name] for pid, pr in q.am_profiles[fam].items()},
                mp,
            )
            x, y = (mk.allele_index(z) for z in q.pm_profiles[v][mk.name])
            per_marker.append(
                math.log(gk[x, y] / gk[np.triu_indices(len(gk))].sum())
                - math.log(mk.afreq[x] ** 2 if x == y else 2 * mk.afreq[x] * mk.afreq[y])
            )
        assert one[j] == pytest.approx(sum(per_marker), rel=1e-9)


def test_true_pairing_is_found_on_a_simulated_case():
    rng = np.random.default_rng(11)
    sim = simulate_dvi(standard_markers(23), 40, 40, rng)
    res = screen(sim.problem, min_lr=1.0, top=3)
    found = {(res.pm[i], res.missing[j]) for i, j in zip(res.pm_index, res.mp_index, strict=False)}
    true = {(v, m) for v, m in sim.truth.items() if m != "*"}
    recall = len(true & found) / len(true)
    assert recall >= 0.9, recall


def test_bad_arguments_are_refused():
    p = _small_case(1, 2, 2, 2)
    with pytest.raises(KinshipError):
        screen(p, min_lr=-1)
    with pytest.raises(KinshipError):
        screen(p, block_size=0)


def test_partly_typed_reference_equals_pairwise():
    p = _small_case(5, 3, 4, 4)
    am = {f: {pid: dict(pr) for pid, pr in d.items()} for f, d in p.am_profiles.items()}
    fam = next(iter(am))
    pid = next(iter(am[fam]))
    name = p.markers[0].name
    am[fam][pid][name] = (am[fam][pid][name][0], None)
    q = DVIProblem(
        p.markers, p.pm, p.pm_sex, p.pm_profiles, p.families, am, p.missing, p.missing_family, {}
    )
    _assert_same_lrs(q, screen(q, min_lr=0, top=None), pairwise_lr(q))


def test_x_linked_marker_and_female_pm_equal_pairwise():
    from repatria.kinship.markers import Marker
    from repatria.kinship.pedigree import Individual, Pedigree, Sex
    from repatria.kinship.simulate import FAMILY_SHAPES, simulate_profiles

    rng = np.random.default_rng(8)
    x = Marker("DXS", ("1", "2", "3", "4", "5"), [0.1, 0.2, 0.3, 0.25, 0.15], is_x=True)
    auto = standard_markers(2)
    markers = [x, *auto]
    families, am, missing, fam_of, pm_prof, pm_sex = {}, {}, [], {}, {}, {}
    for k, shape in enumerate(("parents", "mother", "two_siblings", "child")):
        inds, refs = FAMILY_SHAPES[shape]
        f = f"F{k}"
        lab = {i.id: f"{f}-{i.id}" for i in inds}
        ped = Pedigree(inds).relabel(lab)
        prof = simulate_profiles(ped, markers, rng)
        families[f] = ped
        am[f] = {lab[r]: prof[lab[r]] for r in refs}
        missing.append(lab["MP"])
        fam_of[lab["MP"]] = f
        pm_prof[f"V{k}"] = prof[lab["MP"]]
        pm_sex[f"V{k}"] = Sex.MALE
    lone = simulate_profiles(Pedigree([Individual("W", sex=Sex.FEMALE)]), markers, rng)["W"]
    pm_prof["W"], pm_sex["W"] = lone, Sex.FEMALE
    p = DVIProblem(
        tuple(markers), tuple(pm_prof), pm_sex, pm_prof, families, am, tuple(missing), fam_of, {}
    )
    res = screen(p, min_lr=0, top=None, block_size=2)
    _assert_same_lrs(p, res, pairwise_lr(p))
    assert "W" not in {res.pm[i] for i in res.pm_index}  # a woman cannot be these male MPs


def test_pm_allele_outside_the_frequency_table_is_the_cores_error():
    p = _small_case(2, 2, 2, 2)
    prof = {v: dict(pr) for v, pr in p.pm_profiles.items()}
    m = p.markers[0]
    prof[p.pm[0]][m.name] = ("99.9", prof[p.pm[0]][m.name][1])
    q = DVIProblem(
        p.markers, p.pm, p.pm_sex, prof, p.families, p.am_profiles, p.missing, p.missing_family, {}
    )
    with pytest.raises(KinshipError, match="99.9"):
        pairwise_lr(q)
    with pytest.raises(KinshipError, match="99.9"):
        screen(q)
