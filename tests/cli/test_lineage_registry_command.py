"""``repatria lineage import`` and ``repatria lineage database import|list`` on SQLite and
PostgreSQL; identify's JSON carries the lineage factors; a bad line is one error line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from repatria.cli.main import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from lineage_case import lineage_lines, mt_database, write_case, y_database  # noqa: E402

runner = CliRunner()


def run(db: str, *args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, [*args, "--db", db])
    return r.exit_code, r.stdout, r.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, (args, out, err)
    return out


def test_lineage_through_the_commands(registry_db: str, tmp_path: Path) -> None:
    db = registry_db
    ok(db, "users", "add", "ada", "--role", "admin")
    ok(db, "users", "add", "ana", "--role", "analyst", "--as", "ada")
    ok(db, "import", "case", str(write_case(tmp_path / "case")), "--as", "ana")

    bad = tmp_path / "bad.tsv"
    bad.write_text(lineage_lines(U="DYS19"))
    code, out, err = run(db, "lineage", "import", str(bad), "--as", "ana")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "line 5" in err and "haplotype" in err and "DYS19" not in err

    good = tmp_path / "lineage.tsv"
    good.write_text(lineage_lines())
    done = json.loads(ok(db, "lineage", "import", str(good), "--as", "ana", "--json"))
    assert (done["stored"], done["already_imported"]) == (7, False)
    assert "imported before" in ok(db, "lineage", "import", str(good), "--as", "ana")

    for kind, path in (("y_str", y_database(tmp_path / "y.tsv")),
                       ("mtdna", mt_database(tmp_path / "mt.tsv"))):  # fmt: skip
        v = json.loads(ok(db, "lineage", "database", "import", str(path), "--name", kind,
                          "--kind", kind, "--source", "test", "--as", "ana", "--json"))  # fmt: skip
        assert (v["label"], v["kind"]) == (f"{kind}@1", kind)
    listed = json.loads(ok(db, "lineage", "database", "list", "--json"))["databases"]
    assert [d["label"] for d in listed] == ["mtdna@1", "y_str@1"]
    assert "haplotype database versions" in ok(db, "lineage", "database", "list")

    ran = json.loads(ok(db, "identify", "--as", "ana", "--json"))
    cand = next(c for c in ran["candidates"] if c["body"] == "V1")
    assert [x["kind"] for x in cand["lineage"]] == ["y_str", "mtdna"]
    assert cand["combined_log10_lr"] > cand["autosomal_log10_lr"]
    assert set(cand["lineage"][0]) >= {"kind", "donor", "relation", "lr", "log10_lr", "model",
                                       "database", "consistent", "note"}  # fmt: skip
