"""Registry commands: db, users, import, review, custody, notify, repatriate, account, audit.

Each command calls one service function and prints its result; there is no logic here and no
database session (the service opens it from ``--db``). Every command takes ``--db URL``
(default: ``$REPATRIA_DATABASE_URL``, else ``./repatria.sqlite``); commands that act take
``--as USER``; commands that return data take ``--json``.
"""

from __future__ import annotations

import dataclasses
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

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
from repatria.cli.proof import prove_actor
from repatria.vocabulary import (
    CUSTODY_EVENTS,
    DISPOSITION_KINDS,
    NOTIFY_METHODS,
    REPATRIATION_KINDS,
    ROLES,
    spelled,
)


class _Service:
    """A service module imported on first use: the registry's imports (SQLAlchemy, the models)
    are most of the CLI's start-up, and commands that do not touch the registry need none of it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(import_module(f"repatria.services.{self._name}"), attr)


(
    accounting,
    audit,
    auth,
    case_import,
    consent,
    custody,
    identify,
    imports,
    notification,
    persons,
    repatriation,
    review,
    users,
    setup,
) = (
    _Service(n)
    for n in (
        "workflows.accounting",
        "access.audit",
        "access.auth",
        "workflows.case_import",
        "workflows.consent",
        "workflows.custody",
        "workflows.identify",
        "workflows.imports",
        "workflows.notification",
        "workflows.persons",
        "workflows.repatriation",
        "workflows.review",
        "access.users",
        "workflows.setup",
    )
)

#: The roles, from the vocabularies (which import no database code, so --help stays fast).
ROLES_HELP = ", ".join(ROLES)

__all__ = [
    "register",
    "show_account",
    "db_app",
    "users_app",
    "import_app",
    "review_app",
    "consent_app",
    "audit_app",
]

DB_HELP = (
    "Database URL (sqlite:///path or postgresql://...); "
    "default $REPATRIA_DATABASE_URL, else ./repatria.sqlite."
)
DbOpt = typer.Option(None, "--db", help=DB_HELP, show_default=False)
AS_HELP = "The user doing this (checked against their role); default $REPATRIA_USER."
AsOpt = typer.Option(..., "--as", envvar="REPATRIA_USER", help=AS_HELP, show_envvar=False)
AsOptional = typer.Option(None, "--as", envvar="REPATRIA_USER", help=AS_HELP, show_envvar=False)
JsonOpt = typer.Option(False, "--json", help="Print one JSON object.")

db_app = typer.Typer(help="Create or upgrade the registry database.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import files into the registry (all or nothing, once per file).", no_args_is_help=True
)
review_app = typer.Typer(
    help="Review candidate matches: propose, confirm, reject, revoke.", no_args_is_help=True
)
consent_app = typer.Typer(help="Reference donors' consent.", no_args_is_help=True)
audit_app = typer.Typer(
    help="Audit: verify the hash chains, read the audit log.", no_args_is_help=True
)


def _out(obj: Any, as_json: bool, sentence: str) -> None:
    if as_json:
        is_record = dataclasses.is_dataclass(obj) and not isinstance(obj, type)
        print_json(dataclasses.asdict(obj) if is_record else obj)
    else:
        console.print(sentence, highlight=False, soft_wrap=True)


# ----------------------------------------------------------------------------- db, users


@db_app.command("init")
@command
def db_init(db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """Create the database or bring it to the newest schema (alembic upgrade head)."""
    result = setup.init_database(db)
    _out(result, as_json, result.message)


@db_app.command("backup")
@command
def db_backup(
    file: Path = typer.Argument(
        ..., help="The backup file to write (must not exist).", dir_okay=False
    ),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Write a consistent backup, even while the server writes (SQLite backup API, or pg_dump).

    The chain key is not in the backup: keep a copy of it apart.
    """
    r = setup.backup_database(db, file)
    _out(
        r,
        as_json,
        f"backed up {r.database} to {r.file} ({r.bytes} bytes); keep the chain key apart",
    )


