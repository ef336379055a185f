"""`repatria frequencies import|list|show`, `repatria import lab` and `identify --frequencies`
(issue 17), on SQLite and PostgreSQL: JSON keys, exit codes, refusals as one error on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from repatria.cli.main import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import ALLELES, MARKERS, people, write_case  # noqa: E402

runner = CliRunner()
LAB = Path(__file__).resolve().parents[1] / "formats" / "data" / "lab"
HEADER = "Sample Name\tMarker\tAllele 1\tAllele 2\n"


def run(db: str, *args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, [*args, "--db", db])
    return r.exit_code, r.stdout, r.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, (args, out, err)
    return out


def test_frequencies_and_lab_import_through_the_commands(registry_db: str, tmp_path: Path) -> None:
    db = registry_db
    ok(db, "users", "add", "ada", "--role", "admin")
    ok(db, "users", "add", "ana", "--role", "analyst", "--as", "ada")
    ok(db, "import", "case", str(write_case(tmp_path / "case")), "--as", "ana")

    table = tmp_path / "pop.tsv"
    rows = ["marker\tallele\tfrequency"] + [
        f"{m}\t{a}\t{(k + 1) / 36:.6f}" for m in MARKERS for k, a in enumerate(ALLELES)
    ]
    table.write_text("\n".join(rows) + "\n")
    args = ("frequencies", "import", str(table), "--name", "pop", "--source", "test", "--as", "ana")
    first = json.loads(ok(db, *args, "--json"))
    assert (first["name"], first["version"], first["unchanged"]) == ("pop", 1, False)
    assert json.loads(ok(db, *args, "--json"))["unchanged"] is True
    assert "already holds this content" in ok(db, *args)
    listed = json.loads(ok(db, "frequencies", "list", "--json"))["tables"]
    assert [(t["origin"], t["version"]) for t in listed if t["name"] == "pop"] == [("import", 1)]
    shown = json.loads(ok(db, "frequencies", "show", "pop", "--version", "1", "--json"))
    assert abs(shown["frequencies"]["L01"]["10"] - 1 / 36) < 1e-5  # rescaled from 6 digits
    code, out, err = run(db, "frequencies", "show", "nope")
    assert code == 1 and out == "" and "no frequency table 'nope'" in err

    ran = json.loads(ok(db, "identify", "--as", "ana", "--frequencies", "pop@1", "--json"))
    assert set(ran) == {"run", "candidates", "changes", "superseded", "conflicts", "rereview"}
    assert "frequency table 'pop@1'" in ok(db, "identify", "--as", "ana", "--frequencies", "pop")
    assert json.loads(ok(db, "frequencies", "list", "--json"))["tables"][-1]["runs"] == 2

    # import lab: a conflict is refused with the list, nothing imported; then a clean import.
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(HEADER + "V3\tL01\t10\t11\nV3\tL02\t12\t13\n")
    b.write_text(HEADER + "V3\tL01\t10\t12\nV3\tL02\t12\t13\n")
    code, out, err = run(db, "import", "lab", str(a), str(b), "--as", "ana", "--json")
    assert code == 1 and out == "" and "Traceback" not in err
    assert "1 marker where the kits disagree; nothing was imported" in " ".join(err.split())
    assert "V3, L01" in err
    m2 = people()["M2"]
    good = tmp_path / "good.txt"
    good.write_text(HEADER + "".join(f"V2\t{m}\t{m2[m][1]}\t{m2[m][0]}\n" for m in MARKERS))
    dry = json.loads(ok(db, "import", "lab", str(good), "--as", "ana", "--dry-run", "--json"))
    assert dry["dry_run"] is True and [s["action"] for s in dry["samples"]] == ["unchanged"]
    done = json.loads(ok(db, "import", "lab", str(good), "--as", "ana", "--kit", "K", "--json"))
    assert set(done) == {
        "files",
        "batches",
        "samples",
        "already_imported",
        "dry_run",
        "outside_tables",
        "renamed_markers",
        "message",
    }
    assert done["samples"][0]["sample"] == "V2" and done["samples"][0]["kits"] == ["K"]
    assert "already imported" in ok(db, "import", "lab", str(good), "--as", "ana", "--kit", "K")
    unknown = tmp_path / "unknown.txt"
    unknown.write_text(HEADER + "PM-404\tL01\t10\t11\n")
    code, out, err = run(db, "import", "lab", str(unknown), "--as", "ana")
    assert code == 1 and f"{unknown} line 2 field `Sample Name`: sample PM-404" in " ".join(
        err.split()
    )
