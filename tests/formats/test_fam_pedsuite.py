"""Every public ``.fam`` file of the pedsuite, read as the pedsuite reads it and checked against
the pedsuite's numbers where they exist (the files and their sources: data/pedsuite/SOURCES.md).

- DVI files are read as ``repatria dvi analyse`` reads them (the case reader, default Familias
  names made unique as dvir does), and with the labels dvir gave the data objects built from them;
  those objects are the shared reference cases, compared here field by field (pedigrees, typed
  profiles, markers, frequencies, mutation matrices) and by their pairwise LRs (dvir's
  ``pairwiseLR``, to 1e-9 relative).
- Files without a DVI section are read as ``repatria kinship fam`` reads them (the service
  behind it): the pedigrees dvir's data-raw scripts take from them, and each hypothesis's
  likelihood.
- A DVI file written back with ``fam_text`` reads back to the same pairwise LRs.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from repatria.errors import FormatError
from repatria.formats.casefolder import read_case_folder
from repatria.formats.fam import FamWarning, read_fam, read_fam_dvi
from repatria.formats.fam_kinship import read_fam_database, read_fam_kinship
from repatria.formats.fam_write import write_fam
from repatria.kinship import likelihood
from repatria.kinship.dvi import DVIProblem, exclusion_matrix, find_excluded, pairwise_lr
from repatria.kinship.joint import joint_dvi
from repatria.kinship.pedigree import Pedigree, Sex
from repatria.services.pipelines.dvi_analysis import read_case
from repatria.services.pipelines.kinship_eval import evaluate_fam
from shared_data import REFERENCE_CASES, require_shared

PEDSUITE = Path(__file__).parent / "data" / "pedsuite"


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        return fn(*args, **kwargs)


# --- the files are the published ones --------------------------------------------------------


def _sources() -> dict[str, int]:
    rows = (PEDSUITE / "SOURCES.md").read_text().splitlines()
    out = {}
    for r in rows:
        m = re.match(r"\| `([^`]+\.fam)` \| [^|]+ \| [^|]+ \| ([0-9a-f]{40}) \| (\d+) \|", r)
        if m:
            out[m.group(1)] = int(m.group(3))
    return out


def test_every_file_is_listed_with_its_published_size():
    listed = _sources()
    assert sorted(listed) == sorted(p.name for p in PEDSUITE.glob("*.fam"))
    assert len(listed) == 11
    for name, size in listed.items():
        data = (PEDSUITE / name).read_bytes()
        assert len(data) == size, name
        assert data.isascii() and b"\r" not in data, name


def test_dvi_example_is_the_shared_copy():
    shared = require_shared(REFERENCE_CASES / "dvi-example" / "dvi-example.fam")
    assert (PEDSUITE / "dvi-example.fam").read_bytes() == shared.read_bytes()


# --- helpers ---------------------------------------------------------------------------------


def _expected_lr(case: str) -> dict[tuple[str, str], float | None]:
    path = require_shared(REFERENCE_CASES / case / "expected" / "pairwiseLR.json")
    exp = json.loads(path.read_text())["LRmatrix"]
    return {
        (r, c): (None if v is None else float(v))
        for r, row in zip(exp["rows"], exp["values"], strict=True)
        for c, v in zip(exp["cols"], row, strict=True)
    }


def _assert_lr(problem: DVIProblem, expected: Mapping[tuple[str, str], float | None]) -> None:
    pw = pairwise_lr(problem)
    assert {(v, m) for v in pw.pm for m in pw.missing} == set(expected)
    for (v, m), want in expected.items():
        got = pw.lr[pw.pm.index(v), pw.missing.index(m)]
        if want is None:
            assert math.isnan(got), (v, m, got)
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=0), (v, m)


def _renamed(ped: Pedigree, ren: Mapping[str, str]) -> set[tuple]:
    def r(x: str | None) -> str | None:
        return None if x is None else ren.get(x, x)

    return {(r(i.id), r(i.father), r(i.mother), i.sex) for i in ped}


def _assert_same_case(
    got: DVIProblem, want: DVIProblem, added: Mapping[str, str] | None = None
) -> None:
    """``got`` is ``want`` field by field; ``added`` renames added parents of ``got``."""
    assert got.pm == want.pm
    assert dict(got.pm_sex) == dict(want.pm_sex)
    assert {v: dict(p) for v, p in got.pm_profiles.items()} == {
        v: dict(p) for v, p in want.pm_profiles.items()
    }
    assert list(got.families) == list(want.families)
    for f, ped in want.families.items():
        assert _renamed(got.families[f], added or {}) == _renamed(ped, {}), f
    assert {f: {i: dict(p) for i, p in d.items()} for f, d in got.am_profiles.items()} == {
        f: {i: dict(p) for i, p in d.items()} for f, d in want.am_profiles.items()
    }
    assert got.missing == want.missing
    assert dict(got.missing_family) == dict(want.missing_family)
    assert [m.name for m in got.markers] == [m.name for m in want.markers]
    for a, b in zip(got.markers, want.markers, strict=True):
        assert a.alleles == b.alleles, a.name
        np.testing.assert_array_equal(a.afreq, b.afreq)
        assert a.is_x == b.is_x
        for x, y in ((a.female, b.female), (a.male, b.male)):
            assert (x is None) == (y is None), a.name
            if x is not None and y is not None:
                np.testing.assert_allclose(x.matrix, y.matrix, rtol=0, atol=1e-15)


def _round_trip(tmp_path: Path, problem: DVIProblem, missing_identifier: str) -> DVIProblem:
    path = write_fam(problem, tmp_path / "back.fam")
    return _quiet(read_fam, path, missing_identifier=missing_identifier)


def _assert_same_lr(a: DVIProblem, b: DVIProblem) -> None:
    pa, pb = pairwise_lr(a), pairwise_lr(b)
    assert pa.pm == pb.pm and pa.missing == pb.missing
    np.testing.assert_allclose(pa.lr, pb.lr, rtol=1e-12, atol=0, equal_nan=True)


# --- DVI files: the shared reference cases ---------------------------------------------------


@pytest.mark.reference
def test_exclusion_example_is_dvirs_object():
    """``exclusionExample``: 16 PM, 15 families, 15 markers with 'Rest allele's, equal(0.001).

    dvir's data object is ``familias2dvir(file, victimPrefix = "V", missingPrefix = "M",
    refPrefix = "R")``; its families are F1..F15 (the reference case was exported so).
    """
    ref = read_case_folder(require_shared(REFERENCE_CASES / "exclusionExample"))
    got = _quiet(
        read_fam,
        PEDSUITE / "exclusionExample.fam",
        victim_prefix="V",
        ref_prefix="R",
        missing_prefix="M",
        family_prefix="F",
    )
    _assert_same_case(got, ref)
    assert got.markers[0].alleles[-1] == "Rest allele"
    assert got.markers[0].female is not None and got.markers[0].female.model == "equal"
    _assert_lr(got, _expected_lr("exclusionExample"))


@pytest.mark.reference
def test_exclusion_example_exclusions_are_dvirs():
    """dvir's ``findExcluded(exclusionExample)`` (expected/findExcluded.json): the matrix of
    markers inconsistent without mutation (``null`` where sexes forbid the pairing), and the
    excluded PMs, MPs and families."""
    path = require_shared(REFERENCE_CASES / "exclusionExample" / "expected" / "findExcluded.json")
    exp = json.loads(path.read_text())
    got = _quiet(
        read_fam,
        PEDSUITE / "exclusionExample.fam",
        victim_prefix="V",
        ref_prefix="R",
        missing_prefix="M",
        family_prefix="F",
    )
    want = np.array(
        [[-1 if v is None else v for v in row] for row in exp["exclusionMatrix"]["values"]]
    )
    np.testing.assert_array_equal(exclusion_matrix(got), want)
    ex = find_excluded(got)
    assert list(ex.pm) == exp["excluded"]["sample"]
    assert list(ex.missing) == exp["excluded"]["missing"]
    assert list(ex.families) == exp["excluded"]["fam"]


@pytest.mark.reference
def test_exclusion_example_as_dvi_analyse_reads_it():
    """Familias' labels kept, each family's "Missing person" made unique: the same LR matrix."""
    relabelled: dict = {}
    got = _quiet(read_case, PEDSUITE / "exclusionExample.fam", relabelled=relabelled)
    assert got.missing[:2] == ("Missing person.1", "Missing person.2")
    assert len(relabelled["members"]) == 15
    assert got.pm[0] == "SK1-180069_LT58-195077_TV213-195090_LRB333-195096_LRB330-195097"
    exp = _expected_lr("exclusionExample")
    pw = pairwise_lr(got)
    want = np.array(
        [
            [np.nan if (v := exp[f"V{i}", f"M{j}"]) is None else v for j in range(1, 16)]
            for i in range(1, 17)
        ]
    )
    np.testing.assert_allclose(pw.lr, want, rtol=1e-9, atol=0, equal_nan=True)


@pytest.mark.reference
def test_solution3_3_is_planecrash():
    """dvir's ``planecrash`` (data-raw/planecrash.R) is Solution3_3.fam relabelled — victims
    V1..V8, missing M1..M5, references R1..R5, families F1..F5 — with the first six victims made
    female. The file predates pedFamilias's ``added_k`` names: the added parent is ``A1`` there.
    """
    ref = read_case_folder(require_shared(REFERENCE_CASES / "planecrash"))
    got = _quiet(
        read_fam,
        PEDSUITE / "Solution3_3.fam",
        victim_prefix="V",
        ref_prefix="R",
        missing_prefix="M",
        family_prefix="F",
    )
    assert [got.pm_sex[v] for v in got.pm] == [Sex.MALE] * 6 + [Sex.FEMALE] * 2  # as in the file
    got = replace(got, pm_sex={v: Sex.FEMALE for v in got.pm}, pairings={})  # swapSex(V1..V6)
    _assert_same_case(got, ref, added={"added_1": "A1"})
    m = got.markers[0]
    assert m.female is not None and m.female.model == "proportional"
    _assert_lr(got, _expected_lr("planecrash"))


@pytest.mark.reference
def test_solution3_3_joint_is_dvirs_dvijoint():
    """The case read from Solution3_3.fam, analysed jointly: dvir's ``dviJoint(planecrash)``
    (expected/dviJoint.json): 19081 assignments, loglik0, the best assignment with its loglik,
    LR and posterior, and the ``Bmarginal`` matrix."""
    path = require_shared(REFERENCE_CASES / "planecrash" / "expected" / "dviJoint.json")
    exp = json.loads(path.read_text())
    got = _quiet(
        read_fam,
        PEDSUITE / "Solution3_3.fam",
        victim_prefix="V",
        ref_prefix="R",
        missing_prefix="M",
        family_prefix="F",
    )
    got = replace(got, pm_sex={v: Sex.FEMALE for v in got.pm}, pairings={})
    j = joint_dvi(got, top=3)
    assert j.n_assignments == exp["nAssignments"] == exp["gridSize"]["size"] == 19081
    assert j.loglik0 == pytest.approx(exp["loglik0"], rel=1e-12)
    best, want = j.top[0], exp["top"][0]
    assert best.assignment == want["assignment"]
    assert best.loglik == pytest.approx(want["loglik"], rel=1e-12)
    assert best.lr == pytest.approx(want["LRnull"], rel=1e-9)
    assert best.posterior == pytest.approx(want["posterior"], rel=1e-9)
    bm = exp["Bmarginal"]["matrix"]
    assert bm["rows"] == list(j.pm) and bm["cols"] == [*j.missing, "*"]
    np.testing.assert_allclose(j.marginals, np.array(bm["values"]), rtol=1e-7, atol=1e-12)


@pytest.mark.reference
def test_dvi_example_as_dvi_analyse_reads_it():
    ref = read_case_folder(require_shared(REFERENCE_CASES / "dvi-example"))
    got = read_case(PEDSUITE / "dvi-example.fam")
    _assert_same_case(got, ref)
    _assert_lr(got, _expected_lr("dvi-example"))


@pytest.mark.reference
def test_dvi_example_is_example1_up_to_labels():
    """dvir's ``example1`` (data-raw/example1.R) is dvi-example.fam's case built by hand: M1 is
    the file's "Missing person", M2 and M3 its "Missing male 2" and "Missing male 3", R1 its
    R and NN the added mother. Its pairwise LRs (expected/pairwiseLR.json) are the file's."""
    got = read_case(PEDSUITE / "dvi-example.fam")
    cols = {"M1": "Missing person", "M2": "Missing male 2", "M3": "Missing male 3"}
    exp = _expected_lr("example1")
    pw = pairwise_lr(got)
    for (v, m), want in exp.items():
        lr = pw.lr[pw.pm.index(v), pw.missing.index(cols[m])]
        assert want is not None and lr == pytest.approx(want, rel=1e-9, abs=0), (v, m)
    ref = read_case_folder(require_shared(REFERENCE_CASES / "example1"))
    ren = {"Missing person": "M1", "Missing male 2": "M2", "Missing male 3": "M3", "R": "R1"}
    ren["added_1"] = "NN"
    (fam,) = got.families.values()
    assert _renamed(fam, ren) == _renamed(ref.families["F1"], {})


