"""Y-STR and mtDNA lineage matching: frequency estimates with their bounds, and lineage LRs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from repatria.kinship.errors import KinshipError
from repatria.kinship.lineage import (
    compare_haplotypes,
    haplotype_frequency,
    lineage_lr,
    mt_haplotype,
    y_haplotype,
)

H1 = {"DYS19": "14", "DYS389I": "13", "DYS390": "24", "DYS385": "13,15"}


def db_of(*variants):
    return [y_haplotype({**H1, **v}) for v in variants]


def test_multi_copy_loci_are_sorted_and_untyped_loci_dropped():
    h = y_haplotype({"DYS385": "15,13", "DYS19": "14", "DYS391": None, "DYS392": "-"})
    assert dict(h.loci) == {"DYS385": ("13", "15"), "DYS19": ("14",)}


def test_unseen_haplotype_upper_bound_is_the_closed_form():
    db = db_of(*({"DYS19": str(10 + i % 7), "DYS390": str(20 + i // 7)} for i in range(1, 50)))
    h = y_haplotype({**H1, "DYS19": "30"})
    f = haplotype_frequency(h, db)
    assert (f.count, f.n) == (0, 49)
    assert f.upper == pytest.approx(1 - 0.05 ** (1 / 49), rel=1e-12)
    assert f.augmented == pytest.approx(1 / 50)


@pytest.mark.parametrize("x, n", [(1, 10), (3, 200), (7, 1000)])
def test_clopper_pearson_upper_bound_leaves_alpha_below(x, n):
    db = db_of(*([{}] * x + [{"DYS19": str(100 + i)} for i in range(n - x)]))
    f = haplotype_frequency(y_haplotype(H1), db, confidence=0.95)
    assert (f.count, f.n) == (x, n)
    assert binom.cdf(x, n, f.upper) == pytest.approx(0.05, rel=1e-9)
    assert f.point == x / n


def test_kappa_method_on_a_small_database():
    # A twice, B, C, D once: kappa = 3/5; an unseen haplotype gets (1 - kappa) / n = 0.08.
    db = db_of({}, {}, {"DYS19": "15"}, {"DYS19": "16"}, {"DYS19": "17"})
    f = haplotype_frequency(y_haplotype({**H1, "DYS19": "18"}), db)
    assert f.kappa == pytest.approx(0.4 / 5)
    assert haplotype_frequency(y_haplotype(H1), db).kappa == pytest.approx(2 / 5)


def test_database_entries_untyped_at_a_questioned_locus_are_left_out():
    db = db_of({}, {}) + [y_haplotype({"DYS19": "14"})]
    f = haplotype_frequency(y_haplotype(H1), db)
    assert (f.count, f.n, f.left_out) == (2, 2, 1)


def test_full_match_lr_is_one_over_the_frequency():
    db = db_of(*({"DYS19": str(15 + i)} for i in range(99)))
    r = lineage_lr(y_haplotype(H1), y_haplotype(H1), db, meioses=4)
    assert not r.excluded and r.p_same_line == 1.0
    assert r.lr_conservative == pytest.approx(1 / (1 - 0.05 ** (1 / 99)))
    assert r.lr_augmented == pytest.approx(100)


def test_one_step_difference_with_mutation():
    db = db_of(*({"DYS19": str(15 + i)} for i in range(99)))
    pm = y_haplotype({**H1, "DYS390": "25"})
    mu, m = 0.002, 2
    r = lineage_lr(pm, y_haplotype(H1), db, meioses=m, mutation_rate=mu)
    want = (1 - mu) ** (m * 3) * (m * mu / 2) * (1 - mu) ** (m - 1)
    assert not r.excluded and r.p_same_line == pytest.approx(want, rel=1e-12)
    assert compare_haplotypes(pm, y_haplotype(H1)).differences == (
        ("DYS390", ("25",), ("24",), 1.0),
    )


@pytest.mark.parametrize(
    "pm",
    [
        {"DYS390": "26"},
        {"DYS390": "24.2"},
        {"DYS385": "13,16"},
        {"DYS19": "15", "DYS390": "25", "DYS389I": "14"},
    ],
)
def test_exclusions(pm):
    db = db_of({})
    r = lineage_lr(y_haplotype({**H1, **pm}), y_haplotype(H1), db, meioses=1, mutation_rate=0.01)
    assert r.excluded and r.lr_conservative == 0.0


CONTROL_REGION = [*range(16024, 16570), *range(1, 577)]


def test_mtdna_difference_is_an_exclusion_without_a_rate():
    ref = mt_haplotype(["16519C", "263G", "315.1C"], positions=CONTROL_REGION)
    same = mt_haplotype(["263G", "315.1C", "16519C"], positions=CONTROL_REGION)
    other = mt_haplotype(["16519C", "263G", "315.1C", "16223T"], positions=CONTROL_REGION)
    db = [
        mt_haplotype(["16519C", "263G", f"{16100 + i}T"], positions=CONTROL_REGION)
        for i in range(30)
    ]
    db += [mt_haplotype(["16519C", "263G", "315.1C"], positions=CONTROL_REGION)]  # one match
    db += [mt_haplotype(["16519C", "263G", "315.1C"], positions=range(16024, 16570))]  # HVS-I only
    r = lineage_lr(same, ref, db, meioses=3)
    assert (r.frequency.count, r.frequency.n, r.frequency.left_out) == (1, 31, 1)
    assert r.lr_augmented == pytest.approx(32 / 2)
    assert len(r.comparison.compared) == len(CONTROL_REGION) + 1  # positions and 315.1
    d = lineage_lr(other, ref, db, meioses=3)
    assert d.excluded and d.comparison.differences == (("16223", ("T",), ("ref",), None),)
    with pytest.raises(KinshipError, match="position"):
        mt_haplotype(["C16519"])


def test_kinds_do_not_mix():
    with pytest.raises(KinshipError, match="cannot compare"):
        compare_haplotypes(y_haplotype(H1), mt_haplotype(["263G"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(10, 14), min_size=1, max_size=40), st.integers(10, 14), st.randoms())
def test_frequency_does_not_depend_on_database_order(alleles, q, rnd):
    db = [y_haplotype({"DYS19": str(a)}) for a in alleles]
    h = y_haplotype({"DYS19": str(q)})
    f = haplotype_frequency(h, db)
    shuffled = list(db)
    rnd.shuffle(shuffled)
    g = haplotype_frequency(h, shuffled)
    assert (f.count, f.upper, f.kappa) == (g.count, g.upper, g.kappa)
    assert f.point <= f.upper <= 1.0 and math.isclose(f.point, alleles.count(q) / len(alleles))
