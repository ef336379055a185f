"""``GET /api/v1/persons``: search by any name, alias or paper, paged, sortable, or as CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from repatria.api import schemas as s
from repatria.api.listing import Cursor, Format, Limit, Sort, csv_response, page_body, spec_of
from repatria.api.security import Caller, allow, db_of
from repatria.services import views
from repatria.services.paging import DEFAULT_LIMIT

__all__ = ["router"]

router = APIRouter(default_response_class=s.SafeJSONResponse)


@router.get(
    "/persons",
    tags=["persons"],
    summary="Search missing persons by any name, alias or document number (paged)",
    description="`{persons: [{ref, names, documents, status, ...}], total, next}`; `next` is "
    "the cursor of the next page (null on the last), also in the Link header with `prev`. "
    "Without `q`: every current person. Sorts: ref, status, unit. `format=csv`: every row.",
    response_model=None,
)
def persons(
    request: Request,
    response: Response,
    caller: Annotated[Caller, Depends(allow("persons.read"))],
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    sort: Sort = None,
    format: Format = "json",
) -> Any:
    db = db_of(request)
    if format == "csv":
        text = views.persons_csv(db, actor=caller.name, q=q, status=status, sort=sort)
        return csv_response(text, "persons")
    page = views.search_persons(
        db, actor=caller.name, q=q, status=status, page=spec_of(sort, limit, cursor)
    )
    return page_body(page, "persons", request, response)
