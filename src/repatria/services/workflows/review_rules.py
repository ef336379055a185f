"""Review's rules about the candidate itself: the identification policy, and dead ends.

- :func:`policy_gate`: propose and confirm refuse a candidate that fails the current policy
  unless the user's role may override it with a reason (never over a hard rule);
- :func:`close_if_dead_end`: a candidate that can no longer be confirmed (its person or body
  identified by another candidate, or already identified, repatriated or disposed of) is closed
  as superseded and leaves the queue; the refusal says what to do next, in words;
- :func:`close_others`: a confirmation closes the other candidates of its person and body.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.policy import PolicyVerdict, Step
from repatria.registry.models import (
    Body,
    CandidateClosure,
    CandidateMatch,
    Decision,
    Person,
    Remains,
    User,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import live_confirmation, open_candidates

__all__ = ["policy_gate", "policy_columns", "dead_end", "close_if_dead_end", "close_others"]


def policy_gate(verdict: PolicyVerdict, step: str, user: User, override: str | None) -> str | None:
    """Refuse a candidate that fails the policy unless ``user`` may override it with a reason.

    Returns the override reason used (``None`` when the candidate meets the policy).
    """
    if not verdict.requires_override:
        return None
    st: Step = "propose" if step == "propose" else "confirm"
    if not override or not override.strip():
        raise ServiceError(verdict.refusal(st))
    if not verdict.may_override(st, user.role):
        hard = [r.rule for r in verdict.failed if r.hard]
        if hard:
            raise ServiceError(f"{verdict.refusal(st)}; not even with a reason for overriding")
        who = " or ".join(verdict.who_may_override(st)) or "no one"
        raise ServiceError(
            f"{user.name} is {'an' if user.role[0] in 'aeiou' else 'a'} "
            f"{user.role.replace('_', ' ')} "
            f"and may not override identification policy v{verdict.policy_version} "
            f"(fails {', '.join(r.rule for r in verdict.failed)}); only {who} may, with a reason"
        )
    return override.strip()


def policy_columns(verdict: PolicyVerdict, override: str | None) -> dict[str, Any]:
    """The decision's columns that record the policy it was taken under (0007)."""
    return {
        "policy_version": verdict.policy_version,
        "verdict": verdict.to_json(),
        "override_reason": override,
    }


def dead_end(session: Session, cand: CandidateMatch, person: Person) -> str | None:
    """Why this candidate can no longer be confirmed, in words (``None``: it still can)."""
    for found in (
        live_confirmation(session, person_id=cand.person_id),
        live_confirmation(session, body_id=cand.body_id)
        if cand.body_id is not None
        else live_confirmation(session, remains_id=cand.remains_id),
    ):
        if found is not None and found[1].id != cand.id:
            return f"decision:{found[0].id}"
    unit: Remains | Body = (
        existing(session, Body, cand.body_id)
        if cand.body_id is not None
        else existing(session, Remains, cand.remains_id)
    )
    for obj, what in ((person, "person"), (unit, "body")):
        if obj.status in ("identified", "repatriated", "disposed"):
            return f"state:{what} {obj.status}"
    return None


def close_if_dead_end(session: Session, cand: CandidateMatch, person: Person) -> str | None:
    """Close a candidate that can no longer be confirmed as superseded; the refusal, in words."""
    pointer = dead_end(session, cand, person)
    if pointer is None:
        return None
    session.add(CandidateClosure(candidate_id=cand.id, reason="superseded", pointer=pointer))
    session.flush()
    return superseded_sentence(session, cand, pointer)


def superseded_sentence(session: Session, cand: CandidateMatch, pointer: str) -> str:
    """Why the candidate was closed, and what to do next, in the reviewer's words."""
    if pointer.startswith("decision:"):
        d = session.get(Decision, int(pointer.split(":", 1)[1]))
        other = session.get(CandidateMatch, d.candidate_id) if d is not None else None
        what = (
            f"candidate {other.id} was confirmed ({pointer.replace(':', ' ')})"
            if other is not None
            else pointer.replace(":", " ")
        )
        why = f"its person or body is already identified: {what}"
    elif pointer.startswith("association:"):
        why = f"its body was merged into another ({pointer.replace(':', ' ')})"
    else:
        what, state = pointer.split(":", 1)[1].split(" ", 1)
        why = f"the {what} is already {'disposed of' if state == 'disposed' else state}"
    return (
        f"candidate {cand.id} can no longer be confirmed and was closed as superseded ({why}); "
        "it has left the review queue. If that identification is wrong, ask a reviewer or case "
        "manager to revoke it; otherwise nothing more is needed for this candidate"
    )


def close_others(session: Session, cand: CandidateMatch, confirmation: Decision) -> None:
    """Close the open and proposed candidates of the same person or body (they leave the queue)."""
    to_propose, to_review = open_candidates(session)
    for other in (*to_propose, *to_review):
        if other.id == cand.id:
            continue
        same_body = other.body_id is not None and other.body_id == cand.body_id
        same_remains = other.body_id is None and other.remains_id == cand.remains_id
        if other.person_id == cand.person_id or same_body or same_remains:
            session.add(
                CandidateClosure(
                    candidate_id=other.id,
                    reason="superseded",
                    pointer=f"decision:{confirmation.id}",
                )
            )
    session.flush()
