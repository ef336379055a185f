"""What a family may be told of the findings about its relatives.

The pedigree checks can find that a relative is not who the pedigree says (a "father" who is
not the biological father: :mod:`repatria.kinship.checks_misattributed`). That is a finding
about the living, not about the dead, and it stays with the people who weigh the evidence: the
family letter, the liaison officer's pages and the notification texts carry it only when the
identification policy says so (``disclose_relationship_findings``, default false). This module
is the one place that decides; every family-facing surface asks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from repatria.policy.record import IdentificationPolicy
from repatria.registry.models import CandidateMatch

__all__ = [
    "RELATIONSHIP_CHECKS",
    "current_policy",
    "disclosure_allowed",
    "relationship_findings",
    "family_findings",
    "for_family",
]

#: The kinship checks whose findings are about relatives, not about the pairing.
RELATIONSHIP_CHECKS: tuple[str, ...] = ("misattributed relationship",)

#: The words a family is given when the policy allows telling them: what was found, not the
#: numbers (the liaison officer explains, with the full report at hand).
_FAMILY_WORDS = (
    "The comparison also showed that a family relationship is not as it was recorded. "
    "Your liaison officer will talk with you about it."
)


def current_policy(session: Session) -> IdentificationPolicy:
    """The policy in force (the newest stored version), read in the caller's transaction."""
    from repatria.services.workflows.policy import current_policy as stored

    return stored(session)


def disclosure_allowed(session: Session) -> bool:
    """Whether the policy in force lets families be told findings about their relatives."""
    return bool(current_policy(session).disclose_relationship_findings)


def _about_relatives(text: str) -> bool:
    t = text.casefold()
    return any(c in t for c in RELATIONSHIP_CHECKS) or "misattributed" in t


def relationship_findings(evidence: Mapping[str, Any] | None) -> list[str]:
    """The findings about relatives in a candidate's stored evidence (``checks``: check names,
    or objects with ``check`` and ``message``; and ``warnings`` that speak of them)."""
    doc = dict(evidence or {})
    out: list[str] = []
    for c in doc.get("checks") or ():
        if isinstance(c, Mapping):
            name, message = str(c.get("check") or ""), str(c.get("message") or "")
            if name in RELATIONSHIP_CHECKS or _about_relatives(message):
                out.append(message or name)
        elif str(c) in RELATIONSHIP_CHECKS:
            out.append(str(c))
    out.extend(str(w) for w in doc.get("warnings") or () if _about_relatives(str(w)))
    return out


def family_findings(session: Session, candidate: CandidateMatch) -> list[str]:
    """What the family may be told of findings about relatives: nothing unless the policy
    allows it, and then in plain words (the finding itself stays in the evidence)."""
    if not relationship_findings(candidate.evidence) or not disclosure_allowed(session):
        return []
    return [_FAMILY_WORDS]


def for_family(texts: Iterable[str], *, allowed: bool) -> list[str]:
    """``texts`` without those about relatives, unless disclosure is ``allowed``."""
    return [t for t in texts if allowed or not _about_relatives(t)]
