"""Which relative to sample next: known exclusion powers, LR simulation, properties."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship import (
    Individual,
    KinshipError,
    Marker,
    Pedigree,
    Sex,
    missing_person_lr,
    mutation_model,
    power,
)
from repatria.kinship.power import (
    exclusion_power,
    missing_person_exclusion_power,
    relationship,
    sampling_candidates,
    sampling_power,
    simulate_mp_log_lr,
)
from repatria.kinship.probability import genotype_likelihoods

M, F = Sex.MALE, Sex.FEMALE


def marker(name: str, p: list[float], is_x: bool = False, **mut: float) -> Marker:
    alleles = tuple(str(i + 1) for i in range(len(p)))
    mm = mutation_model("equal", alleles, p, **mut) if mut else None
    return Marker(name, alleles, np.array(p), mm, mm, is_x=is_x)


def trio(child_sex: Sex = F) -> Pedigree:
    return Pedigree(
        [Individual("AF", sex=M), Individual("MO", sex=F), Individual("CH", "AF", "MO", child_sex)]
    )


UNCLE = Pedigree(
    [
        Individual("GF", sex=M),
        Individual("GM", sex=F),
        Individual("FA", "GF", "GM", M),
        Individual("UN", "GF", "GM", M),
        Individual("MO", sex=F),
        Individual("MP", "FA", "MO", M),
    ],
    name="U",
)


# --------------------------------------------------------------------------------------------
# exclusion power: hand-derived values


def duo_pe(p: np.ndarray) -> float:
    """Paternity without the mother, everybody random: the child and a random man share no allele.

    Child homozygous ``ii`` (prob ``p_i^2``): the man lacks ``i``, ``(1 - p_i)^2``. Child ``ij``
    (``2 p_i p_j``): he lacks both, ``(1 - p_i - p_j)^2``. (The standard duo formula, e.g. Garber
    and Morris 1983.)
    """
    pe = float(np.sum(p**2 * (1 - p) ** 2))
    for i, j in itertools.combinations(range(len(p)), 2):
        pe += 2 * p[i] * p[j] * (1 - p[i] - p[j]) ** 2
    return pe


def trio_pe(p: np.ndarray) -> float:
    """Paternity with the mother, everybody random (the classical formula, Jamieson and Taylor
    1997, Ohno et al. 1982): ``sum p_i (1-p_i)^2 - sum_{i<j} p_i^2 p_j^2 (4 - 3 p_i - 3 p_j)``."""
    pe = float(np.sum(p * (1 - p) ** 2))
    for i, j in itertools.combinations(range(len(p)), 2):
        pe -= p[i] ** 2 * p[j] ** 2 * (4 - 3 * p[i] - 3 * p[j])
    return pe


FREQS = [[0.5, 0.5], [1 / 3] * 3, [0.1, 0.2, 0.3, 0.4], [0.05, 0.15, 0.2, 0.25, 0.35]]


@pytest.mark.parametrize("p", FREQS)
def test_duo_paternity_exclusion_by_hand(p: list[float]) -> None:
    m = marker("L", p)
    truth = Pedigree([Individual("AF", sex=M), Individual("CH", sex=F)])
    got = exclusion_power(trio(), truth, ["AF", "CH"], [m])
    assert got.total == pytest.approx(duo_pe(np.array(p)), abs=1e-12) and got.exact
    # The same as a missing-person question: the MP is the father, the child is to be sampled.
    mp = missing_person_exclusion_power(trio(), "AF", [m], {}, relatives=["CH"])
    assert mp.total == pytest.approx(duo_pe(np.array(p)), abs=1e-12)


@pytest.mark.parametrize("p", FREQS)
def test_trio_paternity_exclusion_by_hand(p: list[float]) -> None:
    m = marker("L", p)
    mp = missing_person_exclusion_power(trio(), "AF", [m], {}, relatives=["MO", "CH"])
    assert mp.total == pytest.approx(trio_pe(np.array(p)), abs=1e-12) and mp.exact
    assert trio_pe(np.array([0.5, 0.5])) == pytest.approx(0.1875)


@pytest.mark.parametrize(("p", "expected"), [(0.2, 0.1344), (0.5, 0.1875), (0.9, 0.0819)])
def test_trio_paternity_at_one_snp_by_hand(p: float, expected: float) -> None:
    """A two-allele (SNP-like) marker, alleles A (``p``) and B (``q = 1 - p``); the mother, the
    child and a random man, the claim that he is the father. The father's obligate allele is
    known unless mother and child are both AB:

    - child AA (probability ``p^2``, whatever the mother): he is excluded if BB, ``q^2``;
    - child BB: ``q^2 p^2`` likewise;
    - mother AA, child AB (``p^2 q``): obligate B, excluded if AA, ``p^2``: ``p^4 q``;
    - mother BB, child AB (``q^2 p``): excluded if BB: ``p q^4``.

    Total ``2 p^2 q^2 + p^4 q + p q^4 = pq (2pq + p^3 + q^3) = pq (1 - pq)``, since
    ``p^3 + q^3 = 1 - 3pq``: 0.1344 at p = 0.2, 0.1875 at 0.5, 0.0819 at 0.9 (the classical trio
    formula of Jamieson and Taylor 1997 at two alleles)."""
    m = marker("SNP", [p, 1 - p])
    q = 1 - p
    assert p * q * (1 - p * q) == pytest.approx(expected)
    mp = missing_person_exclusion_power(trio(), "AF", [m], {}, relatives=["MO", "CH"])
    assert mp.total == pytest.approx(expected, abs=1e-12) and mp.exact
    # forrel's general form: the truth is another man X the father, AF unrelated.
    truth = Pedigree(
        [
            Individual("AF", sex=M),
            Individual("X", sex=M),
            Individual("MO", sex=F),
            Individual("CH", "X", "MO", F),
        ]
    )
    general = exclusion_power(trio(), truth, ["AF", "MO", "CH"], [m])
    assert general.total == pytest.approx(expected, abs=1e-12)


def test_forrel_paternity_example() -> None:
    """forrel's ``exclusionPower`` help, first example (claim: 1 is the father of the girl 3;
    truth: unrelated). forrel prints but does not assert these; derived by hand:
    m1 (2 equal alleles) 2/16; m2 (3 equal) 3 (1/9)(4/9) + 6 (1/9)(1/9) = 18/81; m3 (X, 2 equal):
    the father's one allele missing in the daughter, sum p (1-p)^2 = 1/4. With the girl typed
    1/1, 1/1, 1/2: (1/2)^2, (2/3)^2 and 0."""
    claim = Pedigree([Individual("1", sex=M), Individual("2", sex=F), Individual("3", "1", "2", F)])
    true = Pedigree([Individual("1", sex=M), Individual("3", sex=F)])
    ms = [marker("m1", [0.5, 0.5]), marker("m2", [1 / 3] * 3), marker("m3", [0.5, 0.5], True)]
    ep = exclusion_power(claim, true, ["1", "3"], ms)
    assert ep.per_marker == pytest.approx([1 / 8, 18 / 81, 1 / 4])
    assert ep.total == pytest.approx(1 - (7 / 8) * (63 / 81) * (3 / 4))
    girl = {"3": {"m1": ("1", "1"), "m2": ("1", "1"), "m3": ("1", "2")}}
    ep = exclusion_power(claim, true, ["1"], ms, girl)
    assert ep.per_marker == pytest.approx([1 / 4, 4 / 9, 0.0])
    assert ep.total == pytest.approx(1 - (3 / 4) * (5 / 9))


def _sisters(loop: bool) -> Pedigree:
    inds = [
        Individual("101", sex=M),
        Individual("102", sex=F),
        Individual("2", "101", "102", F),
        Individual("3", "101", "102", F),
    ]
    if loop:  # forrel's sisters_LOOP: 101 and 102 are paternal half-sibs
        inds = [
            Individual("201", sex=M),
            Individual("202", sex=F),
            Individual("203", sex=F),
            Individual("101", "201", "202", M),
            Individual("102", "201", "203", F),
        ] + inds[2:]
    return Pedigree(inds)


@pytest.mark.parametrize(
    ("p", "loop", "expected"),
    [
        ([0.9, 0.1], False, 0.00405),
        ([0.7, 0.1, 0.1, 0.1], False, 0.03090),
        ([0.9, 0.1], True, 0.00765),
    ],
)
def test_forrel_mother_daughter_vs_sisters(p: list[float], loop: bool, expected: float) -> None:
    """forrel's ``exclusionPower`` help, second example, asserted there with ``stopifnot``:
    claim mother and daughter, truth sisters (and sisters of an inbred pair of parents)."""
    claim = Pedigree([Individual("1", sex=M), Individual("2", sex=F), Individual("3", "1", "2", F)])
    ep = exclusion_power(claim, _sisters(loop), ["2", "3"], [marker("L", p)])
    assert round(ep.total, 5) == expected


def test_missing_person_form_matches_general_form_with_references() -> None:
    """The fast missing-person exclusion power (one consistency check per allele pattern) against
    forrel's general form on the same question, with a typed uncle and mutation models."""
    ms = [marker("A", [0.1, 0.2, 0.3, 0.25, 0.15]), marker("B", [0.4, 0.3, 0.2, 0.1], rate=0.01)]
    refs = {"UN": {"A": ("1", "2"), "B": ("3", "3")}}
    claim = UNCLE.relabel({"MP": "POI"})
    true = UNCLE.union(Pedigree([Individual("POI", sex=M)]))
    for rel in (["MO"], ["FA"], ["GM"], ["FA", "MO"]):
        fast = missing_person_exclusion_power(UNCLE, "MP", ms, refs, relatives=rel)
        general = exclusion_power(claim, true, [*rel, "POI"], ms, refs)
        assert fast.per_marker == pytest.approx(general.per_marker, abs=1e-12), rel
        assert fast.mutation_disabled == ("B",)