# --- DVI files without a reference case ------------------------------------------------------


def test_ketpex497_reads_as_dvir_reads_it():
    """KETP exercise 4.9.7: 3 PM, 3 families, 23 markers, every missing person named "Missing
    person". dvir's object is ``familias2dvir(file, missingPrefix = "MP")``; its documentation:
    "3 female victims and 3 reference families with 3 missing females ... 23 markers, equal
    mutation model, rate 0.001". No published numbers (dvir's script only plots and calls
    jointDVI), so: the structure dvir builds, finite LRs, and the same LRs read as
    ``dvi analyse`` reads it.
    """
    got = _quiet(read_fam, PEDSUITE / "KETPex497.fam", missing_prefix="MP")
    assert got.pm == ("V1", "V2", "V3")
    assert got.missing == ("MP1", "MP2", "MP3")
    assert dict(got.missing_family) == {"MP1": "am1", "MP2": "am2", "MP3": "am3"}
    am1, am2, am3 = (got.families[f] for f in ("am1", "am2", "am3"))
    # "Missing female 1" is listed in am1 but in no relation: left out, as dvir leaves it
    assert {i.id for i in am1} == {"F", "C", "MP1"}
    assert (am1["C"].father, am1["C"].mother) == ("F", "MP1")
    assert am2["MP2"].father == "EM1" and am2["MP2"].mother == "added_1"
    assert (am3["MP3"].father, am3["MP3"].mother) == ("EM2", "EF2")
    assert all(got.families[f][m].sex == Sex.FEMALE for m, f in got.missing_family.items())
    assert len(got.markers) == 23 and got.markers[-1].name == "SE33"
    assert all(m.female is not None and m.female.params["rate"] == 0.001 for m in got.markers)
    pw = pairwise_lr(got)
    assert np.all(np.isfinite(pw.lr)) and np.all(pw.lr > 0)

    relabelled: dict = {}
    plain = _quiet(read_case, PEDSUITE / "KETPex497.fam", relabelled=relabelled)
    assert plain.missing == ("Missing person.1", "Missing person.2", "Missing person.3")
    assert relabelled["members"]["am2"] == {"Missing person": "Missing person.2"}
    np.testing.assert_array_equal(pairwise_lr(plain).lr, pw.lr)


