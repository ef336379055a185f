"""The case summary: every standing identification, and the LRs of every candidate."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select

from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, Decision, Person, Remains, User
from repatria.registry.queries import existing
from repatria.registry.review_state import live_confirmations
from repatria.services.access.audit import log_event
from repatria.services.views._read import primary_name, reader

__all__ = ["identifications", "all_log10_lrs"]


def identifications(db: str | None, *, actor: str) -> list[dict[str, Any]]:
    """Every confirmed, unrevoked identification with its LR, reviewer and date (case summary)."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "report.case")
        out = []
        for d, c, name in session.execute(
            live_confirmations().add_columns(User.name).join(User, User.id == Decision.actor_id)
        ).all():
            p, r = existing(session, Person, c.person_id), existing(session, Remains, c.remains_id)
            out.append(
                {
                    "candidate_id": c.id,
                    "person_ref": p.ref,
                    "person_name": primary_name(p),
                    "remains_ref": r.ref,
                    "log10_lr": c.log10_lr,
                    "posterior": c.posterior,
                    "confirmed_by": name,
                    "confirmed_at": d.decided_at.date().isoformat(),
                    "person_status": p.status,
                }
            )
        log_event(session, actor, "report.case.read", identifications=len(out))
        return out


def all_log10_lrs(db: str | None, *, actor: str) -> list[float]:
    """log10 LR of every stored candidate (for the LR distribution plot)."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "report.case")
        return [
            float(v)
            for v in session.execute(select(CandidateMatch.log10_lr)).scalars()
            if v is not None and math.isfinite(v)
        ]
