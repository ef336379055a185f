"""Relabelling DVI data as dvir's relabelDVI() does, with the record of renames; no files."""

from __future__ import annotations

import pytest

from repatria.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Individual, Pedigree, Sex
from repatria.kinship.relabel import (
    DVIData,
    Relabelling,
    make_missing_unique,
    prefix_shared_references,
    relabel_dvi,
)

M, F = Sex.MALE, Sex.FEMALE
MP = "Missing person"
MARKER = Marker("L1", ("1", "2"), [0.5, 0.5])


def _family(ref: str, extra: str = "Uncle") -> Pedigree:
    return Pedigree(
        [
            Individual("Fa", sex=M),
            Individual("Mo", sex=F),
            Individual(ref, "Fa", "Mo", M),
            Individual(MP, "Fa", "Mo", F),
            Individual(extra, sex=M),
        ]
    )


def _data(ref_a: str = "Bro A", ref_b: str = "Bro B") -> DVIData:
    return DVIData(
        (MARKER,),
        ("vic 1", "vic 2"),
        {"vic 1": M, "vic 2": F},
        {"vic 1": {"L1": ("1", "2")}, "vic 2": {}},
        {"Fam A": _family(ref_a), "Fam B": _family(ref_b)},
        {"Fam A": {ref_a: {"L1": ("1", "1")}}, "Fam B": {ref_b: {"L1": ("2", "2")}}},
        ((MP, "Fam A"), (MP, "Fam B")),
        {
            "Fam A": ("Fa", "Mo", ref_a, MP, "Uncle"),
            "Fam B": ("Fa", "Mo", ref_b, MP, "Uncle"),
        },
    )


def test_same_missing_label_is_not_a_problem_yet():
    with pytest.raises(KinshipError, match="listed twice"):
        _data().to_problem()


def test_make_missing_unique_as_dvir():
    data, ren = make_missing_unique(_data())
    assert data.missing == ((f"{MP}.1", "Fam A"), (f"{MP}.2", "Fam B"))
    assert ren.members == {"Fam A": {MP: f"{MP}.1"}, "Fam B": {MP: f"{MP}.2"}}
    assert ren.notes and "dvir" in ren.notes[0]
    p = data.to_problem()
    assert p.missing == (f"{MP}.1", f"{MP}.2")
    assert p.families["Fam B"][f"{MP}.2"].mother == "Mo"
    assert p.pairings["vic 1"] == ("*",)  # a male victim; both missing persons are female
    assert p.pairings["vic 2"] == ("*", f"{MP}.1", f"{MP}.2")


def test_unique_labels_are_left_alone():
    data = _data()
    data2, _ = make_missing_unique(data)
    again, ren = make_missing_unique(data2)
    assert again is data2 and not ren


def test_relabel_every_kind():
    data, ren = relabel_dvi(
        _data(),
        victim_prefix="V",
        ref_prefix="R",
        family_prefix="F",
        missing_prefix="M",
        others_prefix="E",
    )
    assert data.pm == ("V1", "V2")
    assert set(data.pm_profiles) == {"V1", "V2"} and data.pm_sex["V2"] == F
    assert list(data.families) == ["F1", "F2"]
    assert data.missing == (("M1", "F1"), ("M2", "F2"))
    assert set(data.am_profiles["F2"]) == {"R2"}
    assert data.labels["F1"] == ("E1", "E2", "R1", "M1", "E3")
    assert data.labels["F2"] == ("E4", "E5", "R2", "M2", "E6")
    assert data.families["F2"]["M2"].father == "E4"
    assert ren.victims == {"vic 1": "V1", "vic 2": "V2"}
    assert ren.families == {"Fam A": "F1", "Fam B": "F2"}
    # keyed by the original family name, original label -> final label
    assert ren.members["Fam B"] == {
        "Bro B": "R2",
        MP: "M2",
        "Fa": "E4",
        "Mo": "E5",
        "Uncle": "E6",
    }
    assert ren.to_dict()["members"]["Fam A"][MP] == "M1"
    data.to_problem()


def test_missing_prefix_alone_numbers_in_missing_order():
    data, ren = relabel_dvi(_data(), missing_prefix="MP")
    assert data.missing == (("MP1", "Fam A"), ("MP2", "Fam B"))
    assert ren.members == {"Fam A": {MP: "MP1"}, "Fam B": {MP: "MP2"}}  # '.k' step composed away


def test_no_prefix_changes_nothing():
    data = _data()
    same, ren = relabel_dvi(data)
    assert same is data and not ren and ren.to_dict()["victims"] == {}


def test_shared_reference_labels_get_the_family_name():
    data, ren = prefix_shared_references(_data("Bro", "Bro"))
    assert set(data.am_profiles["Fam A"]) == {"Fam A_Bro"}
    assert data.families["Fam B"]["Fam B_Bro"].father == "Fa"
    assert ren.members == {"Fam A": {"Bro": "Fam A_Bro"}, "Fam B": {"Bro": "Fam B_Bro"}}
    untouched, none = prefix_shared_references(_data())
    assert not none


def test_then_composes_renames():
    a = Relabelling(victims={"x": "y"}, families={"A": "F1"}, members={"A": {"p": "q"}})
    b = Relabelling(victims={"y": "z", "w": "v"}, members={"F1": {"q": "r", "s": "t"}})
    c = a.then(b)
    assert c.victims == {"x": "z", "w": "v"}
    assert c.families == {"A": "F1"}
    assert c.members == {"A": {"p": "r", "s": "t"}}


def test_missing_format_family_wise():
    data, ren = relabel_dvi(_data(), missing_format="M[FAM]-[IDX]")
    assert data.missing == (("M1-1", "Fam A"), ("M2-1", "Fam B"))
    assert ren.members["Fam B"] == {MP: "M2-1"}
    data2, _ = relabel_dvi(_data(), missing_format="mp[MIS] (F[FAM])")
    assert [m for m, _ in data2.missing] == ["mp1 (F1)", "mp2 (F2)"]


def test_missing_format_errors():
    with pytest.raises(KinshipError, match="at most one"):
        relabel_dvi(_data(), missing_prefix="M", missing_format="M[IDX]")
    with pytest.raises(KinshipError, match="same label"):
        relabel_dvi(_data(), missing_format="M[IDX]")
