"""Familias ``.fam`` reader: against dvir's reading of the reference example, bad input, models."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from repatria.errors import FormatError
from repatria.formats.casefolder import read_case_folder
from repatria.formats.fam import FamWarning, read_fam
from repatria.kinship.dvi import NOBODY, pairwise_lr
from repatria.kinship.markers import mutation_model
from repatria.kinship.pedigree import Sex
from shared_data import REFERENCE_CASES, require_shared

SHARED_CASES = REFERENCE_CASES


@pytest.fixture(scope="module")
def example_dir() -> Path:
    return require_shared(SHARED_CASES / "dvi-example")


@pytest.fixture(scope="module")
def example_fam(example_dir) -> Path:
    return example_dir / "dvi-example.fam"


# --- (1) the reference example, read as dvir read it -----------------------------------------


@pytest.mark.reference
def test_example_matches_dvir(example_dir, example_fam):
    got = read_fam(example_fam)
    want = read_case_folder(example_dir)

    assert got.pm == want.pm
    assert dict(got.pm_sex) == dict(want.pm_sex)
    assert {v: dict(p) for v, p in got.pm_profiles.items()} == {
        v: dict(p) for v, p in want.pm_profiles.items()
    }

    assert list(got.families) == list(want.families) == ["Reference family 1"]
    for famid, ped in want.families.items():
        mine = got.families[famid]
        assert set(mine.ids) == set(ped.ids)
        for ind in ped:
            assert mine[ind.id] == ind, ind.id  # same parents and sex
    assert {f: {i: dict(p) for i, p in d.items()} for f, d in got.am_profiles.items()} == {
        f: {i: dict(p) for i, p in d.items()} for f, d in want.am_profiles.items()
    }

    assert got.missing == want.missing == ("Missing male 2", "Missing male 3", "Missing person")
    assert dict(got.missing_family) == dict(want.missing_family)
    assert dict(got.pairings) == dict(want.pairings)

    assert [m.name for m in got.markers] == [m.name for m in want.markers]
    for a, b in zip(got.markers, want.markers, strict=False):
        assert a.alleles == b.alleles
        np.testing.assert_array_equal(a.afreq, b.afreq)
        assert a.is_x == b.is_x
        # the file's 'equal' model has rate 0: no mutation model, as in the dvir object
        assert a.female is None and a.male is None and not a.has_mutation
        assert b.female is None and b.male is None

    lr_got, lr_want = pairwise_lr(got), pairwise_lr(want)
    assert lr_got.pm == lr_want.pm and lr_got.missing == lr_want.missing
    np.testing.assert_allclose(lr_got.lr, lr_want.lr, rtol=1e-12, atol=0, equal_nan=True)


@pytest.mark.reference
def test_example_lr_equals_dvir_pairwise(example_dir, example_fam):
    """And directly against dvir's own ``pairwiseLR(familias2dvir(file))``."""
    exp = json.loads((example_dir / "expected" / "pairwiseLR.json").read_text())["LRmatrix"]
    pw = pairwise_lr(read_fam(example_fam))
    for r, row in zip(exp["rows"], exp["values"], strict=False):
        for c, v in zip(exp["cols"], row, strict=False):
            got = pw.lr[pw.pm.index(r), pw.missing.index(c)]
            if v is None:
                assert math.isnan(got)
            else:
                assert got == pytest.approx(float(v), rel=1e-12, abs=0)


# --- (2) bad input ---------------------------------------------------------------------------


def _lines(example_fam: Path) -> list[str]:
    return example_fam.read_text().splitlines()


def _write(tmp_path: Path, lines: list[str], name: str = "bad.fam") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def _expect_error(path: Path, line: int | None = None) -> FormatError:
    with pytest.raises(FormatError) as ei:
        read_fam(path)
    e = ei.value
    assert str(path) in str(e), str(e)
    assert e.line is not None and f"line {e.line}" in str(e), str(e)
    if line is not None:
        assert e.line == line, str(e)
    return e


def _line_of(lines: list[str], text: str, start: int = 0) -> int:
    """0-based index of the first line equal to ``text`` at or after ``start``."""
    return next(i for i in range(start, len(lines)) if lines[i] == text)


@pytest.mark.parametrize("cut", ["database", "pm", "family persons", "relations"])
def test_truncated_file(tmp_path, example_fam, cut):
    lines = _lines(example_fam)
    at = {
        "database": _line_of(lines, '"2"'),
        "pm": _line_of(lines, "[[[Person 2 ]]]") + 3,
        "family persons": _line_of(lines, "[[[[[Person 3]]]]]") + 1,
        "relations": _line_of(lines, "Child= Missing male 2") + 1,
    }[cut]
    _expect_error(_write(tmp_path, lines[:at]))


