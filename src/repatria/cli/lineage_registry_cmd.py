"""``repatria lineage import`` and ``repatria lineage database import|list``: lineage markers in
the registry (:mod:`repatria.services.workflows.lineage_store`). Each command calls one service
and prints."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from repatria.cli.output import command, console, print_json
from repatria.cli.registry_cmd import AsOpt, DbOpt, JsonOpt, _Service

__all__ = ["register"]

lineage_store = _Service("workflows.lineage_store")

database_app = typer.Typer(
    help="Y-STR and mtDNA haplotype databases in the registry, versioned.", no_args_is_help=True
)


@command
def import_cmd(
    file: Path = typer.Argument(
        ..., help="A lineage.tsv: sample, donor, kind (y_str|mtdna), haplotype.", dir_okay=False
    ),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import Y-STR and mtDNA haplotypes of PM samples and donors: all or nothing."""
    r = lineage_store.import_lineage(db, file, actor=actor)
    if as_json:
        print_json(r.as_dict())
        return
    if r.already_imported:
        console.print(f"{r.file} was imported before (batch {r.batch}); nothing to do",
                      highlight=False)  # fmt: skip
        return
    console.print(
        f"{r.file}: {r.stored} lineage profiles stored, {r.retyped} retyped (the old kept, "
        f"superseded), {r.unchanged} unchanged (batch {r.batch})",
        highlight=False,
    )


@database_app.command("import")
@command
def database_import_cmd(
    file: Path = typer.Argument(
        ...,
        help="Haplotype database TSV (id + one column per locus; mtDNA: id, variants, read).",
        dir_okay=False,
    ),
    name: str = typer.Option(..., "--name", help="The database's name in the registry."),
    kind: str = typer.Option(..., "--kind", help="y_str or mtdna."),
    source: str = typer.Option(..., "--source", help="Where it comes from: publication, N."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import a haplotype database: changed content is a new version, the same a no-op."""
    v = lineage_store.import_haplotype_database(
        db, file, name=name, kind=kind, source=source, actor=actor
    )
    if as_json:
        print_json(v.as_dict())
        return
    said = "already stored as" if v.already_stored else "stored as"
    console.print(f"{v.haplotypes} {v.kind} haplotypes {said} {v.label} (sha256 {v.sha256[:12]})",
                  highlight=False)  # fmt: skip


@database_app.command("list")
@command
def database_list_cmd(db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """List every stored haplotype database version."""
    rows = lineage_store.list_haplotype_databases(db)
    if as_json:
        print_json({"databases": [r.as_dict() for r in rows]})
        return
    table = Table(title=f"{len(rows)} haplotype database versions")
    for col in ("name", "version", "kind", "haplotypes", "source", "imported", "sha256"):
        table.add_column(col, justify="right" if col in ("version", "haplotypes") else "left")
    for r in rows:
        table.add_row(r.name, str(r.version), r.kind, str(r.haplotypes), r.source,
                      f"{r.created_at[:16]} {r.imported_by}", r.sha256[:12])  # fmt: skip
    console.print(table)


def register(lineage_app: typer.Typer) -> None:
    """Add the registry commands to ``repatria lineage``."""
    lineage_app.command("import")(import_cmd)
    lineage_app.add_typer(database_app, name="database")
