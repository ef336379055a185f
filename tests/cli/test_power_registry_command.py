"""`repatria families power FAMILY` and `repatria families weak`, on SQLite and PostgreSQL: the
JSON keys (a contract), the sims said, the role refusal as one sentence."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import write_case  # noqa: E402
from test_registry_contracts import USERS, ok, refused  # noqa: E402


@pytest.fixture
def cli_db(registry_db: str, tmp_path: Path) -> str:
    for name, role in USERS:
        ok(registry_db, "users", "add", name, "--role", role)
    ok(registry_db, "import", "case", str(write_case(tmp_path / "c")), "--as", "ana")
    return registry_db


def test_family_power_json(cli_db: str) -> None:
    args = ("families", "power", "F1", "--as", "ana", "--sims", "20", "--seed", "2", "--json")
    out = json.loads(ok(cli_db, *args))
    assert {
        "family",
        "version",
        "threshold",
        "threshold_source",
        "policy_version",
        "sims",
        "seed",
        "markers",
        "frequency_table",
        "missing_persons",
        "method",
    } <= set(out)
    assert (out["family"], out["sims"], out["seed"], out["threshold"]) == ("F1", 20, 2, 1e4)
    (mp,) = out["missing_persons"]
    assert {"missing", "identified", "references", "candidates"} <= set(mp)
    for c in mp["candidates"]:
        assert {
            "relative",
            "relationship",
            "added",
            "lines",
            "p_lr_above",
            "expected_log10_lr",
            "log10_lr_quantiles",
            "exclusion_power",
            "exclusion_exact",
        } <= set(c)
    table = ok(cli_db, "families", "power", "F1", "--as", "aud", "--sims", "20")
    assert "20 simulations" in " ".join(table.split()) and "mother" in table


def test_weak_families_json_and_table(cli_db: str) -> None:
    args = ("families", "weak", "--as", "rev", "--threshold", "1e8", "--sims", "10")
    out = json.loads(ok(cli_db, *args, "--json", "--limit", "1"))
    assert {
        "threshold",
        "below",
        "sims",
        "seed",
        "considered",
        "families",
        "total",
        "next",
        "not_computed",
    } <= set(out)
    assert out["sims"] == 10 and out["total"] == 2 and out["next"]
    (row,) = out["families"]
    assert {
        "family",
        "missing",
        "references",
        "power",
        "best_relative",
        "best_power",
        "best_expected_log10_lr",
        "best_exclusion_power",
    } <= set(row)
    rest = json.loads(ok(cli_db, *args, "--json", "--limit", "1", "--cursor", out["next"]))
    assert {r["family"] for r in out["families"] + rest["families"]} == {"F1", "F2"}
    text = " ".join(ok(cli_db, *args).split())
    assert "10 simulations" in text and "mother" in text


def test_refusals(cli_db: str) -> None:
    refused(cli_db, "families", "power", "F1", "--as", "lia", match="may not match read")
    refused(cli_db, "families", "weak", "--as", "lia", match="may not match read")
    refused(cli_db, "families", "power", "NOPE", "--as", "ana", match="no reference family")
