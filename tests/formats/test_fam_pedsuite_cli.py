"""The public pedsuite files through the command contract of issue 17: ``repatria dvi analyse
FILE.fam --json`` (default Familias names made unique, the relabelling in ``provenance``) and
``repatria kinship fam FILE.fam --json``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app
from shared_data import REFERENCE_CASES, require_shared

runner = CliRunner()
PEDSUITE = Path(__file__).parent / "data" / "pedsuite"


def _analyse(name: str) -> dict:
    r = runner.invoke(app, ["dvi", "analyse", str(PEDSUITE / name), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_dvi_analyse_ketpex497():
    d = _analyse("KETPex497.fam")
    assert d["missing"] == ["Missing person.1", "Missing person.2", "Missing person.3"]
    assert d["provenance"]["relabelling"]["members"]["am3"] == {
        "Missing person": "Missing person.3"
    }
    assert len(d["pairwise"]["lr"]) == 3


@pytest.mark.reference
def test_dvi_analyse_exclusion_example_grid_is_dvirs():
    """The number of joint assignments is dvir's ``dviJoint`` grid size (expected/dviJoint.json:
    40476722545169, "exact"), and the LR matrix is dvir's ``pairwiseLR``."""
    exp_dir = require_shared(REFERENCE_CASES / "exclusionExample" / "expected")
    grid = json.loads((exp_dir / "dviJoint.json").read_text())["gridSize"]["size"]
    d = _analyse("exclusionExample.fam")
    assert d["joint"]["n_assignments"] == grid == 40476722545169
    assert len(d["provenance"]["relabelling"]["members"]) == 15
    exp = json.loads((exp_dir / "pairwiseLR.json").read_text())["LRmatrix"]
    for row, want_row in zip(d["pairwise"]["lr"], exp["values"], strict=True):
        for got, want in zip(row, want_row, strict=True):
            if want is None:
                assert got is None or (isinstance(got, float) and math.isnan(got))
            else:
                assert got == pytest.approx(float(want), rel=1e-9, abs=0)


@pytest.mark.parametrize(
    "name,names",
    [
        ("Ch4-table-4-4.fam", [f"H{k}" for k in range(1, 8)]),
        ("Ch4-example-4-8-4.fam", ["H1"]),
        ("sibship.fam", ["FS", "HS"]),
        ("halfsib.fam", ["Ped 1", "Ped 2"]),
        ("halfsib-test.fam", ["Ped 1", "Ped 2"]),
    ],
)
def test_kinship_fam_contract(name, names):
    r = runner.invoke(app, ["kinship", "fam", str(PEDSUITE / name), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [p["name"] for p in d["pedigrees"]] == names
    assert d["markers"]


def test_kinship_fam_refuses_a_dvi_file_and_a_database_in_one_line():
    for name in ("KETPex497.fam", "NorskDB_2023.fam"):
        r = runner.invoke(app, ["kinship", "fam", str(PEDSUITE / name)])
        assert r.exit_code == 1 and "Traceback" not in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1 and name in r.output
