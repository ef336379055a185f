"""Values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repatria.kinship import (
    Individual,
    KinshipError,
    Marker,
    Pedigree,
    Sex,
    kinship_lr,
    likelihood,
    missing_person_lr,
    mutation_matrix,
    singleton,
)
from repatria.kinship.markers import MutationModel, is_lumpable

M, F = Sex.MALE, Sex.FEMALE


def trio() -> Pedigree:
    return Pedigree(
        [Individual("FA", sex=M), Individual("MO", sex=F), Individual("CH", "FA", "MO", M)]
    )


def test_paternity_trio_lr_is_20():
    """Alleged father and child both a/a, p_a = 0.05: LR = 1 / p_a = 20 (one marker)."""
    m = Marker("L", ("a", "b"), [0.05, 0.95])
    prof = {"FA": {"L": ("a", "a")}, "CH": {"L": ("a", "a")}}
    h1 = trio()
    h2 = Pedigree([Individual("FA", sex=M), Individual("CH", sex=M)])
    lr = kinship_lr(h1, h2, [m], prof)
    assert lr.lr == pytest.approx(20.0, rel=1e-12)


def test_parent_child_lr_is_one_over_2p():
    m = Marker("L", ("a", "b", "c"), [0.1, 0.3, 0.6])
    prof = {"FA": {"L": ("a", "a")}, "CH": {"L": ("a", "b")}}
    lr = kinship_lr(trio(), Pedigree([Individual("FA", sex=M), Individual("CH", sex=M)]), [m], prof)
    assert lr.lr == pytest.approx(1 / (2 * 0.1), rel=1e-12)


def test_theta_singleton_homozygote():
    """Balding–Nichols, one founder: P(a/a) = p_a (θ + (1-θ) p_a)."""
    p, th = 0.2, 0.03
    m = Marker("L", ("a", "b"), [p, 1 - p])
    got = math.exp(likelihood(singleton("X"), [m], {"X": {"L": ("a", "a")}}, theta=th).loglik)
    # j=1: p; j=2: (θ + (1-θ)p) / (1 + 0·θ)
    assert got == pytest.approx(p * (th + (1 - th) * p), rel=1e-12)


def test_theta_pedprobr_known_value():
    """pedprobr's test: linearPed(2), grandchild-line person 5 = A/A, p_A 0.3, θ 0.01 → 0.0921."""
    m = Marker("L", ("A", "B"), [0.3, 0.7])
    ped = Pedigree(
        [
            Individual("1", sex=M),
            Individual("2", sex=F),
            Individual("3", "1", "2", M),
            Individual("4", sex=F),
            Individual("5", "3", "4", M),
        ]
    )
    got = math.exp(likelihood(ped, [m], {"5": {"L": ("A", "A")}}, theta=0.01).loglik)
    assert got == pytest.approx(0.0921, rel=1e-12)


def test_missing_person_lr_mother_known():
    m = Marker("L", ("a", "b", "c"), [0.2, 0.3, 0.5])
    ref = Pedigree(
        [Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)]
    )
    prof = {"MO": {"L": ("a", "a")}, "POI": {"L": ("a", "b")}}
    lr = missing_person_lr(ref, "MP", "POI", [m], prof)
    assert lr.lr == pytest.approx(1 / (2 * 0.2), rel=1e-12)


def test_x_linked_father_daughter():
    m = Marker("X1", ("a", "b"), [0.25, 0.75], is_x=True)
    ped = Pedigree(
        [Individual("FA", sex=M), Individual("MO", sex=F), Individual("DA", "FA", "MO", F)]
    )
    prof = {"FA": {"X1": ("a", "a")}, "DA": {"X1": ("a", "b")}}
    got = math.exp(likelihood(ped, [m], prof).loglik)
    # father a (0.25); daughter gets a from father, b from mother (0.75)
    assert got == pytest.approx(0.25 * 0.75, rel=1e-12)
    with pytest.raises(KinshipError, match="heterozygous"):
        likelihood(ped, [m], {"FA": {"X1": ("a", "b")}})


