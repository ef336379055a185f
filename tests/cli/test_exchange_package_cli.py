"""The `repatria exchange` command contract, on SQLite and PostgreSQL (issue 17).

keygen, trust, parties, export and import as an outside check runs them: exit 0 and the counts
on success; exit 1, nothing on stdout, one line on stderr and nothing imported on refusal.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.services.workflows.demo_scenario import load_demo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from test_exchange import fresh_db as _fresh_db  # noqa: E402, F401  (the fixture)
from test_registry_contracts import ok, refused  # noqa: E402

runner = CliRunner()


def test_keygen_export_trust_import_through_the_commands(
    registry_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    fresh_db = request.getfixturevalue("_fresh_db")  # a second registry, same kind of database
    load_demo(registry_db)
    keys = tmp_path / "keys"
    r = runner.invoke(app, ["exchange", "keygen", "--party", "Agency A", "--out", str(keys)])
    assert r.exit_code == 0, r.stderr
    assert os.stat(keys / "Agency-A.key").st_mode & 0o777 == 0o600
    again = runner.invoke(app, ["exchange", "keygen", "--party", "Agency A", "--out", str(keys)])
    assert again.exit_code == 1 and again.stdout == ""
    assert len(again.stderr.strip().splitlines()) == 1 and "never overwritten" in again.stderr

    monkeypatch.setenv("REPATRIA_EXCHANGE_KEY", str(keys / "Agency-A.key"))
    out = tmp_path / "to-icrc.jsonl"
    sent = json.loads(
        ok(
            registry_db,
            "exchange",
            "export",
            "--out",
            str(out),
            "--as",
            "cas",
            "--to",
            "ICRC",
            "--json",
        )
    )
    assert sent["recipient"] == "ICRC" and sent["counts"]["body"] == 14
    refused(
        registry_db,
        "exchange",
        "export",
        "--out",
        str(out),
        "--as",
        "cas",
        match="never overwritten",
    )

    # Not yet trusted: refused, nothing imported.
    refused(fresh_db, "exchange", "import", str(out), "--as", "cas", match="not a trusted party")
    refused(
        fresh_db,
        "exchange",
        "trust",
        "Agency A",
        str(keys / "Agency-A.pub"),
        "--as",
        "cas",
        match="admin",
    )
    ok(fresh_db, "exchange", "trust", "Agency A", str(keys / "Agency-A.pub"), "--as", "ada")
    parties = json.loads(ok(fresh_db, "exchange", "parties", "--json"))["parties"]
    assert [p["name"] for p in parties] == ["Agency A"]

    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x04
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(bytes(data))
    refused(
        fresh_db,
        "exchange",
        "import",
        str(changed),
        "--as",
        "cas",
        match="signature does not verify",
    )
    empty = json.loads(ok(fresh_db, "exchange", "received", "--json"))["counts"]
    assert set(empty.values()) == {0}

    got = json.loads(ok(fresh_db, "exchange", "import", str(out), "--as", "cas", "--json"))
    assert got["counts"] == sent["counts"] and got["package_id"] == sent["package_id"]
    assert json.loads(ok(fresh_db, "exchange", "received", "--json"))["counts"] == sent["counts"]
    refused(fresh_db, "exchange", "import", str(out), "--as", "cas", match="already imported")
    refused(
        fresh_db,
        "exchange",
        "import",
        str(tmp_path / "none.jsonl"),
        "--as",
        "cas",
        match="cannot read",
    )