def test_ketpex498_reads_as_dvir_reads_it():
    """KETP exercise 4.9.8: dvir reads it with ``familias2dvir(file, missingPrefix = "M")``
    (data-raw/KETPexer498.R, which then renames M3, M1, EM1, added_1) or ``"MP"`` (KETPex498.R).
    dvir's documentation: "2 female victims and 1 male ... one reference family with 2 missing
    females and one missing male ... 16 markers, equal mutation model, rate 0.001". No published
    numbers: that structure, the seven persons of the file's header (no genotypes) left aside as
    dvir leaves them, and finite LRs where the sexes agree.
    """
    got = _quiet(read_fam, PEDSUITE / "KETPex498.fam", missing_prefix="M")
    assert [got.pm_sex[v] for v in got.pm] == [Sex.FEMALE, Sex.MALE, Sex.FEMALE]
    assert got.missing == ("M1", "M2", "M3")
    (fam,) = got.families.values()
    assert [fam[m].sex for m in got.missing] == [Sex.FEMALE, Sex.MALE, Sex.FEMALE]
    # the names KETPexer498.R renames exist: M3 (the file's "Missing person"), EM1, added_1
    assert (fam["R1"].father, fam["R1"].mother) == ("added_1", "M3")
    assert (fam["M1"].father, fam["M1"].mother) == ("EM1", "M3")
    assert (fam["M2"].father, fam["M2"].mother) == ("EM1", "M3")
    assert {i.id for i in fam} == {"R1", "EM1", "added_1", "M1", "M2", "M3"}  # no EF1
    assert len(got.markers) == 16
    assert all(m.female is not None and m.female.params["rate"] == 0.001 for m in got.markers)
    pw = pairwise_lr(got)
    same_sex = np.array([[got.pm_sex[v] == fam[m].sex for m in pw.missing] for v in pw.pm])
    assert np.all(np.isfinite(pw.lr[same_sex]) & (pw.lr[same_sex] > 0))
    assert np.all(np.isnan(pw.lr[~same_sex]))  # pairings by sex, as dvir's