@db_app.command("restore")
@command
def db_restore(
    file: Path = typer.Argument(
        ..., help="A backup written by `repatria db backup`.", dir_okay=False
    ),
    yes: bool = typer.Option(False, "--yes", help="Replace the database without asking."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Replace the database with a backup (stop the server first); then run `audit verify`."""
    if not yes and not typer.confirm("Replace the database with this backup?"):
        raise typer.Exit(1)
    r = setup.restore_database(db, file)
    _out(r, as_json, f"restored {r.database} from {r.file}; run `repatria audit verify`")


@users_app.command("add")
@command
def users_add(
    name: str = typer.Argument(..., help="The user's name."),
    role: str = typer.Option(..., "--role", help=f"One of: {ROLES_HELP}."),
    actor: str | None = typer.Option(None, "--as", help="An admin adding the user (optional)."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Add a user with one role."""
    info = users.add_user(db, name, role, actor=actor)
    _out(info, as_json, f"added user {info.name} ({info.role})")


@users_app.command("password")
@command
def users_password(
    name: str = typer.Argument(..., help="The user's name."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The new password (asked for, not echoed, when not given).",
    ),
    actor: str | None = typer.Option(
        None, "--as", help="An admin setting another user's password."
    ),
    db: str | None = DbOpt,
) -> None:
    """Set a user's password, for the web pages and the API (stored as an argon2 hash)."""
    auth.set_password(db, name, password, actor=actor)
    console.print(f"password set for {name}", highlight=False)


@users_app.command("disable")
@command
def users_disable(
    name: str = typer.Argument(..., help="The user's name."),
    actor: str | None = typer.Option(None, "--as", help="The admin disabling the account."),
    db: str | None = DbOpt,
) -> None:
    """Disable an account: no more logins, every token revoked; past decisions stand."""
    info = auth.disable_user(db, name, actor=actor)
    console.print(f"disabled {info.name}; their tokens are revoked", highlight=False)


@users_app.command("list")
@command
def users_list(db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """List the users and their roles."""
    rows = users.list_users(db)
    if as_json:
        print_json({"users": [dataclasses.asdict(u) for u in rows]})
        return
    for u in rows:
        console.print(f"{u.name}\t{u.role}", highlight=False)


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
        None, "--frequencies", help="Frequency table by name (default: the newest)."
    ),
    top: int = typer.Option(20, "--top", min=1, help="How many best joint assignments to keep."),
    from_screen: int | None = typer.Option(
        None,
        "--from-screen",
        help="Analyse only the candidate pairings of this screen run (`repatria screen --db`).",
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
        )
    if as_json:
        print_json(result.as_dict())
        return
    console.print(
        f"run {result.run}: {result.n_pm} bodies, {result.n_missing} missing persons in "
        f"{result.n_families} families, {result.n_markers} markers (frequency table "
        f"{result.frequency_table!r}); {len(result.candidates)} candidates "
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


# ----------------------------------------------------------------------------- review

CandArg = typer.Argument(..., help="The candidate match id.")
ReasonOpt = typer.Option(None, "--reason", help="Why (required to reject or revoke).")


def _review_out(result: Any, as_json: bool) -> None:
    _out(
        {**dataclasses.asdict(result), "message": result.message} if as_json else result,
        as_json,
        result.message,
    )


def _proven(actor: str, db: str | None) -> None:
    """A decision's ``--as USER`` must be proven (:func:`repatria.cli.proof.prove_actor`)."""
    prove_actor(actor, db)


def login_cmd(
    name: str = typer.Argument(..., help="The user logging in."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    db: str | None = DbOpt,
) -> None:
    """Log in and print an API token (1 hour): export REPATRIA_TOKEN=$(repatria login NAME).

    Decision commands (review propose, confirm, reject, revoke) accept --as USER only with
    that user's token in $REPATRIA_TOKEN, or the password typed at a terminal.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True)
    token, user = auth.login(db, name, password, kind="api", label="cli")
    print(token)
    err_console.print(
        f"token of {user.name} ({user.role}), valid for 1 hour", highlight=False, soft_wrap=True
    )


@review_app.command("propose")
@command
def review_propose(
    candidate_id: int = CandArg,
    actor: str = AsOpt,
    reason: str | None = ReasonOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Propose a candidate for review (analyst)."""
    _proven(actor, db)
    _review_out(review.propose(db, candidate_id, actor=actor, reason=reason), as_json)


@review_app.command("confirm")
@command
def review_confirm(
    candidate_id: int = CandArg,
    actor: str = AsOpt,
    reason: str | None = ReasonOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Confirm a proposed candidate (a reviewer who did not propose it)."""
    _proven(actor, db)
    _review_out(review.confirm(db, candidate_id, actor=actor, reason=reason), as_json)


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
    """Revoke a confirmed identification, with a reason; the person and remains are reopened."""
    _proven(actor, db)
    _review_out(review.revoke(db, candidate_id, actor=actor, reason=reason or ""), as_json)


@review_app.command("show")
@command
def review_show(
    candidate_id: int = CandArg, db: str | None = DbOpt, as_json: bool = JsonOpt
) -> None:
    """Show a candidate's review status and decisions."""
    state = review.candidate_state(db, candidate_id)
    lines = [
        f"candidate {state.candidate_id} ({state.person_ref} = {state.remains_ref}): {state.status}"
    ]
    lines += [
        f"  decision {i}: {k} by {u}" + (f" ({r})" if r else "") for i, k, u, r in state.decisions
    ]
    _out(state, as_json, "\n".join(lines))


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
    recipient: str = typer.Option(..., "--recipient", help="Who was told."),
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


def show_account(acc: Any) -> None:
    """The accounting as two tables: counts by state, and each claim beside the registry."""
    counts = Table(title="registry counts")
    counts.add_column("state")
    counts.add_column("n", justify="right")
    for k, v in acc.counts.items():
        counts.add_row(k, str(v))
    console.print(counts)
    claims = Table(title="published claims beside the registry")
    claims.add_column("claim", no_wrap=True)
    claims.add_column("said by (reported by, on)", ratio=2)
    claims.add_column("measure")
    claims.add_column("range", justify="right", no_wrap=True)
    claims.add_column("difference", ratio=3)
    for c in acc.claims:
        low, high = c["low"], c["high"]
        rng = (
            ""
            if low is None and high is None
            else str(low)
            if low == high
            else f"{low if low is not None else ''}–{high if high is not None else ''}"
        )
        claims.add_row(
            c["claim_id"],
            f"{c['attributed_to'] or '?'} ({c['reported_by'] or '?'}, {c['reported_on'] or '?'})",
            c["measure"],
            rng,
            c["difference"],
        )
    console.print(claims)


def account_cmd(
    actor: str | None = AsOptional, db: str | None = DbOpt, as_json: bool = JsonOpt
) -> None:
    """Count the registry by state and set the counts beside every published claim."""
    acc = accounting.account(db, actor=actor)
    if as_json:
        print_json(acc.as_dict())
        return
    show_account(acc)


AnchorOpt = typer.Option(
    None,
    "--anchor",
    help="The anchor file to check against (default: beside the chain key).",
    dir_okay=False,
)


@audit_app.command("verify")
@command
def audit_verify(
    actor: str | None = AsOptional,
    db: str | None = DbOpt,
    anchor: Path | None = AnchorOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Verify the keyed chains (custody, decisions, audit log), the last anchor, and the states.

    Names each break in one line; exits 1 when anything is broken.
    """
    report = audit.verify_chains(db, actor=actor, anchor=anchor)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "first_break": report.first_break(),
                "breaks": report.breaks,
                "anchor": report.anchor,
                "anchored_at": report.anchored_at,
                "chains": [dataclasses.asdict(c) | {"ok": c.ok} for c in report.chains],
            }
        )
    else:
        for c in report.chains:
            state = "intact" if c.ok else "BROKEN"
            console.print(f"{c.chain} chain ({c.table}): {c.rows} rows, {state}", highlight=False)
        console.print(
            f"checked against the anchor of {report.anchored_at} ({report.anchor})"
            if report.anchor
            else "no anchor yet: run `repatria audit anchor` to catch removed rows",
            highlight=False,
            soft_wrap=True,
        )
    for line in report.breaks:
        err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
@command
def audit_anchor(
    actor: str | None = AsOptional,
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Append the anchor to FILE (default: beside the chain key).",
        dir_okay=False,
    ),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Write the chain heads, signed (Ed25519), to a file kept outside the database."""
    result = audit.anchor_chains(db, actor=actor, out=out)
    _out(result, as_json, result.message)


@audit_app.command("log")
@command
def audit_log(
    actor: str = AsOpt,
    limit: int = typer.Option(50, "--limit", help="How many entries."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Show the newest audit entries: who saw or changed what (auditors and admins)."""
    rows = audit.read_audit_log(db, actor=actor, limit=limit)
    if as_json:
        print_json({"entries": [dataclasses.asdict(r) | {"at": r.at.isoformat()} for r in rows]})
        return
    for r in rows:
        console.print(
            f"{r.at:%Y-%m-%d %H:%M:%S} {r.user or '-'} {r.action} {r.entity or ''} "
            f"{r.entity_id or ''}",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add the registry commands to the root ``repatria`` app."""
    app.add_typer(db_app, name="db")
    app.command("login")(command(login_cmd))
    app.add_typer(users_app, name="users")
    app.add_typer(import_app, name="import")
    app.command("identify")(command(identify_cmd))
    app.add_typer(review_app, name="review")
    from repatria.cli.bodies_cmd import bodies_app, families_app

    app.add_typer(bodies_app, name="bodies")
    app.add_typer(families_app, name="families")
    app.command("custody")(command(custody_cmd))
    app.command("custody-history")(command(custody_history_cmd))
    app.command("sample")(command(sample_cmd))
    app.command("notify")(command(notify_cmd))
    app.command("repatriate")(command(repatriate_cmd))
    app.command("dispose")(command(dispose_cmd))
    app.command("presume-dead")(command(presume_dead_cmd))
    app.add_typer(consent_app, name="consent")
    app.command("account")(command(account_cmd))
    app.add_typer(audit_app, name="audit")
