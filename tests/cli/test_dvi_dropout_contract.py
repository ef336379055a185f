"""``repatria dvi analyse --dropout P`` and the ``dropout`` column of ``pm.tsv`` (issue 13 command
contract); ``repatria screen`` and ``repatria fragments`` take both too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("case") / "c"
    r = runner.invoke(app, ["simulate", "dvi", "--victims", "6", "--families", "5", str(out)])
    assert r.exit_code == 0, r.output
    return out


def _burned(case: Path, tmp: Path, column: dict[str, str] | None = None) -> Path:
    """A copy of ``case`` whose first PM failed at a third of the markers and lost one allele of
    every other heterozygote (written ``a/a``); ``column``: a ``dropout`` column, per PM id."""
    out = tmp / "burned"
    shutil.copytree(case, out)
    lines = (out / "pm.tsv").read_text().splitlines()
    rows = [line.split("\t") for line in lines]
    first = rows[1]
    for k in range(2, len(first)):
        a, b = first[k].split("/")
        if k % 3 == 0:
            first[k] = ""
        elif a != b and k % 2:
            first[k] = f"{a}/{a}"
    if column is not None:
        rows = [
            [r[0], r[1], "dropout" if i == 0 else column.get(r[0], ""), *r[2:]]
            for i, r in enumerate(rows)
        ]
    (out / "pm.tsv").write_text("\n".join("\t".join(r) for r in rows) + "\n")
    return out


def _analyse(case: Path, *extra: str) -> dict:
    r = runner.invoke(app, ["dvi", "analyse", str(case), "--json", *extra])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _answers(out: dict) -> dict:
    """Everything but the timings."""
    return {k: v for k, v in out.items() if k != "provenance"} | {
        "provenance": {k: v for k, v in out["provenance"].items() if k != "seconds"}
    }


def test_without_dropout_the_answers_are_unchanged(case: Path) -> None:
    plain = _analyse(case)
    assert "dropout" not in plain["provenance"]
    zero = _analyse(case, "--dropout", "0")
    assert zero["provenance"]["dropout"]["default"] == 0.0
    assert zero["provenance"]["dropout"]["samples_modelled"] == 0
    del zero["provenance"]["dropout"]
    assert _answers(zero) == _answers(plain)


def test_dropout_keeps_every_key_names_the_model_and_turns_a_false_exclusion(
    case: Path, tmp_path: Path
) -> None:
    burned = _burned(case, tmp_path)
    plain, modelled = _analyse(burned), _analyse(burned, "--dropout", "0.3")
    assert set(modelled) == set(plain) and set(modelled["joint"]) == set(plain["joint"])
    assert set(plain["provenance"]) - {"warnings"} <= set(modelled["provenance"])
    d = modelled["provenance"]["dropout"]
    assert d["default"] == 0.3 and d["per_sample"] == 0 and d["samples_modelled"] == 6
    assert "dropout" in d["model"]
    # The burned sample's "a/a" read exactly excludes its own family; under the model it does not.
    ex_plain = np.array(plain["exclusions"]["count"][0], dtype=float)
    ex_model = np.array(modelled["exclusions"]["count"][0], dtype=float)
    assert ex_model.min() < ex_plain.min()
    rows = np.array(modelled["joint"]["marginals"]["p"], dtype=float)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=1e-12)


def test_a_dropout_column_overrides_the_default_per_sample(case: Path, tmp_path: Path) -> None:
    burned = _burned(case, tmp_path, column={"V1": "0.3"})
    by_column = _analyse(burned)
    d = by_column["provenance"]["dropout"]
    assert d["per_sample"] == 1 and d["samples_modelled"] == 1 and d["default"] == 0.0
    both = _analyse(burned, "--dropout", "0.1")["provenance"]["dropout"]
    assert both["samples_modelled"] == 6 and both["default"] == 0.1
    # V1 at 0.3 by its column whatever the default: its LRs are the same either way.
    only = _analyse(_burned(case, tmp_path / "x", column={}), "--dropout", "0.3")
    assert by_column["pairwise"]["lr"][0] == pytest.approx(only["pairwise"]["lr"][0], rel=1e-12)


def test_a_degraded_sample_without_dropout_is_warned_about_in_one_line(
    case: Path, tmp_path: Path
) -> None:
    burned = _burned(case, tmp_path)
    r = runner.invoke(app, ["dvi", "analyse", str(burned), "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["provenance"]["warnings"][0].startswith("1 PM sample (V1)")
    warned = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "--dropout" in warned[0] and "V1" in warned[0]
    quiet = runner.invoke(app, ["dvi", "analyse", str(burned), "--json", "--dropout", "0.2"])
    assert "warning:" not in quiet.stderr
    assert "warnings" not in json.loads(quiet.stdout)["provenance"]


@pytest.mark.parametrize("bad", ["1", "-0.1", "high", "nan"])
def test_a_bad_dropout_cell_is_one_line_naming_file_line_and_field(
    case: Path, tmp_path: Path, bad: str
) -> None:
    burned = _burned(case, tmp_path, column={"V2": bad})
    r = runner.invoke(app, ["dvi", "analyse", str(burned)])
    assert r.exit_code != 0
    text = r.output.strip()
    assert len(text.splitlines()) == 1 and "Traceback" not in text
    assert "pm.tsv" in text and "line 3" in text and "dropout" in text


@pytest.mark.parametrize("bad", ["1", "-0.5", "1.5"])
def test_dropout_out_of_range_is_one_line(case: Path, bad: str) -> None:
    r = runner.invoke(app, ["dvi", "analyse", str(case), "--dropout", bad])
    assert r.exit_code != 0
    text = r.output.strip()
    assert "dropout must be at least 0 and below 1" in text and "Traceback" not in text


def test_screen_takes_dropout_and_the_column(case: Path, tmp_path: Path) -> None:
    burned = _burned(case, tmp_path, column={"V1": "0.3"})
    plain = runner.invoke(app, ["screen", str(case), "--json", "--top", "0", "--min-lr", "0"])
    assert plain.exit_code == 0, plain.output
    assert "dropout" not in json.loads(plain.stdout)
    r = runner.invoke(
        app, ["screen", str(burned), "--json", "--top", "0", "--min-lr", "0", "--dropout", "0.1"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(json.loads(plain.stdout)) <= set(out)
    assert out["dropout"]["per_sample"] == 1 and out["dropout"]["samples_modelled"] == 6


def test_fragments_take_the_column(case: Path, tmp_path: Path) -> None:
    burned = _burned(case, tmp_path, column={"V1": "0.3", "V2": "0"})
    r = runner.invoke(app, ["fragments", str(burned), "--json", "--dropout", "0.1"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["dropout"] == 0.1 and out["dropout_per_sample"] == 2
    assert out["exhaustive"]["pairs_checked_exactly"] >= 0


def test_screen_takes_drop_in_and_agrees_with_dvi_analyse(case: Path, tmp_path: Path) -> None:
    burned = _burned(case, tmp_path)
    out = tmp_path / "cands.tsv"
    args = ["screen", str(burned), "--json", "--top", "0", "--min-lr", "0", "--out", str(out)]
    r = runner.invoke(app, [*args, "--drop-in", "0.05"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["dropout"]["drop_in"] == 0.05
    lines = out.read_text().splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, line.split("\t"), strict=True)) for line in lines[1:]]
    dvi = _analyse(burned, "--drop-in", "0.05")["pairwise"]
    pm, mp = dvi["rows"], dvi["cols"]
    assert rows
    for row in rows:
        want = dvi["lr"][pm.index(row["pm"])][mp.index(row["missing"])]
        assert float(row["lr"]) == pytest.approx(want, rel=1e-9), row
