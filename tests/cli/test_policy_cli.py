"""The policy and review commands' contract (issue 15), on SQLite and PostgreSQL.

`repatria policy show [--json]`; `repatria policy set [--min-lr X] [--min-posterior P]
[--min-references N] --as ADMIN`; `repatria review propose ID --as USER [--override REASON]`
exits non-zero with one line naming the rule; `repatria review confirm ID --as USER --reason
TEXT` (reason required); `repatria review propose-batch --as USER [--limit N] [--json]`;
`repatria review revoke` takes two people.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_registry_contracts import USERS, ok, refused, run

from repatria.policy import IdentificationPolicy


@pytest.fixture
def cases_db(registry_db: str, reference_cases: Path) -> tuple[str, list[dict[str, object]]]:
    for name, role in USERS:
        ok(registry_db, "users", "add", name, "--role", role)
    ok(registry_db, "import", "case", str(reference_cases / "example2"), "--as", "ana")
    cands = json.loads(ok(registry_db, "identify", "--as", "ana", "--json"))["candidates"]
    return registry_db, cands


def test_policy_show_and_set(cases_db: tuple[str, list[dict[str, object]]]) -> None:
    db, _ = cases_db
    shown = json.loads(ok(db, "policy", "show", "--json"))
    assert shown == IdentificationPolicy().to_json()
    text = ok(db, "policy", "show")
    assert text.startswith("identification policy v1") and "min_lr = 10000.0" in text
    refused(db, "policy", "set", "--min-lr", "1e6", "--as", "rev", match="rev is a reviewer")
    refused(
        db,
        "policy",
        "set",
        "--min-posterior",
        "1.5",
        "--as",
        "ada",
        match="policy field `min_posterior`: 1.5 is not a probability",
    )
    out = json.loads(
        ok(
            db,
            "policy",
            "set",
            "--min-lr",
            "1e6",
            "--min-posterior",
            "0.9999",
            "--min-references",
            "1",
            "--as",
            "ada",
            "--json",
        )
    )
    assert set(out) == {"policy", "set_by", "changed_open", "identifications_now_failing", "lines"}
    p = out["policy"]
    assert (p["version"], p["min_lr"], p["min_posterior"], p["min_close_references"]) == (
        2,
        1e6,
        0.9999,
        1,
    )
    assert json.loads(ok(db, "policy", "show", "--json"))["version"] == 2
    said = ok(db, "policy", "set", "--min-lr", "1e4", "--as", "ada")
    assert said.startswith("identification policy v3 set by ada\npolicy v2 -> v3: ")


def test_propose_refusal_override_and_confirm_reason(
    cases_db: tuple[str, list[dict[str, object]]],
) -> None:
    db, cands = cases_db
    cid = str(cands[0]["id"])
    code, out, err = run(db, "review", "propose", cid, "--as", "ana")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: candidate fails identification policy v1: ")
    rule = lines[0].split("v1: ", 1)[1].split(" ", 1)[0]
    assert rule in {"lr", "posterior", "references", "exclusions", "lr0", "conclusion"}
    assert "--" not in lines[0]
    refused(db, "review", "propose", cid, "--as", "rev", "--override", "x", match="rev is a")
    done = json.loads(
        ok(db, "review", "propose", cid, "--as", "ana", "--override", "dental agrees", "--json")
    )
    assert done["kind"] == "propose" and done["override_reason"] == "dental agrees"
    assert done["policy_version"] == 1
    refused(db, "review", "confirm", cid, "--as", "rev", match="give the reason")
    refused(
        db,
        "review",
        "confirm",
        cid,
        "--as",
        "rev",
        "--reason",
        "LR",
        match=f"candidate fails identification policy v1: {rule}",
    )
    out = json.loads(
        ok(
            db,
            "review",
            "confirm",
            cid,
            "--as",
            "rev",
            "--reason",
            "LR and dental",
            "--override",
            "dental agrees",
            "--json",
        )
    )
    assert out["kind"] == "confirm" and out["person_status"] == "identified"
    shown = ok(db, "review", "show", cid)
    assert "overriding it: dental agrees" in shown and "identification policy v1" in shown
    state = json.loads(ok(db, "review", "show", cid, "--json"))
    assert state["verdict"]["policy_version"] == 1 and state["verdict_lines"]

    # revoking takes two people
    asked = ok(db, "review", "revoke", cid, "--as", "cas", "--reason", "tube swap")
    assert "identification stands" in asked
    refused(db, "review", "revoke", cid, "--as", "cas", "--reason", "again", match="two-person")
    assert "revoked by rita" in ok(db, "review", "revoke", cid, "--as", "rita", "--reason", "yes")


def test_batch_proposal(cases_db: tuple[str, list[dict[str, object]]]) -> None:
    db, cands = cases_db
    out = json.loads(ok(db, "review", "propose-batch", "--as", "ana", "--json"))
    assert set(out) == {"proposed", "skipped", "message"}
    assert out["proposed"] == [] and len(out["skipped"]) == len(cands)
    assert all(set(k) >= {"candidate", "rule", "why"} for k in out["skipped"])
    # a lenient policy: every candidate meets it
    ok(db, "policy", "set", "--min-lr", "1", "--min-posterior", "0", "--min-references", "0",
       "--as", "ada")  # fmt: skip
    out = json.loads(ok(db, "review", "propose-batch", "--as", "ana", "--limit", "1", "--json"))
    assert len(out["proposed"]) <= 1
    text = ok(db, "review", "propose-batch", "--as", "ana")
    assert "proposed by ana" in text
    refused(db, "review", "propose-batch", "--as", "rev", match="rev is a reviewer")
