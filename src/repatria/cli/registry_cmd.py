"""What the registry commands share: the lazily imported services, the options, the output.

The commands themselves are in :mod:`~repatria.cli.db_cmd` (db, users, login, audit),
:mod:`~repatria.cli.case_cmd` (import, identify), :mod:`~repatria.cli.review_cmd` (review),
:mod:`~repatria.cli.bodies_cmd` (bodies, families) and :mod:`~repatria.cli.custody_cmd`
(custody, notify, repatriate, dispose, consent, account), registered in :mod:`repatria.cli.main`.
Each command calls one service function and prints its result; there is no logic here and no
database session (the service opens it from ``--db``). Every command takes ``--db URL``
(default: ``$REPATRIA_DATABASE_URL``, else ``./repatria.sqlite``); commands that act take
``--as USER``; commands that return data take ``--json``.
"""

from __future__ import annotations

import dataclasses
from importlib import import_module
from typing import Any

import typer
from rich.table import Table

from repatria.cli.output import (
    console,
    print_json,
)
from repatria.vocabulary import (
    ROLES,
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
    "AS_HELP",
    "DB_HELP",
    "ROLES_HELP",
    "AsOpt",
    "AsOptional",
    "DbOpt",
    "JsonOpt",
    "show_account",
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


def _out(obj: Any, as_json: bool, sentence: str) -> None:
    if as_json:
        is_record = dataclasses.is_dataclass(obj) and not isinstance(obj, type)
        print_json(dataclasses.asdict(obj) if is_record else obj)
    else:
        console.print(sentence, highlight=False, soft_wrap=True)


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
