"""Registry commands: review (propose, confirm, reject, revoke, show).

See :mod:`repatria.cli.registry_cmd` for the options they share.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import typer

from repatria.cli.output import (
    command,
)
from repatria.cli.proof import prove_actor
from repatria.cli.registry_cmd import (
    AsOpt,
    DbOpt,
    JsonOpt,
    _out,
    review,
)

__all__ = ["review_app"]

review_app = typer.Typer(
    help="Review candidate matches: propose, confirm, reject, revoke.", no_args_is_help=True
)


# ----------------------------------------------------------------------------- review

CandArg = typer.Argument(..., help="The candidate match id.")
ReasonOpt = typer.Option(None, "--reason", help="Why (required to confirm, reject or revoke).")
OverrideOpt = typer.Option(
    None,
    "--override",
    help="Go on although the candidate fails the identification policy, giving the reason "
    "(only the roles the policy names; never over a hard rule). The reviewer sees it.",
)


def _review_out(result: Any, as_json: bool) -> None:
    _out(
        {**dataclasses.asdict(result), "message": result.message} if as_json else result,
        as_json,
        result.message,
    )


def _proven(actor: str, db: str | None) -> None:
    """A decision's ``--as USER`` must be proven (:func:`repatria.cli.proof.prove_actor`)."""
    prove_actor(actor, db)


@review_app.command("propose")
@command
def review_propose(
    candidate_id: int = CandArg,
    actor: str = AsOpt,
    reason: str | None = ReasonOpt,
    override: str | None = OverrideOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Propose a candidate for review (analyst), if it meets the identification policy."""
    _proven(actor, db)
    _review_out(
        review.propose(db, candidate_id, actor=actor, reason=reason, override=override), as_json
    )


@review_app.command("confirm")
@command
def review_confirm(
    candidate_id: int = CandArg,
    actor: str = AsOpt,
    reason: str | None = ReasonOpt,
    override: str | None = OverrideOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Confirm a proposed candidate, with a reason (a reviewer who did not propose it)."""
    _proven(actor, db)
    _review_out(
        review.confirm(db, candidate_id, actor=actor, reason=reason, override=override), as_json
    )


@review_app.command("reject")
@command
def review_reject(
    candidate_id: int = CandArg,
    actor: str = AsOpt,
    reason: str | None = ReasonOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Reject a proposed candidate, with a reason (a reviewer who did not propose it)."""
    _proven(actor, db)
    _review_out(review.reject(db, candidate_id, actor=actor, reason=reason or ""), as_json)


@review_app.command("revoke")
@command
def review_revoke(
    candidate_id: int = CandArg,
    actor: str = AsOpt,
    reason: str | None = ReasonOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Revoke a confirmed identification, with a reason; it takes two people.

    The first reviewer or case manager requests the revocation; a different one revokes it,
    and only then are the person and remains reopened.
    """
    _proven(actor, db)
    _review_out(review.revoke(db, candidate_id, actor=actor, reason=reason or ""), as_json)


@review_app.command("show")
@command
def review_show(
    candidate_id: int = CandArg, db: str | None = DbOpt, as_json: bool = JsonOpt
) -> None:
    """Show a candidate's review status, its verdict under the current policy, and decisions."""
    state = review.candidate_state(db, candidate_id)
    lines = [
        f"candidate {state.candidate_id} ({state.person_ref} = {state.remains_ref}): {state.status}"
    ]
    if state.verdict is not None:
        v = state.verdict
        lines.append(
            f"  identification policy v{v['policy_version']}: "
            + ("meets every rule" if v["meets"] else "FAILS - review needs an override")
        )
        lines += [f"    {line}" for line in state.verdict_lines]
    for i, k, u, r in state.decisions:
        lines.append(f"  decision {i}: {k} by {u}" + (f" ({r})" if r else ""))
        p = state.policy.get(i)
        if p is not None:
            lines.append(
                f"    under policy v{p['policy_version']}"
                + (f", overriding it: {p['override_reason']}" if p["override_reason"] else "")
            )
    if state.revocation is not None:
        lines.append(
            f"  revocation requested by {state.revocation['requested_by']} "
            f"({state.revocation['reason']}); another reviewer or case manager must revoke it"
        )
    _out(state, as_json, "\n".join(lines))


@review_app.command("propose-batch")
@command
def review_propose_batch(
    actor: str = AsOpt,
    limit: int | None = typer.Option(None, "--limit", help="Propose at most N candidates."),
    reason: str | None = ReasonOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Propose, in one transaction, every open candidate that meets the identification policy;
    lists what was proposed and what was skipped, with the rule."""
    _proven(actor, db)
    result = review.propose_batch(db, actor=actor, limit=limit, reason=reason)
    _out(
        {"proposed": result.proposed, "skipped": result.skipped, "message": result.message}
        if as_json
        else result,
        as_json,
        result.message,
    )