def test_inconsistent_references_keep_mutation_and_impossible_ones_are_nan() -> None:
    m = marker("L", [0.25] * 4, rate=0.01)
    plain = marker("L", [0.25] * 4)
    mother_child = Pedigree(
        [Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)]
        + [Individual("CH", "FA", "MO", F)]
    )
    # Father 1/1 and a sister 2/2 are inconsistent without mutation: the model is kept, and an
    # equal model makes everything possible, so nothing is excluded.
    refs = {"FA": {"L": ("1", "1")}, "CH": {"L": ("2", "2")}}
    ep = missing_person_exclusion_power(mother_child, "MP", [m], refs)
    assert ep.per_marker.tolist() == [0.0] and ep.mutation_disabled == ()
    ep = missing_person_exclusion_power(mother_child, "MP", [plain], refs)
    assert math.isnan(ep.per_marker[0]) and ep.total == 0.0


# --------------------------------------------------------------------------------------------
# LR simulation


def test_lr_values_of_a_child_of_a_typed_mother() -> None:
    """Mother a/a typed, MP her child: the MP is a/a with probability p_a (LR 1/p_a), else a/x
    (LR 1/(2 p_a)): the textbook one-locus values."""
    m = marker("L", [0.2, 0.3, 0.5])
    ped = Pedigree([Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO")])
    ln = simulate_mp_log_lr(
        ped, "MP", [m], {"MO": {"L": ("1", "1")}}, (), 4000, np.random.default_rng(3)
    )
    lr = np.exp(ln[:, 0])
    values = np.unique(np.round(lr, 9))
    assert values.tolist() == [2.5, 5.0]
    share = float(np.mean(np.isclose(lr, 5.0)))
    assert abs(share - 0.2) < 4 * math.sqrt(0.2 * 0.8 / 4000)


def _exact_mean_log_lr(ped: Pedigree, mp: str, rel: str, m: Marker, refs: dict) -> float:
    """E[log LR] by enumeration of every (relative, MP) genotype pair, each LR from
    ``missing_person_lr`` and each probability from the core's genotype tables."""
    typed = {k: v["L"] for k, v in refs.items()}
    t_rel = genotype_likelihoods(ped, m, typed, rel)
    total, mean = float(np.sum(np.triu(t_rel))), 0.0
    for i, j in zip(*np.triu_indices(m.n_alleles), strict=True):
        if t_rel[i, j] <= 0:
            continue
        r = (m.alleles[i], m.alleles[j])
        t_mp = genotype_likelihoods(ped, m, {**typed, rel: r}, mp)
        s = float(np.sum(np.triu(t_mp)))
        for a, b in zip(*np.triu_indices(m.n_alleles), strict=True):
            if t_mp[a, b] <= 0:
                continue
            prof = {**refs, rel: {"L": r}, "POI": {"L": (m.alleles[a], m.alleles[b])}}
            lr = missing_person_lr(ped, mp, "POI", [m], prof)
            mean += t_rel[i, j] / total * t_mp[a, b] / s * lr.log_lr
    return mean


@pytest.mark.parametrize("joint_limit", [power.JOINT_LIMIT, 1])
def test_simulated_lrs_against_missing_person_lr(monkeypatch, joint_limit: int) -> None:
    """Naive oracle: the mean simulated log LR against the exact mean over every genotype pair,
    with the LRs from ``missing_person_lr``; and E[1/LR] = 1 under H1. With ``joint_limit`` 1 the
    relatives are drawn first and the MP from batched tables (the path of large markers)."""
    monkeypatch.setattr(power, "JOINT_LIMIT", joint_limit)
    m = marker("L", [0.1, 0.2, 0.3, 0.4], rate=0.005)
    refs = {"UN": {"L": ("1", "2")}}
    exact = _exact_mean_log_lr(UNCLE, "MP", "MO", m, refs)
    ln = simulate_mp_log_lr(UNCLE, "MP", [m], refs, ["MO"], 20000, np.random.default_rng(7))
    se = float(np.std(ln[:, 0])) / math.sqrt(len(ln))
    assert abs(float(np.mean(ln[:, 0])) - exact) < 4 * se
    inv = np.exp(-ln[:, 0])
    assert abs(float(np.mean(inv)) - 1.0) < 4 * float(np.std(inv)) / math.sqrt(len(inv))


@pytest.mark.parametrize("joint_limit", [power.JOINT_LIMIT, 1])
def test_two_relatives_drawn_jointly(monkeypatch, joint_limit: int) -> None:
    """Father and mother typed together: the MP's LR is then a function of the parents alone, so
    the simulated mean must equal the exact mean over the parents' joint genotypes."""
    monkeypatch.setattr(power, "JOINT_LIMIT", joint_limit)
    monkeypatch.setattr(power, "RELATIVES_LIMIT", joint_limit if joint_limit == 1 else 10**6)
    m = marker("L", [0.2, 0.3, 0.5])
    refs = {"UN": {"L": ("1", "2")}}
    ln = simulate_mp_log_lr(UNCLE, "MP", [m], refs, ["FA", "MO"], 20000, np.random.default_rng(2))
    exact = 0.0
    typed = {"UN": ("1", "2")}
    t_fa = genotype_likelihoods(UNCLE, m, typed, "FA")
    for i, j in zip(*np.triu_indices(3), strict=True):
        fa = (m.alleles[i], m.alleles[j])
        t_mo = genotype_likelihoods(UNCLE, m, {**typed, "FA": fa}, "MO")
        for a, b in zip(*np.triu_indices(3), strict=True):
            mo = (m.alleles[a], m.alleles[b])
            w = t_fa[i, j] / np.sum(np.triu(t_fa)) * t_mo[a, b] / np.sum(np.triu(t_mo))
            exact += w * _exact_mean_given(m, {**refs, "FA": {"L": fa}, "MO": {"L": mo}})
    se = float(np.std(ln[:, 0])) / math.sqrt(len(ln))
    assert abs(float(np.mean(ln[:, 0])) - exact) < 4 * se


def _exact_mean_given(m: Marker, refs: dict) -> float:
    """E[log LR] of the MP of ``UNCLE`` given everyone in ``refs`` typed."""
    typed = {k: v["L"] for k, v in refs.items()}
    t_mp = genotype_likelihoods(UNCLE, m, typed, "MP")
    s = float(np.sum(np.triu(t_mp)))
    mean = 0.0
    for a, b in zip(*np.triu_indices(m.n_alleles), strict=True):
        if t_mp[a, b] > 0:
            prof = {**refs, "POI": {"L": (m.alleles[a], m.alleles[b])}}
            mean += t_mp[a, b] / s * missing_person_lr(UNCLE, "MP", "POI", [m], prof).log_lr
    return mean


def test_x_marker_male_mp_is_hemizygous() -> None:
    m = marker("X1", [0.2, 0.3, 0.5], is_x=True)
    ped = Pedigree(
        [Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)]
    )
    ln = simulate_mp_log_lr(
        ped, "MP", [m], {"MO": {"X1": ("1", "2")}}, (), 500, np.random.default_rng(1)
    )
    # A son of a 1/2 mother carries 1 (LR 1/(2 * 0.2)) or 2 (LR 1/(2 * 0.3)).
    assert set(np.round(np.exp(ln[:, 0]), 9)) == {2.5, round(1 / 0.6, 9)}


# --------------------------------------------------------------------------------------------
# candidates and the whole study


def test_candidates_of_an_uncle_only_family() -> None:
    cands = sampling_candidates(UNCLE, "MP", {"UN": {"L": ("1", "2")}})
    names = [c.relationship for c in cands]
    assert names[0] == "current references"
    assert names[1:5] == ["grandfather", "grandmother", "father", "mother"]
    assert "full sibling (added)" in names and "child (added)" in names
    lines = {c.relationship: c.lines for c in cands}
    assert lines["father"] == ("Y",) and lines["mother"] == ("mt",)
    assert lines["paternal uncle (added)"] == ("Y",) and lines["maternal aunt (added)"] == ("mt",)
    for c in cands:
        assert all(r in c.pedigree for r in c.relatives) and "MP" in c.pedigree
    assert relationship(UNCLE, "MP", "UN") == "uncle"
    assert relationship(UNCLE, "UN", "MP") == "nephew"


def test_errors() -> None:
    m = marker("L", [0.5, 0.5])
    with pytest.raises(KinshipError, match="number of simulations"):
        sampling_power(UNCLE, "MP", [m], {}, nsims=0)
    with pytest.raises(KinshipError, match="threshold"):
        sampling_power(UNCLE, "MP", [m], {}, threshold=0)
    with pytest.raises(KinshipError, match="typed"):
        simulate_mp_log_lr(UNCLE, "MP", [m], {"MP": {"L": ("1", "1")}})
    with pytest.raises(KinshipError, match="not in the pedigree"):
        simulate_mp_log_lr(UNCLE, "MP", [m], {}, ["XX"])
    with pytest.raises(KinshipError, match="impossible at marker L"):
        ped = Pedigree(
            [Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO")]
        )
        ped = Pedigree(list(ped) + [Individual("S", "FA", "MO", F)])
        refs = {"FA": {"L": ("1", "1")}, "MO": {"L": ("1", "1")}, "S": {"L": ("2", "2")}}
        simulate_mp_log_lr(ped, "MP", [m], refs)


def _random_markers(rng: np.random.Generator, k: int) -> list[Marker]:
    """``k`` markers of 2 to 6 alleles; every other one with an equal mutation model."""
    out = []
    for i in range(k):
        p = list(rng.dirichlet(np.ones(int(rng.integers(2, 7)))))
        out.append(marker(f"L{i}", p, rate=0.01) if i % 2 else marker(f"L{i}", p))
    return out


def test_uncle_only_plausibility_24_markers() -> None:
    """The issue's hand figures (40 simulations): an uncle alone reaches LR >= 1e4 with
    probability ~0.10, with the mother ~1.00, with a sister ~0.97."""
    from repatria.kinship.simulate import simulate_profiles
    from repatria.services.pipelines.simulation import standard_markers

    ms = standard_markers(24)
    prof = simulate_profiles(UNCLE, ms, np.random.default_rng(5))
    refs = {"UN": prof["UN"]}
    cands = [
        c
        for c in sampling_candidates(UNCLE, "MP", refs)
        if c.relationship in ("current references", "mother", "full sibling (added)")
    ]
    res = sampling_power(UNCLE, "MP", ms, refs, threshold=1e4, nsims=200, seed=1, candidates=cands)
    p = {c.relationship: c.p_lr_above for c in res.candidates}
    assert p["current references"] < 0.3
    assert p["mother"] > 0.97
    assert p["full sibling (added)"] > 0.85
    assert res.nsims == 200 and res.seed == 1 and len(res.markers) == 24


# --------------------------------------------------------------------------------------------
# properties


@st.composite
def family_case(draw):
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    ms = _random_markers(rng, draw(st.integers(1, 3)))
    from repatria.kinship.simulate import simulate_profiles

    prof = simulate_profiles(UNCLE, ms, rng)
    typed = draw(st.sampled_from([["UN"], ["UN", "GM"], ["FA"], []]))
    return ms, {t: prof[t] for t in typed}


@settings(max_examples=25, deadline=None)
@given(family_case(), st.sampled_from(["MO", "GM", "GF", "FA"]))
def test_adding_a_relative_never_lowers_exclusion_power(case, rel) -> None:
    ms, refs = case
    if rel in refs:
        return
    base = missing_person_exclusion_power(UNCLE, "MP", ms, refs)
    more = missing_person_exclusion_power(UNCLE, "MP", ms, refs, relatives=[rel])
    assert np.all(more.per_marker >= base.per_marker - 1e-12)
    assert more.total >= base.total - 1e-12
    for ep in (base, more):
        assert np.all((ep.per_marker >= -1e-12) & (ep.per_marker <= 1 + 1e-12))
        assert 0 <= ep.total <= 1


@settings(max_examples=15, deadline=None)
@given(family_case(), st.integers(1, 30), st.integers(0, 2**31), st.floats(1.0, 1e6))
def test_probabilities_in_range_and_seeds_reproduce(case, nsims, seed, threshold) -> None:
    ms, refs = case
    cands = sampling_candidates(UNCLE, "MP", refs)[:3]
    a = sampling_power(UNCLE, "MP", ms, refs, threshold, nsims, seed, cands)
    b = sampling_power(UNCLE, "MP", ms, refs, threshold, nsims, seed, cands)
    for x, y in zip(a.candidates, b.candidates, strict=True):
        assert 0 <= x.p_lr_above <= 1 and 0 <= x.exclusion.total <= 1
        assert np.array_equal(x.log10_lr, y.log10_lr)
        assert x.log10_lr.shape == (nsims,) and x.log10_lr_per_marker.shape == (nsims, len(ms))
        qs = [q for _, q in x.quantiles]
        assert qs == sorted(qs)


def test_other_missing_persons_are_not_offered() -> None:
    cands = sampling_candidates(UNCLE, "MP", {}, exclude=["FA"])
    assert all("FA" not in c.relatives for c in cands)
    assert any(c.relatives == ("MO",) for c in cands)


@settings(max_examples=20, deadline=None)
@given(family_case(), st.sampled_from([[], ["MO"], ["GM"], ["FA", "MO"]]))
def test_fast_exclusion_power_equals_the_general_form(case, rel) -> None:
    """Naive oracle: one consistency check per allele pattern gives forrel's general form."""
    ms, refs = case
    rel = [r for r in rel if r not in refs]
    fast = missing_person_exclusion_power(UNCLE, "MP", ms, refs, relatives=rel)
    claim = UNCLE.relabel({"MP": "POI"})
    true = UNCLE.union(Pedigree([Individual("POI", sex=M)]))
    general = exclusion_power(claim, true, [*rel, "POI"], ms, refs)
    assert np.allclose(fast.per_marker, general.per_marker, atol=1e-12, equal_nan=True)