@pytest.mark.parametrize(
    "name,kwargs,pattern",
    [
        ("dvi-example.fam", {}, "^Missing"),
        ("KETPex497.fam", {"missing_prefix": "MP"}, "^MP"),
        ("KETPex498.fam", {"missing_prefix": "M"}, "^M[0-9]"),
        ("Solution3_3.fam", {"missing_prefix": "M"}, "^M[0-9]"),
        ("exclusionExample.fam", {"missing_prefix": "M"}, "^M[0-9]"),
    ],
)
def test_dvi_file_round_trips_through_fam_write(tmp_path, name, kwargs, pattern):
    """Written back with ``write_fam`` and read again: the same case and the same pairwise LRs."""
    got = _quiet(read_fam, PEDSUITE / name, **kwargs)
    back = _round_trip(tmp_path, got, pattern)
    _assert_same_case(back, got)
    _assert_same_lr(back, got)


# --- files without a DVI section: kinship cases ----------------------------------------------


def test_ch4_table_4_4_hypotheses():
    """KETP table 4.4: V1, V2 and R typed at 21 markers, seven hypotheses, no mutation model
    (rates 0). No published likelihoods exist for the file; dvir's scripts take the data objects
    KETPex481 / dataExample481 from its H5, H6 and H7 (``x$H7[[1]]`` relabelled
    ``c("MP2", "MP1", "R1", "FA", "GM")``: V1, V2, R and the added ``added_1`` = FA, V1's
    father, and ``added_2`` = GM, V2's mother). Checked: those pedigrees, the likelihood of each
    hypothesis against the kinship core directly, and the likelihood being finite except where a
    hypothesis is impossible without mutation (H6, H7: R is not V2's parent).
    """
    case = read_fam_kinship(PEDSUITE / "Ch4-table-4-4.fam")
    assert list(case.pedigrees) == [f"H{k}" for k in range(1, 8)]
    assert sorted(case.profiles) == ["R", "V1", "V2"]
    assert len(case.markers) == 21 and all(not m.has_mutation for m in case.markers)
    h7 = case.pedigrees["H7"]
    assert (h7["V2"].father, h7["V2"].mother) == ("R", "added_2")
    assert (h7["V1"].father, h7["V1"].mother) == ("added_1", "V2")
    assert h7["added_1"].sex == Sex.MALE and h7["added_2"].sex == Sex.FEMALE
    h1 = case.pedigrees["H1"]
    assert h1["V1"].father == "R" and h1["V2"].mother == "V1"
    assert all(i.is_founder for i in case.pedigrees["H5"])  # unrelated

    r = evaluate_fam(PEDSUITE / "Ch4-table-4-4.fam")
    assert r.names == tuple(case.pedigrees)
    for name, ll in zip(r.names, r.logliks, strict=True):
        direct = likelihood(case.pedigrees[name], case.markers, case.profiles).loglik
        assert ll == direct
    assert all(math.isfinite(ll) for ll in r.logliks[:5])
    assert r.logliks[5] == r.logliks[6] == -math.inf
    assert max(r.logliks) == r.logliks[0]  # H1 the most likely
    assert r.lr["H1"] == math.inf  # against the impossible H7


