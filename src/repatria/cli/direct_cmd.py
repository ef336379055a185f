"""``repatria direct import|list``: direct references, items of a missing person's own (a
toothbrush, a razor, a stored blood card), in the registry
(:mod:`repatria.services.workflows.direct_store`). Each command calls one service and prints."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from repatria.cli.output import command, console, print_json
from repatria.cli.registry_cmd import AsOpt, DbOpt, JsonOpt, _Service

__all__ = ["app"]

direct_store = _Service("workflows.direct_store")

app = typer.Typer(
    help="Direct references: items of the missing person's own, typed as his or her profile.",
    no_args_is_help=True,
)


@app.command("import")
@command
def import_cmd(
    file: Path = typer.Argument(
        ...,
        help="A direct.tsv: id, missing (person reference), item, [reliability], [dropout], "
        "then one column per marker (a/b).",
        dir_okay=False,
    ),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record direct references (one item a line): all or nothing, a file once."""
    r = direct_store.import_direct(db, file, actor=actor)
    if as_json:
        print_json(r.as_dict())
        return
    if r.already_imported:
        console.print(
            f"{r.file} was imported before (batch {r.batch}); nothing to do", highlight=False
        )
        return
    console.print(
        f"{r.file}: {r.items} direct references recorded (batch {r.batch})", highlight=False
    )


@app.command("list")
@command
def list_cmd(
    person: str = typer.Argument(..., help="The missing person's reference."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The direct references recorded for a person (never their genotypes)."""
    rows = direct_store.list_direct(db, person, actor=actor)
    if as_json:
        print_json({"person": person, "direct_references": rows})
        return
    if not rows:
        console.print(f"no direct reference is recorded for {person}", highlight=False)
        return
    t = Table("item", "kind", "reliability", "markers typed", "dropout")
    for r in rows:
        t.add_row(
            r["ref"],
            r["item"].replace("_", " "),
            f"{r['reliability']:g}",
            str(r["markers_typed"]),
            "" if r["dropout"] is None else f"{r['dropout']:g}",
        )
    console.print(t)
