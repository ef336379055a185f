"""``repatria bodies``: re-associations of PM samples into bodies, reviewed by two people.

Each command calls one service function (:mod:`repatria.services.workflows.bodies`). The
decision commands (propose, split, search, confirm, reject, revoke) take ``--as USER`` only
proven, as the review commands do (:func:`repatria.cli.proof.prove_actor`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import typer

from repatria.cli.output import command, console, print_json
from repatria.cli.proof import prove_actor

__all__ = ["bodies_app", "families_app"]

bodies_app = typer.Typer(
    help="Bodies: which samples are one individual's remains (re-associations).",
    no_args_is_help=True,
)

families_app = typer.Typer(
    help="Reference families: corrections, each a new version (the old one kept).",
    no_args_is_help=True,
)

_DB_HELP = "Database URL; default $REPATRIA_DATABASE_URL, else ./repatria.sqlite."
DbOpt = typer.Option(None, "--db", help=_DB_HELP, show_default=False)
AsOpt = typer.Option(
    ..., "--as", envvar="REPATRIA_USER", help="The user doing this.", show_envvar=False
)
JsonOpt = typer.Option(False, "--json", help="Print one JSON object.")
SamplesArg = typer.Argument(..., help="PM sample references.")
IdArg = typer.Argument(..., help="The re-association id (from `bodies propose`).")


def _svc() -> Any:
    return import_module("repatria.services.workflows.bodies")


def _out(result: Any, as_json: bool, short: bool = False) -> None:
    if as_json:
        print_json({"id": result.id} if short else result.as_dict())
    else:
        console.print(result.message)


@bodies_app.command("propose")
@command
def bodies_propose(
    samples: list[str] = SamplesArg,
    actor: str = AsOpt,
    reason: str = typer.Option(..., "--reason", help="Why these samples are one body."),
    anthropology: str | None = typer.Option(
        None, "--anthropology", help="The anthropologist's finding (kept as evidence)."
    ),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Propose that these PM samples are one body (analyst); `--json` prints {"id": int}."""
    prove_actor(actor, db)
    r = _svc().propose(db, samples, actor=actor, reason=reason, anthropology=anthropology)
    _out(r, as_json, short=True)


