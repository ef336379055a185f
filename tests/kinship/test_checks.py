"""Checks routed to review (``kinship.checks``).

Known values derived by hand (written out in each test), a simulated stepfather (the "father"'s
profile replaced by an unrelated man's) flagged by leave-one-reference-out, an oracle (the LR
without a reference is the pairwise LR of the case with that reference's profile removed), and
properties: with one typed reference, leaving it out gives the LR with none, exactly 1.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from repatria.kinship import (
    LR_ONE_TOL,
    NOBODY,
    DVIProblem,
    Individual,
    Marker,
    Pedigree,
    Sex,
    compare_with_one,
    find_misattributed,
    is_one,
    lr0_check,
    lr0_checks,
    misattributed_relationship,
    pairwise_lr,
    raisable,
    sex_conflicts,
    simulate_profiles,
    snap_log_lr,
    typed_references,
    uninformative_families,
)
from repatria.kinship.errors import KinshipError
from repatria.services.pipelines.simulation import simulate_dvi_case

M, F = Sex.MALE, Sex.FEMALE
FREQ = (0.1, 0.2, 0.3, 0.4)
MARKERS = tuple(Marker(f"L{k}", ("a", "b", "c", "d"), FREQ) for k in range(1, 4))
TRIO = Pedigree(
    [Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)],
    name="F1",
)


def _replace(problem: DVIProblem, am: dict) -> DVIProblem:
    return DVIProblem(
        problem.markers,
        problem.pm,
        problem.pm_sex,
        problem.pm_profiles,
        problem.families,
        am,
        problem.missing,
        problem.missing_family,
        dict(problem.pairings),
    )


# --- an LR of 1 within rounding is 1 ---


def test_lr_one_tolerance() -> None:
    # the "LR 1" of a family with no typed reference: log10 LR 7e-16
    noise = 7e-16 * math.log(10)
    assert is_one(noise) and compare_with_one(noise) == 0 and snap_log_lr(noise) == 0.0
    assert not is_one(2e-9) and compare_with_one(2e-9) == 1 and compare_with_one(-2e-9) == -1
    assert LR_ONE_TOL == 1e-9
    arr = snap_log_lr(np.array([noise, -noise, 0.3, np.nan, -np.inf]))
    assert arr[:3].tolist() == [0.0, 0.0, 0.3] and np.isnan(arr[3]) and arr[4] == -np.inf
    with pytest.raises(KinshipError):
        compare_with_one(float("nan"))


# --- misattributed relationship ---


def _trio_case(fa: tuple[str, str], mo: tuple[str, str], pm: tuple[str, str]) -> DVIProblem:
    return DVIProblem(
        MARKERS,
        ("V1",),
        {"V1": M},
        {"V1": {m.name: pm for m in MARKERS}},
        {"F1": TRIO},
        {"F1": {"FA": {m.name: fa for m in MARKERS}, "MO": {m.name: mo for m in MARKERS}}},
        ("MP",),
        {"MP": "F1"},
    )


def test_stepfather_by_hand() -> None:
    # Mother a/b, "father" c/c, PM a/d at 3 markers, no mutation: the PM needs d from the father,
    # so all 3 markers are exclusions, all of them the father's. Without him the mother alone:
    # P(a/d | mother a/b) / P(a/d) = (1/2 p_d) / (2 p_a p_d) = 1 / (4 p_a) = 2.5 per marker,
    # LR 2.5^3 = 15.625 and no exclusion. With the father alone: 3 exclusions, LR 0.
    case = _trio_case(("c", "c"), ("a", "b"), ("a", "d"))
    r = misattributed_relationship(case, "V1", "MP")
    assert r.exclusions == 3 and r.lr == 0.0
    assert r.flagged and r.suspects == ("FA",) and r.routed_to == "review"
    fa, mo = r.left_out("FA"), r.left_out("MO")
    assert fa.exclusions_without == 0 and fa.exclusions_alone == 3
    assert fa.lr_without == pytest.approx(2.5**3, rel=1e-12)
    assert mo.exclusions_without == 3 and mo.lr_without == 0.0
    assert mo.lr_alone == pytest.approx(15.625, rel=1e-12)
    assert "FA" in r.message and "3 exclusions" in r.message


def test_exclusions_shared_by_both_parents_are_not_flagged() -> None:
    # PM c/d: the mother a/b cannot give c or d, the father c/c can give c: the mother's
    # exclusions; but an unrelated PM inconsistent with both (d/d) is flagged on nobody.
    r = misattributed_relationship(_trio_case(("c", "c"), ("a", "b"), ("d", "d")), "V1", "MP")
    assert r.exclusions == 3 and not r.flagged
    assert r.left_out("FA").exclusions_without == 3 and r.left_out("MO").exclusions_without == 3
    # a consistent pairing has nothing to flag
    ok = misattributed_relationship(_trio_case(("c", "c"), ("a", "b"), ("a", "c")), "V1", "MP")
    assert ok.exclusions == 0 and not ok.flagged


def _stepfather_case() -> tuple[DVIProblem, DVIProblem, str, str, str]:
    """A simulated case (10 PMs, 10 families) with a parents-typed family whose MP is among the
    PMs; its father's profile replaced by an unrelated man's (seed 99)."""
    sim = simulate_dvi_case(10, 10, 1)
    p = sim.problem
    inv = {m: v for v, m in sim.truth.items() if m != NOBODY}
    fam = next(
        f
        for f in p.families
        if {r.rsplit("-", 1)[1] for r in typed_references(p, f)} == {"FA", "MO"}
        and p.family_missing[f][0] in inv
    )
    mp = p.family_missing[fam][0]
    man = Pedigree([Individual("X", sex=M)])
    step = simulate_profiles(man, p.markers, np.random.default_rng(99))["X"]
    am = {f: dict(d) for f, d in p.am_profiles.items()}
    am[fam][f"{fam}-FA"] = step
    return p, _replace(p, am), fam, mp, inv[mp]


def test_simulated_stepfather_is_flagged() -> None:
    original, case, fam, mp, v = _stepfather_case()
    i, j = case.pm.index(v), case.missing.index(mp)
    before, after = pairwise_lr(original), pairwise_lr(case)
    assert before.exclusions[i, j] == 0 and before.log_lr[i, j] > math.log(1e4)
    assert after.exclusions[i, j] > 2  # the true identification lost to the stepfather
    found = find_misattributed(case, after)
    assert [(r.pm, r.mp, r.suspects) for r in found] == [(v, mp, (f"{fam}-FA",))]
    r = found[0]
    fa, mo = r.left_out(f"{fam}-FA"), r.left_out(f"{fam}-MO")
    assert fa.exclusions_without == 0 and fa.exclusions_alone > 2 and fa.lr_without > 1e4
    assert mo.exclusions_alone == 0  # the mother fully consistent
    # oracle: the LR without the stepfather is the case's LR with his profile removed
    am = {f: dict(d) for f, d in case.am_profiles.items()}
    del am[fam][f"{fam}-FA"]
    pw = pairwise_lr(_replace(case, am))
    assert fa.log_lr_without == pytest.approx(pw.log_lr[i, j], rel=1e-12)
    assert fa.exclusions_without == pw.exclusions[i, j]
    # and the case without the stepfather raises no flag at all
    assert find_misattributed(original, before) == ()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(1, 10_000))
def test_leave_one_out_of_a_single_reference_is_one(seed: int) -> None:
    # with one typed reference, leaving it out leaves none: the LR is exactly 1, no exclusion,
    # which is the pairwise LR of the family with no reference typed (1 within rounding)
    sim = simulate_dvi_case(2, 3, seed, n_markers=8)
    p = sim.problem
    single = [f for f in p.families if len(typed_references(p, f)) == 1]
    assume(single)
    for fam in single:
        mp = p.family_missing[fam][0]
        for v in p.pm:
            r = misattributed_relationship(p, v, mp)
            (only,) = r.references
            assert only.log_lr_without == 0.0 and only.lr_without == 1.0
            assert only.exclusions_without == 0 and not r.flagged
            assert only.log_lr_alone == r.log_lr or (
                math.isinf(r.log_lr) and only.log_lr_alone == r.log_lr
            )
        am = {f: dict(d) for f, d in p.am_profiles.items()}
        am[fam] = {}
        none = pairwise_lr(_replace(p, am))
        j = p.missing.index(mp)
        assert (snap_log_lr(none.log_lr[:, j]) == 0.0).all()


# --- LR0 ---


def test_lr0_of_brothers_by_hand() -> None:
    # Two missing brothers M1, M2 (parents untyped), PMs V1 and V2 both a/b at one marker
    # (p_a = 0.1, p_b = 0.2). LR0 of V1 = M1 with V2 placed on M2 is the full-sibling LR:
    # [k0 2 pa pb + k1 (pa + pb) / 2 + k2] / (2 pa pb), k = (1/4, 1/2, 1/4)
    # = (0.01 + 0.075 + 0.25) / 0.04 = 8.375
    mk = Marker("L", ("a", "b", "c"), [0.1, 0.2, 0.7])
    ped = Pedigree(
        [
            Individual("FA", sex=M),
            Individual("MO", sex=F),
            Individual("M1", "FA", "MO", M),
            Individual("M2", "FA", "MO", M),
        ]
    )
    prob = DVIProblem(
        (mk,),
        ("V1", "V2"),
        {"V1": M, "V2": M},
        {"V1": {"L": ("a", "b")}, "V2": {"L": ("a", "b")}},
        {"F": ped},
        {},
        ("M1", "M2"),
        {"M1": "F", "M2": "F"},
    )
    c = lr0_check(prob, "V1", "M1", {"M2": "V2"})
    assert c.lr0 == pytest.approx(8.375, rel=1e-12) and c.flagged and c.routed_to == "review"
    alone = lr0_check(prob, "V1", "M1")
    assert alone.lr0 == 1.0 and not alone.flagged
    both = lr0_checks(prob, {"V1": "M1", "V2": "M2"})
    assert [x.lr0 for x in both] == pytest.approx([8.375, 8.375], rel=1e-12)


# --- sex conflicts, uninformative families ---


def test_sex_conflicts() -> None:
    p = simulate_dvi_case(3, 3, 4).problem
    sexes = dict(p.pm_sex)
    sexes[p.pm[0]] = F
    q = DVIProblem(
        p.markers,
        p.pm,
        sexes,
        p.pm_profiles,
        p.families,
        p.am_profiles,
        p.missing,
        p.missing_family,
        {v: (NOBODY, *p.missing) for v in p.pm},  # sex ignored when pairing
    )
    found = sex_conflicts(q)
    assert {(c.pm, c.mp) for c in found} == {(p.pm[0], m) for m in p.missing}
    assert all(c.pm_sex == F and c.mp_sex == M and c.routed_to == "review" for c in found)
    assert sex_conflicts(q, [(p.pm[1], p.missing[0])]) == ()


def test_uninformative_family_is_never_raised() -> None:
    p = simulate_dvi_case(6, 4, 2).problem
    fam = next(iter(p.families))
    am = {f: dict(d) for f, d in p.am_profiles.items()}
    am[fam] = {}
    q = _replace(p, am)
    (u,) = uninformative_families(q)
    assert u.family == fam and u.missing == q.family_missing[fam] and u.routed_to == "review"
    assert uninformative_families(p) == ()
    # its LRs are 1 up to rounding noise, snapped to exactly 1
    pw = pairwise_lr(q)
    j = q.missing.index(u.missing[0])
    assert np.all(np.abs(pw.log_lr[:, j]) < LR_ONE_TOL)
    assert (snap_log_lr(pw.log_lr[:, j]) == 0.0).all()
    pairs = [(v, m) for v in q.pm for m in q.missing]
    kept = raisable(q, pairs)
    assert all(m not in u.missing for _, m in kept)
    assert len(kept) == len(pairs) - len(q.pm) * len(u.missing)


def _lone_mp_case(pm_sexes: list[Sex], mp_sexes: list[Sex]) -> DVIProblem:
    """One untyped family per MP (a lone person of the given sex), PMs untyped."""
    families = {
        f"F{k}": Pedigree([Individual(f"M{k}", sex=s)], name=f"F{k}")
        for k, s in enumerate(mp_sexes)
    }
    pm = tuple(f"V{i}" for i in range(len(pm_sexes)))
    missing = tuple(f"M{k}" for k in range(len(mp_sexes)))
    return DVIProblem(
        MARKERS,
        pm,
        dict(zip(pm, pm_sexes, strict=True)),
        {v: {} for v in pm},
        families,
        {f: {} for f in families},
        missing,
        {m: f"F{k}" for k, m in enumerate(missing)},
        {v: (NOBODY, *missing) for v in pm},
    )


SEXES = st.sampled_from([Sex.UNKNOWN, M, F])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(SEXES, min_size=1, max_size=7),
    st.lists(SEXES, min_size=1, max_size=6),
    st.data(),
)
def test_sex_conflicts_where_is_the_pair_by_pair_loop(pm_sexes, mp_sexes, data) -> None:
    """Oracle: the array version flags exactly what the loop over every allowed pair flags,
    in the same order, with the same records."""
    from repatria.kinship.checks import sex_conflicts_where

    q = _lone_mp_case(pm_sexes, mp_sexes)
    shape = (len(q.pm), len(q.missing))
    allowed = np.array(
        data.draw(
            st.lists(st.booleans(), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1])
        )
    ).reshape(shape)
    pairs = [(v, m) for i, v in enumerate(q.pm) for k, m in enumerate(q.missing) if allowed[i, k]]
    assert sex_conflicts_where(q, allowed) == sex_conflicts(q, pairs)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(SEXES, min_size=1, max_size=6),
    st.lists(SEXES, min_size=1, max_size=5),
    st.data(),
)
def test_pairing_mask_is_allowed_pair_by_pair(pm_sexes, mp_sexes, data) -> None:
    """Oracle for the joint's array of allowed pairings: ``problem.allowed`` asked pair by
    pair, with the default pairings (the sex rule) and with explicit ones."""
    from repatria.kinship.dvi import DefaultPairings
    from repatria.kinship.screening_exclusions import pairing_mask

    q = _lone_mp_case(pm_sexes, mp_sexes)
    explicit = {
        v: (NOBODY, *data.draw(st.lists(st.sampled_from(q.missing), unique=True))) for v in q.pm
    }
    default = DVIProblem(
        q.markers, q.pm, q.pm_sex, q.pm_profiles, q.families, q.am_profiles, q.missing,
        q.missing_family,
    )  # fmt: skip
    assert isinstance(default.pairings, DefaultPairings)
    for r in (default, replace(default, pairings=explicit)):
        want = np.array([[r.allowed(v, m) for m in r.missing] for v in r.pm], dtype=bool)
        assert (pairing_mask(r) == want).all()
