"""``repatria frequencies import|list|show`` and ``repatria import lab`` (issue 17).

Frequency tables stored and versioned in the registry
(:mod:`repatria.services.workflows.frequency_tables`), and lab exports imported into it
(:mod:`repatria.services.workflows.lab_import`). Each command calls one service and prints.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from repatria.cli.output import command, console, print_json
from repatria.cli.registry_cmd import AsOpt, DbOpt, JsonOpt, _Service

__all__ = ["app", "import_lab"]

frequency_tables = _Service("workflows.frequency_tables")
lab_import = _Service("workflows.lab_import")

app = typer.Typer(
    help="Allele frequency tables in the registry: imported, versioned, cited by every run.",
    no_args_is_help=True,
)


@app.command("import")
@command
def import_cmd(
    file: Path = typer.Argument(
        ...,
        help="A frequency table: marker/allele/frequency TSV or CSV (the bundled and shared "
        "tables, FamLinkX), Familias' or norSTR's list, a ladder, MERLIN or STRidER.",
        dir_okay=False,
    ),
    name: str = typer.Option(..., "--name", help="The table's name in the registry."),
    source: str = typer.Option(
        ..., "--source", help="Where it comes from: publication, population, N."
    ),
    actor: str = AsOpt,
    layout: str | None = typer.Option(
        None, "--layout", help="long, list, ladder, merlin or strider (default: detected)."
    ),
    population: str | None = typer.Option(
        None, "--population", help="The STRidER column to read, when there are several."
    ),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import a frequency table: changed content is a new version, the same content a no-op."""
    result = frequency_tables.import_frequencies(
        db, file, name=name, source=source, actor=actor, layout=layout, population=population
    )
    if as_json:
        print_json(result.as_dict())
        return
    console.print(result.message, highlight=False, soft_wrap=True)
    for written, canonical in result.renamed_markers.items():
        console.print(f"marker {written} stored as {canonical}", highlight=False)


@app.command("list")
@command
def list_cmd(db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """List every stored table version: name, version, source, digest, runs that read it."""
    tables = frequency_tables.list_frequency_tables(db)
    if as_json:
        print_json({"tables": [t.as_dict() for t in tables]})
        return
    table = Table(title=f"{len(tables)} frequency table versions")
    for col in ("name", "version", "origin", "markers", "source", "imported", "sha256", "runs"):
        table.add_column(col, justify="right" if col in ("version", "markers", "runs") else "left")
    for t in tables:
        when = t.imported_at.strftime("%Y-%m-%d %H:%M") if t.imported_at else ""
        table.add_row(
            t.name,
            f"{t.version}{' (current)' if t.current and t.origin == 'import' else ''}",
            t.origin,
            str(t.markers),
            t.source or "",
            f"{when} {t.imported_by or ''}".strip(),
            (t.sha256 or "")[:12],
            str(t.runs),
        )
    console.print(table)


@app.command("show")
@command
def show_cmd(
    name: str = typer.Argument(..., help="The table's name (`repatria frequencies list`)."),
    version: int | None = typer.Option(None, "--version", help="Its version (default: newest)."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Show one version of a table: where it came from, and its allele frequencies."""
    t = frequency_tables.show_frequency_table(db, name, version)
    if as_json:
        print_json(t.as_dict())
        return
    console.print(
        f"{t.name} version {t.version} ({t.origin}): {t.markers} markers, {t.alleles} alleles; "
        f"source: {t.source or 'not given'}; sha256 {t.sha256}",
        highlight=False,
        soft_wrap=True,
    )
    if t.filename:
        console.print(
            f"imported by {t.imported_by} at {t.imported_at} from {t.filename} "
            f"({t.layout}, sha256 {t.file_sha256})",
            highlight=False,
            soft_wrap=True,
        )
    for marker, freqs in (t.frequencies or {}).items():
        cells = "  ".join(f"{a}: {f:.6g}" for a, f in freqs.items())
        console.print(f"{marker}  {cells}", highlight=False, soft_wrap=True)


@command
def import_lab(
    files: list[Path] = typer.Argument(
        ...,
        help="Lab exports: GeneMapper / ID-X tables (long or wide) or CODIS CMF (.xml).",
        dir_okay=False,
    ),
    actor: str = AsOpt,
    kit: list[str] = typer.Option(
        [],
        "--kit",
        help="The kit of the files: once for all, or once per file in order (default: the "
        "file's Panel / KIT, else its name).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change (new and retyped profiles); write nothing."
    ),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import lab exports: samples by ref, kits merged, conflicts refused, retyping versioned."""
    result = lab_import.import_lab(db, files, actor=actor, kits=kit, dry_run=dry_run)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(result.message, highlight=False, soft_wrap=True)
    for s in result.samples:
        extra = f", sex {s.sex} from amelogenin" if s.sex else ""
        console.print(
            f"{s.sample} ({s.kind}): {s.action}, {s.markers} markers, kits "
            f"{', '.join(s.kits)}{extra}",
            highlight=False,
            soft_wrap=True,
        )
        for n in s.notes:
            console.print(f"[yellow]note:[/] {n}", highlight=False, soft_wrap=True)
    if result.outside_tables:
        console.print(
            f"markers no frequency table of the registry has (left out of runs): "
            f"{', '.join(result.outside_tables)}",
            highlight=False,
            soft_wrap=True,
        )
