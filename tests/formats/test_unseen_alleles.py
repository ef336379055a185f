"""Alleles a frequency table lacks: an error naming file, line and field, or, when the user gives a
minimum frequency, added to the marker (named mutation models rebuilt) and reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.errors import FormatError
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker, mutation_model
from repatria.services.pipelines.dvi_analysis import analyse_case, read_case


@pytest.fixture
def case_with_new_allele(reference_cases: Path, tmp_path: Path) -> Path:
    d = tmp_path / "planecrash"
    shutil.copytree(reference_cases / "planecrash", d, ignore=shutil.ignore_patterns("expected"))
    lines = (d / "pm.tsv").read_text().splitlines()
    cells = lines[2].split("\t")  # V2, CSF1PO 12/12 -> 12/99
    cells[2] = "12/99"
    lines[2] = "\t".join(cells)
    (d / "pm.tsv").write_text("\n".join(lines) + "\n")
    return d


def test_unseen_allele_is_an_error_by_default(case_with_new_allele: Path) -> None:
    with pytest.raises(FormatError) as e:
        read_case(case_with_new_allele)
    assert (e.value.line, e.value.field) == (3, "CSF1PO") and "'99'" in str(e.value)
    assert str(case_with_new_allele / "pm.tsv") in str(e.value)


def test_unseen_allele_added_at_the_given_frequency(case_with_new_allele: Path) -> None:
    a = analyse_case(case_with_new_allele, unseen_allele_freq=0.001)
    m = next(m for m in a.problem.markers if m.name == "CSF1PO")
    assert m.alleles[-1] == "99" and m.afreq[-1] == 0.001
    assert m.afreq.sum() == pytest.approx(1.0, abs=1e-9)  # as close to 1 as the published table
    assert a.notes["unseen_alleles"] == {"frequency": 0.001, "added": {"CSF1PO": ["99"]}}
    assert a.to_dict()["provenance"]["unseen_alleles"]["added"] == {"CSF1PO": ["99"]}
    i = a.problem.pm.index("V2")
    assert np.all(
        np.isfinite(a.pairwise.log_lr_per_marker[i][~np.isnan(a.pairwise.log_lr_per_marker[i])])
    )


def test_cli_flag(case_with_new_allele: Path) -> None:
    r = CliRunner().invoke(app, ["dvi", "analyse", str(case_with_new_allele), "--json"])
    assert r.exit_code != 0 and "'99'" in r.stderr
    r = CliRunner().invoke(
        app,
        ["dvi", "analyse", str(case_with_new_allele), "--json", "--unseen-allele-freq", "0.001"],
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["provenance"]["unseen_alleles"]["added"] == {"CSF1PO": ["99"]}


@pytest.mark.parametrize("model", ["equal", "proportional", "stepwise", "onestep"])
def test_named_mutation_models_are_rebuilt(model: str) -> None:
    alleles, p = ("10", "11", "12"), np.array([0.2, 0.3, 0.5])
    mm = mutation_model(model, alleles, p, rate=0.002)
    m = Marker("M", alleles, p, mm, mm).with_unseen_alleles(["13"], 0.01)
    want = mutation_model(model, m.alleles, m.afreq, rate=0.002)
    np.testing.assert_allclose(m.female.matrix, want.matrix, rtol=1e-15)
    np.testing.assert_allclose(m.female.matrix.sum(axis=1), 1.0, rtol=1e-12)


def test_custom_matrix_cannot_be_extended() -> None:
    alleles, p = ("10", "11"), np.array([0.5, 0.5])
    mm = mutation_model("custom", alleles, p, matrix=np.array([[0.99, 0.01], [0.01, 0.99]]))
    with pytest.raises(KinshipError, match="custom"):
        Marker("M", alleles, p, mm, mm).with_unseen_alleles(["12"], 0.01)