@bodies_app.command("split")
@command
def bodies_split(
    samples: list[str] = SamplesArg,
    actor: str = AsOpt,
    reason: str = typer.Option(..., "--reason", help="Why these samples are another body."),
    anthropology: str | None = typer.Option(None, "--anthropology", help="The finding."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Propose that these samples of one body are another body (a bag holding two)."""
    prove_actor(actor, db)
    r = _svc().propose(
        db, samples, actor=actor, reason=reason, kind="split", anthropology=anthropology
    )
    _out(r, as_json, short=True)


@bodies_app.command("search")
@command
def bodies_search(
    actor: str = AsOpt,
    min_lr: float = typer.Option(1e6, "--min-lr", help="Link two samples at this LR or more."),
    dropout: float = typer.Option(0.05, "--dropout", help="Per-allele dropout of the LR."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Compare every pair of PM samples of different bodies; propose each linked group."""
    prove_actor(actor, db)
    svc = import_module("repatria.services.workflows.fragment_search")
    r = svc.propose_fragments(db, actor=actor, min_lr=min_lr, dropout=dropout)
    if as_json:
        print_json(
            {
                "samples": r.samples,
                "pairs": r.pairs,
                "links": [{"a": a, "b": b, "log10_lr": v} for a, b, v in r.links],
                "proposals": r.proposals,
                "already_proposed": r.already_proposed,
            }
        )
    else:
        console.print(r.message)


@bodies_app.command("confirm")
@command
def bodies_confirm(
    association_id: int = IdArg,
    actor: str = AsOpt,
    reason: str | None = typer.Option(None, "--reason", help="Why (optional)."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Confirm a re-association (a reviewer who did not propose it)."""
    prove_actor(actor, db)
    _out(_svc().confirm(db, association_id, actor=actor, reason=reason), as_json)


@bodies_app.command("reject")
@command
def bodies_reject(
    association_id: int = IdArg,
    actor: str = AsOpt,
    reason: str = typer.Option(..., "--reason", help="Why not."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Reject a re-association (a reviewer who did not propose it)."""
    prove_actor(actor, db)
    _out(_svc().reject(db, association_id, actor=actor, reason=reason), as_json)


@bodies_app.command("revoke")
@command
def bodies_revoke(
    association_id: int = IdArg,
    actor: str = AsOpt,
    reason: str = typer.Option(..., "--reason", help="Why it is undone."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Revoke a confirmed re-association: each sample goes back to its old body."""
    prove_actor(actor, db)
    _out(_svc().revoke(db, association_id, actor=actor, reason=reason), as_json)


@bodies_app.command("show")
@command
def bodies_show(
    ref: str = typer.Argument(..., help="A body (or a recovered item of one body)."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """A body now: its state, samples and recovered items."""
    v = _svc().show_body(db, ref)
    if as_json:
        print_json(v.as_dict())
    else:
        console.print(
            f"body {v.ref} ({v.status}): samples {', '.join(v.samples) or 'none'}; "
            f"items {', '.join(v.items) or 'none'}"
        )


@families_app.command("correct")
@command
def families_correct(
    family: str = typer.Argument(..., help="The reference family."),
    individual: str = typer.Argument(..., help="The member to correct."),
    actor: str = AsOpt,
    reason: str = typer.Option(..., "--reason", help="Why (kept with the new version)."),
    father: str | None = typer.Option(None, "--father", help="His or her father ('-': unknown)."),
    mother: str | None = typer.Option(None, "--mother", help="His or her mother ('-': unknown)."),
    sex: str | None = typer.Option(None, "--sex", help="male, female or unknown."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Correct a member's father, mother or sex: a new version of the family."""
    svc = import_module("repatria.services.workflows.family_versions")
    v = svc.correct_family(
        db, family, individual, actor=actor, reason=reason, father=father, mother=mother, sex=sex
    )
    if as_json:
        print_json(v.as_dict())
    else:
        console.print(v.message)


@bodies_app.command("list")
@command
def bodies_list(
    actor: str = AsOpt,
    status: str | None = typer.Option(None, "--status", help="Only bodies in this state."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Every body: its state, samples, recovered items, the person and the grave."""
    from dataclasses import asdict

    svc = import_module("repatria.services.views.bodies")
    rows = svc.list_bodies(db, actor=actor, status=status)
    if as_json:
        print_json([asdict(b) for b in rows])
        return
    for b in rows:
        who = f", identified as {b.person}" if b.person else ""
        grave = f", in {b.grave}" if b.grave else ""
        console.print(
            f"body {b.ref} ({b.status}{who}{grave}): samples {', '.join(b.samples) or 'none'}; "
            f"items {', '.join(b.items) or 'none'}"
        )


@families_app.command("add-reference")
@command
def families_add_reference(
    family: str = typer.Argument(..., help="The reference family."),
    individual: str = typer.Argument(..., help="The member (or a new relative) who gave it."),
    actor: str = AsOpt,
    reason: str = typer.Option(..., "--reason", help="Why (kept with the new version)."),
    genotype: list[str] = typer.Option(
        ..., "--genotype", help="MARKER=a/b, repeat for each typed marker."
    ),
    donor: str | None = typer.Option(
        None, "--donor", help="The donor's ref (default: the member)."
    ),
    sex: str | None = typer.Option(None, "--sex", help="male, female or unknown."),
    father: str | None = typer.Option(None, "--father", help="Father of a new relative."),
    mother: str | None = typer.Option(None, "--mother", help="Mother of a new relative."),
    relationship: str | None = typer.Option(
        None, "--relationship", help="To the missing person (mother, brother ...)."
    ),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Add a donor's reference profile to a family: a new version (the old one kept)."""
    from repatria.formats.profile_text import parse_profile_lines

    svc = import_module("repatria.services.workflows.family_members")
    v = svc.add_reference(
        db,
        family,
        individual,
        parse_profile_lines(genotype, source="--genotype"),
        actor=actor,
        reason=reason,
        donor_ref=donor,
        sex=sex,
        father=father,
        mother=mother,
        relationship=relationship,
    )
    if as_json:
        print_json(v.as_dict())
    else:
        console.print(v.message)


@families_app.command("history")
@command
def families_history(
    family: str = typer.Argument(..., help="The reference family."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Every version of a family, newest first, with who changed it and why."""
    from dataclasses import asdict

    svc = import_module("repatria.services.views.bodies")
    versions = svc.family_history(db, family, actor=actor)
    if as_json:
        print_json([asdict(v) for v in versions])
        return
    for v in versions:
        by = f"changed by {v.changed_by}: {v.change_reason}" if v.changed_by else "as imported"
        typed = [m["individual"] for m in v.members if m["typed"]]
        console.print(
            f"family {v.ref} version {v.version}{' (current)' if v.current else ''}, {by}; "
            f"typed: {', '.join(typed) or 'none'}"
        )
