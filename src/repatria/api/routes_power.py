"""Which relative to sample next (``/api/v1``): one family's power study, and the programme view.

Both read case data about families (not genotypes): the role that reads families
(``match.read``); each read is audited by the service
(:mod:`repatria.services.workflows.family_power`). The number of simulations is capped here so
one request cannot hold a worker for long.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from repatria.api import schemas as s
from repatria.api.listing import Cursor, Format, Limit, Sort, csv_response, page_body, spec_of
from repatria.api.security import Caller, allow, db_of
from repatria.services.paging import DEFAULT_LIMIT
from repatria.services.workflows import family_power as power

__all__ = ["router"]

router = APIRouter(default_response_class=s.SafeJSONResponse)

Ref = Annotated[str, Path(min_length=1, max_length=64)]
Threshold = Annotated[
    float | None,
    Query(gt=0, description="the LR to reach (default: the identification policy's min LR)"),
]
Seed = Annotated[int, Query(ge=0, le=2**63 - 1, description="the same seed, the same numbers")]


@router.get(
    "/families/{ref}/power",
    tags=["families"],
    summary="Which relative to sample next: P(LR >= threshold), mean log10 LR and exclusion "
    "power of each relative the family could still give (audited)",
    response_model=None,
)
def family_power_route(
    ref: Ref,
    request: Request,
    caller: Annotated[Caller, Depends(allow(power.READ_ACTION))],
    missing: Annotated[str | None, Query(max_length=64)] = None,
    threshold: Threshold = None,
    sims: Annotated[int, Query(ge=1, le=2000)] = power.DEFAULT_SIMS,
    seed: Seed = 1,
) -> Any:
    return power.family_power(
        db_of(request),
        ref,
        actor=caller.name,
        missing=missing,
        threshold=threshold,
        sims=sims,
        seed=seed,
    ).to_json()


@router.get(
    "/programme/power",
    tags=["families"],
    summary="Unresolved missing persons whose family's references are too weak, with the best "
    "next relative (paged; sorts: power, family, best_power; format=csv: every row; audited)",
    response_model=None,
)
def programme_power_route(
    request: Request,
    response: Response,
    caller: Annotated[Caller, Depends(allow(power.READ_ACTION))],
    below: Annotated[float, Query(gt=0, le=1)] = power.DEFAULT_BELOW,
    threshold: Threshold = None,
    sims: Annotated[int, Query(ge=1, le=500)] = power.PROGRAMME_SIMS,
    seed: Seed = 1,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    sort: Sort = None,
    format: Format = "json",
) -> Any:
    w = power.weak_families(
        db_of(request),
        actor=caller.name,
        below=below,
        threshold=threshold,
        sims=sims,
        seed=seed,
        page=spec_of(sort, limit, cursor),
    )
    if format == "csv":
        return csv_response(w.csv(), "programme-power")
    return {**w.to_json(), **page_body(w.page, "families", request, response)}