def test_ch4_example_4_8_4_pedigree():
    """KETP example 4.8.4: V1..V4, R1..R3 typed at 21 markers, one hypothesis H1, equal(0.005).
    No published likelihood exists for the file; dvir's KETPch4 takes its PM and references from
    H1's three components (its documentation: "2 female victims, 2 male victims ... 21 markers
    ... equal mutation model with rate 0.005"). Checked: those components (as data-raw/KETPch4.R
    describes them), a finite likelihood equal to the kinship core's, and an LR of 1 against
    itself.
    """
    case = read_fam_kinship(PEDSUITE / "Ch4-example-4-8-4.fam")
    assert list(case.pedigrees) == ["H1"]
    assert sorted(case.profiles) == ["R1", "R2", "R3", "V1", "V2", "V3", "V4"]
    h1 = case.pedigrees["H1"]
    assert (h1["V1"].father, h1["V1"].mother) == ("R1", "MO1")
    assert (h1["V2"].father, h1["V2"].mother) == ("R2", "GM2")
    assert h1["V3"].mother == "MO2" and h1["V3"].father == "added_1"
    assert (h1["V4"].father, h1["V4"].mother) == ("GF3", "GM3")
    assert (h1["FA3"].father, h1["FA3"].mother) == ("GF3", "GM3")
    assert (h1["R3"].father, h1["R3"].mother) == ("FA3", "MO3")
    assert [h1[v].sex for v in ("V1", "V2", "V3", "V4")] == [
        Sex.FEMALE,
        Sex.MALE,
        Sex.MALE,
        Sex.FEMALE,
    ]
    m = case.markers[0]
    assert m.female is not None and m.female.model == "equal" and m.female.params["rate"] == 0.005

    r = evaluate_fam(PEDSUITE / "Ch4-example-4-8-4.fam")
    assert r.names == ("H1",) and math.isfinite(r.logliks[0])
    assert r.logliks[0] == likelihood(h1, case.markers, case.profiles).loglik
    assert r.lr == {"H1": 1.0}
    assert r.to_dict()["markers"][0] == "D3S1358" and len(r.markers) == 21


