"""Remains: the list with its filters, and one set of remains with custody and candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, CustodyEvent, Remains, Sample, User
from repatria.services.access.audit import log_event
from repatria.services.views._read import CandidateLine, candidate_lines, find, history, reader

__all__ = ["RemainsSummary", "RemainsDetail", "list_remains", "remains_detail"]


@dataclass(frozen=True)
class RemainsSummary:
    ref: str
    site: str | None
    recovered_on: str | None
    condition: str
    status: str
    samples: int


def list_remains(
    db: str | None,
    *,
    actor: str,
    site: str | None = None,
    condition: str | None = None,
    status: str | None = None,
) -> tuple[list[RemainsSummary], list[str]]:
    """Remains filtered by recovery site, condition and state; and every site, for a filter list."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "remains.read")
        stmt = select(Remains).order_by(Remains.ref)
        if site:
            stmt = stmt.where(Remains.site == site)
        if condition:
            stmt = stmt.where(Remains.condition == condition)
        if status:
            stmt = stmt.where(Remains.status == status)
        counts = dict(
            session.execute(
                select(Sample.remains_id, func.count())
                .where(Sample.kind == "pm")
                .group_by(Sample.remains_id)
            ).all()
        )
        rows = [
            RemainsSummary(
                r.ref, r.site, r.recovered_on, r.condition, r.status, int(counts.get(r.id, 0))
            )
            for r in session.execute(stmt).scalars()
        ]
        sites = [
            s
            for s in session.execute(
                select(Remains.site).distinct().order_by(Remains.site)
            ).scalars()
            if s
        ]
        return rows, sites


@dataclass(frozen=True)
class RemainsDetail:
    ref: str
    status: str
    condition: str
    site: str | None
    site_lat: float | None
    site_lon: float | None
    recovered_on: str | None
    recovered_by: str | None
    effects: list[dict[str, str | None]]
    samples: list[dict[str, str | None]]
    custody: list[dict[str, Any]]
    candidates: list[CandidateLine]
    history: list[dict[str, Any]]


def remains_detail(db: str | None, ref: str, *, actor: str) -> RemainsDetail:
    """Remains with what was found with them, their samples, custody timeline and candidates."""
    with session_scope(db, read=True) as session:
        user = reader(session, actor, "remains.read")
        r = find(session, Remains, ref)
        samples = (
            session.execute(select(Sample).where(Sample.remains_id == r.id).order_by(Sample.id))
            .scalars()
            .all()
        )
        sample_ids = [s.id for s in samples]
        events = session.execute(
            select(CustodyEvent, User.name)
            .join(User, User.id == CustodyEvent.recorded_by_id)
            .where(
                (CustodyEvent.remains_id == r.id) | CustodyEvent.sample_id.in_(sample_ids or [-1])
            )
            .order_by(CustodyEvent.seq)
        ).all()
        sample_ref: dict[int | None, str] = {s.id: s.ref for s in samples}
        custody = [
            {
                "seq": e.seq,
                "event": e.event,
                "sample": sample_ref.get(e.sample_id),
                "from": e.from_party,
                "to": e.to_party,
                "location": e.location,
                "occurred_on": e.occurred_on,
                "recorded_by": name,
                "recorded_at": e.recorded_at.isoformat(),
                "notes": e.notes,
                "row_hash": e.row_hash,
            }
            for e, name in events
        ]
        log_event(session, user.name, "custody.read", "remains", r.id)
        return RemainsDetail(
            r.ref,
            r.status,
            r.condition,
            r.site,
            r.site_lat,
            r.site_lon,
            r.recovered_on,
            r.recovered_by,
            [{"kind": e.kind, "description": e.description} for e in r.effects],
            [
                {"ref": s.ref, "material": s.material, "collected_on": s.collected_on, "lab": s.lab}
                for s in samples
            ],
            custody,
            candidate_lines(
                session, select(CandidateMatch).where(CandidateMatch.remains_id == r.id)
            ),
            history(session, "remains", r.id),
        )
