"""``repatria lineage match``: Y-STR or mtDNA lineage LR of a PM against a reference relative."""

from __future__ import annotations

from pathlib import Path

import typer

from repatria.cli.output import command, console, print_json

app = typer.Typer(help="Y-STR and mtDNA lineage matching.", no_args_is_help=True)


@app.command("match")
@command
def match(
    pm: str = typer.Option(
        ...,
        "--pm",
        help="The PM haplotype: 'DYS19=14;DYS385=13,15;...' (Y) or "
        "'16519C 263G@16024-16569,1-576' (mt).",
    ),
    reference: str = typer.Option(
        ..., "--reference", help="The reference relative's haplotype, same form."
    ),
    database: Path = typer.Option(
        ..., "--database", help="Haplotype database (TSV) of the population."
    ),
    kind: str = typer.Option("Y", "--kind", help="Y or mt."),
    meioses: int = typer.Option(
        ..., "--meioses", min=1, help="Meioses between the PM's MP and the reference."
    ),
    mutation_rate: float = typer.Option(
        0.0,
        "--mutation-rate",
        min=0.0,
        max=0.5,
        help="Per-locus stepwise mutation rate per meiosis (Y-STR).",
    ),
    max_mismatches: int = typer.Option(
        2, "--max-mismatches", min=0, help="More differing loci exclude."
    ),
    confidence: float = typer.Option(
        0.95, "--confidence", min=0.5, max=0.9999, help="Confidence of the frequency's upper bound."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """LR that the PM is of the reference's paternal (Y) or maternal (mt) line, vs. the database."""
    from repatria.services.pipelines.lineage import lineage_summary, match_lineage

    r = lineage_summary(
        match_lineage(
            pm,
            reference,
            database,
            kind=kind,
            meioses=meioses,
            mutation_rate=mutation_rate,
            max_mismatches=max_mismatches,
            confidence=confidence,
        )
    )
    if as_json:
        print_json(r)
        return
    f = r["frequency"]
    console.print(
        f"{r['loci_compared']} loci compared, {len(r['differences'])} differ"
        + (
            ": "
            + ", ".join(
                f"{d['locus']} {'/'.join(d['pm'])} vs {'/'.join(d['reference'])}"
                for d in r["differences"]
            )
            if r["differences"]
            else ""
        ),
        highlight=False,
    )
    console.print(
        f"haplotype seen {f['count']} times in {f['database_size']} database haplotypes"
        f" ({f['left_out']} not comparable); frequency {f['point']:.3g}, "
        f"augmented {f['augmented']:.3g}, "
        f"{f['confidence']:.0%} upper bound {f['upper']:.3g}",
        highlight=False,
    )
    if r["excluded"]:
        console.print(
            "[bold]excluded[/]: the haplotypes differ more than mutation allows", highlight=False
        )
    else:
        console.print(
            f"[bold]LR {r['lr_conservative']:.4g}[/] with the upper bound "
            f"({r['lr_augmented']:.4g} with the augmented frequency)",
            highlight=False,
        )
