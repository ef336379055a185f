"""`repatria lab check FILE... [--kit NAME]... [--json] [--show-genotypes]` (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()
LAB = Path(__file__).resolve().parents[1] / "formats" / "data" / "lab"
KITS = [str(LAB / "kit_identifiler.txt"), str(LAB / "kit_globalfiler.txt")]


def test_help():
    for cmd in (["lab", "--help"], ["lab", "check", "--help"]):
        r = runner.invoke(app, cmd)
        assert r.exit_code == 0 and "Usage" in r.output


def test_json_contract_without_genotypes():
    r = runner.invoke(
        app, ["lab", "check", *KITS, "--kit", "Identifiler", "--kit", "GlobalFiler", "--json"]
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert set(d) == {"files", "samples", "n_samples", "n_conflicts"}
    assert (d["n_samples"], d["n_conflicts"]) == (2, 1)
    assert [f["kits"] for f in d["files"]] == [["Identifiler"], ["GlobalFiler"]]
    assert d["files"][1]["renamed_markers"] == {"VWA": "vWA", "Amelogenin": "AMEL"}
    pm1 = d["samples"][0]
    assert pm1["sample"] == "PM-01" and pm1["sex"] == "male"
    assert pm1["markers"] == ["D8S1179", "vWA", "TH01", "SE33"]
    (c,) = pm1["conflicts"]
    assert c["marker"] == "FGA" and c["kits"] == ["Identifiler", "GlobalFiler"]
    assert [n["marker"] for n in pm1["notes"]] == ["TH01"]
    assert "genotypes" not in pm1 and "calls" not in c
    for allele in ("27.2", "9.3", "/"):  # no genotype anywhere in the output
        assert allele not in r.stdout.replace(f"{LAB}/", "")


def test_genotypes_only_when_asked():
    r = runner.invoke(app, ["lab", "check", *KITS, "--json", "--show-genotypes"])
    assert r.exit_code == 0, r.output
    pm1 = json.loads(r.stdout)["samples"][0]
    assert pm1["genotypes"]["TH01"] == "6/9.3" and pm1["amelogenin"] == "X/Y"
    assert pm1["conflicts"][0]["calls"] == ["20/21", "20/22"]
    r = runner.invoke(app, ["lab", "check", *KITS, "--show-genotypes"])
    assert r.exit_code == 0 and "6/9.3" in r.stdout and "20/21" in r.stdout


def test_human_output():
    r = runner.invoke(app, ["lab", "check", *KITS, str(LAB / "batch_cmf.xml")])
    assert r.exit_code == 0, r.output
    assert "4 samples, 1 conflicts" in r.stdout
    assert "conflict:" in r.stdout and "FGA is left untyped" in r.stdout
    assert "9.3" not in r.stdout.replace(str(LAB), "")


def test_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Sample Name\tMarker\tAllele 1\tAllele 2\nPM-1\tvWA\t27.3x\t31.2\n")
    r = runner.invoke(app, ["lab", "check", KITS[0], str(bad)])
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    assert f"{bad} line 2 field `vWA alleles`" in " ".join(r.output.split())
    assert "27.3" not in r.output and "31.2" not in r.output
    r = runner.invoke(app, ["lab", "check", *KITS, "--kit", "A", "--kit", "B", "--kit", "C"])
    assert r.exit_code == 1 and "3 kits for 2 files" in r.output
    r = runner.invoke(app, ["lab", "check", KITS[0], KITS[0]])
    assert r.exit_code == 1 and "same bytes" in r.output
