"""``repatria lab ...``: lab exports (GeneMapper-style tables, CODIS CMF) checked before import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from repatria.cli.output import command, console, print_json
from repatria.services.pipelines.lab import check_lab_files

app = typer.Typer(
    help="Lab genotype exports: GeneMapper / ID-X tables and CODIS CMF files.",
    no_args_is_help=True,
)


@app.command("check")
@command
def check(
    files: list[Path] = typer.Argument(
        ...,
        help="Lab export files: GeneMapper-style tables (long or wide) or CODIS CMF (.xml).",
        exists=True,
        dir_okay=False,
    ),
    kit: list[str] = typer.Option(
        [],
        "--kit",
        help="The kit of the files: once for all, or once per file in order (default: the "
        "file's Panel / KIT, else its name).",
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help='Print {"files": [...], "samples": [...], "n_samples", "n_conflicts"}.',
    ),
    show_genotypes: bool = typer.Option(
        False, "--show-genotypes", help="Also print the merged genotypes and conflicting calls."
    ),
) -> None:
    """Read lab exports (all or nothing), merge the kits of each sample, list the conflicts."""
    result = check_lab_files(files, kit)
    if as_json:
        print_json(result.to_dict(show_genotypes=show_genotypes))
        return
    for e in result.exports:
        extra = f", {e.skipped_rows} ladder/control rows left out" if e.skipped_rows else ""
        console.print(
            f"{e.file}: {e.layout}, {len(e.samples)} samples, {len(e.typings)} typings{extra}",
            highlight=False,
        )
    table = Table(title=f"{len(result.profiles)} samples, {result.n_conflicts} conflicts")
    for col in ("sample", "sex", "kits", "markers typed", "conflicts", "notes", "off-ladder"):
        table.add_column(col, justify="right" if col in ("conflicts", "notes") else "left")
    for p in result.profiles.values():
        table.add_row(
            p.sample,
            p.sex.name.lower(),
            ", ".join(p.kits),
            f"{len(p.markers)}: {' '.join(p.markers)}" if p.markers else "0",
            str(len(p.conflicts)),
            str(len(p.notes)),
            " ".join(p.off_ladder),
        )
    console.print(table)
    for p in result.profiles.values():
        for c in p.conflicts:
            console.print(f"[red]conflict:[/] {c.message}", highlight=False, soft_wrap=True)
        for n in p.notes:
            console.print(f"[yellow]note:[/] {n.message}", highlight=False, soft_wrap=True)
    if show_genotypes:
        _genotypes(result.to_dict(show_genotypes=True)["samples"])


def _genotypes(samples: list[dict[str, Any]]) -> None:
    markers = list(dict.fromkeys(m for s in samples for m in s["genotypes"]))
    table = Table(title="merged genotypes (conflicting markers left untyped)")
    for col in ("sample", "AMEL", *markers):
        table.add_column(col)
    for s in samples:
        table.add_row(s["sample"], s["amelogenin"], *[s["genotypes"].get(m, "") for m in markers])
    console.print(table)
    for s in samples:
        for c in s["conflicts"]:
            calls = "; ".join(f"{k}: {g}" for k, g in zip(c["kits"], c["calls"], strict=True))
            console.print(f"{s['sample']}, {c['marker']}: {calls}", highlight=False)
