"""``repatria lineage match``: files in, the lineage LR out; bad files named by line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()
HAP = "DYS19=14;DYS389I=13;DYS390=24;DYS385=13,15"


@pytest.fixture
def y_db(tmp_path: Path) -> Path:
    rows = ["id\tDYS19\tDYS389I\tDYS390\tDYS385"]
    rows += [f"H{i}\t{15 + i % 5}\t13\t{22 + i // 5}\t13,15" for i in range(40)]
    rows += ["H99\t14\t13\t24\t15,13", "H98\t14\t\t24\t13,15"]  # one match, one not comparable
    p = tmp_path / "y.tsv"
    p.write_text("\n".join(rows) + "\n")
    return p


def test_y_match_json(y_db: Path) -> None:
    r = runner.invoke(
        app,
        [
            "lineage",
            "match",
            "--pm",
            HAP,
            "--reference",
            HAP,
            "--database",
            str(y_db),
            "--meioses",
            "4",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    f = out["frequency"]
    assert (f["count"], f["database_size"], f["left_out"]) == (1, 41, 1)
    assert out["lr_augmented"] == pytest.approx(42 / 2)
    assert out["lr_conservative"] == pytest.approx(1 / f["upper"]) and not out["excluded"]


def test_y_one_step_and_exclusion(y_db: Path) -> None:
    pm = HAP.replace("DYS390=24", "DYS390=25")
    r = runner.invoke(
        app,
        [
            "lineage",
            "match",
            "--pm",
            pm,
            "--reference",
            HAP,
            "--database",
            str(y_db),
            "--meioses",
            "2",
            "--mutation-rate",
            "0.002",
        ],
    )
    assert r.exit_code == 0 and "LR" in r.stdout and "DYS390 25 vs 24" in r.stdout
    r = runner.invoke(
        app,
        [
            "lineage",
            "match",
            "--pm",
            pm,
            "--reference",
            HAP,
            "--database",
            str(y_db),
            "--meioses",
            "2",
        ],
    )
    assert r.exit_code == 0 and "excluded" in r.stdout


def test_mt_match(tmp_path: Path) -> None:
    db = tmp_path / "mt.tsv"
    db.write_text(
        "id\tvariants\tread\n"
        + "".join(f"M{i}\t16519C {16100 + i}T\t16024-16569,1-576\n" for i in range(20))
        + "M99\t16519C 263G\t16024-16569,1-576\n"
    )
    hap = "16519C 263G@16024-16569,1-576"
    r = runner.invoke(
        app,
        [
            "lineage",
            "match",
            "--kind",
            "mt",
            "--pm",
            hap,
            "--reference",
            hap,
            "--database",
            str(db),
            "--meioses",
            "3",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["frequency"]["count"] == 1


def test_bad_database_line_is_named(tmp_path: Path) -> None:
    db = tmp_path / "bad.tsv"
    db.write_text("id\tDYS19\nH1\t14\nH2\t14\t15\n")
    r = runner.invoke(
        app,
        [
            "lineage",
            "match",
            "--pm",
            "DYS19=14",
            "--reference",
            "DYS19=14",
            "--database",
            str(db),
            "--meioses",
            "1",
        ],
    )
    assert r.exit_code != 0 and "line 3" in r.stderr and str(db) in r.stderr
    r = runner.invoke(
        app,
        [
            "lineage",
            "match",
            "--pm",
            "DYS19",
            "--reference",
            "DYS19=14",
            "--database",
            str(db),
            "--meioses",
            "1",
        ],
    )
    assert r.exit_code != 0 and "LOCUS=ALLELE" in r.stderr
