"""The command contract of notification before handover (issue 15), on SQLite and PostgreSQL.

`repatria repatriate ...` exits non-zero naming the person when a family in the batch has not
been told, unless `--without-notification REASON`, which is recorded, audited and shown;
`dispose` of a body with open candidates needs `--despite-open-candidates REASON`; a donor who
declined contact is refused as the person told; `consent flagged` lists identifications resting
on a withdrawn donor.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import write_case  # noqa: E402
from test_registry_contracts import USERS, ok, refused  # noqa: E402


@pytest.fixture
def identified(registry_db: str, tmp_path: Path) -> tuple[str, dict[str, int]]:
    """The exchange case identified: M1 = V1A and M2 = V2 confirmed, no family told yet."""
    db = registry_db
    for name, role in USERS:
        ok(db, "users", "add", name, "--role", role)
    ok(db, "import", "case", str(write_case(tmp_path / "c")), "--as", "ana")
    cands = json.loads(ok(db, "identify", "--as", "ana", "--json"))["candidates"]
    ids = {c["person"]: c["id"] for c in cands if (c["body"], c["person"]) in {("V1A", "M1")}}
    ids |= {"open": next(c["id"] for c in cands if c["body"] == "BAG-7" and c["person"] == "M2")}
    why = "test data: the simulated case's evidence does not meet the policy"
    ok(db, "review", "propose", str(ids["M1"]), "--as", "ana", "--override", why)
    ok(db, "review", "confirm", str(ids["M1"]), "--as", "rev", "--reason", "LR", "--override", why)
    return db, ids


def test_repatriate_names_the_untold_person_unless_without_notification(identified) -> None:  # noqa: ANN001
    db, _ids = identified
    handover = (
        "repatriate",
        "--remains",
        "V1A",
        "--kind",
        "handover",
        "--counterpart",
        "the family",
        "--on",
        "2025-06-01",
        "--as",
        "cas",
    )
    line = refused(db, *handover, match="the family of M1 (M1) has not been told")
    assert line == (
        "error: handover refused: the family of M1 (M1) has not been told of the identification; "
        "record the notification first, or give the reason to go ahead without notification"
    )
    tell = json.loads(ok(db, "to-tell", "--as", "lia", "--json"))
    assert [t["person_ref"] for t in tell["tasks"]] == ["M1"]
    assert tell["summary"] == "1 family is still to be told."
    refused(db, *handover, "--without-notification", " ", match="say why the handover goes")

    reason = "the exchange date was set by the other party"
    out = json.loads(ok(db, *handover, "--without-notification", reason, "--json"))
    assert out["without_notification"] == ["M1"] and out["without_notification_reason"] == reason
    assert out["items"] == [["V1A", "M1", None]]
    tell = json.loads(ok(db, "to-tell", "--as", "lia", "--json"))
    assert tell["tasks"] == [] and "Every" not in tell["summary"]
    assert [(e["person_ref"], e["reason"], e["by"]) for e in tell["exceptions"]] == [
        ("M1", reason, "cas")
    ]
    text = ok(db, "to-tell", "--as", "lia")
    assert "not told\tM1\t" + reason in text and "by cas" in text
    audit = json.loads(ok(db, "audit", "log", "--as", "aud", "--json"))
    entries = audit if isinstance(audit, list) else audit.get("events", audit.get("entries", []))
    assert any(
        e["action"] == "notify.exception" and (e.get("detail") or {}).get("reason") == reason
        for e in entries
    )


def test_notify_exception_then_handover(identified) -> None:  # noqa: ANN001
    db, _ids = identified
    refused(db, "notify-exception", "M1", "--reason", "x", "--as", "ana", match="ana is an analyst")
    out = json.loads(
        ok(db, "notify-exception", "M1", "--reason", "no family found", "--as", "lia", "--json")
    )
    assert out["person_ref"] == "M1" and out["recorded_by"] == "lia"
    ok(
        db,
        "repatriate",
        "--remains",
        "V1A",
        "--kind",
        "exchange",
        "--counterpart",
        "state",
        "--on",
        "2025-06-01",
        "--as",
        "cas",
    )


def test_dispose_with_open_candidates_needs_a_reason(identified) -> None:  # noqa: ANN001
    db, ids = identified
    burial = ("dispose", "BAG-7", "--kind", "burial", "--on", "2025-06-02", "--reason", "x")
    refused(
        db, *burial, "--as", "cas", match=f"candidates for it are still open ({ids['open']}: M2)"
    )
    out = json.loads(
        ok(db, *burial, "--despite-open-candidates", "grave closes", "--as", "cas", "--json")
    )
    assert out["open_candidates_reason"] == "grave closes"


def test_declined_contact_and_flagged_from_the_command_line(identified) -> None:  # noqa: ANN001
    db, ids = identified
    ok(db, "consent", "decline-contact", "D1", "--reason", "by letter", "--as", "lia")
    refused(
        db,
        "notify",
        "M1",
        "--donor",
        "D1",
        "--method",
        "phone",
        "--on",
        "2025-05-01",
        "--as",
        "lia",
        match="donor D1 does not want to be contacted",
    )
    assert "do not contact: D1" in ok(db, "to-tell", "--as", "lia")
    assert "no identification rests" in ok(db, "consent", "flagged", "--as", "rev")
    ok(db, "consent", "withdraw", "D1", "--reason", "by letter", "--as", "lia")
    out = json.loads(ok(db, "consent", "flagged", "--as", "rev", "--json"))["flagged"]
    assert [(f["candidate_id"], f["person_ref"]) for f in out] == [(ids["M1"], "M1")]
    assert out[0]["rests_only_on_withdrawn"] is True
