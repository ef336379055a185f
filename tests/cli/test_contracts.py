"""The command contracts outside tools rely on: names, options and JSON keys."""

from __future__ import annotations

import json
import math
import shutil

import pytest
from typer.testing import CliRunner

from repatria import __version__
from repatria.cli.main import app

runner = CliRunner()


def test_version_and_help_on_every_command():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and __version__ in r.stdout
    for cmd in (
        ["--help"],
        ["kinship", "--help"],
        ["kinship", "evaluate", "--help"],
        ["dvi", "--help"],
        ["dvi", "analyse", "--help"],
        ["simulate", "dvi", "--help"],
        ["demo", "--help"],
    ):
        r = runner.invoke(app, cmd)
        assert r.exit_code == 0, (cmd, r.output)
        assert "Usage" in r.output


@pytest.mark.reference
def test_kinship_evaluate_json_on_stripped_file(vectors_file, tmp_path):
    data = json.loads(vectors_file.read_text())
    stripped = json.loads(json.dumps(data))
    for v in stripped["vectors"]:
        v.pop("expected", None)
    f = tmp_path / "vectors.json"
    f.write_text(json.dumps(stripped))
    r = runner.invoke(app, ["kinship", "evaluate", str(f), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [x["index"] for x in out["results"]] == [v["index"] for v in data["vectors"]]
    for res, v in zip(out["results"], data["vectors"], strict=False):
        assert set(res) == {"index", "id", "kind", "value", "per_marker"}
        assert res["id"] == v["id"] and res["kind"] == v["kind"]
        e = v["expected"]
        want = e.get("likelihoodTotal", e.get("LRtotal"))
        assert res["value"] == pytest.approx(want, rel=1e-9)
        per = e.get("likelihoodPerMarker", e.get("LRperMarker"))
        assert res["per_marker"] == pytest.approx(per, rel=1e-9)


@pytest.mark.reference
def test_kinship_evaluate_human_output_shows_agreement(vectors_file):
    r = runner.invoke(app, ["kinship", "evaluate", str(vectors_file)])
    assert r.exit_code == 0, r.output
    assert "cases agree with their expected values" in r.output


def test_bad_file_is_one_clear_sentence(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text("{not json")
    r = runner.invoke(app, ["kinship", "evaluate", str(f), "--json"])
    assert r.exit_code == 1
    assert "bad.json" in r.output and "line 1" in r.output and "Traceback" not in r.output


def test_non_finite_numbers_are_strings():
    from repatria.cli.output import json_safe

    assert json_safe([math.inf, -math.inf, math.nan, 1.5]) == ["Inf", "-Inf", "NaN", 1.5]


def test_simulate_dvi_writes_a_readable_case_with_truth(tmp_path):
    out = tmp_path / "case"
    r = runner.invoke(
        app, ["simulate", "dvi", "--victims", "6", "--families", "5", "--seed", "3", str(out)]
    )
    assert r.exit_code == 0, r.output
    truth = json.loads((out / "truth.json").read_text())["truth"]
    assert len(truth) == 6
    from repatria.formats.casefolder import read_case_folder

    p = read_case_folder(out)
    assert len(p.pm) == 6 and len(p.missing) == 5 and len(p.markers) == 23
    assert set(truth.values()) - {"*"} <= set(p.missing)


@pytest.mark.reference
@pytest.mark.parametrize("name", ["example2", "planecrash"])
def test_dvi_analyse_json_contract(reference_cases, tmp_path, name):
    case = tmp_path / name
    shutil.copytree(reference_cases / name, case, ignore=shutil.ignore_patterns("expected"))
    r = runner.invoke(app, ["dvi", "analyse", str(case), "--json", "--top", "200"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {"pm", "missing", "pairwise", "exclusions", "joint", "conclusions"} <= set(out)
    assert set(out["pairwise"]) == {"rows", "cols", "lr"}
    assert set(out["exclusions"]) == {"rows", "cols", "count"}
    j = out["joint"]
    assert {"n_assignments", "loglik0", "top", "marginals", "neglected_mass_bound"} <= set(j)
    assert set(j["top"][0]) == {"assignment", "loglik", "lr", "posterior"}
    assert j["marginals"]["cols"] == out["missing"] + ["*"]
    assert set(out["conclusions"]) == {"pm", "am"}
    for row in out["conclusions"]["pm"]:
        assert {"sample", "missing", "family", "lr", "glr", "conclusion", "comment"} <= set(row)
    want = json.loads((reference_cases / name / "expected/dviJoint.json").read_text())
    assert j["n_assignments"] == want["nAssignments"]
    lls = [a["loglik"] for a in j["top"]]
    assert lls == sorted(lls, reverse=True)
