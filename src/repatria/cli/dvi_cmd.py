"""``repatria dvi ...``: analyse a DVI case."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from repatria.cli.output import (
    ProgressJsonOpt,
    command,
    console,
    err_console,
    print_json,
    progress_reporter,
)
from repatria.formats.jsonsafe import count_text
from repatria.services.pipelines.dvi_analysis import DVIAnalysis, analyse_case

app = typer.Typer(
    help="Disaster victim identification: many remains against many families.", no_args_is_help=True
)


@app.command("analyse")
@command
def analyse(
    case: Path = typer.Argument(
        ..., help="A case folder (pm.tsv, am.tsv, missing.txt, markers.json) or a .fam file."
    ),
    top: int = typer.Option(
        20, "--top", min=1, help="How many of the best joint assignments to report."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object (the command contract)."
    ),
    unseen_allele_freq: float = typer.Option(
        None,
        "--unseen-allele-freq",
        min=0.0,
        max=0.5,
        help="Add alleles the frequency table lacks at this frequency instead of stopping with "
        "an error (they are listed in the output).",
    ),
    match_prior: float = typer.Option(
        None,
        "--match-prior",
        min=0.0,
        max=1.0,
        help="Probability that a PM is one of the case's missing persons (open-population "
        "prior, evenly over the MPs it may be); without it, dvir's flat prior over assignments.",
    ),
    dropout: str = typer.Option(
        None,
        "--dropout",
        metavar="P|estimate",
        help="Allelic dropout probability (0 <= P < 1) of every PM sample, or 'estimate' to "
        "estimate each sample's from its own failed and single-peak markers (shown); a dropout "
        "column in pm.tsv overrides it per sample. Without it, samples are typed exactly.",
    ),
    drop_in: float = typer.Option(
        None,
        "--drop-in",
        help="Drop-in probability (0 <= C < 1) per marker of every PM sample: one extra allele "
        "drawn from the population frequencies. Without it, no drop-in.",
    ),
    prior_sensitivity: bool = typer.Option(
        False,
        "--prior-sensitivity",
        help="Also each identified pairing's posterior under the open-population prior at p = "
        "0.1 ... 1 and under the flat prior (about six more joint runs; JSON: "
        "joint.sensitivity).",
    ),
    merge_fragments: bool = typer.Option(
        False,
        "--merge-fragments",
        help="First find the PM samples that are fragments of one body (direct match) and "
        "analyse each body as one PM, all its samples weighed on one genotype (listed; JSON: "
        "provenance.fragments). Without it, every sample is its own PM, as in dvir.",
    ),
    fragment_lr: float = typer.Option(
        1e6,
        "--fragment-lr",
        min=1.0,
        help="With --merge-fragments: the direct-match LR at which two samples are one body.",
    ),
    progress_json: bool = ProgressJsonOpt,
) -> None:
    """Pairwise LRs, exclusions, joint identification with posteriors, and conclusions."""
    with progress_reporter(json_lines=progress_json, bars=not as_json) as progress:
        result = analyse_case(
            case,
            top=top,
            progress=progress,
            unseen_allele_freq=unseen_allele_freq,
            match_prior=match_prior,
            dropout=dropout,
            drop_in=drop_in,
            sensitivity=prior_sensitivity,
            merge_fragments_lr=fragment_lr if merge_fragments else None,
        )
    for warning in result.notes.get("warnings", []):
        err_console.print(f"warning: {warning}", highlight=False, soft_wrap=True)
    if as_json:
        print_json(result.to_dict())
        return
    unseen = result.notes.get("unseen_alleles")
    if unseen:
        listed = "; ".join(f"{m}: {', '.join(a)}" for m, a in unseen["added"].items())
        err_console.print(
            "alleles not in the frequency table, added at frequency "
            f"{unseen['frequency']:g}: {listed}",
            highlight=False,
            soft_wrap=True,
        )
    show(result)
    show_fragments(result)
    show_estimates(result)
    show_sensitivity(result)


def show_fragments(r: DVIAnalysis) -> None:
    """The bodies analysed as one PM each, and the groups kept apart with why."""
    frag = r.notes.get("fragments")
    if not frag:
        return
    t = Table(
        title=f"Fragments of one body, analysed as one PM (direct-match LR >= {frag['min_lr']:g})"
    )
    t.add_column("PM (body)")
    t.add_column("samples")
    for body, members in frag["merged"].items():
        t.add_row(body, ", ".join(members))
    for g in frag["kept_apart"]:
        t.add_row("kept apart", f"{', '.join(g['samples'])}: {g['why']}")
    if not frag["merged"] and not frag["kept_apart"]:
        t.add_row("none", "no two samples are one body")
    console.print(t)


def show_estimates(r: DVIAnalysis) -> None:
    """The per-sample dropout estimates of ``--dropout estimate``, with what they rest on."""
    basis = (r.notes.get("dropout") or {}).get("estimate_basis")
    if not basis:
        return
    t = Table(title="Dropout estimated from each sample's profile (markers of the case's kit)")
    for col in ("sample", "dropout", "failed", "one peak", "two peaks", "kit"):
        t.add_column(col, justify="left" if col == "sample" else "right")
    for v, b in basis.items():
        capped = " (cap)" if b["capped"] else ""
        t.add_row(
            v,
            f"{b['dropout']:.3f}{capped}",
            str(b["failed"]),
            str(b["single_peak"]),
            str(b["two_peaks"]),
            str(b["kit"]),
        )
    console.print(t)


def show_sensitivity(r: DVIAnalysis) -> None:
    """Each identified pairing's posterior against the open-population prior's p."""
    rows = r.sensitivity or []
    if not rows:
        return
    keys = list(rows[0].posterior_by_p)
    t = Table(title="Posterior of each identification against the prior (p: open population)")
    t.add_column("PM")
    t.add_column("MP")
    for k in keys:
        t.add_column(k if k == "flat" else f"p={k}", justify="right")
    for x in rows:
        t.add_row(x.pm, x.mp, *(f"{x.posterior_by_p[k]:.4f}" for k in keys))
    console.print(t)


def show(r: DVIAnalysis, top: int = 5) -> None:
    p, pw, j = r.problem, r.pairwise, r.joint
    console.print(
        f"[bold]{len(p.pm)} PM samples, {len(p.families)} reference families, "
        f"{len(p.missing)} missing persons, {len(p.markers)} markers[/]"
    )
    t = Table(title="Pairwise LR (PM placed on MP vs. unrelated); excluded pairings marked ✗")
    t.add_column("PM")
    for m in p.missing:
        t.add_column(m, justify="right")
    for i, v in enumerate(p.pm):
        cells = []
        for k in range(len(p.missing)):
            if pw.exclusions[i, k] < 0:
                cells.append("·")
                continue
            lr = pw.lr[i, k]
            mark = " ✗" if pw.exclusions[i, k] > 2 else ""
            cells.append(f"{lr:.3g}{mark}")
        t.add_row(v, *cells)
    console.print(t)
    t = Table(
        title=f"Best joint assignments of {count_text(j.n_assignments)} "
        f"({j.prior}; LR vs. nobody identified)"
    )
    t.add_column("#", justify="right")
    t.add_column("assignment")
    t.add_column("LR", justify="right")
    t.add_column("posterior", justify="right")
    for k, a in enumerate(j.top[:top], start=1):
        pairs = (
            ", ".join(f"{v}={m}" for v, m in a.assignment.items() if m != "*")
            or "nobody identified"
        )
        t.add_row(str(k), pairs, f"{a.lr:.4g}", f"{a.posterior:.4f}")
    console.print(t)
    if j.neglected_mass_bound > 0:
        console.print(
            f"Left out by pruning: at most {j.neglected_mass_bound:.2e} of the posterior mass "
            f"({'proven' if j.bound_proven else 'not proven: a family had too many placements'})."
        )
    t = Table(title="Conclusions per PM sample")
    for col in ("sample", "missing", "family", "LR", "conclusion", "comment"):
        t.add_column(col)
    for row in r.conclusions.get("pm", []):
        lr = row.get("lr")
        t.add_row(
            str(row.get("sample") or ""),
            str(row.get("missing") or ""),
            str(row.get("family") or ""),
            "" if lr is None else f"{lr:.4g}",
            str(row.get("conclusion") or ""),
            str(row.get("comment") or ""),
        )
    console.print(t)
