"""What every list route shares: the paging parameters, the JSON page, the CSV answer.

The rule (sorting, keyset cursors, limits, CSV cells) is in :mod:`repatria.services.paging`;
this module only turns a page into an HTTP answer.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response

from repatria.services.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, PageSpec, page_spec

__all__ = ["Limit", "Cursor", "Sort", "Format", "spec_of", "page_body", "csv_response"]

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"rows per page (default {DEFAULT_LIMIT})")
]
Cursor = Annotated[
    str | None, Query(max_length=2000, description="`next` (or `previous`) of the last page")
]
Sort = Annotated[
    str | None, Query(max_length=64, description="a column name; `-name` for descending")
]
Format = Annotated[Literal["json", "csv"], Query(description="`csv`: every row, as CSV")]


def spec_of(sort: str | None, limit: int, cursor: str | None) -> PageSpec:
    return page_spec(sort, limit, cursor)


def _plain(x: Any) -> Any:
    return asdict(x) if is_dataclass(x) and not isinstance(x, type) else x


def page_body(page: Page[Any], key: str, request: Request, response: Response) -> dict[str, Any]:
    """``{key: [...], "total": n, "next": cursor or null}``; ``previous`` as a Link header."""
    links = []
    for rel, cur in (("next", page.next), ("prev", page.previous)):
        if cur is not None:
            links.append(f'<{request.url.include_query_params(cursor=cur)}>; rel="{rel}"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return {key: [_plain(x) for x in page.items], "total": page.total, "next": page.next}


def csv_response(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
