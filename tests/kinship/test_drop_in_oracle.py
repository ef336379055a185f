"""Drop-in in the pairwise LR of a PM (``--drop-in C``) against a naive oracle.

The oracle sums by hand over the PM's true genotype ``G``:
``LR = sum_G P(S | G) P(MP = G | refs) / sum_G P(S | G) P_HW(G)``, with ``P(S | G)`` the
one-allele drop-in model written out again here from its statement (Gill, Kirkham and Curran,
FSI 2007; Balding and Buckleton, FSI:G 2009): each copy of a heterozygote lost with ``d``, a
homozygote's peak with ``d^2``; with probability ``c`` one extra allele drawn from the
frequencies appears (one the person carries is not counted: "no drop-in" is ``1 - c``, as
:mod:`repatria.kinship.dropout` states). ``P(MP = G | refs)`` is the ratio of
two pedigree likelihoods with the MP typed ``G`` and untyped.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship.dropout import DropoutModel
from repatria.kinship.dvi import DVIProblem, pairwise_lr
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Individual, Pedigree, Sex
from repatria.kinship.probability import likelihood

ALLELES = ("a", "b", "c", "d")
FREQ = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}
M = Marker("L", ALLELES, [FREQ[a] for a in ALLELES])
PED = Pedigree(
    [
        Individual("FA", sex=Sex.MALE),
        Individual("MO", sex=Sex.FEMALE),
        Individual("MP", "FA", "MO", Sex.MALE),
    ]
)


def p_seen(seen: frozenset[str], g: tuple[str, str], d: float, c: float) -> float:
    """P(peaks ``seen`` | true genotype ``g``), by enumerating what is lost and what drops in."""
    copies = sorted(set(g))
    total = 0.0
    # which of the person's alleles show: a homozygote shows unless both copies drop
    states = [(True, False)] * len(copies)
    for shows in itertools.product(*states):
        prob = 1.0
        lost = d * d if g[0] == g[1] else d
        for s in shows:
            prob *= (1 - lost) if s else lost
        kept = {a for a, s in zip(copies, shows, strict=True) if s}
        # no drop-in; a drop-in of an allele the person carries is not counted as unseen
        # (the model's statement: "no visible drop-in" has probability 1 - c)
        none = 1 - c
        if kept == seen:
            total += prob * none
        for x in ALLELES:
            if x not in copies and kept | {x} == seen:
                total += prob * c * FREQ[x]
    return total


def genotypes() -> list[tuple[str, str]]:
    return list(itertools.combinations_with_replacement(ALLELES, 2))


def hw(g: tuple[str, str]) -> float:
    a, b = g
    return FREQ[a] ** 2 if a == b else 2 * FREQ[a] * FREQ[b]


def oracle_lr(refs: dict, seen: frozenset[str], d: float, c: float) -> float:
    base = likelihood(PED, [M], refs).loglik
    num = sum(
        p_seen(seen, g, d, c)
        * math.exp(likelihood(PED, [M], {**refs, "MP": {"L": g}}).loglik - base)
        for g in genotypes()
    )
    den = sum(p_seen(seen, g, d, c) * hw(g) for g in genotypes())
    return num / den


def problem(refs: dict, pm_g, model: DropoutModel | None) -> DVIProblem:
    return DVIProblem(
        (M,),
        ("V",),
        {"V": Sex.MALE},
        {"V": {"L": pm_g}},
        {"F": PED},
        {"F": refs},
        ("MP",),
        {"MP": "F"},
        {},
        {} if model is None else {"V": model},
    )


genotype = st.sampled_from(genotypes())


@settings(max_examples=60, deadline=None)
@given(
    fa=genotype,
    mo=genotype,
    peaks=st.sampled_from([("a", "a"), ("b", None), ("a", "c"), ("c", "d"), ("d", "d")]),
    # 0 itself, or rates large enough that d^2 c p does not underflow to 0
    d=st.just(0.0) | st.floats(0.01, 0.8),
    c=st.just(0.0) | st.floats(0.001, 0.3),
)
def test_pairwise_lr_with_drop_in_is_the_sum_over_genotypes(fa, mo, peaks, d, c) -> None:
    refs = {"FA": {"L": fa}, "MO": {"L": mo}}
    seen = frozenset(x for x in peaks if x is not None)
    want = oracle_lr(refs, seen, d, c)
    pw = pairwise_lr(problem(refs, peaks, DropoutModel(d, c)))
    got = math.exp(pw.log_lr[0, 0])
    assert got == pytest.approx(want, rel=1e-9, abs=1e-300)
    # exclusions only where the peaks are impossible under the model
    assert (pw.exclusions[0, 0] > 0) == (want == 0)


def test_drop_in_makes_a_foreign_peak_possible_by_hand() -> None:
    # Parents a/a and b/b: the MP is a/b. A PM showing only c cannot be him without drop-in;
    # with it: both of his alleles lost (d^2) and c dropping in (c p_c), so the numerator is
    # d^2 c p_c; the denominator sum_G P(c | G) P_HW(G) by the table of kinship.dropout.
    refs = {"FA": {"L": ("a", "a")}, "MO": {"L": ("b", "b")}}
    d, c, pc = 0.3, 0.05, FREQ["c"]
    assert pairwise_lr(problem(refs, ("c", "c"), DropoutModel(d))).exclusions[0, 0] > 0
    pw = pairwise_lr(problem(refs, ("c", "c"), DropoutModel(d, c)))
    num = d * d * c * pc
    den = (1 - c) * (pc * pc * (1 - d * d) + 2 * pc * (1 - pc) * d * (1 - d))
    den += (1 - pc) ** 2 * d * d * c * pc
    assert math.exp(pw.log_lr[0, 0]) == pytest.approx(num / den, rel=1e-12)
    assert pw.exclusions[0, 0] == 0
