"""``repatria screen`` and ``repatria fragments``: screening at scale, thin over the screening
service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from repatria.cli.output import command, console, err_console, print_json


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A Rich bar on stderr, or nothing (``--json``: stdout stays one JSON document)."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


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
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary for machines."),
) -> None:
    """Screen every PM sample against every reference family; write the candidate pairings."""
    from repatria.services.pipelines.screening import screen_case

    with _progress(not as_json) as bar:
        summary = screen_case(
            case, min_lr=min_lr, top=top or None, scheduler=scheduler, out=out, progress=bar
        )
    if as_json:
        print_json(summary)
        return
    console.print(
        f"screened {summary['pairs_screened']:,} pairs "
        f"({summary['pm']:,} PM × {summary['missing']:,} MP) "
        f"in {summary['seconds']:.2f} s: {summary['candidates']:,} candidates"
        + (f" → {summary['out']}" if summary["out"] else "")
    )


@command
def fragments(
    case: Path = typer.Argument(..., help="Case folder."),
    min_lr: float = typer.Option(
        1e6, "--min-lr", min=0.0, help="Link two samples when their direct-match LR >= this."
    ),
    dropout: float = typer.Option(
        0.05, "--dropout", min=0.0, max=0.99, help="Per-allele dropout probability."
    ),
    out: Path = typer.Option(None, "--out", help="Write the groups here (.tsv, or .parquet)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary with the groups."),
) -> None:
    """Find PM samples that are fragments of one body (or one person sampled twice)."""
    from repatria.services.pipelines.screening import fragments_case

    with _progress(not as_json) as bar:
        summary = fragments_case(
            case, min_lr=min_lr or 1e-300, dropout=dropout, out=out, progress=bar
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
