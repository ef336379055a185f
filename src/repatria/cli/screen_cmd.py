"""``repatria screen`` and ``repatria fragments``: screening at scale, thin over the screening
services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from repatria.cli.output import (
    ProgressJsonOpt,
    command,
    console,
    err_console,
    print_json,
    progress_reporter,
)

AS_HELP = "With --db: the analyst storing the screen; default $REPATRIA_USER."


@command
def screen(
    case: Path = typer.Argument(
        ..., help="Case folder (pm.tsv, am.tsv, missing.txt, markers.json)."
    ),
    min_lr: float = typer.Option(1.0, "--min-lr", min=0.0, help="Keep pairs with LR >= this."),
    top: int = typer.Option(
        10, "--top", min=0, help="Keep only the top K of each PM or family (0: no limit)."
    ),
    scheduler: str = typer.Option(
        None, "--scheduler", help="Dask scheduler address (tcp://host:8786)."
    ),
    out: Path = typer.Option(None, "--out", help="Write candidates here (.tsv, or .parquet)."),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Store the screen and its candidates for review in this registry (sqlite:///path "
        "or postgresql://...); the case must be imported there (`repatria import case`).",
        show_default=False,
    ),
    actor: str | None = typer.Option(
        None, "--as", envvar="REPATRIA_USER", help=AS_HELP, show_envvar=False
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary for machines."),
    dropout: str = typer.Option(
        None,
        "--dropout",
        help="Allelic dropout probability (0 <= P < 1) of every PM sample, or 'estimate' "
        "(with --db) to estimate each sample's from its own profile; a dropout column in pm.tsv "
        "(with --db: the dropout stored with the sample's profile) overrides it per sample. "
        "Without it, samples are typed exactly.",
    ),
    drop_in: float = typer.Option(
        None,
        "--drop-in",
        help="Drop-in probability (0 <= C < 1) per marker of every PM sample: one extra allele "
        "drawn from the population frequencies. Without it, no drop-in.",
    ),
    progress_json: bool = ProgressJsonOpt,
) -> None:
    """Screen every PM sample against every reference family; write the candidate pairings."""
    with progress_reporter(json_lines=progress_json, bars=not as_json) as progress:
        if db is None:
            from repatria.services.pipelines.screening import screen_case

            summary = screen_case(
                case,
                min_lr=min_lr,
                top=top or None,
                scheduler=scheduler,
                out=out,
                progress=progress,
                dropout=_number(dropout),
                drop_in=drop_in,
            )
        else:
            from repatria.services.workflows.screen_run import screen_into_registry

            summary = screen_into_registry(
                db,
                case,
                actor=actor or "",
                min_lr=min_lr,
                top=top or None,
                scheduler=scheduler,
                out=out,
                progress=progress,
                dropout=dropout,
                drop_in=drop_in,
            )
    for warning in summary.get("warnings", []):
        err_console.print(f"warning: {warning}", highlight=False, soft_wrap=True)
    if as_json:
        print_json(summary)
        return
    console.print(
        f"screened {summary['pairs_screened']:,} pairs "
        f"({summary['pm']:,} PM × {summary['missing']:,} MP) "
        f"in {summary['seconds']:.2f} s: {summary['candidates']:,} candidates"
        + (f" → {summary['out']}" if summary["out"] else "")
    )
    if "run" in summary:
        console.print(_stored(summary), highlight=False, soft_wrap=True)


def _number(dropout: str | None) -> float | None:
    """``--dropout`` without --db: a number only (a case folder has no stored profiles)."""
    if dropout is None:
        return None
    try:
        return float(dropout)
    except ValueError:
        raise typer.BadParameter(
            "a number in [0, 1) (estimate needs --db)", param_hint="--dropout"
        ) from None


def _stored(s: dict[str, Any]) -> str:
    left = ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in s["left_out"].items() if n)
    return (
        f"stored as screening run {s['run']}: {s['stored']:,} candidate matches for review "
        f"in {s['store_seconds']:.2f} s" + (f" (left out: {left})" if left else "")
    )


@command
def fragments(
    case: Path = typer.Argument(..., help="Case folder."),
    min_lr: float = typer.Option(
        1e6, "--min-lr", min=0.0, help="Link two samples when their direct-match LR >= this."
    ),
    dropout: str = typer.Option(
        None,
        "--dropout",
        metavar="P|estimate",
        help="Per-allele dropout probability (0 <= P < 1; default 0.05), or 'estimate' to "
        "estimate each sample's from its own failed and single-peak markers; a dropout column "
        "in pm.tsv overrides it per sample.",
    ),
    drop_in: float = typer.Option(
        None,
        "--drop-in",
        help="Drop-in probability (0 <= C < 1) per marker of every sample: one extra allele "
        "drawn from the population frequencies; every pair is then checked (at most 4000 "
        "samples). Without it, no drop-in.",
    ),
    out: Path = typer.Option(None, "--out", help="Write the groups here (.tsv, or .parquet)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary with the groups."),
    progress_json: bool = ProgressJsonOpt,
) -> None:
    """Find PM samples that are fragments of one body (or one person sampled twice)."""
    from repatria.services.pipelines.screening import fragments_case

    with progress_reporter(json_lines=progress_json, bars=not as_json) as progress:
        summary = fragments_case(
            case,
            min_lr=min_lr or 1e-300,
            dropout=dropout,
            out=out,
            progress=progress,
            drop_in=drop_in,
        )
    if as_json:
        print_json(summary)
        return
    console.print(
        f"{summary['samples']:,} samples: {summary['groups']:,} groups of one body "
        f"({summary['samples_in_groups']:,} samples), "
        f"{summary['candidates_checked']:,} pairs verified "
        f"in {summary['seconds']:.2f} s" + (f" → {summary['out']}" if summary["out"] else "")
    )
