"""Registry commands: db, users, login, audit.

See :mod:`repatria.cli.registry_cmd` for the options they share.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import typer

from repatria.cli.output import (
    command,
    console,
    err_console,
    print_json,
)
from repatria.cli.registry_cmd import (
    ROLES_HELP,
    AsOpt,
    AsOptional,
    DbOpt,
    JsonOpt,
    _out,
    audit,
    auth,
    setup,
    users,
)

__all__ = ["db_app", "users_app", "audit_app", "login_cmd"]

db_app = typer.Typer(help="Create or upgrade the registry database.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
audit_app = typer.Typer(
    help="Audit: verify the hash chains, read the audit log.", no_args_is_help=True
)


# ----------------------------------------------------------------------------- db, users


@db_app.command("init")
@command
def db_init(
    db: str | None = DbOpt,
    migrate_url: str | None = typer.Option(
        None,
        "--migrate-url",
        help="PostgreSQL: the migration role's URL of the same database (default: "
        "$REPATRIA_MIGRATE_URL); it migrates and grants the application role of --db only "
        "what the workflows need.",
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Create the database or bring it to the newest schema (alembic upgrade head)."""
    result = setup.init_database(db, migrate_url)
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