def test_kinship_files_are_not_dvi_files():
    """The two kinship files are refused by the DVI reader with a line that says what to use."""
    for name in ("Ch4-table-4-4.fam", "Ch4-example-4-8-4.fam"):
        with pytest.raises(FormatError, match="kinship fam"):
            read_fam_dvi(PEDSUITE / name)


# --- KLINK's examples: kinship files written by pedFamilias::writeFam -----------------------


def test_klink_sibship_full_versus_half_siblings():
    """KLINK's ``sibship.fam`` (data-raw/sibship.R: ``writeFam(list(FS = ped1, HS = ped2))``
    with ``HS = halfSibPed(type = "m")``): NN1 and NN2 full brothers, or maternal half brothers;
    23 markers with extended stepwise models (female 0.001, male 0.002, rate2 1e-6, range 0.1).
    KLINK publishes no number for it (its script's ``linkedLR`` call is commented out), so:
    the two pedigrees, the mutation models, and the likelihoods against the kinship core.
    """
    case = read_fam_kinship(PEDSUITE / "sibship.fam")
    fs, hs = case.pedigrees["FS"], case.pedigrees["HS"]
    assert (fs["NN1"].father, fs["NN1"].mother) == (fs["NN2"].father, fs["NN2"].mother)
    assert hs["NN1"].mother == hs["NN2"].mother and hs["NN1"].father != hs["NN2"].father
    assert len(case.markers) == 23
    for m in case.markers:
        assert m.female is not None and m.male is not None
        assert m.female.params["familias_model"] == "step-ext"
        assert (m.female.params["rate"], m.male.params["rate"]) == (0.001, 0.002)
        assert m.female.params["rate2"] == 1e-06 and m.female.params["range"] == 0.1
    r = evaluate_fam(PEDSUITE / "sibship.fam")
    assert r.names == ("FS", "HS")
    for name, ll in zip(r.names, r.logliks, strict=True):
        assert ll == likelihood(case.pedigrees[name], case.markers, case.profiles).loglik
        assert math.isfinite(ll)
    assert r.lr["FS"] > 1e5 and r.lr["HS"] == 1.0  # the data favour full siblings


def test_klink_halfsib_with_markers_nobody_is_typed_at():
    """KLINK's ``halfsib.fam``: A, B full brothers and C their paternal half brother (Ped 1), or
    C unrelated (Ped 2); 50 loci of which 49 are typed (untyped D5S2500 is left out, as the
    pedsuite's readFam leaves it), several with equal models on fragment-length alleles (176,
    192, ...). KLINK publishes no number for it: the pedigrees and finite likelihoods.
    """
    case = read_fam_kinship(PEDSUITE / "halfsib.fam")
    p1, p2 = case.pedigrees["Ped 1"], case.pedigrees["Ped 2"]
    assert (p1["A"].father, p1["A"].mother) == (p1["B"].father, p1["B"].mother) == ("2", "1")
    assert (p1["C"].father, p1["C"].mother) == ("2", "3")
    assert p2["C"].is_founder and p2["A"].father == "2"
    assert len(case.markers) == 49 and "D5S2500" not in {m.name for m in case.markers}
    d11 = next(m for m in case.markers if m.name == "D11S554")
    assert d11.female is not None and d11.female.model == "equal" and d11.alleles[0] == "176"
    r = evaluate_fam(PEDSUITE / "halfsib.fam")
    assert all(math.isfinite(ll) for ll in r.logliks)
    assert r.lr["Ped 1"] > 1 and r.lr["Ped 2"] == 1.0


