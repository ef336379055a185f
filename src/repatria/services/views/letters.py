"""What the family letter may say: the confirmed identification, with findings about relatives
only where the policy allows telling families (:mod:`repatria.services.workflows.disclosure`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from repatria.errors import NotFoundError
from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, User
from repatria.services.views.matches import MatchDetail, match_detail
from repatria.services.workflows.disclosure import disclosure_allowed, family_findings, for_family

__all__ = ["FamilyLetterView", "family_letter_view", "report_detail"]

#: The roles that speak with families: what they read is what a family may be told.
FAMILY_FACING = ("liaison_officer",)


@dataclass(frozen=True)
class FamilyLetterView:
    detail: MatchDetail  # its warnings without findings about relatives, unless allowed
    findings: tuple[str, ...]  # the words a family may be given about relatives (often none)


def family_letter_view(db: str | None, candidate_id: int, *, actor: str) -> FamilyLetterView:
    """The letter's content for a confirmed identification (the read is audited)."""
    detail = match_detail(db, candidate_id, actor=actor, action="report.identification")
    if detail.status != "confirmed":
        raise NotFoundError(
            f"candidate {candidate_id} is {detail.status}; a letter to the family is written "
            "only for a confirmed identification"
        )
    with session_scope(db, read=True) as session:
        c = session.get(CandidateMatch, candidate_id)
        allowed = disclosure_allowed(session)
        findings = tuple(family_findings(session, c)) if c is not None else ()
    kept = for_family(detail.warnings, allowed=allowed)
    return FamilyLetterView(dataclasses.replace(detail, warnings=kept), findings)


def report_detail(db: str | None, candidate_id: int, *, actor: str) -> MatchDetail:
    """The identification report's content: for a liaison officer (who hands it to the family),
    without findings about relatives unless the policy allows telling families."""
    detail = match_detail(db, candidate_id, actor=actor, action="report.identification")
    with session_scope(db, read=True) as session:
        role = session.query(User.role).filter(User.name == actor).scalar()
        allowed = role not in FAMILY_FACING or disclosure_allowed(session)
    return dataclasses.replace(detail, warnings=for_family(detail.warnings, allowed=allowed))
