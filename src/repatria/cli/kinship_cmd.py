"""``repatria kinship ...``: pedigree likelihoods and LRs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from repatria.cli.output import command, console, print_json
from repatria.services.pipelines.kinship_eval import evaluate_fam, evaluate_file

app = typer.Typer(help="Pedigree likelihoods and likelihood ratios.", no_args_is_help=True)


@app.command("evaluate")
@command
def evaluate(
    file: Path = typer.Argument(
        ...,
        help="A likelihood-vectors JSON file (schema inside the file).",
        exists=True,
        dir_okay=False,
    ),
    as_json: bool = typer.Option(False, "--json", help='Print one JSON object {"results": [...]}.'),
) -> None:
    """Evaluate every case of a likelihood-vectors file: likelihoods, kinship LRs, MP LRs."""
    results = evaluate_file(file)
    if as_json:
        print_json(
            {
                "results": [
                    {
                        "index": r.index,
                        "id": r.id,
                        "kind": r.kind,
                        "value": r.value,
                        "per_marker": r.per_marker,
                    }
                    for r in results
                ]
            }
        )
        return
    table = Table(title=f"{file.name}: {len(results)} cases")
    for col in ("index", "id", "kind", "value"):
        table.add_column(col, justify="right" if col in ("index", "value") else "left")
    has_expected = any(r.expected is not None for r in results)
    if has_expected:
        table.add_column("expected", justify="right")
        table.add_column("max rel. error", justify="right")
        table.add_column("agrees (1e-9)")
    for r in results:
        row = [str(r.index), r.id, r.kind, f"{r.value:.10g}"]
        if has_expected:
            err = r.max_rel_error
            row += [
                "" if r.expected is None else f"{r.expected:.10g}",
                "" if err is None else f"{err:.1e}",
                "" if err is None else ("[green]yes[/]" if err <= 1e-9 else "[red]NO[/]"),
            ]
        table.add_row(*row)
    console.print(table)
    if has_expected:
        ok = sum(1 for r in results if r.max_rel_error is not None and r.max_rel_error <= 1e-9)
        n = sum(1 for r in results if r.expected is not None)
        console.print(
            f"{ok}/{n} cases agree with their expected values to 1e-9 (per marker and total)."
        )


@app.command("fam")
@command
def fam(
    file: Path = typer.Argument(
        ...,
        help="A Familias .fam file without a DVI section (a paternity or kinship case).",
        exists=True,
        dir_okay=False,
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help='Print {"pedigrees": [{"name", "loglik"}], "markers": [names]} (natural logs).',
    ),
) -> None:
    """Likelihood of each pedigree of a Familias file, and its LR against the last pedigree."""
    result = evaluate_fam(file)
    if as_json:
        print_json(result.to_dict())
        return
    table = Table(
        title=f"{file.name}: {len(result.names)} pedigrees, {len(result.markers)} markers"
    )
    for col in ("pedigree", "loglik (natural log)", f"LR vs. {result.names[-1]}"):
        table.add_column(col, justify="left" if col == "pedigree" else "right")
    lr = result.lr
    for name, ll in zip(result.names, result.logliks, strict=True):
        table.add_row(name, f"{ll:.6f}", f"{lr[name]:.6g}")
    console.print(table)
