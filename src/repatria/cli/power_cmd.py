"""``repatria power``: which relative of a family to sample next."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from repatria.cli.output import command, console, err_console, print_json


@command
def power(
    case: Path = typer.Argument(
        ..., help="A case folder (pm.tsv, am.tsv, missing.txt, markers.json) or a .fam file."
    ),
    family: str = typer.Option(..., "--family", help="The reference family (its famid)."),
    missing: str = typer.Option(
        None, "--missing", help="The missing person, when the family has several."
    ),
    threshold: float = typer.Option(
        10000.0, "--threshold", min=1e-300, help="The LR an identification needs."
    ),
    sims: int = typer.Option(200, "--sims", min=1, help="Simulations per candidate relative."),
    seed: int = typer.Option(
        1, "--seed", help="Random seed: the same seed gives the same numbers."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Simulated P(LR >= threshold), expected log10 LR and exclusion power for each relative the
    family could still give (the current references first)."""
    from repatria.services.pipelines.power import family_power, power_summary

    def say(msg: str) -> None:
        if not as_json:
            err_console.print(msg, highlight=False)

    r = power_summary(
        family_power(
            case,
            family,
            missing=missing,
            threshold=threshold,
            sims=sims,
            seed=seed,
            progress=say,
        )
    )
    if as_json:
        print_json(r)
        return
    table = Table(
        title=f"family {r['family']}, missing {r['missing']}: {r['sims']} simulations, seed "
        f"{r['seed']}, {len(r['markers'])} markers"
    )
    table.add_column("relative", overflow="fold")
    table.add_column("relationship", overflow="fold")
    table.add_column(f"P(LR≥{r['threshold']:g})", justify="right")
    table.add_column("mean log10 LR", justify="right")
    table.add_column("median", justify="right")
    table.add_column("exclusion power", justify="right")
    for c in r["candidates"]:
        table.add_row(
            c["relative"] or "-",
            escape(c["relationship"] + (f" [{'/'.join(c['lines'])}]" if c["lines"] else "")),
            f"{c['p_lr_above']:.3f}",
            f"{c['expected_log10_lr']:.2f}",
            f"{c['log10_lr_quantiles']['0.5']:.2f}",
            f"{c['exclusion_power']:.4f}" + ("" if c["exclusion_exact"] else " (est.)"),
        )
    console.print(table)
    console.print(
        escape(
            "[Y], [mt]: on the MP's paternal, maternal line; Y-STR or mtDNA would add to these "
            "autosomal figures. Exclusion power: of an unrelated person (est.: simulated)."
        ),
        highlight=False,
    )
