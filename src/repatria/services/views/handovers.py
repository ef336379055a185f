"""Repatriations done, and identified remains waiting for one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from repatria.registry.db import session_scope
from repatria.registry.models import Body, Person, Remains, Repatriation
from repatria.registry.queries import existing
from repatria.registry.review_state import live_confirmations
from repatria.services.views._read import primary_name, reader

__all__ = ["RepatriationView", "RepatriationsView", "repatriations_view"]


@dataclass(frozen=True)
class RepatriationView:
    id: int
    kind: str
    counterpart: str
    place: str | None
    occurred_on: str
    ceremony: str | None
    items: list[dict[str, str | None]]  # remains ref, person ref, coffin, remains state


@dataclass(frozen=True)
class RepatriationsView:
    done: list[RepatriationView]
    eligible: list[dict[str, str | None]]  # identified remains not yet handed over


def repatriations_view(db: str | None, *, actor: str) -> RepatriationsView:
    """Handovers with their remains and states, and the identified remains waiting for one."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "repatriations.view")
        done = []
        for rep in session.execute(select(Repatriation).order_by(Repatriation.id.desc())).scalars():
            items = []
            for it in rep.items:
                r: Body | Remains
                if it.body_id is not None:  # a body, with all its items
                    r = existing(session, Body, it.body_id)
                elif it.remains_id is not None:  # a handover recorded before bodies
                    r = existing(session, Remains, it.remains_id)
                else:
                    continue
                p = existing(session, Person, it.person_id) if it.person_id else None
                items.append(
                    {
                        "remains_ref": r.ref,
                        "person_ref": p.ref if p else None,
                        "person_name": primary_name(p) if p else None,
                        "coffin": it.coffin_label,
                        "remains_state": r.status,
                    }
                )
            done.append(
                RepatriationView(
                    rep.id,
                    rep.kind,
                    rep.counterpart,
                    rep.place,
                    rep.occurred_on,
                    rep.ceremony,
                    items,
                )
            )
        eligible = []
        for _d, c in session.execute(live_confirmations()).all():
            item = existing(session, Remains, c.remains_id)
            body = existing(session, Body, c.body_id) if c.body_id is not None else None
            p = existing(session, Person, c.person_id)
            if (body or item).status == "identified":
                eligible.append(
                    {
                        "remains_ref": body.ref if body else item.ref,
                        "person_ref": p.ref,
                        "person_name": primary_name(p),
                        "site": item.site,
                    }
                )
        return RepatriationsView(done, sorted(eligible, key=lambda e: e["remains_ref"] or ""))
