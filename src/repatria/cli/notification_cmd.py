"""Families to tell and what stands in their way: ``to-tell``, ``notify-exception``, and
``consent flagged`` (identifications resting on a withdrawn donor, for re-review).

Registered in :mod:`repatria.cli.main`; each command calls one service and prints it.
"""

from __future__ import annotations

import dataclasses

import typer

from repatria.cli.output import console, print_json
from repatria.cli.registry_cmd import AsOpt, DbOpt, JsonOpt, _out, _Service, consent, notification

__all__ = ["to_tell_cmd", "notify_exception_cmd", "flagged_cmd"]

views = _Service("views")


def to_tell_cmd(actor: str = AsOpt, db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """List the families still to be told, and those recorded as not told (who and why)."""
    v = views.notifications_view(db, actor=actor)
    if as_json:
        print_json(dataclasses.asdict(v))
        return
    typer.echo(v.summary)
    for t in v.tasks:
        offer = ", ".join(
            f"{r['donor']} ({r['relationship'] or 'relative'})" for r in t.contactable
        )
        declined = [r["donor"] for r in t.references if r["declines_contact"]]
        typer.echo(
            f"to tell\t{t.person_ref}\t{t.person_name}\t{t.person_status}\t"
            f"contacts: {offer or 'none recorded'}"
            + (f"\tdo not contact: {', '.join(declined)}" if declined else "")
        )
    for e in v.exceptions:
        typer.echo(
            f"not told\t{e['person_ref']}\t{e['reason']}\tby {e['by']}\t{e['at'][:10]}"
            + (f"\t{e['cause']}" if e["cause"] else "")
            + ("\t(told since)" if e["told_since"] else "")
        )


def notify_exception_cmd(
    person: str = typer.Argument(..., help="The identified person's reference."),
    reason: str = typer.Option(..., "--reason", help="Why the family is not told."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record why an identified person's family will not be told (liaison or case manager)."""
    rec = notification.record_exception(db, person, actor=actor, reason=reason)
    _out(rec, as_json, rec.message)


def flagged_cmd(actor: str = AsOpt, db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """List identifications resting on a donor who withdrew consent, for re-review."""
    rows = consent.flagged_identifications(db, actor=actor)
    if as_json:
        print_json(
            {
                "flagged": [
                    {
                        **dataclasses.asdict(f),
                        "rests_only_on_withdrawn": f.rests_only_on_withdrawn,
                        "message": f.message,
                    }
                    for f in rows
                ]
            }
        )
        return
    if not rows:
        console.print("no identification rests on a withdrawn donor", highlight=False)
    for f in rows:
        console.print(f.message, highlight=False, soft_wrap=True)