def test_truncated_mid_relation_names_the_pair(tmp_path, example_fam):
    lines = _lines(example_fam)
    at = _line_of(lines, "Parent= Missing male 2") + 1  # the file ends after a Parent= line
    e = _expect_error(_write(tmp_path, lines[:at]))
    assert "Child" in str(e)


def test_allele_not_in_database(tmp_path, example_fam):
    lines = _lines(example_fam)
    k = _line_of(lines, "Allele1= 1", _line_of(lines, "Name= V1"))
    lines[k] = "Allele1= 7"
    e = _expect_error(_write(tmp_path, lines), line=k + 1)
    assert "'7'" in str(e) and "L1" in str(e)


def test_genotype_without_allele2(tmp_path, example_fam):
    lines = _lines(example_fam)
    k = _line_of(lines, "Allele2= 2", _line_of(lines, "Name= V2"))
    del lines[k]
    e = _expect_error(_write(tmp_path, lines), line=k + 1)
    assert "Allele2" in str(e)


def test_genotype_with_empty_allele2(tmp_path, example_fam):
    lines = _lines(example_fam)
    k = _line_of(lines, "Allele2= 2", _line_of(lines, "Name= V2"))
    lines[k] = "Allele2= "
    e = _expect_error(_write(tmp_path, lines), line=k + 1)
    assert "Allele2" in str(e)


def test_unknown_gender(tmp_path, example_fam):
    lines = _lines(example_fam)
    k = _line_of(lines, "Gender= Male", _line_of(lines, "Name= V3"))
    lines[k] = "Gender= Unknown"
    e = _expect_error(_write(tmp_path, lines), line=k + 1)
    assert "Gender" in str(e) and "Unknown" in str(e)


def test_relation_to_unknown_person(tmp_path, example_fam):
    lines = _lines(example_fam)
    k = _line_of(lines, "Parent= R")
    lines[k] = "Parent= Q"
    e = _expect_error(_write(tmp_path, lines), line=k + 1)
    assert "'Q'" in str(e)


@pytest.mark.parametrize(
    "old,new",
    [
        (
            "3\t(DatabaseSize = 2500 , Dropout probability = 0 , Minor allele frequency = 0 )",
            "x\t(DatabaseSize = 2500 )",
        ),
        ("0.9", "0,9"),
        ("0.0", "-0.1"),
    ],
)
def test_bad_database_values(tmp_path, example_fam, old, new):
    lines = _lines(example_fam)
    k = _line_of(lines, old)
    lines[k] = new
    _expect_error(_write(tmp_path, lines), line=k + 1)


def test_bad_model_code(tmp_path, example_fam):
    lines = _lines(example_fam)
    k = _line_of(lines, '"L1"') + 3  # female model code
    lines[k] = "7"
    _expect_error(_write(tmp_path, lines), line=k + 1)


def test_frequencies_not_summing_to_one(tmp_path, example_fam):
    lines = _lines(example_fam)
    lines[_line_of(lines, "0.9")] = "0.5"
    e = _expect_error(_write(tmp_path, lines), line=_line_of(lines, '"L1"') + 1)
    assert "sum" in str(e)


def test_not_a_fam_file(tmp_path):
    _expect_error(_write(tmp_path, ["id\tsex", "V1\t1"]))


def test_file_not_found(tmp_path):
    with pytest.raises(FormatError, match="not found"):
        read_fam(tmp_path / "nope.fam")


# --- (3) a hand-written case: two families, mutation models ----------------------------------

