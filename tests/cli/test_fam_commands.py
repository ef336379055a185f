"""Command contract (issue 17): `kinship fam` and `dvi analyse` on Familias files as written."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()
FORMATS = Path(__file__).resolve().parents[1] / "formats"
PATERNITY = FORMATS / "data" / "paternity.fam"  # pedFamilias inst/extdata


def test_kinship_fam_json_contract():
    r = runner.invoke(app, ["kinship", "fam", str(PATERNITY), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert set(d) == {"pedigrees", "markers"}
    assert [set(p) for p in d["pedigrees"]] == [{"name", "loglik"}] * 2
    h1, h2 = (p["loglik"] for p in d["pedigrees"])
    # pedFamilias README: forrel::kinshipLR(readFam(paternity.fam)) = 760.3445
    assert abs(math.exp(h1 - h2) - 760.3445) < 5e-5
    assert len(d["markers"]) == 10


def test_kinship_fam_table():
    r = runner.invoke(app, ["kinship", "fam", str(PATERNITY)])
    assert r.exit_code == 0, r.output
    assert "760.344" in r.stdout and "H1" in r.stdout


def test_kinship_fam_error_is_one_line(tmp_path):
    p = tmp_path / "bin.fam"
    p.write_bytes(b"\x00\x01\x02PK\x03\x04" * 10)
    r = runner.invoke(app, ["kinship", "fam", str(p)])
    assert r.exit_code == 1
    assert "Traceback" not in r.output and "not a text file" in r.output


def _default_names_dvi(tmp_path: Path) -> Path:
    sys.path.insert(0, str(FORMATS))
    from test_fam import SMALL

    p = tmp_path / "default-names.fam"
    p.write_text(SMALL.replace("Missing son", "Missing person"))  # Familias' default in both
    return p


def test_dvi_analyse_default_missing_names(tmp_path):
    p = _default_names_dvi(tmp_path)
    r = runner.invoke(app, ["dvi", "analyse", str(p), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["missing"] == ["Missing person.1", "Missing person.2"]
    ren = d["provenance"]["relabelling"]
    assert ren["members"] == {
        "Fam A": {"Missing person": "Missing person.1"},
        "Fam B": {"Missing person": "Missing person.2"},
    }
    assert ren["notes"] and "dvir" in ren["notes"][0]


def test_warnings_are_one_line_in_the_users_words(tmp_path):
    p = _default_names_dvi(tmp_path)
    r = runner.invoke(app, ["dvi", "analyse", str(p), "--json"])
    err = r.stderr
    warning_lines = [x for x in err.splitlines() if x.startswith("warning:")]
    assert warning_lines and all("no sex recorded" in x or "fam" in x for x in warning_lines)
    assert "FamWarning" not in err and "warnings.warn" not in err and "unknown_sex" not in err
