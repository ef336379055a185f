"""A 40-bag exchange end to end through the commands, on SQLite and PostgreSQL (issue 14).

The generator (``tests/services/exchange40.py``) keeps the truth: who is in which bag, which
bags are fragments of one body, the bag holding two people, the family whose mother's
reference comes months later, the family whose father was named wrong, weak families and
decoys. From import to fragment proposals confirmed by a second person, identification,
review, a handover (each body in one coffin, whatever bags it came in) and burials in numbered
graves; every count of ``repatria account --json`` is checked against a count by hand from the
truth and the steps taken.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange40 import Truth, write_exchange  # noqa: E402
from test_registry_contracts import USERS, ok, refused, run  # noqa: E402

#: What the analyst proposes: a candidate this strong, and this clear of its alternatives.
MIN_LR, MIN_POSTERIOR = 1e6, 0.999


@pytest.fixture
def cli_db(registry_db: str) -> str:
    for name, role in USERS:
        ok(registry_db, "users", "add", name, "--role", role)
    return registry_db


def _identify(db: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(ok(db, "identify", "--as", "ana", "--json"))
    return out


def _strong(run_out: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c
        for c in run_out["candidates"]
        if c["status"] in ("open", "proposed")
        and float(c["lr"]) >= MIN_LR
        and float(c["posterior"]) >= MIN_POSTERIOR
    ]


def _propose_and_confirm(db: str, cand: dict[str, Any]) -> None:
    """Propose (with --override only if the identification policy refuses) and confirm."""
    cid = str(cand["id"])
    why = f"LR {float(cand['lr']):.3g}, posterior {float(cand['posterior']):.4f}"
    over = f"{why}; the generator's truth is known (simulated exchange)"
    code, _out, err = run(db, "review", "propose", cid, "--as", "ana", "--reason", why)
    if code != 0:
        assert "polic" in err.lower(), err
        ok(db, "review", "propose", cid, "--as", "ana", "--reason", why, "--override", over)
    said = ("review", "confirm", cid, "--as", "rev", "--reason", f"reviewed: {why}")
    code, _out, err = run(db, *said)
    if code != 0:
        assert "polic" in err.lower(), err
        ok(db, *said, "--override", over)


def _check_against_truth(truth: Truth, cands: list[dict[str, Any]], people: set[str]) -> None:
    """The strong candidates are exactly these people, each with all of his own samples."""
    assert {c["person"] for c in cands} == people
    for c in cands:
        mine = sorted(s for s, p in truth.sample_person.items() if p == c["person"])
        assert sorted(c["samples"]) == mine, c


def test_a_40_bag_exchange_from_import_to_coffins_and_graves(cli_db: str, tmp_path: Path) -> None:
    db = cli_db
    case = tmp_path / "exchange"
    truth = write_exchange(case)
    assert (len(truth.bags), len(truth.sample_person), truth.n_bodies) == (40, 41, 38)
    first = json.loads(ok(db, "import", "case", str(case), "--as", "ana", "--json"))
    assert first["counts"]["pm_samples"] == 41

    # fragments: the exact search links each pair of bags of one body; a second person confirms
    refused(db, "bodies", "search", "--as", "rev", match="rev is a reviewer")
    found = json.loads(ok(db, "bodies", "search", "--as", "ana", "--json"))
    assert sorted(sorted((x["a"], x["b"])) for x in found["links"]) == sorted(truth.fragments)
    assert len(found["proposals"]) == len(truth.fragments)
    for aid in found["proposals"]:
        refused(db, "bodies", "confirm", str(aid), "--as", "ana", match="ana is an analyst")
        done = json.loads(
            ok(db, "bodies", "confirm", str(aid), "--as", "rita", "--reason", "LR", "--json")
        )
        assert done["status"] == "confirmed" and sorted(done["samples"]) in truth.fragments
        evidence = done["evidence"]
        assert evidence["fragment_search"]["links"][0]["log10_lr"] >= 6
        assert all(v >= 6 for v in evidence["fragment_log10_lr"]["samples"].values())
    again = json.loads(ok(db, "bodies", "search", "--as", "ana", "--json"))
    assert again["links"] == [] and again["proposals"] == []

    # the bag holding two people: the unknown man is another body
    split = json.loads(
        ok(
            db,
            "bodies",
            "split",
            truth.shared_other,
            "--as",
            "ana",
            "--reason",
            "two skulls in one bag",
            "--anthropology",
            "two left femurs",
            "--json",
        )
    )
    ok(db, "bodies", "confirm", str(split["id"]), "--as", "rita", "--reason", "agreed")
    shared = json.loads(ok(db, "bodies", "show", f"{truth.shared_bag}-2", "--json"))
    assert shared["samples"] == [truth.shared_other] and shared["items"] == [truth.shared_bag]

    # identify: every strong candidate is a true one, each body one unit with all its samples
    run1 = _identify(db)
    strong1 = _strong(run1)
    _check_against_truth(truth, strong1, truth.identifiable_first)
    for cand in strong1:
        _propose_and_confirm(db, cand)

    # months later: the mother's reference arrives and a father is corrected (new versions)
    write_exchange(case, later=True)
    dry = json.loads(ok(db, "import", "case", str(case), "--as", "ana", "--dry-run", "--json"))
    assert dry["dry_run"] is True and len(dry["families_new_version"]) == 2
    assert any("reference profile of W28 added" in c for c in dry["changes"]), dry["changes"]
    assert any("father of P29 corrected: D29 (was V29)" in c for c in dry["changes"])
    again_import = json.loads(ok(db, "import", "case", str(case), "--as", "ana", "--json"))
    assert len(again_import["families_new_version"]) == 2
    run2 = _identify(db)
    strong2 = _strong(run2)
    _check_against_truth(truth, strong2, truth.identifiable_later)
    moved = {(c["body"], c["person"]): c for c in run2["changes"]}
    for cand in strong2:  # each moved LR comes with its reasons: a new family version
        change = moved[(cand["body"], cand["person"])]
        assert change["after"]["lr"] == pytest.approx(float(cand["lr"]))
        assert any("is at version 2" in why for why in change["why"]), change
    for cand in strong2:
        _propose_and_confirm(db, cand)
    run3 = _identify(db)
    assert not _strong(run3)

    # bodies of the identified, by person; the bags of the unknown
    identified = truth.identifiable_first | truth.identifiable_later
    body_of = {c["person"]: c["body"] for c in strong1 + strong2}
    buried_people = sorted(identified)[:4]
    returned_people = sorted(identified - set(buried_people))
    decoy_bodies = [b for b, ss in truth.bags.items() if ss in (["X01"], ["X02"])]
    assert len(decoy_bodies) == 2

    # every family is told before anyone goes home or is buried (the liaison officer, in person)
    for person in sorted(identified):
        ok(
            db, "notify", person, "--recipient", f"the family of {person}", "--method",
            "in_person", "--on", "2025-05-30", "--as", "lia",
        )  # fmt: skip

    # the handover: one coffin for each body, whatever bags it came in
    args: list[str] = []
    for k, person in enumerate(returned_people, start=1):
        args += ["--remains", body_of[person], "--coffin", f"coffin {k}"]
    rep = json.loads(
        ok(
            db,
            "repatriate",
            *args,
            "--kind",
            "handover",
            "--counterpart",
            "the families",
            "--on",
            "2025-06-01",
            "--as",
            "cas",
            "--json",
        )
    )
    assert sorted(i[1] for i in rep["items"]) == returned_people
    fragment_people = {truth.sample_person[f[0]] for f in truth.fragments}
    for person in fragment_people & set(returned_people):
        bags = [b for b, ss in truth.bags.items() if truth.sample_person[ss[0]] == person]
        assert len(bags) == 2
        for bag in bags:
            hist = json.loads(ok(db, "custody-history", bag, "--as", "cas", "--json"))
            events = [h["event"] for h in (hist if isinstance(hist, list) else hist["events"])]
            assert events[0] == "received" and events[-1] == "released", (bag, events)
    weak_body = next(
        b for b, ss in truth.bags.items() if truth.sample_person[ss[0]] in truth.not_identifiable
    )
    refused(
        db,
        "repatriate",
        "--remains",
        weak_body,
        "--kind",
        "handover",
        "--counterpart",
        "x",
        "--on",
        "2025-06-03",
        "--as",
        "cas",
        match="not identified",
    )

    # burials in numbered graves: four identified, two unknown
    for k, ref in enumerate([body_of[p] for p in buried_people] + decoy_bodies, start=1):
        out = json.loads(
            ok(
                db,
                "dispose",
                ref,
                "--kind",
                "burial",
                "--on",
                "2025-06-02",
                "--reason",
                "buried where he fell, at the family's wish" if k <= 4 else "unknown, buried",
                "--cemetery",
                "War cemetery",
                "--plot",
                "C",
                "--grave",
                str(100 + k),
                "--as",
                "cas",
                "--json",
            )
        )
        assert out["grave"] == f"War cemetery, plot C, grave {100 + k}"

    # by hand: bodies are people, never bags or samples
    recovered = len(set(truth.sample_person.values()))  # each person, decoys included
    assert recovered == truth.n_bodies == 38
    returned, buried = len(returned_people), len(buried_people) + len(decoy_bodies)
    acc = json.loads(ok(db, "account", "--json"))
    assert acc["individuals"] == {
        "recovered": recovered,
        "identified": len(identified),
        "returned": returned,
        "buried": buried,
        "held": recovered - returned - buried,
    }
    assert acc["individuals"] == {
        "recovered": 38,
        "identified": 29,
        "returned": 25,
        "buried": 6,
        "held": 7,
    }
    assert json.loads(ok(db, "audit", "verify", "--json", "--as", "aud"))["ok"] is True
