"""``repatria families power FAMILY`` and ``repatria families weak``: which relative to sample
next, from the registry (the service: :mod:`repatria.services.workflows.family_power`).

Registered on the ``families`` group in :mod:`repatria.cli.main`. ``repatria power CASE``
(:mod:`repatria.cli.power_cmd`) is the same study on a case folder.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from repatria.cli.output import console, print_json
from repatria.cli.registry_cmd import AsOpt, DbOpt, JsonOpt

__all__ = ["families_power", "families_weak"]


def _svc() -> Any:
    return import_module("repatria.services.workflows.family_power")


def _num(x: float | None, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def families_power(
    family: str = typer.Argument(..., help="The reference family."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    missing: str | None = typer.Option(
        None, "--missing", help="Only this missing person (default: each of the family's)."
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="The LR to reach (default: the policy's minimum LR)."
    ),
    sims: int = typer.Option(200, "--sims", min=1, max=100_000, help="Simulations per relative."),
    seed: int = typer.Option(1, "--seed", min=0, help="Random seed: the same seed, the same."),
    as_json: bool = JsonOpt,
) -> None:
    """For each relative the family could still give: simulated P(LR >= threshold), mean log10
    LR and exclusion power (the current references first)."""
    r = _svc().family_power(
        db, family, actor=actor, missing=missing, threshold=threshold, sims=sims, seed=seed
    )
    if as_json:
        print_json(r.to_json())
        return
    for mp in r.missing_persons:
        state = ", identified" if mp["identified"] else ""
        table = Table(
            title=f"family {r.family} v{r.version}, missing {mp['missing']}{state}: {r.sims} "
            f"simulations, seed {r.seed}, {r.markers} markers; threshold {r.threshold:g} "
            f"({r.threshold_source})"
        )
        for col in ("relative", "relationship"):
            table.add_column(col, overflow="fold")
        for col in (f"P(LR≥{r.threshold:g})", "mean log10 LR", "exclusion power"):
            table.add_column(col, justify="right")
        for c in mp["candidates"]:
            lines = f" [{'/'.join(c['lines'])}]" if c["lines"] else ""
            table.add_row(
                escape(c["relative"] or "-"),
                escape(c["relationship"] + lines),
                f"{c['p_lr_above']:.3f}",
                f"{c['expected_log10_lr']:.2f}",
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


def families_weak(
    actor: str = AsOpt,
    db: str | None = DbOpt,
    below: float = typer.Option(
        0.8, "--below", help="List families whose P(LR >= threshold) is below this."
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="The LR to reach (default: the policy's minimum LR)."
    ),
    sims: int = typer.Option(50, "--sims", min=1, max=100_000, help="Simulations per relative."),
    seed: int = typer.Option(1, "--seed", min=0, help="Random seed."),
    sort: str | None = typer.Option(None, "--sort", help="power (default), family, best_power."),
    limit: int | None = typer.Option(None, "--limit", help="Rows per page (default 50)."),
    cursor: str | None = typer.Option(None, "--cursor", help="`next` of the previous page."),
    as_json: bool = JsonOpt,
) -> None:
    """The programme view: every missing person not identified whose family's references are
    too weak, with the relative that would help most."""
    from repatria.services.paging import page_spec

    svc = _svc()
    w = svc.weak_families(
        db,
        actor=actor,
        below=below,
        threshold=threshold,
        sims=sims,
        seed=seed,
        page=page_spec(sort, limit, cursor),
    )
    if as_json:
        from dataclasses import asdict

        print_json(
            {
                **w.to_json(),
                "families": [asdict(x) for x in w.page.items],
                "total": w.page.total,
                "next": w.page.next,
            }
        )
        return
    table = Table(
        title=f"{w.page.total} of {w.considered} unresolved missing persons below power "
        f"{w.below:g} at LR {w.threshold:g} ({w.threshold_source}); {w.sims} simulations, "
        f"seed {w.seed}"
    )
    for col in ("family", "missing", "references", "sample next"):
        table.add_column(col, overflow="fold")
    for col in ("power now", "power after", "mean log10 LR after"):
        table.add_column(col, justify="right")
    for x in w.page.items:
        lines = f" [{'/'.join(x.best_lines)}]" if x.best_lines else ""
        table.add_row(
            escape(x.family),
            escape(x.missing),
            escape(", ".join(x.references) or "none"),
            escape((x.best_relative or "-") + lines),
            f"{x.power:.3f}",
            _num(x.best_power, ".3f"),
            _num(x.best_expected_log10_lr, ".2f"),
        )
    console.print(table)
    for f in w.not_computed:
        console.print(
            escape(f"not computed: family {f['family']}, {f['missing']}: {f['reason']}"),
            highlight=False,
        )
    if w.page.next:
        console.print(f"next page: --cursor {w.page.next}", highlight=False)
