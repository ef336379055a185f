"""``GET /api/v1/lists/<name>``: every list of the registry paged, sortable, or as CSV.

One route per list of :data:`repatria.services.views.lists.LISTS` (remains, audit log, the
review queue's two lists, families to tell and told, repatriations and remains awaiting one),
each guarded by that list's read permission. The answer is ``{"rows": [...], "total": n,
"next": cursor or null, "columns": [...]}``, ``previous`` in the Link header; ``format=csv``
gives every row.
"""

# No `from __future__ import annotations`: FastAPI reads the guards of the routes made in
# a loop from their annotations, which must be objects, not strings naming a local.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from repatria.api import schemas as s
from repatria.api.listing import Cursor, Format, Limit, Sort, csv_response, page_body, spec_of
from repatria.api.security import Caller, allow, db_of
from repatria.services.paging import DEFAULT_LIMIT
from repatria.services.views.lists import LISTS, list_csv, list_rows

__all__ = ["router"]

router = APIRouter(default_response_class=s.SafeJSONResponse)

Filter = Annotated[str | None, Query(max_length=300)]


def _route(name: str, action: str, title: str, sorts: tuple[str, ...]) -> None:
    def read_list(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Depends(allow(action))],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        sort: Sort = None,
        format: Format = "json",
        site: Filter = None,
        condition: Filter = None,
        status: Filter = None,
    ) -> Any:
        db, filters = db_of(request), {"site": site, "condition": condition, "status": status}
        if format == "csv":
            text = list_csv(db, name, actor=caller.name, sort=sort, filters=filters)
            return csv_response(text, name)
        got = list_rows(
            db, name, actor=caller.name, page=spec_of(sort, limit, cursor), filters=filters
        )
        return {**page_body(got.page, "rows", request, response), "columns": list(got.columns)}

    router.add_api_route(
        f"/lists/{name}",
        read_list,
        methods=["GET"],
        tags=["lists"],
        summary=f"{title} (paged; sorts: {', '.join(sorts)}; format=csv: every row)",
        response_model=None,
        name=f"list_{name}",
    )


for _name, _spec in LISTS.items():
    _route(_name, _spec.action, _spec.title, _spec.sorts)
