"""A small exchange end to end through the commands, on SQLite and PostgreSQL (issue 14).

Fragments of one body, a bag holding two people, a mother's reference added later and a
corrected father: from import to a handover in one coffin and a burial in a numbered grave,
every accounting count matching a count by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from repatria.registry.db import get_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import write_case  # noqa: E402
from test_registry_contracts import USERS, ok, refused  # noqa: E402


@pytest.fixture
def cli_db(registry_db: str) -> str:
    for name, role in USERS:
        ok(registry_db, "users", "add", name, "--role", role)
    return registry_db


def _cands(db: str) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    out = json.loads(ok(db, "identify", "--as", "ana", "--json"))
    return {(c["body"], c["person"]): c for c in out["candidates"]} | {("_", "_"): out}


def test_an_exchange_from_import_to_coffin_and_grave(cli_db: str, tmp_path: Path) -> None:
    db = cli_db
    case = write_case(tmp_path / "exchange", wrong_father=True)
    first = json.loads(ok(db, "import", "case", str(case), "--as", "ana", "--json"))
    assert first["families_new_version"] == [] and first["counts"]["pm_samples"] == 4

    # fragments V1A and V1B are one body: proposed with evidence, confirmed by another person
    out = json.loads(
        ok(db, "bodies", "propose", "V1A", "V1B", "--as", "ana", "--reason", "LR", "--json")
    )
    assert set(out) == {"id"} and isinstance(out["id"], int)
    refused(db, "bodies", "confirm", str(out["id"]), "--as", "ana", match="ana is an analyst")
    assert "they are body V1A" in ok(db, "bodies", "confirm", str(out["id"]), "--as", "rev")
    # the bag BAG-7 holds two people: V3 is another body
    split = json.loads(
        ok(db, "bodies", "split", "V3", "--as", "ana", "--reason", "two skulls", "--json")
    )
    ok(db, "bodies", "confirm", str(split["id"]), "--as", "rita")
    shown = json.loads(ok(db, "bodies", "show", "BAG-7-2", "--json"))
    assert shown["samples"] == ["V3"] and shown["items"] == ["BAG-7"]

    run1 = _cands(db)
    assert run1[("V1A", "M1")]["samples"] == ["V1A", "V1B"]
    assert ("V1B", "M1") not in run1

    # the mother's reference arrives and the father of M2 is corrected: new family versions
    write_case(case, with_mother=True, wrong_father=False)
    dry = json.loads(ok(db, "import", "case", str(case), "--as", "ana", "--dry-run", "--json"))
    assert dry["dry_run"] is True and len(dry["families_new_version"]) == 2
    assert any("father of M2 corrected: D2 (was W2)" in c for c in dry["changes"])
    with get_engine(db).begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM reference_families")).scalar_one() == 2
    again = json.loads(ok(db, "import", "case", str(case), "--as", "ana", "--json"))
    assert len(again["families_new_version"]) == 2 and again["counts"]["pm_unchanged"] == 4
    with get_engine(db).begin() as conn:
        rows = conn.execute(
            text("SELECT ref, version, change_reason FROM reference_families ORDER BY id")
        ).all()
    assert [(r[0], r[1]) for r in rows] == [("F1", 1), ("F2", 1), ("F1", 2), ("F2", 2)]
    assert "reference profile of D1M added" in rows[2][2]

    run2 = _cands(db)
    m1, m2 = run2[("V1A", "M1")], run2[("BAG-7", "M2")]
    assert m1["id"] == run1[("V1A", "M1")]["id"]  # the same candidate, body x person
    assert m1["lr"] > run1[("V1A", "M1")]["lr"]  # the mother's profile adds weight
    changes = {(c["body"], c["person"]): c for c in run2[("_", "_")]["changes"]}
    assert any("family F1 is at version 2" in w for w in changes[("V1A", "M1")]["why"])
    assert changes[("V1A", "M1")]["before"]["lr"] == pytest.approx(run1[("V1A", "M1")]["lr"])

    for cand in (m1, m2):
        why = "one close relative each; LR and effects agree"
        ok(db, "review", "propose", str(cand["id"]), "--as", "ana", "--override", why)
        ok(
            db,
            "review",
            "confirm",
            str(cand["id"]),
            "--as",
            "rev",
            "--reason",
            "LR",
            "--override",
            why,
        )
    run3 = json.loads(ok(db, "identify", "--as", "ana", "--json"))
    assert run3["candidates"] == [] or all(
        c["person"] not in ("M1", "M2") for c in run3["candidates"]
    )

    # M1 goes home in one coffin: both his recovered items go with him, once his family is told
    handover = ("repatriate", "--remains", "V1A", "--kind", "handover", "--counterpart", "f")
    refused(
        db,
        *handover,
        "--on",
        "2025-06-01",
        "--as",
        "cas",
        match="handover refused: the family of M1 (M1) has not been told",
    )
    for person in ("M1", "M2"):
        told = ("notify", person, "--recipient", "the father", "--method", "in_person")
        ok(db, *told, "--on", "2025-05-30", "--as", "lia")
    rep = json.loads(
        ok(
            db,
            "repatriate",
            "--remains",
            "V1A",
            "--kind",
            "handover",
            "--counterpart",
            "family of M1",
            "--on",
            "2025-06-01",
            "--coffin",
            "coffin 1",
            "--as",
            "cas",
            "--json",
        )
    )
    assert rep["items"] == [["V1A", "M1", "coffin 1"]]
    for item in ("V1A", "V1B"):
        hist = json.loads(ok(db, "custody-history", item, "--as", "cas", "--json"))
        events = [h["event"] for h in (hist if isinstance(hist, list) else hist["events"])]
        assert events[0] == "received" and events[-1] == "released"
    # M2 is buried in a numbered grave; the bag still holds the other, unidentified, body
    grave = json.loads(
        ok(
            db,
            "dispose",
            "BAG-7",
            "--kind",
            "burial",
            "--on",
            "2025-06-02",
            "--reason",
            "the family asked for burial here",
            "--cemetery",
            "Municipal cemetery",
            "--plot",
            "B",
            "--grave",
            "17",
            "--as",
            "cas",
            "--json",
        )
    )
    assert grave["grave"] == "Municipal cemetery, plot B, grave 17"
    refused(
        db,
        "repatriate",
        "--remains",
        "BAG-7-2",
        "--kind",
        "handover",
        "--counterpart",
        "x",
        "--on",
        "2025-06-03",
        "--as",
        "cas",
        match="body BAG-7-2 is sampled and not identified",
    )

    today = dt.date.today().isoformat()
    claims = tmp_path / "claims.tsv"
    claims.write_text(
        "claim_id\treported_on\treported_by\tattributed_to\tsubject\tmeasure\tlow\thigh\tas_of"
        "\tbasis\tverification\n"
        f"k1\t{today}\tGazette\tMinistry\tsoldiers\tkilled\t30\t\t{today}\tbriefing\t\n"
        f"k2\t{today}\tGazette\tOther side\tcoffins shown\trepatriated\t6\t6\t{today}\tvideo\t\n"
        f"k3\t{today}\tGazette\tAgency\tbodies\treturned\t1\t1\t{today}\trecords\t\n"
        f"k4\t{today}\tGazette\tAgency\tbodies\treturned\t1\t1\t2025-06\trecords\t\n",
        encoding="utf-8",
    )
    ok(db, "import", "claims", str(claims), "--as", "cas")
    acc = json.loads(ok(db, "account", "--json"))
    # by hand: 3 bodies (V1A+V1B, BAG-7 (V2), BAG-7-2 (V3)); 4 bags and 4 samples
    assert acc["individuals"] == {
        "recovered": 3,
        "identified": 2,
        "returned": 1,
        "buried": 1,
        "held": 1,
    }
    by = {c["claim_id"]: c for c in acc["claims"]}
    assert by["k1"]["comparable"] is False and "not 'killed'" in by["k1"]["difference"]
    assert by["k2"]["comparable"] is False and "coffins shown" in by["k2"]["difference"]
    assert by["k3"]["comparable"] is True and by["k3"]["registry_value"] == 1
    assert "within the claimed 1" in by["k3"]["difference"]
    assert by["k4"]["comparable"] is False and "not a day" in by["k4"]["difference"]
    out = json.loads(ok(db, "audit", "verify", "--json", "--as", "aud"))
    assert out["ok"] is True


def test_bodies_commands_refuse_in_one_sentence(cli_db: str, tmp_path: Path) -> None:
    db = cli_db
    ok(db, "import", "case", str(write_case(tmp_path / "c")), "--as", "ana")
    refused(db, "bodies", "propose", "V1A", "--as", "ana", "--reason", "r", match="at least two")
    refused(
        db,
        "bodies",
        "propose",
        "V1A",
        "D1",
        "--as",
        "ana",
        "--reason",
        "r",
        match="sample D1 is a reference sample",
    )
    refused(
        db,
        "bodies",
        "propose",
        "V1A",
        "V1B",
        "--as",
        "rev",
        "--reason",
        "r",
        match="rev is a reviewer",
    )
    refused(db, "bodies", "confirm", "42", "--as", "rev", match="there is no re-association 42")
    refused(
        db,
        "bodies",
        "split",
        "V2",
        "V3",
        "--as",
        "ana",
        "--reason",
        "r",
        match="are all of body BAG-7",
    )
    refused(db, "bodies", "show", "NOPE", match="there is no body 'NOPE'")
    a = json.loads(
        ok(db, "bodies", "propose", "V1A", "V1B", "--as", "ana", "--reason", "r", "--json")
    )
    refused(
        db,
        "bodies",
        "reject",
        str(a["id"]),
        "--as",
        "rev",
        "--reason",
        " ",
        match="give the reason",
    )
    assert "rejected" in ok(db, "bodies", "reject", str(a["id"]), "--as", "rev", "--reason", "no")
    refused(db, "bodies", "confirm", str(a["id"]), "--as", "rita", match="already rejected")
    refused(
        db,
        "dispose",
        "V1A",
        "--kind",
        "burial",
        "--on",
        "2025-01-01",
        "--reason",
        "r",
        "--cemetery",
        "C",
        "--as",
        "cas",
        match="needs both its cemetery",
    )
    bad = tmp_path / "c"
    (bad / "items.tsv").write_text("sample\titem\nV9\tBAG\n")
    refused(db, "import", "case", str(bad), "--as", "ana", match="items.tsv")


def test_families_correct_makes_a_new_version(cli_db: str, tmp_path: Path) -> None:
    db = cli_db
    ok(db, "import", "case", str(write_case(tmp_path / "c")), "--as", "ana")
    refused(
        db,
        "families",
        "correct",
        "F2",
        "M2",
        "--father",
        "D2M",
        "--as",
        "cas",
        "--reason",
        "r",
        match="not a valid pedigree",
    )
    out = json.loads(
        ok(
            db,
            "families",
            "correct",
            "F2",
            "M2",
            "--father",
            "-",
            "--mother",
            "-",
            "--as",
            "cas",
            "--reason",
            "D2 is his uncle",
            "--json",
        )
    )
    assert set(out) == {"id", "ref", "version", "changes"} and out["version"] == 2
