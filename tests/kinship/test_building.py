"""Building pedigrees from persons and parent → child pairs, without files (pedFamilias's rules)."""

from __future__ import annotations

import pytest

from repatria.kinship.building import BuildError, build_family, infer_parent_sex
from repatria.kinship.pedigree import Sex

M, F = Sex.MALE, Sex.FEMALE
MP = "Missing person"


def test_one_parent_gets_the_other():
    fam = build_family(
        [("Mother", F), ("A", M), ("Father", M), ("B", F)],
        [("Mother", "A"), ("Father", "B"), ("Father", "A")],
        typed={"Mother", "B"},
    )
    assert fam.order == ("Mother", "A", "Father", "B", "added_1")
    assert (fam.pedigree["B"].father, fam.pedigree["B"].mother) == ("Father", "added_1")
    assert fam.pedigree["added_1"].sex == F


def test_missing_fathers_numbered_before_missing_mothers():
    fam = build_family(
        [("Fa", M), ("Mo", F), ("X", M), ("Y", M)],
        [("Fa", "X"), ("Mo", "Y"), ("Fa", "Mo")],
        typed={"Fa"},
    )
    # X lacks a mother, Y lacks a father, Mo lacks a mother: fathers first.
    assert fam.pedigree["Y"].father == "added_1"
    assert {fam.pedigree["X"].mother, fam.pedigree["Mo"].mother} == {"added_2", "added_3"}


def test_placeholder_and_unknown_sex():
    fam = build_family(
        [("Mother A", F)], [("Mother A", MP)], typed={"Mother A"}, placeholders=(MP,)
    )
    assert fam.order == ("Mother A", MP, "added_1")
    assert fam.pedigree[MP].sex == F  # dvir codes an unrecorded sex female
    assert fam.undetermined == (MP,)
    kept_open = build_family(
        [("Mother A", F)],
        [("Mother A", MP)],
        typed={"Mother A"},
        placeholders=(MP,),
        unknown_sex=Sex.UNKNOWN,
    )
    assert kept_open.pedigree[MP].sex == Sex.UNKNOWN


def test_parent_sex_inferred_from_co_parents():
    sex = {"F": M, "X": None, "C": None, "Y": None, "D": None}
    rel = [("F", "C"), ("X", "C"), ("Y", "D")]
    assert infer_parent_sex(sex, rel) == {"X": F, "Y": F}
    assert infer_parent_sex({"Mo": F, "X": None, "C": None}, [("X", "C"), ("Mo", "C")]) == {"X": M}


def test_parent_sex_undecidable_names_the_relation():
    with pytest.raises(BuildError, match="cannot decide the sex") as ei:
        build_family(
            [("Fa", M), ("Mo", F), ("X", None), ("A", M), ("B", M)],
            [("Fa", "A"), ("Mo", "B"), ("X", "A"), ("X", "B")],
            typed={"A"},
        )
    assert ei.value.relation == 2


@pytest.mark.parametrize(
    "relations,index,role,text",
    [
        ([("Mo", "Q")], 0, "Child", "'Q' is not a person"),
        ([("Mo", "A"), ("Q", "A")], 1, "Parent", "'Q' is not a person"),
        ([("A", "A")], 0, "Parent", "their own parent"),
        ([("Mo", "A"), ("Mo2", "A")], 1, "Parent", "two mothers"),
    ],
)
def test_bad_relations(relations, index, role, text):
    with pytest.raises(BuildError, match=text) as ei:
        build_family([("Mo", F), ("Mo2", F), ("A", M)], relations, typed={"Mo"})
    assert (ei.value.relation, ei.value.role) == (index, role)


def test_untyped_part_dropped():
    fam = build_family(
        [("R", M), ("Missing male 1", M), (MP, M)],
        [("R", MP)],
        typed={"R"},
    )
    assert set(fam.pedigree.ids) == {"R", MP, "added_1"}
    assert "Missing male 1" not in fam.order


def test_two_parts_joined_through_a_common_child():
    fam = build_family(
        [("Wife", F), ("Son", M), (MP, M)],
        [(MP, "Son")],
        typed={"Wife", "Son"},
        join_through=MP,
    )
    assert fam.joined == ("dummy",)
    d = fam.pedigree["dummy"]
    assert (d.father, d.mother, d.sex) == (MP, "Wife", Sex.UNKNOWN)
    assert fam.order[-1] == "dummy"


def test_two_parts_of_one_sex_joined_through_three_dummies():
    fam = build_family(
        [("Brother", M), ("Son", M), (MP, M)],
        [(MP, "Son")],
        typed={"Brother", "Son"},
        join_through=MP,
    )
    assert fam.joined == ("_dummy1", "_dummy2", "_dummy3")
    p = fam.pedigree
    assert p["_dummy1"].sex == F
    assert (p["_dummy2"].father, p["_dummy2"].mother) == (MP, "_dummy1")
    assert (p["_dummy3"].father, p["_dummy3"].mother) == ("Brother", "_dummy1")


def test_parts_that_cannot_be_joined():
    with pytest.raises(BuildError, match="unconnected parts"):
        build_family([("A", M), ("B", F)], [], typed={"A", "B"})
    with pytest.raises(BuildError, match="no person of the pedigree has DNA data"):
        build_family([("A", M)], [], typed=set())


def test_relabel_keeps_the_order():
    fam = build_family([("Mo", F)], [("Mo", MP)], typed={"Mo"}, placeholders=(MP,))
    ren = fam.relabel({MP: "M1", "Mo": "R1"})
    assert ren.order == ("R1", "M1", "added_1")
    assert ren.pedigree["M1"].mother == "R1" and ren.undetermined == ("M1",)
