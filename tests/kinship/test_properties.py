"""Invariants of the likelihood, checked with Hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship import Individual, Marker, Pedigree, Sex, likelihood, mutation_model
from repatria.kinship.probability import genotype_likelihoods, marker_likelihood

M, F = Sex.MALE, Sex.FEMALE

# A fixed family with a loop-free but non-trivial shape: grandparents, two children, a grandchild.
FAMILY = [
    Individual("GF", sex=M),
    Individual("GM", sex=F),
    Individual("A", "GF", "GM", M),
    Individual("B", "GF", "GM", F),
    Individual("W", sex=F),
    Individual("C", "A", "W", M),
]


@st.composite
def marker_and_genotypes(draw, n_min=2, n_max=6):
    n = draw(st.integers(n_min, n_max))
    w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n)))
    p = w / w.sum()
    alleles = tuple(str(10 + i) for i in range(n))
    model = draw(st.sampled_from([None, "equal", "proportional", "stepwise"]))
    rate = draw(st.sampled_from([0.0, 0.001, 0.01]))
    mm = (
        None
        if model is None
        else mutation_model(model, alleles, p, rate=rate, rate2=rate / 10, range_=0.5)
    )
    m = Marker("L", alleles, p, mm, mm)
    typed = draw(
        st.lists(st.sampled_from([i.id for i in FAMILY]), min_size=1, max_size=4, unique=True)
    )
    geno = {
        pid: tuple(sorted(draw(st.lists(st.sampled_from(alleles), min_size=2, max_size=2))))
        for pid in typed
    }
    return m, geno


def _lik(ped, m, geno, **kw):
    return math.exp(marker_likelihood(ped, m, geno, **kw))


@settings(max_examples=60, deadline=None)
@given(marker_and_genotypes(), st.randoms())
def test_invariant_to_relabelling_and_order_of_individuals(mg, rnd):
    m, geno = mg
    ped = Pedigree(FAMILY)
    base = _lik(ped, m, geno)
    new = {i.id: f"x{k}" for k, i in enumerate(FAMILY)}
    rnd.shuffle(shuffled := list(ped.relabel(new)))
    ped2 = Pedigree(shuffled)
    assert _lik(ped2, m, {new[k]: g for k, g in geno.items()}) == pytest.approx(
        base, rel=1e-10, abs=1e-300
    )


@settings(max_examples=60, deadline=None)
@given(marker_and_genotypes(), st.randoms())
def test_invariant_to_allele_order(mg, rnd):
    m, geno = mg
    perm = list(range(m.n_alleles))
    rnd.shuffle(perm)

    def pmat(mm):
        return None if mm is None else type(mm)(mm.matrix[np.ix_(perm, perm)], mm.params)

    m2 = Marker("L", tuple(m.alleles[i] for i in perm), m.afreq[perm], pmat(m.female), pmat(m.male))
    ped = Pedigree(FAMILY)
    swapped = {
        k: (g[1], g[0]) for k, g in geno.items()
    }  # allele order within a genotype is no phase
    assert _lik(ped, m2, swapped) == pytest.approx(_lik(ped, m, geno), rel=1e-10, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(marker_and_genotypes())
def test_summing_over_an_untyped_persons_genotypes_removes_them(mg):
    m, geno = mg
    ped = Pedigree(FAMILY)
    target = next((i.id for i in FAMILY if i.id not in geno), None)
    if target is None:
        return
    table = genotype_likelihoods(ped, m, geno, target)
    total = np.sum(np.triu(table))
    assert total == pytest.approx(_lik(ped, m, geno), rel=1e-10, abs=1e-300)
    # ...and each entry is the likelihood with that genotype typed.
    i, j = 0, m.n_alleles - 1
    with_target = dict(geno, **{target: (m.alleles[i], m.alleles[j])})
    assert table[i, j] == pytest.approx(_lik(ped, m, with_target), rel=1e-10, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(marker_and_genotypes())
def test_founders_only_give_hardy_weinberg_products(mg):
    m, geno = mg
    ped = Pedigree([Individual(pid, sex=M) for pid in geno])
    expected = 1.0
    for a, b in geno.values():
        pa, pb = m.afreq[m.alleles.index(a)], m.afreq[m.alleles.index(b)]
        expected *= pa * pa if a == b else 2 * pa * pb
    assert _lik(ped, m, geno) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(marker_and_genotypes())
def test_with_rate_zero_all_mutation_models_agree(mg):
    m, geno = mg
    ped = Pedigree(FAMILY)
    values = []
    for model in ("equal", "proportional", "stepwise", "onestep", "trivial"):
        mm = mutation_model(model, m.alleles, m.afreq, rate=0.0, rate2=0.0, range_=0.5)
        values.append(_lik(ped, Marker("L", m.alleles, m.afreq, mm, mm), geno))
    values.append(_lik(ped, Marker("L", m.alleles, m.afreq), geno))
    assert values == pytest.approx([values[-1]] * len(values), rel=1e-12, abs=1e-300)


@settings(max_examples=30, deadline=None)
@given(marker_and_genotypes(), st.permutations(range(3)))
def test_lr_invariant_to_marker_order(mg, order):
    m, geno = mg
    markers = [Marker(f"L{k}", m.alleles, m.afreq, m.female, m.male) for k in range(3)]
    prof = {pid: {f"L{k}": g for k in range(3)} for pid, g in geno.items()}
    ped = Pedigree(FAMILY)
    a = likelihood(ped, markers, prof).loglik
    b = likelihood(ped, [markers[i] for i in order], prof).loglik
    assert b == pytest.approx(a, rel=1e-12)