def test_klink_halfsib_test_paternal_half_siblings():
    """KLINK's ``halfsib-test.fam`` (saved by Familias 3.3.1): two typed men, paternal half
    brothers (Ped 1: father ``far``, mothers ``mor1``, ``mor2``) or unrelated (Ped 2, no
    relations); 8 markers of the Nordic database, extended stepwise models. No published number:
    the pedigrees and finite likelihoods against the kinship core.
    """
    case = read_fam_kinship(PEDSUITE / "halfsib-test.fam")
    a, b = "2023400031-DNA-AA-000984", "2023400031-DNA-AA-000985"
    p1, p2 = case.pedigrees["Ped 1"], case.pedigrees["Ped 2"]
    assert (p1[a].father, p1[a].mother) == ("far", "mor1")
    assert (p1[b].father, p1[b].mother) == ("far", "mor2")
    assert all(i.is_founder for i in p2)
    assert [m.name for m in case.markers][:2] == ["vWA", "D12S391"] and len(case.markers) == 8
    assert case.profiles[a]["D18S51"] == ("16", "19")  # "8 14 2": alleles 9 and 15 of D18S51
    r = evaluate_fam(PEDSUITE / "halfsib-test.fam")
    for name, ll in zip(r.names, r.logliks, strict=True):
        assert ll == likelihood(case.pedigrees[name], case.markers, case.profiles).loglik
        assert math.isfinite(ll)


def test_klink_norskdb_is_the_database_of_its_examples():
    """KLINK's ``NorskDB_2023.fam`` is a Familias database saved on its own (no persons): it reads
    as 50 markers, and ``halfsib.fam`` (written with ``dbName = "NorskDB_2023"``) carries the same
    alleles, frequencies and mutation models; ``sibship.fam`` the same alleles and frequencies.
    As a kinship case it is refused in one line (nothing to compute).
    """
    db = {m.name: m for m in read_fam_database(PEDSUITE / "NorskDB_2023.fam")}
    assert len(db) == 50 and next(iter(db)) == "D1S1656"
    for name, full in (("halfsib.fam", True), ("sibship.fam", False)):
        for m in read_fam_database(PEDSUITE / name):
            ref = db[m.name]
            assert m.alleles == ref.alleles, (name, m.name)
            np.testing.assert_array_equal(m.afreq, ref.afreq)
            if full:
                for x, y in ((m.female, ref.female), (m.male, ref.male)):
                    assert x is not None and y is not None
                    np.testing.assert_allclose(x.matrix, y.matrix, rtol=0, atol=1e-15)
    with pytest.raises(FormatError, match="no persons") as ei:
        read_fam_kinship(PEDSUITE / "NorskDB_2023.fam")
    assert "\n" not in str(ei.value)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("dvi-example.fam", {}),
        ("exclusionExample.fam", {"missing_prefix": "M"}),
        ("Solution3_3.fam", {"missing_prefix": "M"}),
        ("KETPex497.fam", {"missing_prefix": "MP"}),
        ("KETPex498.fam", {"missing_prefix": "M"}),
    ],
)
def test_every_dvi_file_reads_as_dvi_analyse_reads_it(name, kwargs):
    """Each DVI file reads with the case reader behind ``repatria dvi analyse`` (Familias' labels
    kept, shared default names made unique and listed), to the LRs of dvir's labelling."""
    relabelled: dict = {}
    plain = _quiet(read_case, PEDSUITE / name, relabelled=relabelled)
    labelled = _quiet(read_fam, PEDSUITE / name, **kwargs)
    np.testing.assert_allclose(
        pairwise_lr(plain).lr, pairwise_lr(labelled).lr, rtol=1e-12, atol=0, equal_nan=True
    )
    shared = any(m.startswith("Missing person.") for m in plain.missing)  # made unique
    assert bool(relabelled) == shared, relabelled
