"""``repatria power CASE --family F``: which relative to sample next, on a simulated case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("power") / "case"
    r = runner.invoke(
        app,
        ["simulate", "dvi", str(out), "--victims", "3", "--families", "3", "--markers", "6"],
    )
    assert r.exit_code == 0, r.output
    return out


def _power(case: Path, *args: str) -> object:
    return runner.invoke(app, ["power", str(case), "--family", "F1", "--sims", "20", *args])


def test_json_contract(case: Path) -> None:
    r = _power(case, "--json", "--seed", "3", "--threshold", "100")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {"family", "threshold", "sims", "seed", "candidates"} <= set(out)
    assert (out["family"], out["threshold"], out["sims"], out["seed"]) == ("F1", 100.0, 20, 3)
    first = out["candidates"][0]
    assert first["relative"] is None and first["relationship"] == "current references"
    for c in out["candidates"]:
        assert {
            "relative",
            "relationship",
            "p_lr_above",
            "expected_log10_lr",
            "exclusion_power",
        } <= set(c)
        assert 0 <= c["p_lr_above"] <= 1 and 0 <= c["exclusion_power"] <= 1
    assert any(c["relationship"] == "full sibling (added)" for c in out["candidates"])
    again = json.loads(_power(case, "--json", "--seed", "3", "--threshold", "100").stdout)
    assert again == out  # the seed reproduces every number


def test_table(case: Path) -> None:
    r = _power(case)
    assert r.exit_code == 0, r.output
    assert "current" in r.stdout and "Exclusion power: of an unrelated person" in r.stdout


def test_errors_are_one_line(case: Path) -> None:
    r = runner.invoke(app, ["power", str(case), "--family", "NOPE"])
    assert r.exit_code == 1 and "no family 'NOPE'" in r.stderr and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1
    r = runner.invoke(app, ["power", str(case / "missing"), "--family", "F1"])
    assert r.exit_code == 1 and "error" in r.stderr
    r = _power(case, "--sims", "0")
    assert r.exit_code == 2  # refused by the option's range before anything runs
