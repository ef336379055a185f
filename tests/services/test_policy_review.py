"""The identification policy in review, on SQLite and PostgreSQL: every rule and refusal.

Propose and confirm refuse a candidate that fails the current policy, in one line naming the
rule, unless an allowed role overrides it with a reason (never a hard rule); confirm needs a
reason and re-evaluates; a new policy version lists what it changes; batch proposal; dead ends
closed as superseded; revoking takes two people, held by the service and by the database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_samples import write_persons, write_remains
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from repatria.errors import PermissionDeniedError, ServiceError
from repatria.policy import PolicyError
from repatria.registry.chain import append
from repatria.registry.db import session_scope
from repatria.registry.models import Decision, PolicyVersion, RevocationRequest, User
from repatria.registry.review_state import open_candidates
from repatria.services import views
from repatria.services.access.audit import verify_chains
from repatria.services.workflows import policy, review
from repatria.services.workflows.imports import import_persons, import_remains
from repatria.services.workflows.runs import CandidateInput, record_candidates

WHY = "dental record and effects agree; more relatives are being sought"


def _refs(*relations: str, withdrawn: bool = False) -> list[dict[str, object]]:
    return [
        {"donor": f"D-{i}", "relation": r, "consent_withdrawn": withdrawn}
        for i, r in enumerate(relations, start=1)
    ]


STRONG = {"log10_lr": 6.0, "posterior": 0.99999, "references": ("mother", "brother")}
HALF_BROTHER = {"log10_lr": 1.82, "posterior": 0.984, "references": ("half-brother",)}


def _case(db: str, tmp_path: Path, *specs: dict[str, object], pairs=None) -> list[int]:  # noqa: ANN001
    """Persons and remains P-i / R-i, and one candidate per spec (P-i = R-i unless ``pairs``)."""
    n = max(len(specs), 2)
    import_persons(db, write_persons(tmp_path / "persons.tsv", n), actor="cas")
    import_remains(db, write_remains(tmp_path / "remains.tsv", n), actor="cas")
    pairs = pairs or [(i, i) for i in range(1, len(specs) + 1)]
    return record_candidates(
        db,
        None,
        [
            CandidateInput(
                f"P-{p:04d}",
                f"R-{r:04d}",
                log10_lr=float(spec["log10_lr"]),  # type: ignore[arg-type]
                posterior=float(spec["posterior"]),  # type: ignore[arg-type]
                evidence={
                    "references": _refs(
                        *spec["references"],  # type: ignore[misc]
                        withdrawn=bool(spec.get("withdrawn")),
                    )
                },
            )
            for spec, (p, r) in zip(specs, pairs, strict=True)
        ],
        actor="ana",
    )


# ----------------------------------------------------------------------------- the policy


def test_policy_defaults_versions_and_who_sets_them(db: str) -> None:
    p = policy.show(db)
    assert (p.version, p.min_lr, p.min_posterior, p.min_close_references) == (1, 1e4, 0.999, 2)
    with pytest.raises(PermissionDeniedError, match="rev is a reviewer and may not set"):
        policy.set_policy(db, actor="rev", min_lr=1e6)
    done = policy.set_policy(db, actor="ada", min_lr=1e6, note="stricter after the audit")
    assert done.policy.version == 2 and policy.show(db).min_lr == 1e6
    assert policy.show(db).note == "stricter after the audit"
    with pytest.raises(PolicyError, match="policy field `min_posterior`: 1.5 is not a probab"):
        policy.set_policy(db, actor="ada", min_posterior=1.5)
    done = policy.set_policy(db, actor="ada", min_posterior=0.99, min_references=1)
    assert (done.policy.version, done.policy.min_lr, done.policy.min_close_references) == (
        3,
        1e6,
        1,
    )
    with session_scope(db) as s:  # append-only: every version kept
        assert list(
            s.execute(select(PolicyVersion.version).order_by(PolicyVersion.id)).scalars()
        ) == [
            2,
            3,
        ]


def test_policy_versions_are_append_only_in_the_database(db: str) -> None:
    policy.set_policy(db, actor="ada", min_lr=1e5)
    for sql in ("UPDATE policy_versions SET version = 9", "DELETE FROM policy_versions"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(db) as s:
            s.connection().exec_driver_sql(sql)
    assert policy.show(db).version == 2


# ----------------------------------------------------------------------------- propose, confirm


def test_propose_refuses_a_failing_candidate_in_one_line_naming_the_rule(
    db: str, tmp_path: Path
) -> None:
    (cid,) = _case(db, tmp_path, HALF_BROTHER)
    with pytest.raises(ServiceError) as e:
        review.propose(db, cid, actor="ana")
    text = str(e.value)
    assert "\n" not in text and "--" not in text
    assert text.startswith("candidate fails identification policy v1: lr (LR 66 is below")
    assert "also fails posterior, references" in text and "an analyst must give the reason" in text
    assert review.candidate_state(db, cid).status == "open"  # nothing recorded


def test_an_override_with_a_reason_is_kept_and_shown_to_the_reviewer(
    db: str, tmp_path: Path
) -> None:
    (cid,) = _case(db, tmp_path, HALF_BROTHER)
    r = review.propose(db, cid, actor="ana", override=WHY)
    assert (
        r.override_reason == WHY and r.policy_version == 1 and "overriding policy v1" in r.message
    )
    with pytest.raises(ServiceError, match="to confirm a candidate, give the reason"):
        review.confirm(db, cid, actor="rev")
    with pytest.raises(ServiceError, match="^candidate fails identification policy v1: lr"):
        review.confirm(db, cid, actor="rev", reason="looks right")
    done = review.confirm(db, cid, actor="rev", reason="looks right", override=WHY)
    assert done.person_status == "identified" and done.override_reason == WHY
    state = review.candidate_state(db, cid)
    stored = [state.policy[d] for d, _k, _u, _r in state.decisions]
    assert [s["override_reason"] for s in stored] == [WHY, WHY]
    assert {r["rule"] for r in stored[0]["verdict"]["rules"] if r["status"] == "failed"} == {
        "lr",
        "posterior",
        "references",
    }
    m = views.match_detail(db, cid, actor="rev")
    assert m.verdict is not None and not m.verdict["meets"]
    assert any(line.startswith("references: failed") for line in m.verdict_lines)
    assert [d["override_reason"] for d in m.decisions] == [WHY, WHY]
    assert verify_chains(db).ok


def test_only_the_roles_the_policy_names_may_override(db: str, tmp_path: Path) -> None:
    (cid,) = _case(db, tmp_path, HALF_BROTHER)
    review.propose(db, cid, actor="ana", override=WHY)
    # the confirming role is a reviewer by default; the admin makes it a case manager's only
    with session_scope(db) as s:
        current = policy.current_policy(s)
    from repatria.policy import revise

    stricter = revise(current, override_roles={"propose": ["analyst"], "confirm": []})
    with session_scope(db) as s:
        ada = s.execute(select(User).where(User.name == "ada")).scalar_one()
        s.add(PolicyVersion(version=2, document=stricter.to_json(), set_by_id=ada.id))
    with pytest.raises(ServiceError, match="rev is a reviewer and may not override"):
        review.confirm(db, cid, actor="rev", reason="r", override=WHY)


def test_no_one_overrides_a_hard_rule(db: str, tmp_path: Path) -> None:
    spec = {**STRONG, "withdrawn": True}
    (cid,) = _case(db, tmp_path, spec)
    with pytest.raises(
        ServiceError,
        match="also fails consent; no one may override consent, so the proposal is refused",
    ):
        review.propose(db, cid, actor="ana", override=WHY)
    assert review.candidate_state(db, cid).status == "open"


def test_a_candidate_meeting_the_policy_needs_no_override(db: str, tmp_path: Path) -> None:
    (cid,) = _case(db, tmp_path, STRONG)
    assert review.propose(db, cid, actor="ana").override_reason is None
    done = review.confirm(db, cid, actor="rev", reason="two close relatives, LR 10^6")
    assert done.person_status == "identified" and done.override_reason is None


def test_confirm_evaluates_under_the_policy_of_the_day(db: str, tmp_path: Path) -> None:
    (cid,) = _case(db, tmp_path, STRONG)
    review.propose(db, cid, actor="ana")
    policy.set_policy(db, actor="ada", min_lr=1e7)
    with pytest.raises(ServiceError, match="^candidate fails identification policy v2: lr"):
        review.confirm(db, cid, actor="rev", reason="r")
    done = review.confirm(db, cid, actor="rev", reason="r", override=WHY)
    assert done.policy_version == 2


def test_a_new_policy_lists_open_candidates_changed_and_identifications_to_rereview(
    db: str, tmp_path: Path
) -> None:
    a, b = _case(db, tmp_path, STRONG, {**STRONG, "log10_lr": 6.5})
    review.propose(db, a, actor="ana")
    review.confirm(db, a, actor="rev", reason="r")
    done = policy.set_policy(db, actor="ada", min_lr=1e7)
    r = done.reevaluation
    assert [c.candidate_id for c in r.identifications_now_failing] == [a]
    assert [c.candidate_id for c in r.changed_open] == [b]
    assert r.changed_open[0].newly_failed == ("lr",)
    lines = done.lines()
    assert lines[1].startswith("policy v1 -> v2: 1 open candidate(s) changed, 1 identification")
    # an override already made is not listed again
    again = policy.set_policy(db, actor="ada", min_posterior=0.9999)
    assert again.reevaluation.identifications_now_failing == ()


# ----------------------------------------------------------------------------- batch


def test_batch_proposes_what_meets_the_policy_and_skips_the_rest_with_the_rule(
    db: str, tmp_path: Path
) -> None:
    ids = _case(db, tmp_path, STRONG, HALF_BROTHER, {**STRONG, "log10_lr": 7.0})
    first = review.propose_batch(db, actor="ana", limit=1)
    assert [p["candidate"] for p in first.proposed] == [ids[0]]
    out = review.propose_batch(db, actor="ana")
    assert [p["candidate"] for p in out.proposed] == [ids[2]]
    assert out.proposed[0]["person"] == "P-0003" and out.proposed[0]["body"] == "R-0003"
    assert [(k["candidate"], k["rule"]) for k in out.skipped] == [(ids[1], "lr")]
    assert "propose it on its own" in out.skipped[0]["why"]
    statuses = [review.candidate_state(db, c).status for c in ids]
    assert statuses == ["proposed", "open", "proposed"]
    with pytest.raises(PermissionDeniedError):
        review.propose_batch(db, actor="rev")


# ----------------------------------------------------------------------------- dead ends


def test_a_candidate_that_can_no_longer_be_confirmed_is_closed_and_says_what_to_do(
    db: str, tmp_path: Path
) -> None:
    # P-1 = R-1 and P-1 = R-2; P-2 = R-1: confirming the first closes the two others
    a, b, c = _case(db, tmp_path, STRONG, STRONG, STRONG, pairs=[(1, 1), (1, 2), (2, 1)])
    review.propose(db, b, actor="ana")
    review.propose(db, a, actor="ana")
    review.confirm(db, a, actor="rev", reason="r")
    assert [review.candidate_state(db, x).status for x in (b, c)] == ["superseded"] * 2
    with session_scope(db) as s:
        to_propose, to_review = open_candidates(s)
    assert to_propose == [] and to_review == []
    with pytest.raises(ServiceError) as e:
        review.confirm(db, b, actor="rita", reason="r")
    assert "superseded" in str(e.value) and "--" not in str(e.value)


def test_a_candidate_met_in_a_dead_end_is_closed_as_superseded(db: str, tmp_path: Path) -> None:
    (a,) = _case(db, tmp_path, STRONG)
    review.propose(db, a, actor="ana")
    review.confirm(db, a, actor="rev", reason="r")
    # a candidate recorded later for the identified person (by hand) is closed when met
    (late,) = record_candidates(
        db,
        None,
        [CandidateInput("P-0001", "R-0002", log10_lr=6.0, posterior=0.9999)],
        actor="ana",
    )
    with pytest.raises(ServiceError) as e:
        review.propose(db, late, actor="ana", override=WHY)
    text = str(e.value)
    assert text.startswith(f"candidate {late} can no longer be confirmed and was closed as super")
    assert "ask a reviewer or case manager to revoke it" in text and "--" not in text
    assert review.candidate_state(db, late).status == "superseded"


# ----------------------------------------------------------------------------- revocation


def test_revoking_takes_two_people(db: str, tmp_path: Path) -> None:
    (cid,) = _case(db, tmp_path, STRONG)
    review.propose(db, cid, actor="ana")
    review.confirm(db, cid, actor="rev", reason="r")
    with pytest.raises(ServiceError, match="give the reason"):
        review.revoke(db, cid, actor="cas", reason=" ")
    with pytest.raises(PermissionDeniedError):
        review.revoke(db, cid, actor="ana", reason="wrong")
    asked = review.revoke(db, cid, actor="cas", reason="the lab reports a tube swap")
    assert asked.kind == "revoke_request" and "identification stands" in asked.message
    state = review.candidate_state(db, cid)
    assert state.status == "confirmed" and state.revocation is not None
    assert state.revocation["requested_by"] == "cas"
    with pytest.raises(ServiceError, match="two-person rule: cas requested the revocation"):
        review.revoke(db, cid, actor="cas", reason="again")
    done = review.revoke(db, cid, actor="rev", reason="the swap is confirmed")
    assert done.kind == "revoke" and done.person_status == "missing"
    assert review.candidate_state(db, cid).status == "revoked"
    assert verify_chains(db).ok


def test_the_database_refuses_a_revocation_without_a_second_person(db: str, tmp_path: Path) -> None:
    (cid,) = _case(db, tmp_path, STRONG)
    review.propose(db, cid, actor="ana")
    review.confirm(db, cid, actor="rev", reason="r")
    with session_scope(db) as s:
        confirm_id = s.execute(
            select(Decision.id).where(Decision.candidate_id == cid, Decision.kind == "confirm")
        ).scalar_one()
        users = {u.name: u.id for u in s.execute(select(User)).scalars()}

    def revoke_row(actor: str) -> None:
        with session_scope(db) as s:
            append(
                s,
                Decision(
                    candidate_id=cid,
                    kind="revoke",
                    actor_id=users[actor],
                    refers_to=confirm_id,
                    reason="x",
                ),
            )

    with pytest.raises(DBAPIError, match="two-person rule: an identification is revoked"):
        revoke_row("cas")  # no request at all
    with pytest.raises(DBAPIError, match="two-person rule: a revocation is requested by"):
        with session_scope(db) as s:  # an analyst may not ask
            s.add(
                RevocationRequest(
                    candidate_id=cid,
                    confirmation_id=confirm_id,
                    requested_by_id=users["ana"],
                    reason="x",
                )
            )
    with session_scope(db) as s:
        s.add(
            RevocationRequest(
                candidate_id=cid,
                confirmation_id=confirm_id,
                requested_by_id=users["cas"],
                reason="swap",
            )
        )
    with pytest.raises(DBAPIError, match="two-person rule: an identification is revoked"):
        revoke_row("cas")  # the requester himself
    for sql in ("UPDATE revocation_requests SET reason = 'y'", "DELETE FROM revocation_requests"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(db) as s:
            s.connection().exec_driver_sql(sql)
    revoke_row("rev")  # another reviewer: allowed
    assert review.candidate_state(db, cid).status == "revoked"


def test_a_policy_version_changes_something(db: str) -> None:
    with pytest.raises(ServiceError, match="give at least one setting to change"):
        policy.set_policy(db, actor="ada", note="nothing")
    assert policy.show(db).version == 1


def test_a_state_that_forbids_identification_closes_the_candidate(db: str, tmp_path: Path) -> None:
    (cid,) = _case(db, tmp_path, STRONG)
    with session_scope(db) as s:  # e.g. repatriated under another file before this candidate
        s.connection().exec_driver_sql("UPDATE persons SET status = 'repatriated'")
    with pytest.raises(ServiceError) as e:
        review.propose(db, cid, actor="ana")
    assert "(the person is already repatriated)" in str(e.value)
    assert review.candidate_state(db, cid).status == "superseded"


def test_families_hear_relationship_findings_only_under_a_policy_that_allows_it(
    db: str,
) -> None:
    from repatria.services.workflows import disclosure

    with session_scope(db, read=True) as s:
        assert disclosure.disclosure_allowed(s) is False
    policy.set_policy(db, actor="ada", disclose_relationship_findings=True, note="families asked")
    with session_scope(db, read=True) as s:
        assert disclosure.disclosure_allowed(s) is True
