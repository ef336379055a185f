"""The identification policy in the registry: its versions, and each candidate's verdict.

Stored as ``docs/policy.md`` says: ``policy_versions`` is append-only, the current policy is the
highest version and an empty table means ``IdentificationPolicy()`` (version 1). A candidate's
verdict is :func:`repatria.policy.evaluate` of its stored numbers and evidence, with each
reference's consent read fresh from the donors table (a withdrawal after the run counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.policy import (
    IdentificationPolicy,
    PolicyEvidence,
    PolicyVerdict,
    Reevaluation,
    ReferenceUse,
    evaluate,
    reevaluate,
    revise,
)
from repatria.registry.db import session_scope
from repatria.registry.evidence import stored_number
from repatria.registry.models import CandidateMatch, Donor, PolicyVersion
from repatria.registry.policy_seal import policy_digest
from repatria.registry.review_state import candidate_status, closures, decision_kinds
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require

__all__ = [
    "PolicySet",
    "current_policy",
    "show",
    "set_policy",
    "evidence_of",
    "verdict_of",
]


@dataclass(frozen=True)
class PolicySet:
    """A new policy version as stored, and what it changes."""

    policy: IdentificationPolicy
    set_by: str
    reevaluation: Reevaluation

    def lines(self) -> list[str]:
        return [
            f"identification policy v{self.policy.version} set by {self.set_by}",
            *self.reevaluation.lines(),
        ]

    def to_json(self) -> dict[str, Any]:
        r = self.reevaluation

        def change(c: Any) -> dict[str, Any]:
            return {
                "candidate": c.candidate_id,
                "status": c.status,
                "newly_failed": list(c.newly_failed),
                "no_longer_failed": list(c.no_longer_failed),
                "line": c.line(),
            }

        return {
            "policy": self.policy.to_json(),
            "set_by": self.set_by,
            "changed_open": [change(c) for c in r.changed_open],
            "identifications_now_failing": [change(c) for c in r.identifications_now_failing],
            "lines": self.lines(),
        }


def current_policy(session: Session) -> IdentificationPolicy:
    """The highest stored version, or the defaults (version 1) when none was set."""
    row = session.execute(
        select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1)
    ).scalar_one_or_none()
    return IdentificationPolicy() if row is None else IdentificationPolicy.from_json(row.document)


def show(db: str | None) -> IdentificationPolicy:
    """The current identification policy."""
    with session_scope(db) as session:
        return current_policy(session)


def set_policy(
    db: str | None,
    *,
    actor: str,
    min_lr: float | None = None,
    min_posterior: float | None = None,
    min_references: int | None = None,
    disclose_relationship_findings: bool | None = None,
    note: str | None = None,
) -> PolicySet:
    """Store the next policy version (an admin) and re-evaluate every open and confirmed
    candidate under it. Invalid values raise ``PolicyError`` naming the field."""
    with session_scope(db) as session:
        user = require(session, actor, "policy.set")
        old = current_policy(session)
        changes: dict[str, Any] = {}
        if min_lr is not None:
            changes["min_lr"] = float(min_lr)
        if min_posterior is not None:
            changes["min_posterior"] = float(min_posterior)
        if min_references is not None:
            changes["min_close_references"] = min_references
        if disclose_relationship_findings is not None:
            changes["disclose_relationship_findings"] = disclose_relationship_findings
        if note is not None:
            changes["note"] = note
        if not changes.keys() - {"note"}:
            raise ServiceError(
                "to set a new policy version, give at least one setting to change: the minimum "
                "LR, the minimum posterior, the number of close relatives, or disclosure"
            )
        new = revise(old, **changes)
        session.add(
            PolicyVersion(
                version=new.version, document=new.to_json(), set_by_id=user.id, note=new.note
            )
        )
        rows = _review_rows(session)
        result = reevaluate(old, new, rows)
        session.flush()
        log_event(
            session,
            user.name,
            "policy.set",
            "policy",
            new.version,
            changes=changes,
            document_sha256=policy_digest(new.to_json()),
            changed_open=len(result.changed_open),
            now_failing=len(result.identifications_now_failing),
        )
        return PolicySet(new, user.name, result)


def _review_rows(session: Session) -> list[tuple[int, PolicyEvidence, str]]:
    kinds = decision_kinds(session)
    closed = closures(session)
    consent = _consent(session)
    out = []
    for c in session.execute(select(CandidateMatch).order_by(CandidateMatch.id)).scalars():
        status = candidate_status(kinds.get(c.id, set()), closed=c.id in closed)
        if status in ("open", "proposed", "confirmed"):
            out.append((c.id, evidence_of(c, consent), status))
    return out


def _consent(session: Session, refs: list[str] | None = None) -> dict[str, bool]:
    """donor ref -> consent withdrawn."""
    stmt = select(Donor.ref, Donor.consent_withdrawn_at)
    if refs is not None:
        stmt = stmt.where(Donor.ref.in_(refs))
    return {ref: at is not None for ref, at in session.execute(stmt)}


def evidence_of(cand: CandidateMatch, consent: dict[str, bool]) -> PolicyEvidence:
    """The policy's evidence of a stored candidate, consent as the donors table says now."""
    doc = dict(cand.evidence or {})
    refs = [
        ReferenceUse(
            str(r["donor"]),
            str(r.get("relation") or ""),
            tuple(r.get("methods") or ("autosomal_str",)),
            bool(consent.get(str(r["donor"]), bool(r.get("consent_withdrawn", False)))),
            _number(r.get("log10_lr")),
        )
        for r in doc.get("references") or ()
    ]
    return PolicyEvidence.from_candidate(cand.log10_lr, cand.posterior, doc, references=refs)


def _number(v: Any) -> float | None:
    x = stored_number(v)
    return None if x is None or math.isnan(x) else x


def verdict_of(
    session: Session, cand: CandidateMatch, policy: IdentificationPolicy | None = None
) -> PolicyVerdict:
    """The candidate's verdict under ``policy`` (default: the current one)."""
    refs = [str(r["donor"]) for r in (cand.evidence or {}).get("references") or ()]
    return evaluate(policy or current_policy(session), evidence_of(cand, _consent(session, refs)))
