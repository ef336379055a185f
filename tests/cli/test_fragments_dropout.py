"""`repatria fragments` takes `--dropout P|estimate` and `--drop-in C` as `dvi analyse` does
(issue 13): absent or 0 gives the answers of before, bit for bit; a single peak by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.formats.casefolder import read_case_folder
from repatria.kinship.fragments import DEFAULT_DROPOUT, find_fragments

runner = CliRunner()


@pytest.fixture(scope="module")
def case(tmp_path_factory):  # noqa: ANN001, ANN201
    out = tmp_path_factory.mktemp("pop") / "case"
    r = runner.invoke(
        app,
        ["simulate", "population", "--pm", "80", "--families", "30", "--markers", "24",
         "--seed", "11", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return out


def _json(*args: str) -> dict:
    r = runner.invoke(app, ["fragments", *args, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    doc.pop("seconds")
    return doc


def test_absent_or_zero_drop_in_is_the_answer_of_before(case: Path) -> None:
    before = _json(str(case), "--min-lr", "1e4")
    assert before["groups"] > 0
    assert _json(str(case), "--min-lr", "1e4", "--drop-in", "0") == before
    assert _json(str(case), "--min-lr", "1e4", "--dropout", f"{DEFAULT_DROPOUT}") == before
    # the kinship search called as before the options existed
    p = read_case_folder(case)
    res = find_fragments(p.markers, p.pm, p.pm_profiles, min_lr=1e4, dropout=DEFAULT_DROPOUT)
    assert [sorted(g["pm"]) for g in before["group_list"]] == [
        sorted(res.ids[i] for i in g) for g in res.groups
    ]
    links = [x["log10_lr"] for g in before["group_list"] for x in g["links"]]
    assert links == [
        v / math.log(10) for g in range(len(res.groups)) for *_, v in res.group_edges(g)
    ]


def test_estimate_takes_each_sample_s_own(case: Path) -> None:
    doc = _json(str(case), "--min-lr", "1e4", "--dropout", "estimate")
    assert doc["dropout"] == "estimate"
    est = doc["dropout_estimated"]
    assert set(est) == set(read_case_folder(case).pm) and all(0 <= x < 1 for x in est.values())
    with_drop_in = _json(str(case), "--min-lr", "1e4", "--dropout", "estimate", "--drop-in", "0.05")
    assert with_drop_in["drop_in"] == 0.05 and with_drop_in["groups"] >= 1


def _two_samples(tmp_path: Path) -> Path:
    """One marker (alleles 1, 2, 3 at 0.05, 0.05, 0.9): V1 one peak 1 (written 1/1), V2 1/2."""
    d = tmp_path / "two"
    d.mkdir()
    (d / "pm.tsv").write_text("id\tsex\tL1\nV1\t1\t1/1\nV2\t1\t1/2\n")
    (d / "am.tsv").write_text(
        "famid\tid\tfid\tmid\tsex\tL1\nF1\tF\t0\t0\t1\t\nF1\tR\t0\t0\t2\t1/1\nF1\tM1\tF\tR\t1\t\n"
    )
    (d / "missing.txt").write_text("M1\tF1\n")
    marker = {"name": "L1", "chrom": None, "posMb": None, "isX": False,
              "alleles": ["1", "2", "3"], "afreq": [0.05, 0.05, 0.9], "mutmod": None}  # fmt: skip
    (d / "markers.json").write_text(json.dumps({"n": 1, "markers": [marker]}))
    return d


def test_a_single_peak_is_an_exclusion_without_dropout_and_not_with_it(tmp_path: Path) -> None:
    d = _two_samples(tmp_path)
    assert _json(str(d), "--min-lr", "1e-300", "--dropout", "0")["groups"] == 0
    doc = _json(str(d), "--min-lr", "1", "--dropout", "0.1")
    assert doc["groups"] == 1
    (link,) = doc["group_list"][0]["links"]
    # d (1 - d) / (p^2 (1 - d^2) + 2 p (1 - p) d (1 - d)) = 0.09 / 0.011025, p = 0.05
    assert link["lr"] == pytest.approx(0.09 / 0.011025, rel=1e-12)
    # no dropout but a drop-in: V2's 2 dropped in on V1's 1/1
    doc = _json(str(d), "--min-lr", "1", "--dropout", "0", "--drop-in", "0.1")
    (link,) = doc["group_list"][0]["links"]
    assert link["lr"] == pytest.approx(0.1 / (2 * 0.05 * 0.9 + 0.1 * 0.05 * 0.1), rel=1e-12)


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--dropout", "often"], "dropout must be"), (["--drop-in", "1.5"], "drop-in must be")],
)
def test_bad_values_are_one_line(tmp_path: Path, args: list[str], said: str) -> None:
    r = runner.invoke(app, ["fragments", str(_two_samples(tmp_path)), *args])
    assert r.exit_code != 0 and said in r.output + r.stderr
    assert "Traceback" not in r.output + r.stderr
