"""The map page: recovery sites and graves over country outlines, drawn with no network."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from repatria.api.security import Caller, allow, db_of
from repatria.services.views.map import recovery_map
from repatria.web.map_svg import MapPoint, draw_map
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)

IsoDate = Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")]


@router.get("/map")
def map_page(
    request: Request,
    caller: Annotated[Caller, Depends(allow("remains.read"))],
    recovered_from: IsoDate = None,
    recovered_to: IsoDate = None,
    state: Annotated[list[str] | None, Query(max_length=16)] = None,
    show: Annotated[str, Query(pattern="^(all|sites|graves)$")] = "all",
) -> Response:
    v = recovery_map(
        db_of(request),
        actor=caller.name,
        recovered_from=recovered_from or None,
        recovered_to=recovered_to or None,
        states=tuple(state or ()),
    )
    points = []
    if show in ("all", "sites"):
        points += [
            MapPoint(s.lon, s.lat, "site", f"{s.ref}: {s.site or 'site'}", f"/remains/{s.ref}")
            for s in v.sites
        ]
    if show in ("all", "graves"):
        points += [MapPoint(g.lon, g.lat, "grave", g.label) for g in v.graves]
    return render(
        request,
        "map.html",
        title="Map",
        v=v,
        svg=draw_map(points),
        show=show,
        chosen=set(state or ()),
        recovered_from=recovered_from or "",
        recovered_to=recovered_to or "",
    )
