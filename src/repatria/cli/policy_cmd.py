"""Policy commands: show and set the identification policy (``docs/policy.md``)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import typer

from repatria.cli.output import command
from repatria.cli.proof import prove_actor
from repatria.cli.registry_cmd import AsOpt, DbOpt, JsonOpt, _out
from repatria.errors import ServiceError

__all__ = ["policy_app"]

policy_app = typer.Typer(
    help="The identification policy: what a candidate must meet to be proposed and confirmed.",
    no_args_is_help=True,
)


def _svc() -> Any:
    return import_module("repatria.services.workflows.policy")


@policy_app.command("show")
@command
def policy_show(db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """Show the current policy: one line per rule setting, with where its default comes from."""
    p = _svc().show(db)
    _out(p.to_json(), as_json, "\n".join(p.lines()))


@policy_app.command("set")
@command
def policy_set(
    actor: str = AsOpt,
    min_lr: float | None = typer.Option(None, "--min-lr", help="Smallest pairwise LR, e.g. 1e4."),
    min_posterior: float | None = typer.Option(
        None, "--min-posterior", help="Smallest posterior (its certified lower bound if any)."
    ),
    min_references: int | None = typer.Option(
        None, "--min-references", help="Close relatives that must support the match (0: off)."
    ),
    disclose: str | None = typer.Option(
        None,
        "--disclose",
        help="yes or no: may families be told that a recorded relationship is not as recorded?",
    ),
    note: str | None = typer.Option(None, "--note", help="What changed and why."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Store a new policy version (admin); prints the open candidates whose failed rules changed
    and the confirmed identifications that now fail, for re-review."""
    prove_actor(actor, db)
    result = _svc().set_policy(
        db,
        actor=actor,
        min_lr=min_lr,
        min_posterior=min_posterior,
        min_references=min_references,
        disclose_relationship_findings=_yes_no(disclose),
        note=note,
    )
    _out(result.to_json(), as_json, "\n".join(result.lines()))


def _yes_no(value: str | None) -> bool | None:
    if value is None:
        return None
    answer = {"yes": True, "no": False}.get(value.strip().lower())
    if answer is None:
        raise ServiceError(f"--disclose takes yes or no, not {value[:20]!r}")
    return answer
