"""Known answers from the pedsuite's own sources, tests and manuals (issue 13, deliver 7).

Each test names its source: the repository, the file and the R expression. Where no R output is
available (the shared reference cases were all run with dvir's defaults), the expected value is
derived by hand by applying the rules of the cited R source to dvir's own numbers, and the test
says so.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import repatria.kinship.conclusions as conclusions
from repatria.formats.casefolder import read_case_folder
from repatria.kinship import (
    Individual,
    KinshipError,
    Marker,
    Pedigree,
    Sex,
    kinship_lr,
    likelihood,
)
from repatria.kinship.conclusions import Conclusion, dvi_solve, find_undisputed
from repatria.kinship.joint import joint_dvi
from repatria.kinship.markers import (
    always_lumpable,
    is_lumpable,
    mutation_model,
    pedmut_is_lumpable,
)
from repatria.kinship.pairings import joint_dvi_fixed, restrict_pairings, set_pairing
from repatria.kinship.probability import (
    genotype_labels,
    genotype_likelihoods,
    joint_genotype_table,
)
from repatria.kinship.solve.undisputed import keep_pairing

# --------------------------------------------------------------------------------------------
# 1. dvir's `limit` (magnusdv/dvir R/pairwiseLR.R, R/findUndisputed.R, R/findExcluded.R,
#    R/dviSolve.R)


def test_keep_pairing_is_dvirs_pairwise_lr_rule():
    """magnusdv/dvir R/pairwiseLR.R: ``if(limit == 0) keepIdx = lrs > 0 else keepIdx = lrs >=
    limit; if(limit > 1) keepIdx = keepIdx | names(lrs) == "*"``."""
    assert keep_pairing("M1", 2.0, 2.0)  # >=, not >
    assert not keep_pairing("M1", 1.999, 2.0)
    assert keep_pairing("*", 1.0, 2.0)  # never remove "*"
    assert keep_pairing("*", 1.0, 1.0)  # 1 >= 1
    assert keep_pairing("*", 1.0, 0.0)
    assert not keep_pairing("M1", 0.0, 0.0)
    assert keep_pairing("M1", 1e-300, 0.0)
    assert not keep_pairing("M1", float("nan"), 0.0)


@pytest.fixture(scope="module")
def example2(reference_cases):
    return read_case_folder(reference_cases / "example2")


@pytest.mark.reference
def test_find_undisputed_limit_keeps_star_and_lr_at_limit(example2, reference_cases):
    """dvir's example2 LR list (expected/pairwiseLR.json, ``pairwiseLR(example2)``): V1: * 1,
    M1 1, M2 0; V2: M2 5, M1 1, * 1; V3: M3 5, * 1. With ``limit = 1`` pairwiseLR keeps LR >= 1
    (ties in R's stable order); with ``limit = 3`` only M2 and M3 (LR 5) are kept, and "*"
    always. (No test at ``limit = 5``: dvir's 5.000000000000014 is a rounding away from 5.)"""
    lrs = json.loads((reference_cases / "example2/expected/pairwiseLR.json").read_text())
    assert lrs["LRlist"]["V2"]["M2"] == pytest.approx(5.0)
    u1 = find_undisputed(example2, limit=1)
    assert dict(u1.reduced.pairings) == {
        "V1": ("*", "M1"),
        "V2": ("M2", "M1", "*"),
        "V3": ("M3", "*"),
    }
    u5 = find_undisputed(example2, limit=3)
    assert dict(u5.reduced.pairings) == {"V1": ("*",), "V2": ("M2", "*"), "V3": ("M3", "*")}
    # limit = 0: LR > 0 (the reference output, pairings_reduced of pairwiseLR.json)
    u0 = find_undisputed(example2)
    assert {v: list(p) for v, p in u0.reduced.pairings.items()} == lrs["pairings_reduced"]


def _bounded(monkeypatch, rounds: int) -> list[int]:
    """Make ``dvi_solve`` fail instead of looping: at most ``rounds`` exclusion steps."""
    calls: list[int] = []
    step = conclusions.exclusion_step

    def bounded(*args, **kwargs):
        calls.append(1)
        if len(calls) > rounds:
            raise AssertionError(f"dvi_solve ran more than {rounds} exclusion rounds")
        return step(*args, **kwargs)

    monkeypatch.setattr(conclusions, "exclusion_step", bounded)
    return calls


@pytest.mark.reference
def test_dvi_solve_limit_2_on_example2_terminates_with_dvirs_answer(example2, monkeypatch):
    """``dviSolve(example2, limit = 2)`` (magnusdv/dvir R/dviSolve.R, R/findExcluded.R,
    R/pairwiseLR.R). It never terminated before (the undisputed step dropped "*", the exclusion
    step put it back). No R run at limit 2 is stored; the answer is derived by dvir's rules from
    dvir's own LRs (example2/expected/pairwiseLR.json):

    - iteration 1: no exclusion, nothing undisputed; pairings with LR >= 2 and "*" remain:
      V1: *, V2: M2 *, V3: M3 * (3 pairings dropped: V1=M1, V1=M2, V2=M1);
    - iteration 2: V1 has no MP left and M1 no PM (``minEx`` = Inf): both *Excluded* ("no
      compatible pairings"); no pairing has > maxIncomp inconsistencies, so the pairings stay;
      the undisputed step changes nothing and the loop ends;
    - AM-driven: M2 (V2, LR 5) and M3 (V3, LR 5) are simple families, *Inconclusive*
      (5 < threshold2 = 1000); PM-driven: V2 and V3 *Inconclusive*.
    """
    calls = _bounded(monkeypatch, 5)
    r = dvi_solve(example2, limit=2)
    assert len(calls) == 2
    pm = {row.sample: (row.conclusion, row.comment) for row in r.pm}
    am = {row.missing: (row.conclusion, row.sample) for row in r.am}
    assert pm == {
        "V1": (Conclusion.EXCLUDED, "No compatible pairings"),
        "V2": (Conclusion.INCONCLUSIVE, "Best: M2"),
        "V3": (Conclusion.INCONCLUSIVE, "Best: M3"),
    }
    assert am == {
        "M1": (Conclusion.EXCLUDED, None),
        "M2": (Conclusion.INCONCLUSIVE, "V2"),
        "M3": (Conclusion.INCONCLUSIVE, "V3"),
    }
    assert {row.sample: row.lr for row in r.pm}["V2"] == pytest.approx(5.0, rel=1e-9)
    assert "Removed 3 pairings with LR < 2" in r.log


@pytest.mark.reference
@pytest.mark.parametrize("limit", [1.0, 2.0, 10.0, 1e6])
def test_dvi_solve_terminates_for_any_limit(reference_cases, monkeypatch, limit):
    """``limit >= 1`` on dvi-example never terminated before; every PM and MP is concluded once.

    Each round that changes something removes a PM, an MP or a pairing and nothing puts a
    pairing back, so the rounds are bounded by their number (here 3 PMs x 3 MPs).
    """
    problem = read_case_folder(reference_cases / "dvi-example")
    calls = _bounded(monkeypatch, 3 * 3 + 2)
    r = dvi_solve(problem, limit=limit)
    assert len(calls) <= 3
    assert sorted(row.sample for row in r.pm) == sorted(problem.pm)
    assert sorted(row.missing for row in r.am) == sorted(problem.missing)


@pytest.mark.reference
def test_limit_at_or_below_one_changes_nothing_on_example2(example2):
    """With ``0 < limit <= 1`` nothing with LR >= 1 is dropped: example2's answer equals the
    default one (dvir's expected/dviSolve.json) except that V1 = M2 (LR 0) is gone either way."""
    base = dvi_solve(example2)
    at1 = dvi_solve(example2, limit=1)
    assert [(r.sample, r.conclusion, r.comment) for r in at1.pm] == [
        (r.sample, r.conclusion, r.comment) for r in base.pm
    ]


# --------------------------------------------------------------------------------------------
# 2. the "pedsuite" lumping policy (magnusdv/pedmut R/model_properties.R `isLumpable`,
#    R/lumpedModel.R `lumpedMatrix`; magnusdv/pedprobr R/lumpAlleles.R `.lumpMarker`)


def _trio_marker(female: str, male: str):
    al, p = ("1", "2", "3", "4"), [0.1, 0.2, 0.3, 0.4]
    f = mutation_model(female, al, p, rate=0.05, rate2=0.0, range_=0.1)
    m = mutation_model(male, al, p, rate=0.05, rate2=0.0, range_=0.1)
    return Marker("L", al, p, f, m), np.array(p), f.matrix, m.matrix


def _trio():
    return Pedigree(
        [
            Individual("FA", sex=Sex.MALE),
            Individual("MO", sex=Sex.FEMALE),
            Individual("CH", "FA", "MO", Sex.MALE),
        ]
    )


def test_pedmut_is_lumpable_is_female_or_male():
    """pedmut 0.9.1 ``isLumpable(mutmod, lump)``: ``alwaysLumpable`` attribute, else
    ``isLumpable(female) || (!sexEqual && isLumpable(male))``."""
    _, _, st, eq = _trio_marker("stepwise", "equal")
    lump = np.array([1, 2, 3])
    assert not is_lumpable(st, lump) and is_lumpable(eq, lump)
    assert pedmut_is_lumpable(st, eq, lump)  # female no, male yes: pedmut says yes
    assert pedmut_is_lumpable(eq, st, lump)  # female yes
    assert not pedmut_is_lumpable(st, st, lump)
    assert pedmut_is_lumpable(None, None, lump)
    # pedmut's alwaysLumpable examples (R/model_properties.R): equal and proportional are
    assert always_lumpable(eq) and not always_lumpable(st)


@pytest.mark.parametrize(("female", "male"), [("stepwise", "equal"), ("equal", "stepwise")])
def test_pedsuite_lumps_when_either_matrix_is_lumpable(female, male):
    """FA and CH typed 1/1 (or MO and CH), the other parent untyped: alleles 2, 3, 4 are lumped
    by pedprobr when pedmut's isLumpable says so. The untyped parent then passes allele 1 with
    ``p1 M[1, 1] + (1 - p1) M[2, 1]`` (the lump's row is its first allele's, as
    ``lumpedMatrix``), exactly ``sum_a p_a M[a, 1]``; the typed parent: ``p1^2 M[1, 1]``."""
    marker, p, mf, mm = _trio_marker(female, male)
    untyped_is_mother = female == "stepwise"  # the non-lumpable matrix is the untyped parent's
    typed = "FA" if untyped_is_mother else "MO"
    m_untyped, m_typed = (mf, mm) if untyped_is_mother else (mm, mf)
    prof = {typed: {"L": ("1", "1")}, "CH": {"L": ("1", "1")}}
    ped = _trio()
    typed_part = p[0] ** 2 * m_typed[0, 0]
    lumped = typed_part * (p[0] * m_untyped[0, 0] + (1 - p[0]) * m_untyped[1, 0])
    exact = typed_part * float(p @ m_untyped[:, 0])
    got = likelihood(ped, [marker], prof, lumping="pedsuite").likelihood
    assert got == pytest.approx(lumped, rel=1e-12)
    assert likelihood(ped, [marker], prof, lumping="exact").likelihood == pytest.approx(
        exact, rel=1e-12
    )
    assert abs(lumped - exact) / exact > 1e-4  # the two policies do differ here


def test_pedsuite_does_not_skip_lumping_for_a_half_typed_person():
    """pedprobr's ``.lumpMarker`` skips lumping only if ``all(mInt != 0)``: every allele of every
    member known. With the untyped mother typed ``1/-`` lumping happens (and is what pedmut's
    rule gives); with everyone fully typed it is skipped (exact)."""
    marker, p, mf, mm = _trio_marker("stepwise", "equal")
    ped = _trio()
    prof = {"FA": {"L": ("1", "1")}, "MO": {"L": ("1", None)}, "CH": {"L": ("1", "1")}}
    a = likelihood(ped, [marker], prof, lumping="pedsuite").likelihood
    b = likelihood(ped, [marker], prof, lumping="exact").likelihood
    assert a != pytest.approx(b, rel=1e-9)
    full = {"FA": {"L": ("1", "1")}, "MO": {"L": ("1", "4")}, "CH": {"L": ("1", "1")}}
    assert likelihood(ped, [marker], full, lumping="pedsuite").likelihood == pytest.approx(
        likelihood(ped, [marker], full, lumping="none").likelihood, rel=1e-12
    )


# --------------------------------------------------------------------------------------------
# 3. founder inbreeding (magnusdv/pedprobr tests/testthat/test-inbred-founders.R)

P_INB, Q_INB = 0.1, 0.9


def _two_allele(name="L"):
    return Marker(name, ("1", "2"), [P_INB, Q_INB])


def _expanded_inbred():
    """pedprobr's ``x = addChildren(nuclearPed(2, sex = 1:2), 3, 4, 1)``: 5 is the child of the
    full siblings 3 and 4, so f(5) = 1/4."""
    return Pedigree(
        [
            Individual("1", sex=Sex.MALE),
            Individual("2", sex=Sex.FEMALE),
            Individual("3", "1", "2", Sex.MALE),
            Individual("4", "1", "2", Sex.FEMALE),
            Individual("5", "3", "4", Sex.MALE),
        ]
    )


@pytest.mark.parametrize(
    ("geno", "want"),
    [(("1", "1"), 0.25 * P_INB + 0.75 * P_INB**2), (("1", "2"), 0.75 * 2 * P_INB * Q_INB)],
)
def test_inbred_singleton_agrees_with_theory_and_expanded(geno, want):
    """pedprobr test-inbred-founders.R, "likelihood of inbred singleton agrees with expanded
    pedigree, and theory": ``y = subset(x, 5); founderInbreeding(y, 5) = 0.25``;
    ``likelihood(y, "hom") == 0.25 * p + 0.75 * p^2``, ``likelihood(y, "het") == 0.75 * 2*p*q``
    (p = 0.1), and both equal the likelihood on the expanded pedigree ``x``."""
    m = _two_allele()
    y = Pedigree([Individual("5", sex=Sex.MALE)]).with_founder_inbreeding({"5": 0.25})
    prof = {"5": {"L": geno}}
    assert likelihood(y, [m], prof).likelihood == pytest.approx(want, rel=1e-12)
    assert likelihood(_expanded_inbred(), [m], prof).likelihood == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    ("geno", "want"),
    [(("1", "1"), 0.25 * P_INB + 0.75 * P_INB**2), (("1", "2"), 0.75 * 2 * P_INB * Q_INB)],
)
def test_nuclear_with_inbred_founder(geno, want):
    """pedprobr test-inbred-founders.R, "likelihood of nuc with inbred founder is correct":
    ``x = addSon(addChildren(nuclearPed(2, sex=1:2), 3, 4, 1), 5); y = branch(x, 5);
    founderInbreeding(y, 5) = 0.25``: 5 typed, his son and the son's mother untyped; the same
    values as the singleton, and the same as the expanded pedigree."""
    m = _two_allele()
    y = Pedigree(
        [
            Individual("5", sex=Sex.MALE, inbreeding=0.25),
            Individual("6", sex=Sex.FEMALE),
            Individual("7", "5", "6", Sex.MALE),
        ]
    )
    prof = {"5": {"L": geno}}
    assert likelihood(y, [m], prof).likelihood == pytest.approx(want, rel=1e-12)
    # Typing the son too: the inbred founder's alleles must also be passed on correctly; compare
    # with the expanded pedigree (5's parents are full siblings).
    x = Pedigree(
        [
            *_expanded_inbred(),
            Individual("6", sex=Sex.FEMALE),
            Individual("7", "5", "6", Sex.MALE),
        ]
    )
    both = {"5": {"L": geno}, "7": {"L": ("1", "1")}}
    assert likelihood(y, [m], both).likelihood == pytest.approx(
        likelihood(x, [m], both).likelihood, rel=1e-12
    )


def test_founder_inbreeding_is_validated_and_ignored_for_x_males():
    with pytest.raises(KinshipError, match="only founders"):
        Pedigree(
            [
                Individual("FA", sex=Sex.MALE),
                Individual("MO", sex=Sex.FEMALE),
                Individual("CH", "FA", "MO", Sex.MALE, inbreeding=0.1),
            ]
        )
    with pytest.raises(KinshipError, match=r"must be in \[0, 1\]"):
        Pedigree([Individual("A", inbreeding=1.5)])
    mx = Marker("X1", ("1", "2"), [P_INB, Q_INB], is_x=True)
    male = Pedigree([Individual("A", sex=Sex.MALE, inbreeding=0.5)])
    assert likelihood(male, [mx], {"A": {"X1": ("1", "1")}}).likelihood == pytest.approx(P_INB)
    female = Pedigree([Individual("A", sex=Sex.FEMALE, inbreeding=0.5)])
    got = likelihood(female, [mx], {"A": {"X1": ("1", "1")}}).likelihood
    assert got == pytest.approx(P_INB * (0.5 + 0.5 * P_INB))
    with pytest.raises(KinshipError, match="theta"):
        likelihood(female, [_two_allele()], {"A": {"L": ("1", "1")}}, theta=0.01)
    # f = 1: the founder is homozygous for sure
    one = Pedigree([Individual("A", inbreeding=1.0)])
    assert likelihood(one, [_two_allele()], {"A": {"L": ("1", "2")}}).likelihood == 0.0


# --------------------------------------------------------------------------------------------
# 4. silent (null) alleles. pedtools/pedprobr have none; Familias has them (FamiliasLocus:
#    "the vector may include a possible silent allele; that it is silent is indicated in the
#    allelenames"). Values derived by hand.

PA, PB, PS = 0.3, 0.6, 0.1


def _silent_marker():
    return Marker("L", ("a", "b", "s"), [PA, PB, PS], silent="s")


def test_single_peak_is_homozygote_or_silent():
    """One person, one peak a: P = p_a^2 + 2 p_a p_s; two peaks a, b: 2 p_a p_b."""
    m = _silent_marker()
    one = Pedigree([Individual("A")])
    got = likelihood(one, [m], {"A": {"L": ("a", "a")}}).likelihood
    assert got == pytest.approx(PA**2 + 2 * PA * PS, rel=1e-12)
    got = likelihood(one, [m], {"A": {"L": ("a", "b")}}).likelihood
    assert got == pytest.approx(2 * PA * PB, rel=1e-12)
    # a/- (one allele unknown) already allows every partner, the silent one included
    assert likelihood(one, [m], {"A": {"L": ("a", None)}}).likelihood == pytest.approx(
        PA * (2 - PA), rel=1e-12
    )


def test_opposite_homozygotes_are_father_and_son_only_through_the_silent_allele():
    """Father a/a, son b/b, no mutation: without a silent allele the LR is 0; with one the father
    is a/s (2 p_a p_s), passes s (1/2), the mother passes b (p_b):
    LR = p_a p_s p_b / ((p_a^2 + 2 p_a p_s)(p_b^2 + 2 p_b p_s))
       = p_s / ((p_a + 2 p_s)(p_b + 2 p_s))."""
    m = _silent_marker()
    prof = {"FA": {"L": ("a", "a")}, "CH": {"L": ("b", "b")}}
    h1 = _trio()
    h2 = Pedigree([Individual("FA", sex=Sex.MALE), Individual("CH", sex=Sex.MALE)])
    lr = kinship_lr(h1, h2, [m], prof).lr
    assert lr == pytest.approx(PS / ((PA + 2 * PS) * (PB + 2 * PS)), rel=1e-12)
    assert kinship_lr(h1, h2, [m.with_silent(None)], prof).lr == 0.0


def test_silent_allele_against_a_naive_sum_over_genotypes():
    """Mother and child typed on a trio with the father untyped, against a plain sum over the
    real genotypes (a/a or a/s behind every single peak)."""
    m = _silent_marker()
    p = dict(zip("abs", [PA, PB, PS], strict=True))

    def hw(g):
        x, y = g
        return p[x] ** 2 if x == y else 2 * p[x] * p[y]

    def real(peaks):
        x, y = peaks
        return [(x, x), (x, "s")] if x == y else [(x, y)]

    def child_given(mo, ch):
        # father untyped: his allele is drawn from p; mother passes each of hers with 1/2
        tot = 0.0
        for mat in mo:
            for pat in "abs":
                if sorted((mat, pat)) == sorted(ch):
                    tot += 0.5 * p[pat]
        return tot

    mo_peaks, ch_peaks = ("a", "a"), ("b", "b")
    want = sum(hw(g) * sum(child_given(g, c) for c in real(ch_peaks)) for g in real(mo_peaks))
    prof = {"MO": {"L": mo_peaks}, "CH": {"L": ch_peaks}}
    assert likelihood(_trio(), [m], prof).likelihood == pytest.approx(want, rel=1e-12)
    assert want > 0


def test_silent_allele_errors():
    m = _silent_marker()
    with pytest.raises(KinshipError, match="gives no peak"):
        likelihood(Pedigree([Individual("A")]), [m], {"A": {"L": ("a", "s")}})
    with pytest.raises(KinshipError, match="not among its alleles"):
        Marker("L", ("a", "b"), [0.5, 0.5], silent="0")


# --------------------------------------------------------------------------------------------
# 5. setPairing (magnusdv/dvir R/setPairing.R) and restricted pairings, checked against dvir's
#    own joint table of example2 (expected/jointDVI.json, ``jointDVI(example2)``)


def _joint_rows(reference_cases):
    d = json.loads((reference_cases / "example2/expected/jointDVI.json").read_text())
    return {tuple(sorted(r["assignment"].items())): r for r in d["top"]}


@pytest.mark.reference
def test_restrict_pairings_keeps_dvirs_likelihoods_and_renormalises(example2, reference_cases):
    """Fixing V1 = M1 and V2 = M2 leaves V3 = M3 or nobody: dvir's logliks -16.118095650958317
    (LR 250) and -17.72753356339242 (LR 50); posteriors LR / sum(LR) = 250/300 and 50/300 (as
    dvir's test-joint.R checks posterior = LR / sum(LR))."""
    rows = _joint_rows(reference_cases)
    fixed = restrict_pairings(example2, {"V1": "M1", "V2": "M2"})
    assert dict(fixed.pairings) == {"V1": ("M1",), "V2": ("M2",), "V3": ("*", "M3")}
    res = joint_dvi_fixed(example2, {"V1": "M1", "V2": "M2"})
    assert res.n_assignments == 2
    assert res.marginals[0].tolist() == [1.0, 0.0, 0.0, 0.0]
    got = {tuple(sorted(t.assignment.items())): t for t in res.top}
    assert len(got) == 2
    lrs = {k: rows[k]["LR"] for k in got}
    for k, t in got.items():
        assert t.loglik == pytest.approx(rows[k]["loglik"], rel=1e-9)
        assert t.lr == pytest.approx(rows[k]["LR"], rel=1e-9)
        assert t.posterior == pytest.approx(lrs[k] / sum(lrs.values()), rel=1e-9)
    best = res.top[0]
    assert best.assignment == {"V1": "M1", "V2": "M2", "V3": "M3"}
    assert best.posterior == pytest.approx(250 / 300, rel=1e-9)


@pytest.mark.reference
def test_restrict_pairings_excluded_and_nobody(example2, reference_cases):
    """Excluding V1 = M1 and fixing V3 to nobody: every assignment left is one of dvir's with
    V1 != M1 and V3 = *, with dvir's loglik."""
    rows = _joint_rows(reference_cases)
    r = restrict_pairings(example2, {"V3": "*"}, excluded=[("V1", "M1")])
    assert dict(r.pairings) == {"V1": ("*", "M2"), "V2": ("*", "M1", "M2"), "V3": ("*",)}
    res = joint_dvi_fixed(example2, {"V3": "*"}, excluded=[("V1", "M1")], top=50)
    # V1 in {*, M2} x V2 in {*, M1, M2}, no MP twice: 5; V1 = M2 has LR 0 (pairwiseLR.json), so
    # 3 have a likelihood
    assert res.n_assignments == 5 and len(res.top) == 3
    for t in res.top:
        assert t.assignment["V1"] != "M1" and t.assignment["V3"] == "*"
        k = tuple(sorted(t.assignment.items()))
        if k in rows:  # jointDVI.json lists the assignments dvir enumerated
            assert t.loglik == pytest.approx(rows[k]["loglik"], rel=1e-9)
    assert sum(t.posterior for t in res.top) == pytest.approx(1.0)
    with pytest.raises(KinshipError, match="not among"):
        restrict_pairings(example2, {"V3": "M1"})  # V3 may not be M1 (sex)
    with pytest.raises(KinshipError, match="more than one PM"):
        restrict_pairings(example2, {"V1": "M1", "V2": "M1"})
    with pytest.raises(KinshipError, match="unknown PM"):
        restrict_pairings(example2, {"V9": "M1"})


@pytest.mark.reference
def test_set_pairing_as_dvir(example2, reference_cases):
    """``setPairing(example2, match = c("V3" = "M2"))`` (dvir's own example): PMs V1, V2 and MPs
    M1, M3 remain, M2 typed with V3's data in F1; summary Family F1, Missing M2, Sample V3,
    Conclusion "Provided". And setting V1 = M1 keeps dvir's likelihoods: the best assignment of
    what is left, V2 = M2, V3 = M3, has loglik -16.118095650958317 (jointDVI.json's best)."""
    s = set_pairing(example2, {"V3": "M2"})
    assert s.reduced.pm == ("V1", "V2")
    assert s.reduced.missing == ("M1", "M3")
    assert s.reduced.am_profiles["F1"]["M2"] == example2.pm_profiles["V3"]
    assert [(r.family, r.missing, r.sample, r.conclusion, r.comment) for r in s.summary] == [
        ("F1", "M2", "V3", "Provided", "")
    ]
    s1 = set_pairing(example2, victim=["V1"], missing=["M1"], comment="Dental")
    assert s1.summary[0].comment == "Dental"
    res = joint_dvi(s1.reduced)
    rows = _joint_rows(reference_cases)
    best = res.top[0]
    assert best.assignment == {"V2": "M2", "V3": "M3"}
    k = (("V1", "M1"), ("V2", "M2"), ("V3", "M3"))
    assert best.loglik == pytest.approx(rows[k]["loglik"], rel=1e-9)
    assert set_pairing(example2, {}).reduced is example2


@pytest.mark.reference
def test_joint_dvi_fixed_when_a_family_is_left_without_mp(example2, reference_cases):
    """Fixing V3 = M3 empties family F2 (its only MP): its likelihood with V3 placed is added
    back, so every loglik and LR is still dvir's (jointDVI.json)."""
    rows = _joint_rows(reference_cases)
    res = joint_dvi_fixed(example2, {"V3": "M3"})
    assert res.top[0].assignment == {"V1": "M1", "V2": "M2", "V3": "M3"}
    for t in res.top:
        k = tuple(sorted(t.assignment.items()))
        assert t.loglik == pytest.approx(rows[k]["loglik"], rel=1e-9)
        assert t.lr == pytest.approx(rows[k]["LR"], rel=1e-9)
    full = joint_dvi(example2, top=50)
    with_v3 = [t for t in full.top if t.assignment["V3"] == "M3"]
    z = sum(t.lr for t in with_v3)
    assert [t.posterior for t in res.top] == pytest.approx([t.lr / z for t in with_v3])


# --------------------------------------------------------------------------------------------
# 6. joint genotype distributions (magnusdv/pedprobr tests/testthat/test-oneMarkerDist.R,
#    ``OMD = oneMarkerDistribution``; p = 0.2, genotypes 1/1, 1/2, 2/2)

P_OMD, Q_OMD = 0.2, 0.8
HW = np.array([P_OMD**2, 2 * P_OMD * Q_OMD, Q_OMD**2])


def _nuclear(child_sex=Sex.MALE):
    return Pedigree(
        [
            Individual("1", sex=Sex.MALE),
            Individual("2", sex=Sex.FEMALE),
            Individual("3", "1", "2", child_sex),
        ]
    )


def _snp(is_x=False):
    return Marker("L", ("1", "2"), [P_OMD, Q_OMD], is_x=is_x)


def test_omd_empty_autosomal_nuclear():
    """``OMD(nuclearPed(1), ids = c(1,3))`` = ``array(hw * c(p, .5*p, 0, q, .5, p, 0, .5*q, q),
    dim = c(3, 3))`` (rows: the father, columns: the child); ``OMD(x, 1)`` = ``OMD(x, 3)`` = HW."""
    p, q = P_OMD, Q_OMD
    # R recycles hw over the 9 entries (column-major)
    want = (np.tile(HW, 3) * np.array([p, 0.5 * p, 0, q, 0.5, p, 0, 0.5 * q, q])).reshape(
        3, 3, order="F"
    )
    t = joint_genotype_table(_nuclear(), _snp(), {}, ["1", "3"])
    assert t.labels == (("1/1", "1/2", "2/2"),) * 2
    np.testing.assert_allclose(t.joint, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.conditional, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.marginal("1"), HW, rtol=1e-12)
    np.testing.assert_allclose(t.marginal("3"), HW, rtol=1e-12)


def test_omd_empty_x_linked_nuclear():
    """X: ``OMD(nuclearPed(1, sex = 2), ids = c(1,3))`` = ``array(c(p^2, 0, p*q, p*q, 0, q^2),
    dim = c(2,3))``: the father's allele (rows) against the daughter's genotype."""
    p, q = P_OMD, Q_OMD
    want = np.array([p**2, 0, p * q, p * q, 0, q**2]).reshape(2, 3, order="F")
    t = joint_genotype_table(_nuclear(Sex.FEMALE), _snp(is_x=True), {}, ["1", "3"])
    assert t.labels == (("1", "2"), ("1/1", "1/2", "2/2"))
    np.testing.assert_allclose(t.joint, want, rtol=1e-12, atol=1e-15)


def test_omd_conditional_nuclear():
    """Daughter 3 typed 2/2: ``OMD(x, ids = 1)`` is ``c(0, p, q)``; on X the father is
    ``c(0, 1)`` and the mother ``c(0, p, q)``."""
    p, q = P_OMD, Q_OMD
    ped = _nuclear(Sex.FEMALE)
    d = {"3": ("2", "2")}
    np.testing.assert_allclose(
        joint_genotype_table(ped, _snp(), d, ["1"]).conditional, [0, p, q], atol=1e-15
    )
    x = _snp(is_x=True)
    np.testing.assert_allclose(joint_genotype_table(ped, x, d, ["1"]).conditional, [0, 1])
    np.testing.assert_allclose(
        joint_genotype_table(ped, x, d, ["2"]).conditional, [0, p, q], atol=1e-15
    )
    # the joint of both parents sums out to each one-person table
    both = joint_genotype_table(ped, x, d, ["1", "2"])
    np.testing.assert_allclose(both.marginal("2"), joint_genotype_table(ped, x, d, ["2"]).joint)


def test_omd_with_multiple_components():
    """``x = list(nuclearPed(ch = 5), nuclearPed(fa = 3, mo = 4, ch = 7))`` and ``y = addSon(x,
    3:2)`` (joining them through an untyped son), typed 1: "1/-", 2: "1/1", 3: "2/2":
    ``OMD(x, ids = c(1,5,4,7)) == OMD(y, ids = c(1,5,4,7))``."""
    m = _snp()
    inds = [
        Individual("1", sex=Sex.MALE),
        Individual("2", sex=Sex.FEMALE),
        Individual("5", "1", "2", Sex.MALE),
        Individual("3", sex=Sex.MALE),
        Individual("4", sex=Sex.FEMALE),
        Individual("7", "3", "4", Sex.MALE),
    ]
    x = Pedigree(inds)
    y = Pedigree([*inds, Individual("8", "3", "2", Sex.MALE)])
    g = {"1": ("1", None), "2": ("1", "1"), "3": ("2", "2")}
    # person 1 is typed 1/-: pedprobr overrides it; here the targets must be untyped
    ids = ["5", "4", "7"]
    tx = joint_genotype_table(x, m, g, ids)
    ty = joint_genotype_table(y, m, g, ids)
    assert tx.joint.shape == (3, 3, 3)
    np.testing.assert_allclose(tx.conditional, ty.conditional, rtol=1e-12, atol=1e-15)
    # independent components: the joint factorises
    np.testing.assert_allclose(
        tx.conditional,
        np.einsum(
            "i,jk->ijk",
            joint_genotype_table(x, m, g, ["5"]).conditional,
            joint_genotype_table(x, m, g, ["4", "7"]).conditional,
        ),
        rtol=1e-12,
        atol=1e-15,
    )


def test_joint_table_sums_to_one_person_tables_on_a_hard_pedigree():
    """Three untyped persons of a looped, mutating pedigree (first cousins with a child, both
    cousins typed): summing out two gives ``genotype_likelihoods`` of the third (unordered), and
    the total is the likelihood of the data."""
    al, p = ("1", "2", "3", "4"), [0.1, 0.2, 0.3, 0.4]
    mut = mutation_model("equal", al, p, rate=0.02)
    m = Marker("L", al, p, mut, mut)
    M, F = Sex.MALE, Sex.FEMALE
    ped = Pedigree(
        [
            Individual("GF", sex=M),
            Individual("GM", sex=F),
            Individual("A", "GF", "GM", M),
            Individual("B", "GF", "GM", F),
            Individual("WA", sex=F),
            Individual("HB", sex=M),
            Individual("C1", "A", "WA", M),
            Individual("C2", "HB", "B", F),
            Individual("K", "C1", "C2", M),
        ]
    )
    g = {"C1": ("1", "2"), "C2": ("2", "3"), "GM": ("2", "2")}
    targets = ["K", "A", "GF"]
    t = joint_genotype_table(ped, m, g, targets)
    assert t.joint.shape == (10, 10, 10)
    assert t.loglik == pytest.approx(
        likelihood(ped, [m], {k: {"L": v} for k, v in g.items()}).loglik
    )
    pairs = genotype_labels(m)
    for target in targets:
        full = genotype_likelihoods(ped, m, g, target)
        one = np.array([full[i, j] for i, j in pairs])
        np.testing.assert_allclose(t.marginal(target), one, rtol=1e-10, atol=1e-300)
    with pytest.raises(KinshipError, match="must be untyped"):
        joint_genotype_table(ped, m, g, ["C1"])


# --------------------------------------------------------------------------------------------
# more of pedprobr's own values (magnusdv/pedprobr tests/testthat/test-mutations.R)


def test_pedprobr_trio_some_typed_mutation():
    """pedprobr "trio - someTyped - mutation", p = 0.9: ``m1 = marker(x, '1'=1, '2'=1, '3'=2,
    mutmod="eq", rate=0.1)``: ``likelihood == p^4 * rr^2`` (rr = male[1, 2]); ``m2 = marker(x,
    '1'=1, '3'=2, mutmod="pr", rate=0.1)``: ``likelihood == p^2 * q * rr``."""
    p, q = 0.9, 0.1
    al = ("1", "2")
    eq = mutation_model("equal", al, [p, q], rate=0.1)
    m1 = Marker("m1", al, [p, q], eq, eq)
    ped = _trio()
    prof = {"FA": {"m1": ("1", "1")}, "MO": {"m1": ("1", "1")}, "CH": {"m1": ("2", "2")}}
    rr = eq.matrix[0, 1]
    assert likelihood(ped, [m1], prof).likelihood == pytest.approx(p**4 * rr**2, rel=1e-12)
    pr = mutation_model("proportional", al, [p, q], rate=0.1)
    m2 = Marker("m2", al, [p, q], pr, pr)
    prof2 = {"FA": {"m2": ("1", "1")}, "CH": {"m2": ("2", "2")}}
    rr2 = pr.matrix[0, 1]
    assert likelihood(ped, [m2], prof2).likelihood == pytest.approx(p**2 * q * rr2, rel=1e-12)


def test_pedprobr_ancestral_ped_non_stationary_mutation():
    """pedprobr "ancestral ped - non-stationary mut": ``mutmat = matrix(c(0,0,1,1), ncol = 2)``
    (every parent passes allele 2); ``x = relabel(addParents(linearPed(2), 4), 1:7)`` with 3 and
    6 typed 2/2: ``likelihood(x, m) == 1``. Both typed persons are non-founders there (a child is
    2/2 for sure under this matrix); the same shape with this file's labels has the non-founders
    3 and 7."""
    from repatria.kinship.markers import MutationModel

    mut = MutationModel(np.array([[0.0, 1.0], [0.0, 1.0]]), {"model": "custom"})
    m = Marker("L", ("1", "2"), [0.5, 0.5], mut, mut)
    M, F = Sex.MALE, Sex.FEMALE
    ped = Pedigree(
        [
            Individual("1", sex=M),
            Individual("2", sex=F),
            Individual("3", "1", "2", M),
            Individual("4", sex=M),
            Individual("5", sex=F),
            Individual("6", "4", "5", F),
            Individual("7", "3", "6", M),
        ]
    )
    prof = {"3": {"L": ("2", "2")}, "7": {"L": ("2", "2")}}
    assert likelihood(ped, [m], prof).likelihood == pytest.approx(1.0, rel=1e-12)
