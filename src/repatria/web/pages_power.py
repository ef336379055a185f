"""Pages of which relative to sample next: one family's power study, and the programme view.

The role that reads families (``match.read``); the service audits each read and says how many
simulations it used. The caps on simulations are the API's (:mod:`repatria.api.routes_power`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from repatria.api.listing import csv_response
from repatria.api.security import Caller, allow, db_of
from repatria.services.paging import page_spec
from repatria.services.workflows import family_power as power
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)

Seed = Annotated[int, Query(ge=0, le=2**63 - 1)]
Threshold = Annotated[float | None, Query(gt=0)]


@router.get("/families/{ref}/power")
def family_power_page(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow(power.READ_ACTION))],
    sims: Annotated[int, Query(ge=1, le=2000)] = power.DEFAULT_SIMS,
    seed: Seed = 1,
    threshold: Threshold = None,
) -> Response:
    r = power.family_power(
        db_of(request), ref, actor=caller.name, sims=sims, seed=seed, threshold=threshold
    )
    return render(request, "family_power.html", title=f"Family {ref}: who to sample next", r=r)


@router.get("/programme/power")
def programme_power_page(
    request: Request,
    caller: Annotated[Caller, Depends(allow(power.READ_ACTION))],
    below: Annotated[float, Query(gt=0, le=1)] = power.DEFAULT_BELOW,
    sims: Annotated[int, Query(ge=1, le=500)] = power.PROGRAMME_SIMS,
    seed: Seed = 1,
    threshold: Threshold = None,
    sort: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    format: str = "",
) -> Response:
    w = power.weak_families(
        db_of(request),
        actor=caller.name,
        below=below,
        threshold=threshold,
        sims=sims,
        seed=seed,
        page=page_spec(sort, None, cursor),
    )
    if format == "csv":
        return csv_response(w.csv(), "programme-power")
    return render(
        request, "programme_power.html", title="Weak families: who to sample next", w=w, page=w.page
    )
