"""Writing a case as a Familias .fam file, and reading it back to the same case."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_fam import SMALL

from repatria.errors import FormatError
from repatria.formats.casefolder import read_case_folder
from repatria.formats.fam import FamWarning, read_fam
from repatria.formats.fam_write import fam_text, write_fam
from repatria.kinship.dvi import DVIProblem, pairwise_lr
from repatria.kinship.markers import Marker, MutationModel
from repatria.kinship.pedigree import Individual, Pedigree, Sex
from shared_data import CASE_NAMES, REFERENCE_CASES, require_shared


def _read_back(problem: DVIProblem, path: Path) -> DVIProblem:
    pattern = "^(" + "|".join(re.escape(m) for m in problem.missing) + ")$"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        return read_fam(path, missing_identifier=pattern, unknown_sex=Sex.UNKNOWN)


def _assert_same(got: DVIProblem, want: DVIProblem) -> None:
    assert got.pm == want.pm
    assert dict(got.pm_sex) == dict(want.pm_sex)
    typed = {v: dict(p) for v, p in want.pm_profiles.items()}
    assert {v: dict(p) for v, p in got.pm_profiles.items()} == typed
    assert list(got.families) == list(want.families)
    for famid, ped in want.families.items():
        assert {ind.id: ind for ind in got.families[famid]} == {ind.id: ind for ind in ped}
    assert {f: {i: dict(p) for i, p in d.items()} for f, d in got.am_profiles.items()} == {
        f: {i: dict(p) for i, p in d.items()} for f, d in want.am_profiles.items() if d
    }
    assert set(got.missing) == set(want.missing)
    assert dict(got.missing_family) == dict(want.missing_family)
    names = {m.name for m in want.markers}
    for a in got.markers:
        b = next(m for m in want.markers if m.name == a.name)
        assert a.alleles == b.alleles and np.array_equal(a.afreq, b.afreq)
        for x, y in ((a.female, b.female), (a.male, b.male)):
            mx = np.eye(a.n_alleles) if x is None else x.matrix
            my = np.eye(b.n_alleles) if y is None else y.matrix
            np.testing.assert_allclose(mx, my, rtol=0, atol=1e-12)
    assert {m.name for m in got.markers} <= names


def test_small_round_trip(tmp_path):
    src = tmp_path / "small.fam"
    src.write_text(SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        want = read_fam(src)
    out = write_fam(want, tmp_path / "out.fam")
    assert b"\r\n" in out.read_bytes()  # Windows line ends, as Familias writes
    got = _read_back(want, out)
    _assert_same(got, want)
    assert got.missing == want.missing
    # the stepwise model of DB is written as extended stepwise (code 4) and read back equal
    np.testing.assert_allclose(pairwise_lr(got).lr, pairwise_lr(want).lr, rtol=1e-12)


@pytest.mark.reference
@pytest.mark.parametrize("name", CASE_NAMES)
def test_reference_cases_round_trip(tmp_path, name):
    want = read_case_folder(require_shared(REFERENCE_CASES / name))
    try:
        out = write_fam(want, tmp_path / f"{name}.fam")
    except FormatError as e:
        pytest.skip(f"{name} holds what a .fam file cannot say: {e.reason}")
    got = _read_back(want, out)
    _assert_same(got, want)
    a, b = pairwise_lr(got), pairwise_lr(want)
    cols = [b.missing.index(m) for m in a.missing]
    np.testing.assert_allclose(a.lr, b.lr[:, cols], rtol=1e-9, equal_nan=True)


def _one_marker_case(marker: Marker, geno=("1", "2")) -> DVIProblem:
    fam = Pedigree(
        [
            Individual("F", sex=Sex.MALE),
            Individual("M", sex=Sex.FEMALE),
            Individual("MP", "F", "M", Sex.MALE),
        ]
    )
    return DVIProblem(
        (marker,),
        ("V1",),
        {"V1": Sex.MALE},
        {"V1": {"L": geno}},
        {"A": fam},
        {"A": {"F": {"L": ("1", "1")}}},
        ("MP",),
        {"MP": "A"},
    )


def test_custom_matrix_is_refused():
    mm = MutationModel(np.array([[0.9, 0.1], [0.2, 0.8]]), {"model": "custom"})
    case = _one_marker_case(Marker("L", ("1", "2"), [0.5, 0.5], mm, mm))
    with pytest.raises(FormatError, match="cannot be written"):
        fam_text(case)


def test_partial_genotype_is_refused():
    case = _one_marker_case(Marker("L", ("1", "2"), [0.5, 0.5]), geno=("1", None))
    with pytest.raises(FormatError, match="partly typed"):
        fam_text(case)