SMALL = """\
"Output from Familias, version 3.3"
"DO NOT EDIT!"
3.3 (DVI)
""
0
"Known relations"
0
0
0
0
#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: 0 )
2
#TRUE#
"Hand-made database"
"DA"
0.005
0.005
0
0
3
0.1
0.1
0.0
0.0
#FALSE#
0
3\t(DatabaseSize = 100 , Dropout probability = 0 , Minor allele frequency = 0 )
"12"
0.5
"10"
0.2
"11"
0.3
"DB"
0.001
0.002
4
4
4
0.5
0.5
1e-006
1e-006
#FALSE#
0
4\t(DatabaseSize = 100 , Dropout probability = 0 , Minor allele frequency = 0 )
"9"
0.1
"9.3"
0.2
"10"
0.3
"11"
0.4

[DVI]
[[Unidentified persons]]
nPersons= 2
[[[Person 1 ]]]
Name= V1
Gender= Male
[[[[DNA data]]]]
nSystems= 2
SystemName= DA
Allele1= 10
Allele2= 12
SystemName= DB
Allele1= 9.3
Allele2= 11
[[[Person 2 ]]]
Name= V2
Gender= Female
[[[[DNA data]]]]
nSystems= 1
SystemName= DA
Allele1= 11
Allele2= 11
[[Notes]]
[[Reference Families]]
nFamilies= 2
[[[Family 1 ]]]
Name= Fam A
[[[[Persons]]]]
nPersons= 2
[[[[[Person 1]]]]]
Name= Mother A
Gender= Female
[[[[[[DNA data]]]]]]
nSystems= 1
SystemName= DA
Allele1= 10
Allele2= 11
[[[[[Person 2]]]]]
Name= Missing son
Gender= Male
[[[[[[DNA data]]]]]]
nSystems= 0
[[[[Pedigrees]]]]
nPedigrees= 2
[[[[[Pedigree 1]]]]]
Name= Reference pedigree
nRelations= 0
[[[[[Pedigree 2]]]]]
Name= Son of A
nRelations= 1
Parent= Mother A
Child= Missing son
[[[Family 2 ]]]
Name= Fam B
[[[[Persons]]]]
nPersons= 3
[[[[[Person 1]]]]]
Name= Brother B
Gender= Male
[[[[[[DNA data]]]]]]
nSystems= 2
SystemName= DB
Allele1= 10
Allele2= 11
SystemName= DA
Allele1= 12
Allele2= 12
[[[[[Person 2]]]]]
Name= Father B
Gender= Male
[[[[[[DNA data]]]]]]
nSystems= 0
[[[[[Person 3]]]]]
Name= Mother B
Gender= Female
[[[[[[DNA data]]]]]]
nSystems= 0
[[[[Pedigrees]]]]
nPedigrees= 2
[[[[[Pedigree 1]]]]]
Name= Reference pedigree
nRelations= 4
Parent= Father B
Child= Brother B
Parent= Mother B
Child= Brother B
Parent= Father B
Child= Missing person
Parent= Mother B
Child= Missing person
[[[[[Pedigree 2]]]]]
Name= PED-B
nRelations= 4
Parent= Father B
Child= Brother B
Parent= Mother B
Child= Brother B
Parent= Father B
Child= Missing person
Parent= Mother B
Child= Missing person
[Prior]
UseList= Yes
"""


@pytest.fixture()
def small(tmp_path) -> Path:
    p = tmp_path / "small.fam"
    p.write_text(SMALL.replace("\n", "\r\n"))  # Familias writes Windows line ends
    return p


def test_small_two_families(small):
    with pytest.warns(FamWarning, match="Missing person"):
        d = read_fam(small)
    assert d.pm == ("V1", "V2")
    assert d.pm_sex == {"V1": Sex.MALE, "V2": Sex.FEMALE}
    assert dict(d.pm_profiles["V1"]) == {"DA": ("10", "12"), "DB": ("9.3", "11")}
    assert list(d.families) == ["Fam A", "Fam B"]
    assert d.missing == ("Missing son", "Missing person")
    assert dict(d.missing_family) == {"Missing son": "Fam A", "Missing person": "Fam B"}

    a = d.families["Fam A"]
    assert set(a.ids) == {"Mother A", "Missing son", "added_1"}
    assert (a["Missing son"].father, a["Missing son"].mother) == ("added_1", "Mother A")
    assert a["added_1"].sex == Sex.MALE
    b = d.families["Fam B"]
    assert set(b.ids) == {"Brother B", "Father B", "Mother B", "Missing person"}
    assert b["Missing person"].sex == Sex.FEMALE  # no sex in the file: female, as dvir
    assert dict(d.am_profiles["Fam B"]["Brother B"]) == {"DB": ("10", "11"), "DA": ("12", "12")}
    assert d.pairings == {"V1": (NOBODY, "Missing son"), "V2": (NOBODY, "Missing person")}


