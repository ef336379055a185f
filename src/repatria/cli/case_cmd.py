"""Registry commands: import, identify.

See :mod:`repatria.cli.registry_cmd` for the options they share.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from rich.table import Table

from repatria.cli.output import (
    ProgressJsonOpt,
    command,
    console,
    print_json,
    progress_reporter,
)
from repatria.cli.registry_cmd import (
    AsOpt,
    AsOptional,
    DbOpt,
    JsonOpt,
    _out,
    case_import,
    identify,
    imports,
)
from repatria.services.workflows.identify import IdentifyCandidate

__all__ = ["import_app", "identify_cmd"]

import_app = typer.Typer(
    help="Import files into the registry (all or nothing, once per file).", no_args_is_help=True
)


# ----------------------------------------------------------------------------- import


def _import(kind: str, file: Path, actor: str, db: str | None, as_json: bool) -> None:
    fn = {
        "persons": imports.import_persons,
        "remains": imports.import_remains,
        "claims": imports.import_claims,
    }[kind]
    result = fn(db, file, actor=actor)
    _out(
        {**dataclasses.asdict(result), "message": result.message} if as_json else result,
        as_json,
        result.message,
    )


FileArg = typer.Argument(..., help="A TSV file (columns: docs/registry.md).", dir_okay=False)


@import_app.command("case")
@command
def import_case(
    path: Path = typer.Argument(
        ...,
        help="A case folder (pm.tsv, am.tsv, missing.txt, markers.json) or a Familias .fam file.",
    ),
    actor: str = AsOpt,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change (new family versions); write nothing."
    ),
    reason: str | None = typer.Option(
        None, "--reason", help="Why the case changed (kept with each new family version)."
    ),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
    progress_json: bool = ProgressJsonOpt,
) -> None:
    """Import a DVI case: remains, PM profiles, families, donors, missing persons and markers.

    A folder imported before and changed since makes new versions of its families (and new
    profiles of retyped samples); the old ones are kept.
    """
    with progress_reporter(json_lines=progress_json, bars=not as_json) as progress:
        result = case_import.import_case(
            db, path, actor=actor, dry_run=dry_run, reason=reason, progress=progress
        )
    _out(
        {**dataclasses.asdict(result), "message": result.message} if as_json else result,
        as_json,
        result.message,
    )


@import_app.command("persons")
@command
def import_persons(
    file: Path = FileArg, actor: str = AsOpt, db: str | None = DbOpt, as_json: bool = JsonOpt
) -> None:
    """Import missing persons: names in every script, documents, unit, last known place."""
    _import("persons", file, actor, db, as_json)


@import_app.command("remains")
@command
def import_remains(
    file: Path = FileArg, actor: str = AsOpt, db: str | None = DbOpt, as_json: bool = JsonOpt
) -> None:
    """Import recovered remains: site, coordinates, date, condition, effects."""
    _import("remains", file, actor, db, as_json)


@import_app.command("claims")
@command
def import_claims(
    file: Path = FileArg, actor: str = AsOpt, db: str | None = DbOpt, as_json: bool = JsonOpt
) -> None:
    """Import published claims (the columns of published-claims.tsv)."""
    _import("claims", file, actor, db, as_json)


# ----------------------------------------------------------------------------- identify


def identify_cmd(
    actor: str | None = AsOptional,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
    frequencies: str | None = typer.Option(
        None,
        "--frequencies",
        help="Frequency table NAME or NAME@VERSION (`repatria frequencies list`; NAME alone: "
        "its newest version). Default: the newest case's own markers.",
    ),
    top: int = typer.Option(20, "--top", min=1, help="How many best joint assignments to keep."),
    from_screen: int | None = typer.Option(
        None,
        "--from-screen",
        help="Analyse only the candidate pairings of this screen run (`repatria screen --db`).",
    ),
    non_dna: str = typer.Option(
        "all",
        "--non-dna",
        help="Non-DNA factors stored with each candidate: all (those with data), none, or "
        "some of sex,age,place,date,unit,document,effects.",
    ),
    dropout: str | None = typer.Option(
        None,
        "--dropout",
        metavar="P|estimate",
        help="Allelic dropout (0 <= P < 1) for PM samples with none stored with their profile, "
        "or 'estimate' from each body's own profile. A body takes its samples' largest.",
    ),
    match_prior: str | None = typer.Option(
        None,
        "--match-prior",
        metavar="P|accounting",
        help="Probability (0 < P <= 1) that a body is one of the missing persons (open-population "
        "prior), or 'accounting': persons unaccounted for / bodies not identified, capped at 1. "
        "Without it, dvir's flat prior.",
    ),
    non_dna_prior: bool = typer.Option(
        False,
        "--non-dna-prior",
        help="Put each pairing's non-DNA LR in the prior's odds (needs --match-prior) instead of "
        "beside the LR; the combined LR then leaves them out, so nothing counts twice.",
    ),
    prior_sensitivity: bool = typer.Option(
        False,
        "--prior-sensitivity",
        help="Store each candidate's posterior under the open-population prior at p = 0.1, "
        "0.25, 0.5, 0.75, 0.9, 1 and under the flat prior (six more joint runs).",
    ),
    direct_references: bool = typer.Option(
        True,
        "--direct/--no-direct",
        help="Weigh the MPs' own items (direct references: a toothbrush, a razor) beside the "
        "relatives' LR; --no-direct leaves them out of the run.",
    ),
    progress_json: bool = ProgressJsonOpt,
) -> None:
    """Run the DVI analysis on the registry; store the run and its candidate matches (analyst)."""
    with progress_reporter(json_lines=progress_json, bars=not as_json) as progress:
        result = identify.identify(
            db,
            actor=actor or "",
            frequency_table=frequencies,
            top=top,
            progress=progress,
            from_screen=from_screen,
            non_dna=non_dna,
            dropout=dropout,
            match_prior=match_prior,
            prior_sensitivity=prior_sensitivity,
            non_dna_prior=non_dna_prior,
            direct_references=direct_references,
        )
    if as_json:
        print_json(result.as_dict())
        return
    console.print(
        f"run {result.run}: {result.n_pm} bodies, {result.n_missing} missing persons in "
        f"{result.n_families} families, {result.n_markers} markers (frequency table "
        f"{result.frequencies.get('label', result.frequency_table)!r}); "
        f"{len(result.candidates)} candidates "
        f"({identify.CANDIDATE_RULE})",
        highlight=False,
        soft_wrap=True,
    )
    if result.withdrawn_donors:
        console.print(
            f"left untyped (consent withdrawn): {', '.join(result.withdrawn_donors)}",
            highlight=False,
        )
    table = Table(title="candidate matches (body x person)")
    for col in ("id", "body", "samples", "person", "LR", "posterior", "status"):
        table.add_column(col, justify="right" if col in ("id", "LR", "posterior") else "left")
    for c in result.candidates:
        table.add_row(
            str(c.id),
            c.body,
            ", ".join(c.samples),
            c.person,
            f"{c.lr:.4g}",
            f"{c.posterior:.4f}",
            c.status,
        )
    console.print(table)
    _show_sensitivity(result.candidates)
    for ch in result.changes:
        console.print(
            f"changed: {ch['body']} x {ch['person']}: {'; '.join(ch['why'])}", highlight=False
        )
    if result.superseded:
        console.print(f"{result.superseded} candidates superseded", highlight=False)
    for r in result.rereview:
        console.print(
            f"re-review candidate {r['candidate']} ({r['body']} = {r['person']}): "
            f"{'; '.join(r['why'])}",
            highlight=False,
        )


def _show_sensitivity(candidates: list[IdentifyCandidate]) -> None:
    """Each candidate's posterior against the prior, when the run was asked for it."""
    rows = [c for c in candidates if c.prior_sensitivity]
    if not rows:
        return
    keys = list(rows[0].prior_sensitivity or {})
    t = Table(title="posterior of each candidate against the prior (p: open population)")
    for col in ("id", "body", "person"):
        t.add_column(col)
    for k in keys:
        t.add_column(k if k == "flat" else f"p={k}", justify="right")
    for c in rows:
        by_p = c.prior_sensitivity or {}
        t.add_row(str(c.id), c.body, c.person, *(f"{by_p.get(k, float('nan')):.4f}" for k in keys))
    console.print(t)
