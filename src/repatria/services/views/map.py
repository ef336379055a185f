"""The map's records: recovery sites and graves with coordinates, filtered by date and state.

What has no coordinates is counted, not dropped silently: the page says how many records the
map cannot show.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from repatria.registry.db import session_scope
from repatria.registry.models import Body, Disposition, Grave, Remains
from repatria.services.views._read import reader
from repatria.vocabulary import REMAINS_STATES

__all__ = ["MapGrave", "MapSite", "MapView", "recovery_map"]


@dataclass(frozen=True)
class MapSite:
    ref: str
    site: str | None
    lat: float
    lon: float
    recovered_on: str | None
    status: str
    condition: str


@dataclass(frozen=True)
class MapGrave:
    label: str
    lat: float
    lon: float
    bodies: tuple[str, ...]


@dataclass(frozen=True)
class MapView:
    sites: list[MapSite]
    graves: list[MapGrave]
    sites_without_place: int
    graves_without_place: int
    states: tuple[str, ...]


def recovery_map(
    db: str | None,
    *,
    actor: str,
    recovered_from: str | None = None,
    recovered_to: str | None = None,
    states: tuple[str, ...] = (),
) -> MapView:
    """Recovery sites of the remains (recovered between the dates, ISO ``YYYY-MM-DD``, both
    included; in one of ``states`` if given) and the graves, for ``actor`` (who reads remains)."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "remains.read")
        # Columns, not Remains objects: the map of an exchange reads thousands of rows.
        stmt = select(
            Remains.ref,
            Remains.site,
            Remains.site_lat,
            Remains.site_lon,
            Remains.recovered_on,
            Remains.status,
            Remains.condition,
        )
        if recovered_from:
            stmt = stmt.where(Remains.recovered_on >= recovered_from)
        if recovered_to:
            # "2025-02-28" takes in a recovery recorded as "2025-02-28T…" too.
            stmt = stmt.where(Remains.recovered_on <= recovered_to + "\uffff")
        if states:
            stmt = stmt.where(Remains.status.in_(states))
        placed = stmt.where(Remains.site_lat.is_not(None), Remains.site_lon.is_not(None))
        sites = [
            MapSite(
                r.ref,
                r.site,
                float(r.site_lat),
                float(r.site_lon),
                r.recovered_on,
                r.status,
                r.condition,
            )
            for r in session.execute(placed.order_by(Remains.ref))
            if r.site_lat is not None and r.site_lon is not None
        ]
        unplaced = session.execute(
            select(func.count()).select_from(
                stmt.where((Remains.site_lat.is_(None)) | (Remains.site_lon.is_(None))).subquery()
            )
        ).scalar_one()
        buried: dict[int, list[str]] = {}
        for grave_id, body_ref in session.execute(
            select(Disposition.grave_id, Body.ref)
            .join(Body, Body.id == Disposition.body_id)
            .where(Disposition.grave_id.is_not(None))
            .order_by(Body.ref)
        ).all():
            if grave_id is not None:
                buried.setdefault(grave_id, []).append(body_ref)
        graves, unplaced_graves = [], 0
        for g in session.execute(select(Grave).order_by(Grave.id)).scalars():
            if g.lat is None or g.lon is None:
                unplaced_graves += 1
                continue
            plot = f", plot {g.plot}" if g.plot else ""
            graves.append(
                MapGrave(
                    f"{g.cemetery}{plot}, grave {g.number}",
                    float(g.lat),
                    float(g.lon),
                    tuple(buried.get(g.id, ())),
                )
            )
        return MapView(sites, graves, int(unplaced), unplaced_graves, tuple(REMAINS_STATES))
