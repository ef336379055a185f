"""Allelic dropout and drop-in in pedigree likelihoods (``kinship.dropout``).

Checked three ways: closed forms derived by hand (written out below), a naive oracle (the
likelihood under the model is the sum over the sample's true genotypes of P(peaks | genotype)
times the likelihood with that genotype typed), and properties (no dropout gives today's numbers;
``a/a`` and ``a/-`` are the same single peak under a model).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship import (
    Individual,
    Marker,
    Pedigree,
    Sex,
    likelihood,
    missing_person_lr,
    mutation_model,
)
from repatria.kinship.dropout import DropoutModel, observation_matrix, peak_probability
from repatria.kinship.errors import KinshipError

M, F = Sex.MALE, Sex.FEMALE
TRIO = Pedigree([Individual("FA", sex=M), Individual("MO", sex=F), Individual("CH", "FA", "MO", M)])
ALLELES = ("8", "9", "10", "11")
FREQS = (0.1, 0.2, 0.3, 0.4)


def test_single_peak_of_one_person_by_hand() -> None:
    # P(one peak a) = (1 - c) [p^2 (1 - d^2) + 2 p (1 - p) d (1 - d)] + (1 - p)^2 d^2 c p
    m = Marker("L", ("a", "b", "c"), [0.25, 0.35, 0.4])
    p, d, c = 0.25, 0.3, 0.05
    ped = Pedigree([Individual("V", sex=M)])
    got = likelihood(ped, [m], {"V": {"L": ("a", "a")}}, dropout={"V": DropoutModel(d, c)})
    want = (1 - c) * (p * p * (1 - d * d) + 2 * p * (1 - p) * d * (1 - d))
    want += (1 - p) ** 2 * d * d * c * p
    assert math.exp(got.loglik) == pytest.approx(want, rel=1e-12)
    assert peak_probability((0, 0), np.array([0.25, 0.35, 0.4]), DropoutModel(d, c)) == (
        pytest.approx(want, rel=1e-12)
    )


def test_two_peaks_with_drop_in_by_hand() -> None:
    # P(peaks a, b) = (1-d)^2 (1-c) 2 p_a p_b + (1-d^2) c (p_a^2 p_b + p_b^2 p_a)
    #                 + d (1-d) c [p_b 2 p_a p_x + p_a 2 p_b p_x] over x not in {a, b}
    pa, pb, px = 0.25, 0.35, 0.4
    d, c = 0.2, 0.1
    m = Marker("L", ("a", "b", "x"), [pa, pb, px])
    ped = Pedigree([Individual("V", sex=M)])
    got = likelihood(ped, [m], {"V": {"L": ("a", "b")}}, dropout={"V": DropoutModel(d, c)})
    want = (1 - d) ** 2 * (1 - c) * 2 * pa * pb
    want += (1 - d * d) * c * (pa * pa * pb + pb * pb * pa)
    want += d * (1 - d) * c * (pb * 2 * pa * px + pa * 2 * pb * px)
    assert math.exp(got.loglik) == pytest.approx(want, rel=1e-12)


def test_observation_rows_sum_to_one_over_peak_patterns() -> None:
    # For each true genotype, the probabilities of every peak pattern (none, one, two) sum to 1.
    p = np.array(FREQS)
    d, c = 0.35, 0.07
    model = DropoutModel(d, c)
    n = len(p)
    total = np.zeros((n, n))
    for a in range(n):
        total += observation_matrix((a, a), 2, p, model)
    for a, b in itertools.combinations(range(n), 2):
        total += observation_matrix((a, b), 2, p, model)
    # nothing seen: both copies (or the homozygote's peak) lost and no drop-in
    nothing = np.full((n, n), d * d * (1 - c))
    # What is missing from 1 is only what the model cannot show: a third peak, or a drop-in of an
    # allele already there (counted as invisible), so each true genotype loses at most c.
    assert np.all(total + nothing <= 1 + 1e-12)
    assert np.all(total + nothing >= 1 - c - 1e-12)


def _naive(ped, m, genos, who, model):
    """Sum over the true genotypes of ``who``: P(peaks | g) * L(ped with ``who`` typed g)."""
    p = m.afreq
    w = observation_matrix(
        tuple(None if a is None else m.allele_index(a) for a in genos[who]), 2, p, model
    )
    total = 0.0
    for i, j in itertools.combinations_with_replacement(range(m.n_alleles), 2):
        prof = {k: {m.name: v} for k, v in genos.items() if k != who}
        prof[who] = {m.name: (m.alleles[i], m.alleles[j])}
        total += w[i, j] * math.exp(likelihood(ped, [m], prof, lumping="none").loglik)
    return total


genotype = st.tuples(st.sampled_from(ALLELES), st.sampled_from(ALLELES))


@settings(max_examples=30, deadline=None)
@given(
    fa=genotype,
    mo=st.one_of(st.none(), genotype),
    ch=st.tuples(st.sampled_from(ALLELES), st.one_of(st.none(), st.sampled_from(ALLELES))),
    d=st.floats(0.0, 0.9),
    c=st.floats(0.0, 0.2),
    rate=st.sampled_from([0.0, 0.01]),
)
def test_network_equals_naive_sum(fa, mo, ch, d, c, rate) -> None:
    mut = mutation_model("equal", ALLELES, FREQS, rate=rate) if rate else None
    m = Marker("L", ALLELES, FREQS, mut, mut)
    genos = {"FA": fa, "CH": ch}
    if mo is not None:
        genos["MO"] = mo
    prof = {k: {"L": v} for k, v in genos.items()}
    got = likelihood(TRIO, [m], prof, dropout={"CH": DropoutModel(d, c)})
    want = _naive(TRIO, m, genos, "CH", DropoutModel(d, c))
    assert math.exp(got.loglik) == pytest.approx(want, rel=1e-10, abs=1e-300)


@settings(max_examples=30, deadline=None)
@given(fa=genotype, ch=genotype, mo=genotype)
def test_no_dropout_gives_todays_numbers(fa, ch, mo) -> None:
    m = Marker("L", ALLELES, FREQS)
    prof = {"FA": {"L": fa}, "MO": {"L": mo}, "CH": {"L": ch}}
    plain = likelihood(TRIO, [m], prof).loglik
    zero = likelihood(TRIO, [m], prof, dropout={k: DropoutModel(0.0) for k in prof}).loglik
    assert zero == pytest.approx(plain, rel=1e-12) or (zero == plain == -math.inf)


def test_single_peak_written_either_way_is_the_same_evidence() -> None:
    m = Marker("L", ALLELES, FREQS)
    ref = {"FA": {"L": ("9", "10")}}
    model = {"PM": DropoutModel(0.4)}
    a = missing_person_lr(TRIO, "CH", "PM", [m], {**ref, "PM": {"L": ("9", "9")}}, dropout=model)
    b = missing_person_lr(TRIO, "CH", "PM", [m], {**ref, "PM": {"L": ("9", None)}}, dropout=model)
    assert a.lr == pytest.approx(b.lr, rel=1e-12)


def test_dropout_turns_an_exclusion_into_evidence() -> None:
    # Father 9/9 and a burned PM showing one peak 10: without dropout the PM (10/10) cannot be
    # his son; with dropout the son may be 9/10 with the 9 lost.
    m = Marker("L", ALLELES, FREQS)
    prof = {"FA": {"L": ("9", "9")}, "PM": {"L": ("10", "10")}}
    assert missing_person_lr(TRIO, "CH", "PM", [m], prof).lr == 0.0
    lr = missing_person_lr(TRIO, "CH", "PM", [m], prof, dropout={"PM": DropoutModel(0.3)}).lr
    # P(peak 10 | father 9/9): son is 9/y; seen only 10 needs y = 10 and the 9 lost:
    # p10 * d (1 - d); over P(peak 10) = p10^2 (1 - d^2) + 2 p10 (1 - p10) d (1 - d)
    d, p = 0.3, 0.3
    want = p * d * (1 - d) / (p * p * (1 - d * d) + 2 * p * (1 - p) * d * (1 - d))
    assert lr == pytest.approx(want, rel=1e-12)


def test_bad_rates_are_refused() -> None:
    with pytest.raises(KinshipError, match="dropout must be in"):
        DropoutModel(1.0)
    with pytest.raises(KinshipError, match="drop-in must be in"):
        DropoutModel(0.1, -0.1)
