"""Registry commands: custody, custody-history, sample, notify, repatriate, dispose,
presume-dead, consent, account.

See :mod:`repatria.cli.registry_cmd` for the options they share.
"""

from __future__ import annotations

import dataclasses

import typer
from rich.table import Table

from repatria.cli.output import (
    command,
    console,
    print_json,
)
from repatria.cli.registry_cmd import (
    AsOpt,
    AsOptional,
    DbOpt,
    JsonOpt,
    _out,
    accounting,
    consent,
    custody,
    notification,
    persons,
    repatriation,
    show_account,
)
from repatria.vocabulary import (
    CUSTODY_EVENTS,
    DISPOSITION_KINDS,
    NOTIFY_METHODS,
    REPATRIATION_KINDS,
    spelled,
)

__all__ = [
    "consent_app",
    "custody_cmd",
    "custody_history_cmd",
    "sample_cmd",
    "notify_cmd",
    "repatriate_cmd",
    "dispose_cmd",
    "presume_dead_cmd",
    "account_cmd",
]

consent_app = typer.Typer(help="Reference donors' consent.", no_args_is_help=True)


# ------------------------------------------------------------------ custody, notify, repatriate


def custody_cmd(
    event: str = typer.Option(
        ...,
        "--event",
        help=f"{spelled(CUSTODY_EVENTS)}.",
    ),
    remains: str | None = typer.Option(None, "--remains", help="The remains' reference."),
    sample: str | None = typer.Option(None, "--sample", help="The sample's reference."),
    from_party: str | None = typer.Option(None, "--from", help="Who handed them over."),
    to_party: str | None = typer.Option(None, "--to", help="Who received them."),
    location: str | None = typer.Option(None, "--location", help="Where."),
    occurred_on: str | None = typer.Option(
        None, "--on", help="When (a date, as precise as known)."
    ),
    notes: str | None = typer.Option(None, "--notes", help="Anything else (seals, containers)."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record a custody event for remains or a sample (append-only, hash-chained)."""
    rec = custody.record_custody(
        db,
        actor=actor,
        event=event,
        remains_ref=remains,
        sample_ref=sample,
        from_party=from_party,
        to_party=to_party,
        location=location,
        occurred_on=occurred_on,
        notes=notes,
    )
    _out(
        rec,
        as_json,
        f"custody event {rec.seq}: {rec.event} "
        f"{rec.remains_ref or rec.sample_ref} (hash {rec.row_hash[:12]}…)",
    )


def sample_cmd(
    remains: str = typer.Argument(..., help="The remains the sample was taken from."),
    sample: str = typer.Argument(..., help="The new sample's reference."),
    material: str | None = typer.Option(None, "--material", help="bone, tooth, tissue ..."),
    collected_on: str | None = typer.Option(None, "--on", help="When it was taken."),
    lab: str | None = typer.Option(None, "--lab", help="The lab it went to."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record a post mortem sample taken from remains (the remains become sampled)."""
    rec = custody.record_sample(
        db,
        actor=actor,
        remains_ref=remains,
        sample_ref=sample,
        material=material,
        collected_on=collected_on,
        lab=lab,
    )
    _out(
        rec,
        as_json,
        f"sample {rec.sample_ref} taken from {rec.remains_ref} (custody event {rec.seq})",
    )


def custody_history_cmd(
    remains: str = typer.Argument(..., help="The remains' reference."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Show the custody history of remains and their samples."""
    rows = custody.custody_history(db, remains, actor=actor)
    if as_json:
        print_json({"events": [dataclasses.asdict(r) for r in rows]})
        return
    table = Table(title=f"custody of {remains}")
    for col in ("seq", "event", "sample", "from", "to", "location", "on", "by"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.seq),
            r.event,
            r.sample_ref or "",
            r.from_party or "",
            r.to_party or "",
            r.location or "",
            r.occurred_on or "",
            r.recorded_by,
        )
    console.print(table)


def notify_cmd(
    person: str = typer.Argument(..., help="The identified person's reference."),
    recipient: str = typer.Option("", "--recipient", help="Who was told (or --donor)."),
    donor: str | None = typer.Option(
        None, "--donor", help="The reference donor told, if it was one (never one who declined)."
    ),
    method: str = typer.Option(..., "--method", help=f"{spelled(NOTIFY_METHODS)}."),
    notified_on: str = typer.Option(..., "--on", help="When."),
    relationship: str | None = typer.Option(
        None, "--relationship", help="The recipient's relationship."
    ),
    notes: str | None = typer.Option(None, "--notes", help="Sensitive notes (shown by role only)."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record that a family was told of a confirmed identification (liaison officer)."""
    rec = notification.notify_family(
        db,
        person,
        actor=actor,
        recipient=recipient,
        method=method,
        notified_on=notified_on,
        relationship=relationship,
        sensitive_notes=notes,
        recipient_donor=donor,
    )
    _out(
        rec,
        as_json,
        f"notification {rec.id}: {rec.recipient} told of {rec.person_ref} "
        f"({rec.method}, {rec.notified_on})",
    )


def repatriate_cmd(
    remains: list[str] = typer.Option(
        ..., "--remains", help="Bodies handed over, one coffin each (repeat for each)."
    ),
    kind: str = typer.Option(..., "--kind", help=f"{spelled(REPATRIATION_KINDS)}."),
    counterpart: str = typer.Option(
        ..., "--counterpart", help="Family, state or party receiving them."
    ),
    occurred_on: str = typer.Option(..., "--on", help="When."),
    place: str | None = typer.Option(None, "--place", help="Where."),
    ceremony: str | None = typer.Option(None, "--ceremony", help="The ceremony, if any."),
    coffin: list[str] | None = typer.Option(
        None, "--coffin", help="Coffin label, one per --remains."
    ),
    without_notification: str | None = typer.Option(
        None,
        "--without-notification",
        metavar="REASON",
        help="Hand over although a family is not told, and why (recorded, audited, shown).",
    ),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record identified bodies handed over or exchanged, all their items (all or nothing)."""
    rec = repatriation.repatriate(
        db,
        remains,
        actor=actor,
        kind=kind,
        counterpart=counterpart,
        occurred_on=occurred_on,
        place=place,
        ceremony=ceremony,
        coffin_labels=coffin or None,
        without_notification=without_notification,
    )
    _out(rec, as_json, rec.message)


def dispose_cmd(
    remains: str = typer.Argument(..., help="The body's reference (or its one item's)."),
    kind: str = typer.Option(..., "--kind", help=f"{spelled(DISPOSITION_KINDS)}."),
    occurred_on: str = typer.Option(..., "--on", help="When."),
    reason: str = typer.Option(..., "--reason", help="Why they were not repatriated."),
    place: str | None = typer.Option(None, "--place", help="Where."),
    cemetery: str | None = typer.Option(None, "--cemetery", help="The grave's cemetery."),
    plot: str | None = typer.Option(None, "--plot", help="The grave's plot."),
    grave: str | None = typer.Option(None, "--grave", help="The grave's number."),
    despite_open_candidates: str | None = typer.Option(
        None,
        "--despite-open-candidates",
        metavar="REASON",
        help="Go ahead although candidates for the body are open, and why (recorded).",
    ),
    without_notification: str | None = typer.Option(
        None,
        "--without-notification",
        metavar="REASON",
        help="Go ahead although the family is not told, and why (recorded, audited, shown).",
    ),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record a body buried (in a numbered grave), cremated, held or transferred."""
    rec = repatriation.dispose(
        db,
        remains,
        actor=actor,
        kind=kind,
        occurred_on=occurred_on,
        reason=reason,
        place=place,
        cemetery=cemetery,
        plot=plot,
        grave=grave,
        despite_open_candidates=despite_open_candidates,
        without_notification=without_notification,
    )
    _out(rec, as_json, rec.message)


def presume_dead_cmd(
    person: str = typer.Argument(..., help="The missing person's reference."),
    reason: str = typer.Option(..., "--reason", help="On what evidence."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
) -> None:
    """Declare a missing person presumed dead (case manager)."""
    status = persons.presume_dead(db, person, actor=actor, reason=reason)
    console.print(f"person {person} is now {status.replace('_', ' ')}", highlight=False)


# ---------------------------------------------------------------------- consent, account, audit


@consent_app.command("withdraw")
@command
def consent_withdraw(
    donor: str = typer.Argument(..., help="The donor's reference."),
    reason: str = typer.Option(..., "--reason", help="How the withdrawal was made."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record a donor's withdrawal of consent; names the past runs that used their profiles."""
    w = consent.withdraw_consent(db, donor, actor=actor, reason=reason)
    _out({**dataclasses.asdict(w), "message": w.message} if as_json else w, as_json, w.message)


@consent_app.command("decline-contact")
@command
def consent_decline_contact(
    donor: str = typer.Argument(..., help="The donor's reference."),
    reason: str = typer.Option(..., "--reason", help="How the donor said so."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record that a donor does not want to be contacted (never offered as the person told)."""
    d = consent.decline_contact(db, donor, actor=actor, reason=reason)
    _out({**dataclasses.asdict(d), "message": d.message} if as_json else d, as_json, d.message)


@consent_app.command("profiles")
@command
def consent_profiles(db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """List the profiles a new identification run may use (no withdrawn consent)."""
    rows = consent.profiles_for_run(db)
    if as_json:
        print_json({"profiles": [dataclasses.asdict(p) for p in rows]})
        return
    for p in rows:
        console.print(
            f"{p.profile_id}\t{p.kind}\t{p.sample_ref}\t{p.donor_ref or ''}", highlight=False
        )


def account_cmd(
    actor: str | None = AsOptional, db: str | None = DbOpt, as_json: bool = JsonOpt
) -> None:
    """Count the registry by state and set the counts beside every published claim."""
    acc = accounting.account(db, actor=actor)
    if as_json:
        print_json(acc.as_dict())
        return
    show_account(acc)
