"""``repatria persons``: find missing persons by any name, alias or document number.

``repatria persons search QUERY [--limit N] [--cursor C] [--json]`` prints one page; its JSON is
``{"persons": [{"ref", "names", "documents", "status", ...}], "total": int, "next": cursor or
null}``, the same as ``GET /api/v1/persons?q=&limit=&cursor=``. Pass ``next`` as ``--cursor``
for the next page.
"""

from __future__ import annotations

import dataclasses

import typer
from rich.table import Table

from repatria.cli.output import command, console, print_json
from repatria.cli.registry_cmd import AsOptional, DbOpt, JsonOpt, _Service

__all__ = ["persons_app"]

persons_app = typer.Typer(
    help="Missing persons: search by any name or paper.", no_args_is_help=True
)
views = _Service("views")
paging = _Service("paging")


@persons_app.command("search")
@command
def persons_search(
    query: str = typer.Argument(
        ..., help="A name in any script or romanisation, an alias, a document or service number."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="Persons per page."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="The `next` of the previous page, for the page after it."
    ),
    sort: str | None = typer.Option(
        None, "--sort", help="ref (default), status or unit; -NAME for descending."
    ),
    status: str | None = typer.Option(None, "--status", help="Only persons in this state."),
    actor: str | None = AsOptional,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Find persons by any name, alias or paper: case, spaces, hyphens, Korean romanisations
    and Russian transliteration do not matter."""
    page = views.search_persons(
        db,
        actor=actor,
        q=query,
        status=status,
        page=paging.page_spec(sort, limit, cursor),
    )
    if as_json:
        print_json(
            {
                "persons": [dataclasses.asdict(p) for p in page.items],
                "total": page.total,
                "next": page.next,
            }
        )
        return
    table = Table(title=f"{page.total} person(s) for {query!r}")
    for col in ("ref", "name", "matched", "documents", "status"):
        table.add_column(col)
    for p in page.items:
        table.add_row(
            p.ref,
            p.name,
            "; ".join(p.matched),
            "; ".join(f"{d['type']} {d['number'] or ''}".strip() for d in p.documents),
            p.status,
        )
    console.print(table)
    if page.next:
        console.print(f"more: --cursor {page.next}", highlight=False, soft_wrap=True)