def test_small_mutation_models(small):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        d = read_fam(small)
    da, db = d.markers
    assert (da.name, db.name) == ("DA", "DB")
    assert da.alleles == ("10", "11", "12")  # pedtools order: numeric
    np.testing.assert_array_equal(da.afreq, [0.2, 0.3, 0.5])
    want = mutation_model("equal", da.alleles, da.afreq, rate=0.005)
    for side in (da.female, da.male):
        assert side is not None and side.model == "equal"
        np.testing.assert_array_equal(side.matrix, want.matrix)
    assert da.female.matrix[0].tolist() == [0.995, 0.0025, 0.0025]

    assert db.alleles == ("9", "9.3", "10", "11")
    for side, rate in ((db.female, 0.001), (db.male, 0.002)):
        want = mutation_model("stepwise", db.alleles, db.afreq, rate=rate, rate2=1e-6, range_=0.5)
        assert side is not None and side.model == "stepwise"
        np.testing.assert_allclose(side.matrix, want.matrix, rtol=0, atol=1e-15)


def test_small_unknown_sex_kept_open(small):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FamWarning)
        d = read_fam(small, unknown_sex=Sex.UNKNOWN)
    assert d.families["Fam B"]["Missing person"].sex == Sex.UNKNOWN
    assert d.pairings["V1"] == (NOBODY, "Missing son", "Missing person")


def test_small_relabelled(small):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        d = read_fam(
            small, victim_prefix="V", ref_prefix="R", missing_prefix="M", family_prefix="F"
        )
    assert d.pm == ("V1", "V2")
    assert d.missing == ("M1", "M2")
    assert dict(d.missing_family) == {"M1": "F1", "M2": "F2"}
    assert set(d.am_profiles["F1"]) == {"R1"} and set(d.am_profiles["F2"]) == {"R2"}
    assert d.families["F2"]["M2"].father == "Father B"


def test_same_missing_label_in_two_families_needs_prefix(tmp_path, small):
    text = small.read_text().replace("Missing son", "Missing person")
    p = tmp_path / "dup.fam"
    p.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        with pytest.raises(FormatError, match="missing_prefix"):
            read_fam(p)
        d = read_fam(p, missing_prefix="M")
    assert d.missing == ("M1", "M2")
    assert d.families["Fam A"]["M1"].mother == "Mother A"


def test_stationary_stepwise_is_stationary(tmp_path, small):
    lines = small.read_text().splitlines()
    k = lines.index('"DB"')
    lines[k + 3] = lines[k + 4] = "3"
    p = _write(tmp_path, lines, "stat.fam")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        db = read_fam(p).markers[1]
    for side in (db.female, db.male):
        assert side.is_stationary(db.afreq, tol=1e-12)
        assert not np.allclose(side.matrix, np.eye(4))


