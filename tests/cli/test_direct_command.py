"""``repatria direct import|list`` on SQLite and PostgreSQL; identify's JSON carries the direct
factor; a bad line is one error line naming file, line and field, never a genotype."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.formats.genotypes import format_genotype

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from direct_case import direct_lines, simulate, write_case  # noqa: E402

runner = CliRunner()


def run(db: str, *args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, [*args, "--db", db])
    return r.exit_code, r.stdout, r.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, (args, out, err)
    return out


def test_direct_references_through_the_commands(registry_db: str, tmp_path: Path) -> None:
    db = registry_db
    ok(db, "users", "add", "ada", "--role", "admin")
    ok(db, "users", "add", "ana", "--role", "analyst", "--as", "ada")
    ok(db, "import", "case", str(write_case(tmp_path / "case", direct=False)), "--as", "ana")
    markers, sim = simulate()
    first = markers[0].name

    bad = tmp_path / "bad.tsv"
    bad.write_text(direct_lines(markers, sim, item="spoon"))
    code, out, err = run(db, "direct", "import", str(bad), "--as", "ana")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "line 2" in err and "item" in err and format_genotype(sim["MP1"][first]) not in err
    assert "no direct reference" in ok(db, "direct", "list", "MP1", "--as", "ana")

    good = tmp_path / "direct.tsv"
    good.write_text(direct_lines(markers, sim))
    done = json.loads(ok(db, "direct", "import", str(good), "--as", "ana", "--json"))
    assert (done["items"], done["already_imported"]) == (2, False)
    assert "imported before" in ok(db, "direct", "import", str(good), "--as", "ana")
    listed = json.loads(ok(db, "direct", "list", "MP2", "--as", "ana", "--json"))
    assert [(r["ref"], r["item"], r["reliability"]) for r in listed["direct_references"]] == [
        ("RZ-2", "razor", 0.8)
    ]
    assert "razor" in ok(db, "direct", "list", "MP2", "--as", "ana")

    doc = json.loads(ok(db, "identify", "--as", "ana", "--json"))
    (mine,) = [c for c in doc["candidates"] if (c["pm"], c["missing"]) == ("V1", "MP1")]
    assert mine["direct"][0]["reference"] == "TB-1" and mine["direct"][0]["combined"]
    assert mine["combined_log10_lr"] == mine["direct_log10_lr"] > 4
    # switchable: --no-direct leaves the items out of the run
    off = json.loads(ok(db, "identify", "--as", "ana", "--no-direct", "--json"))
    assert all(not c.get("direct") for c in off["candidates"])