def test_loop_pedigree_first_cousin_mating_is_exact():
    """Child of first cousins: inbreeding f = 1/16, so P(child a/a) = p² + f p (1 - p)."""
    p = 0.1
    m = Marker("L", ("a", "b"), [p, 1 - p])
    ped = Pedigree(
        [
            Individual("GF", sex=M),
            Individual("GM", sex=F),
            Individual("S1", "GF", "GM", M),
            Individual("S2", "GF", "GM", F),
            Individual("W1", sex=F),
            Individual("H2", sex=M),
            Individual("C1", "S1", "W1", M),
            Individual("C2", "H2", "S2", F),
            Individual("X", "C1", "C2", M),
        ]
    )
    got = math.exp(likelihood(ped, [m], {"X": {"L": ("a", "a")}}).loglik)
    f = 1 / 16
    assert got == pytest.approx(p * p + f * p * (1 - p), rel=1e-12)


@pytest.mark.parametrize(
    "problem,match",
    [
        (lambda: Pedigree([Individual("A"), Individual("A")]), "used twice"),
        (lambda: Pedigree([Individual("C", "F", "M")]), "not in the pedigree"),
        (
            lambda: Pedigree(
                [Individual("F", sex=F), Individual("M", sex=F), Individual("C", "F", "M")]
            ),
            "has sex female",
        ),
        (
            lambda: Pedigree(
                [Individual("A", "B", "C", M), Individual("B", "A", "C", M), Individual("C", sex=F)]
            ),
            "own ancestor",
        ),
        (lambda: Pedigree([Individual("F", sex=M), Individual("C", "F", None)]), "only one parent"),
    ],
)
def test_pedigree_validation_errors(problem, match):
    with pytest.raises(KinshipError, match=match):
        problem()


def test_unseen_allele_is_a_clear_error_or_a_documented_minimum():
    m = Marker("D1", ("10", "11"), [0.5, 0.5])
    with pytest.raises(KinshipError, match="'12'.*D1"):
        likelihood(singleton("X"), [m], {"X": {"D1": ("10", "12")}})
    m2 = m.with_unseen_alleles(["12"], min_freq=0.01)
    got = math.exp(likelihood(singleton("X"), [m2], {"X": {"D1": ("10", "12")}}).loglik)
    assert got == pytest.approx(2 * 0.5 * 0.99 * 0.01, rel=1e-12)


def test_mutation_models_regenerate_documented_matrices():
    al = ["9", "9.3", "10", "11"]
    p = [0.1, 0.2, 0.3, 0.4]
    eq = mutation_matrix("equal", al, p, rate=0.03)
    assert eq[0].tolist() == pytest.approx([0.97, 0.01, 0.01, 0.01])
    prop = mutation_matrix("proportional", al, p, rate=0.01)
    a = 0.01 / sum(x * (1 - x) for x in p)
    assert prop[1, 2] == pytest.approx(a * 0.3)
    assert np.allclose(np.array(p) @ prop, p)  # stationary
    st = mutation_matrix("stepwise", al, p, rate=0.02, rate2=0.001, range_=0.5)
    assert st.sum(axis=1) == pytest.approx(np.ones(4))
    assert st[1, 1] == pytest.approx(1 - 0.001)  # 9.3 is alone in its group
    assert st[0, 1] == pytest.approx(0.001)  # rate2 to the other group
    one = mutation_matrix("onestep", ["1", "2", "3"], [0.2, 0.3, 0.5], rate=0.02)
    assert one[1].tolist() == pytest.approx([0.01, 0.98, 0.01])
    assert one[0].tolist() == pytest.approx([0.98, 0.02, 0.0])
    assert is_lumpable(eq, np.array([1, 2, 3])) and is_lumpable(prop, np.array([0, 3]))
    assert not is_lumpable(st, np.array([1, 2, 3]))
    assert is_lumpable(st, np.array([0, 2, 3]))  # 9.3 receives rate2 equally from every other group
    with pytest.raises(KinshipError):
        MutationModel(np.array([[0.5, 0.4], [0.5, 0.5]]))


@pytest.mark.reference
def test_stored_mutation_matrices_regenerate_from_params(reference_cases):
    import json

    from repatria.formats.markers_json import markers_from_list

    for f in sorted(reference_cases.glob("*/markers.json")):
        items = json.loads(f.read_text())["markers"]
        for item, marker in zip(items, markers_from_list(items), strict=False):
            if not item["mutmod"]:
                continue
            for side in ("female", "male"):
                params = item["mutmod"][side]["params"]
                built = mutation_matrix(
                    params["model"],
                    marker.alleles,
                    params.get("afreq", marker.afreq),
                    rate=params.get("rate", 0),
                    rate2=params.get("rate2", 0),
                    range_=params.get("range", 0.1),
                )
                assert np.abs(built - getattr(marker, side).matrix).max() < 1e-15, (f, marker.name)