def test_stepwise_on_non_numeric_alleles_falls_back_to_equal(tmp_path, small):
    lines = small.read_text().splitlines()
    lines[lines.index('"9.3"')] = '"Rest allele"'
    p = _write(tmp_path, lines, "rest.fam")
    p.write_text(p.read_text().replace("Allele1= 9.3", "Allele1= Rest allele"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FamWarning)
        db = read_fam(p).markers[1]
    assert any("'equal' model is used" in str(w.message) for w in caught)
    assert db.alleles == ("10", "11", "9", "Rest allele")  # pedtools order: by label
    assert db.female.model == "equal"
    np.testing.assert_array_equal(
        db.female.matrix, mutation_model("equal", db.alleles, db.afreq, rate=0.001).matrix
    )


def _replace_family_b(text: str, persons: str, relations: list[tuple[str, str]]) -> str:
    """SMALL with family B replaced (one pedigree)."""
    head, _, _ = text.partition("[[[Family 2 ]]]")
    rel = "".join(f"Parent= {a}\nChild= {b}\n" for a, b in relations)
    return (
        head + "[[[Family 2 ]]]\nName= Fam B\n" + persons + "[[[[Pedigrees]]]]\nnPedigrees= 1\n"
        "[[[[[Pedigree 1]]]]]\nName= PED-B\n" + f"nRelations= {len(relations)}\n" + rel
    )


def _person(k: int, name: str, gender: str | None, typed: bool) -> str:
    dna = "nSystems= 1\nSystemName= DA\nAllele1= 10\nAllele2= 12\n" if typed else "nSystems= 0\n"
    sex = f"Gender= {gender}\n" if gender else ""
    return f"[[[[[Person {k}]]]]]\nName= {name}\n{sex}[[[[[[DNA data]]]]]]\n" + dna


def test_disconnected_spouse_is_joined_as_dvir_does(tmp_path):
    persons = (
        "[[[[Persons]]]]\nnPersons= 3\n"
        + _person(1, "Wife", "Female", True)
        + _person(2, "Son", "Male", True)
        + _person(3, "Missing person", "Male", False)
    )
    p = tmp_path / "split.fam"
    p.write_text(_replace_family_b(SMALL, persons, [("Missing person", "Son")]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FamWarning)
        d = read_fam(p)
    assert any("two unconnected parts" in str(w.message) for w in caught)
    b = d.families["Fam B"]
    assert set(b.ids) == {"Wife", "Son", "Missing person", "added_1", "dummy"}
    assert (b["Son"].father, b["Son"].mother) == ("Missing person", "added_1")
    assert (b["dummy"].father, b["dummy"].mother, b["dummy"].sex) == (
        "Missing person",
        "Wife",
        Sex.UNKNOWN,
    )
    assert d.missing == ("Missing son", "Missing person")


def test_typed_label_in_two_families_gets_family_prefix(tmp_path):
    persons = "[[[[Persons]]]]\nnPersons= 1\n" + _person(1, "Mother A", "Female", True)
    p = tmp_path / "dup-ref.fam"
    p.write_text(_replace_family_b(SMALL, persons, [("Mother A", "Missing person")]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FamWarning)
        d = read_fam(p)
    assert any("used in two families" in str(w.message) for w in caught)
    assert set(d.am_profiles["Fam A"]) == {"Fam A_Mother A"}
    assert set(d.am_profiles["Fam B"]) == {"Fam B_Mother A"}
    assert d.families["Fam B"]["Missing person"].mother == "Fam B_Mother A"


def test_two_candidate_pedigrees_are_refused(tmp_path, small):
    text = small.read_text().replace(
        "Name= Reference pedigree\nnRelations= 4", "Name= Other\nnRelations= 4"
    )
    p = tmp_path / "two.fam"
    p.write_text(text)
    e = _expect_error(p)
    assert "besides 'Reference pedigree'" in str(e)


def test_parent_without_recorded_sex(tmp_path):
    persons = "[[[[Persons]]]]\nnPersons= 1\n" + _person(1, "Aunt", None, True)
    p = tmp_path / "sex.fam"
    p.write_text(_replace_family_b(SMALL, persons, [("Aunt", "Missing person")]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        d = read_fam(p)  # a parent with no co-parent and no recorded sex: female, as pedFamilias
    b = d.families["Fam B"]
    assert b["Aunt"].sex == Sex.FEMALE
    assert (b["Missing person"].father, b["Missing person"].mother) == ("added_1", "Aunt")


def test_parent_sex_undecidable(tmp_path):
    persons = (
        "[[[[Persons]]]]\nnPersons= 2\n"
        + _person(1, "X", None, False)
        + _person(2, "Kid", "Male", True)
    )
    p = tmp_path / "sex2.fam"
    p.write_text(_replace_family_b(SMALL, persons, [("X", "Kid"), ("Missing person", "Kid")]))
    e = _expect_error(p)
    assert "cannot decide the sex" in str(e)


def test_same_missing_label_made_unique_as_dvir(tmp_path, small):
    """Familias' default 'Missing person' in every family: 'Missing person.k', listed as renamed."""
    from repatria.formats.fam import read_fam_dvi

    p = tmp_path / "dup.fam"
    p.write_text(small.read_text().replace("Missing son", "Missing person"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        got = read_fam_dvi(p, unique_missing=True)
    d = got.problem
    assert d.missing == ("Missing person.1", "Missing person.2")
    assert dict(d.missing_family) == {"Missing person.1": "Fam A", "Missing person.2": "Fam B"}
    assert d.families["Fam A"]["Missing person.1"].mother == "Mother A"
    assert got.relabelling.members == {
        "Fam A": {"Missing person": "Missing person.1"},
        "Fam B": {"Missing person": "Missing person.2"},
    }
    # a file whose labels are unique is left alone
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        plain = read_fam_dvi(small, unique_missing=True)
    assert not plain.relabelling and plain.problem.missing == ("Missing son", "Missing person")


def test_warnings_speak_the_users_words(small):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FamWarning)
        read_fam(small)
    text = " ".join(str(w.message) for w in caught)
    assert "no sex recorded for Missing person (Fam B)" in text
    assert "unknown_sex" not in text and "Sex." not in text


def test_missing_format_as_dvir(tmp_path, small):
    p = tmp_path / "dup.fam"
    p.write_text(small.read_text().replace("Missing son", "Missing person"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        d = read_fam(p, missing_format="M[FAM]-[IDX]")
    assert d.missing == ("M1-1", "M2-1")
    assert d.families["Fam A"]["M1-1"].mother == "Mother A"
