"""``--progress-json``: one JSON line per update on stderr, the result alone on stdout."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()

KEYS = {"step", "done", "total", "elapsed_s", "eta_s"}


def progress_lines(stderr: str) -> list[dict]:
    """Every stderr line, each one progress update of the documented shape."""
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert lines, "no progress reported"
    for u in lines:
        assert set(u) == KEYS, u
        assert isinstance(u["step"], str)
        assert isinstance(u["done"], int) and isinstance(u["total"], int)
        assert 0 <= u["done"] <= u["total"], u
        assert isinstance(u["elapsed_s"], float) and u["elapsed_s"] >= 0
        assert u["eta_s"] is None or (isinstance(u["eta_s"], float) and u["eta_s"] >= 0)
        if u["done"] == 0:
            assert u["eta_s"] is None
    return lines


def steps(lines: list[dict]) -> list[str]:
    """The steps in the order they started; each one ends with done == total and no time left."""
    order: list[str] = []
    for u in lines:
        if u["step"] not in order:
            order.append(u["step"])
    for s in order:
        last = [u for u in lines if u["step"] == s][-1]
        assert last["done"] == last["total"] and last["eta_s"] == 0.0, last
    return order


def ok(*args: str):
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    out = tmp_path_factory.mktemp("progress") / "case"
    ok("simulate", "population", "--pm", "40", "--families", "25", "--seed", "11", str(out))
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("progress") / "tiny"
    ok("simulate", "population", "--pm", "8", "--families", "6", "--seed", "3", str(out))
    return out


def test_screen_reports_tables_and_blocks(case):
    r = ok("screen", str(case), "--json", "--progress-json")
    assert json.loads(r.stdout)["pairs_screened"] > 0  # stdout: the one JSON document
    lines = progress_lines(r.stderr)
    assert steps(lines) == ["read", "tables", "screen"]
    tables = [u for u in lines if u["step"] == "tables"]
    assert tables[-1]["total"] == 24  # one per marker


def test_screen_progress_json_with_human_output(case):
    r = ok("screen", str(case), "--progress-json")
    assert r.stdout.startswith("screened ")
    assert steps(progress_lines(r.stderr)) == ["read", "tables", "screen"]


def test_json_alone_prints_no_progress(case):
    r = ok("screen", str(case), "--json")
    assert r.stderr == ""
    json.loads(r.stdout)


def test_fragments_reports_its_chunks(case):
    r = ok("fragments", str(case), "--json", "--progress-json")
    assert "groups" in json.loads(r.stdout)
    assert steps(progress_lines(r.stderr)) == ["read", "fragments"]


def test_dvi_analyse_reports_each_step(tiny):
    r = ok("dvi", "analyse", str(tiny), "--json", "--progress-json", "--prior-sensitivity")
    assert "joint" in json.loads(r.stdout)
    lines = progress_lines(r.stderr)
    assert steps(lines) == ["read", "pairwise", "joint", "bounds", "conclusions", "sensitivity"]
    # Steps the kinship core counts nothing of are reported whole: 0 of 1, then 1 of 1.
    assert [(u["done"], u["total"]) for u in lines if u["step"] == "joint"] == [(0, 1), (1, 1)]


def test_registry_commands_report_progress(registry_db: str, tiny, tmp_path) -> None:
    db = ["--db", registry_db]
    ok("users", "add", "ada", "--role", "admin", *db)
    ok("users", "add", "ana", "--role", "analyst", "--as", "ada", *db)

    r = ok("import", "case", str(tiny), "--as", "ana", "--json", "--progress-json", *db)
    assert json.loads(r.stdout)["counts"]["pm_samples"] == 8
    lines = progress_lines(r.stderr)
    assert steps(lines) == ["read", "import"]
    assert lines[-1]["total"] == 8 + 6  # PM samples and families stored

    r = ok("screen", str(tiny), "--as", "ana", "--json", "--progress-json", *db)
    screen = json.loads(r.stdout)
    assert screen["stored"] == screen["candidates"] > 0
    lines = progress_lines(r.stderr)
    assert steps(lines) == ["read", "registry", "tables", "screen", "store"]
    assert lines[-1] == {**lines[-1], "step": "store", "done": screen["stored"]}

    r = ok("identify", "--as", "ana", "--json", "--progress-json", *db)
    assert json.loads(r.stdout)["run"] > screen["run"]
    lines = progress_lines(r.stderr)
    assert steps(lines) == ["registry", "pairwise", "joint", "bounds", "conclusions", "store"]

    r = ok("identify", "--as", "ana", "--from-screen", str(screen["run"]), "--json", *db)
    pairs = {(c["pm"], c["missing"]) for c in json.loads(r.stdout)["candidates"]}
    assert pairs  # only pairings the screen kept are analysed (tests/services/test_screen_run)


def test_screen_into_a_registry_without_the_case_names_what_is_missing(registry_db, tiny):
    ok("users", "add", "ada", "--role", "admin", "--db", registry_db)
    ok("users", "add", "ana", "--role", "analyst", "--as", "ada", "--db", registry_db)
    r = runner.invoke(app, ["screen", str(tiny), "--db", registry_db, "--as", "ana"])
    assert r.exit_code == 1 and r.stdout == ""
    err = " ".join(r.stderr.split())
    assert err.startswith("error: case tiny is not all in the registry: 8 of its 8 PM samples")
    assert "import the case first (`repatria import case tiny`)" in err
    assert "Traceback" not in r.stderr
