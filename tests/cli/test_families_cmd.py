"""`repatria families add-reference / history` and `repatria bodies list`, on SQLite and
PostgreSQL: a mother's reference added as a new version, the history with who and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import MARKERS, people, write_case  # noqa: E402
from test_registry_contracts import USERS, ok, refused  # noqa: E402


@pytest.fixture
def cli_db(registry_db: str, tmp_path: Path) -> str:
    for name, role in USERS:
        ok(registry_db, "users", "add", name, "--role", role)
    ok(registry_db, "import", "case", str(write_case(tmp_path / "c")), "--as", "ana")
    return registry_db


def test_add_a_mother_then_read_the_history(cli_db: str) -> None:
    db = cli_db
    mother = [f"{m}={a}/{b}" for m, (a, b) in people()["D1M"].items() if m in MARKERS]
    args = [a for g in mother for a in ("--genotype", g)]
    refused(
        db,
        "families",
        "add-reference",
        "F1",
        "D1M",
        *args,
        "--as",
        "rev",
        "--reason",
        "r",
        match="rev is a reviewer",
    )
    refused(
        db,
        "families",
        "add-reference",
        "F1",
        "D1M",
        "--genotype",
        "L01=10",
        "--as",
        "ana",
        "--reason",
        "r",
        match="--genotype line 1: write MARKER a/b",
    )
    out = json.loads(
        ok(
            db,
            "families",
            "add-reference",
            "F1",
            "D1M",
            *args,
            "--relationship",
            "mother",
            "--as",
            "ana",
            "--reason",
            "her sample arrived",
            "--json",
        )
    )
    assert out["version"] == 2 and out["changes"] == ["reference profile of D1M added"]
    history = json.loads(ok(db, "families", "history", "F1", "--as", "rev", "--json"))
    assert [(v["version"], v["changed_by"]) for v in history] == [(2, "ana"), (1, None)]
    text = ok(db, "families", "history", "F1", "--as", "rev")
    assert "version 2 (current), changed by ana: her sample arrived" in text
    refused(db, "families", "history", "F1", "--as", "lia", match="lia may not")
    refused(db, "families", "history", "F9", "--as", "rev", match="no reference family 'F9'")


def test_bodies_list(cli_db: str) -> None:
    rows = json.loads(ok(cli_db, "bodies", "list", "--as", "lia", "--json"))
    assert {b["ref"]: b["samples"] for b in rows} == {
        "V1A": ["V1A"],
        "V1B": ["V1B"],
        "BAG-7": ["V2", "V3"],
    }
    assert "body BAG-7 (sampled): samples V2, V3; items BAG-7" in ok(
        cli_db, "bodies", "list", "--as", "lia"
    )
