"""Command contract of `simulate population`, `screen` and `fragments` (issue 5)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    out = tmp_path_factory.mktemp("pop") / "case"
    r = runner.invoke(
        app,
        [
            "simulate",
            "population",
            "--pm",
            "200",
            "--families",
            "80",
            "--markers",
            "24",
            "--seed",
            "7",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    return out


def test_simulate_population_writes_a_case_and_truth(case):
    for f in ("pm.tsv", "am.tsv", "missing.txt", "markers.json", "truth.json"):
        assert (case / f).exists()
    truth = json.loads((case / "truth.json").read_text())
    assert set(truth) >= {"truth", "fragments"}
    assert len(truth["truth"]) == 200
    assert all(len(f) >= 2 for f in truth["fragments"])
    assert len(json.loads((case / "markers.json").read_text())["markers"]) == 24
    assert "*" in truth["truth"].values()


def test_screen_tsv_and_json_summary(case, tmp_path):
    out = tmp_path / "c.tsv"
    r = runner.invoke(
        app, ["screen", str(case), "--min-lr", "1", "--top", "3", "--out", str(out), "--json"]
    )
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert {"pairs_screened", "candidates", "seconds"} <= set(s)
    assert s["pairs_screened"] == 200 * 80
    lines = out.read_text().splitlines()
    assert lines[0].split("\t") == ["pm", "family", "missing", "lr", "log10_lr"]
    assert len(lines) - 1 == s["candidates"]
    truth = json.loads((case / "truth.json").read_text())["truth"]
    found = {(ln.split("\t")[0], ln.split("\t")[2]) for ln in lines[1:]}
    true = {(v, m) for v, m in truth.items() if m != "*"}
    assert len(found & true) / len(true) >= 0.85


def test_screen_parquet(case, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "c.parquet"
    r = runner.invoke(app, ["screen", str(case), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    t = pq.read_table(out)
    assert t.column_names == ["pm", "family", "missing", "lr", "log10_lr"]
    assert t.num_rows == json.loads(r.stdout)["candidates"]


def test_fragments_groups(case, tmp_path):
    out = tmp_path / "f.tsv"
    r = runner.invoke(app, ["fragments", str(case), "--min-lr", "1e6", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    truth = {tuple(sorted(f)) for f in json.loads((case / "truth.json").read_text())["fragments"]}
    got = {tuple(sorted(g["pm"])) for g in s["group_list"]}
    assert len(got & truth) >= 0.9 * len(truth)
    assert out.read_text().splitlines()[0].split("\t") == [
        "group",
        "pm",
        "size",
        "linked_to",
        "lr",
        "log10_lr",
    ]


def test_bad_case_is_one_sentence(tmp_path):
    r = runner.invoke(app, ["screen", str(tmp_path / "nope")])
    assert r.exit_code == 1
    assert "not a case folder" in r.output
    assert "Traceback" not in r.output
