"""``/lists`` and ``/lists/<name>``: every list of the registry as a page with sortable column
headers, next/previous links and a CSV export (the rule: :mod:`repatria.services.paging`)."""

# No `from __future__ import annotations`: FastAPI reads the guards of the routes made in
# a loop from their annotations, which must be objects, not strings naming a local.

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from repatria.api.listing import csv_response
from repatria.api.security import Caller, allow, db_of
from repatria.services.access.permissions import roles_for
from repatria.services.paging import page_spec
from repatria.services.views.lists import LISTS, list_csv, list_rows
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/lists")
def lists_index(
    request: Request, caller: Annotated[Caller, Depends(allow("dashboard.view"))]
) -> Response:
    mine = [(n, s.title) for n, s in LISTS.items() if caller.role in roles_for(s.action)]
    return render(request, "lists.html", title="Lists", lists=mine)


def _page(name: str, action: str, title: str) -> None:
    def read_list(
        request: Request,
        caller: Annotated[Caller, Depends(allow(action))],
        sort: str | None = None,
        cursor: str | None = None,
        format: str = "",
        site: str = "",
        condition: str = "",
        status: str = "",
    ) -> Response:
        db = db_of(request)
        filters = {"site": site or None, "condition": condition or None, "status": status or None}
        if format == "csv":
            return csv_response(
                list_csv(db, name, actor=caller.name, sort=sort, filters=filters), name
            )
        got = list_rows(
            db, name, actor=caller.name, page=page_spec(sort, None, cursor), filters=filters
        )
        return render(
            request, "list.html", title=title, lst=got, page=got.page, sorts=LISTS[name].sorts
        )

    router.add_api_route(f"/lists/{name}", read_list, methods=["GET"], name=f"page_{name}")


for _name, _spec in LISTS.items():
    _page(_name, _spec.action, _spec.title)
