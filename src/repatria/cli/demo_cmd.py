"""``repatria demo``: load the bundled scenario into a fresh SQLite file and show what it holds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from repatria.cli.output import command, console, print_json

if TYPE_CHECKING:
    from repatria.services.workflows.demo_scenario import DemoSummary


@command
def demo(
    db: Path = typer.Option(
        Path("repatria-demo.sqlite"), "--db", help="The SQLite file to (re)create for the demo."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    serve: bool = typer.Option(
        None,
        "--serve/--no-serve",
        help="Then serve the pages and API on localhost until Ctrl-C "
        "(default: only when run in a terminal, never with --json).",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to serve on."),
) -> None:
    """Load the demo scenario (an exchange of remains, reference families, false papers, published
    claims) into a fresh SQLite file; print the identification run and the accounting."""
    from repatria.cli.registry_cmd import show_account
    from repatria.services.workflows.demo import fresh_demo

    s = fresh_demo(db)
    if as_json:
        print_json(
            {
                "database": s.database,
                "run": s.run,
                "candidates": s.candidates,
                "confirmed": s.confirmed,
                "rejected": s.rejected,
                "notified": s.notified,
                "repatriated": s.repatriated,
                "disposed": s.disposed,
                "states": s.states,
                "account": s.account.as_dict(),
                "users": [{"name": n, "role": r, "password": s.passwords[n]} for n, r in s.users],
            }
        )
        if serve:
            _serve(db, s, host, port)
        return
    console.print(f"[bold]Repatria demo[/] loaded into {s.database}", highlight=False)
    for line in s.imports:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    console.print(
        f"\n[bold]DNA identification[/] (run {s.run}): {s.n_pm} PM samples against "
        f"{s.n_missing} missing persons in {s.n_families} reference families, "
        f"{s.n_markers} STR markers",
        highlight=False,
    )
    table = Table(title="candidate matches (LR > 1 or posterior >= 0.01)")
    for col in ("id", "remains", "missing person", "LR", "posterior"):
        table.add_column(col, justify="right" if col in ("id", "LR", "posterior") else "left")
    for c in s.candidates:
        table.add_row(
            str(c["id"]), c["pm"], c["missing"], f"{c['lr']:.3g}", f"{c['posterior']:.4f}"
        )
    console.print(table)
    agree, n = s.agree_with_truth
    console.print(
        f"confirmed by a second reviewer: {len(s.confirmed)} ({agree} of {n} agree with the "
        f"simulated truth); rejected: {len(s.rejected)}; families notified: {len(s.notified)}; "
        f"repatriated: {len(s.repatriated)}; disposed of: {len(s.disposed)}",
        highlight=False,
    )
    console.print(
        "states: "
        + "; ".join(
            f"{k} " + ", ".join(f"{st.replace('_', ' ')} {n}" for st, n in v.items())
            for k, v in s.states.items()
        )
        + "\n",
        highlight=False,
    )
    show_account(s.account)
    console.print(
        f"\nExplore it: repatria account --db {db}   ·   repatria review show 1 --db {db}   ·   "
        f"repatria audit verify --db {db}",
        highlight=False,
        soft_wrap=True,
    )
    _users_table(
        s, f"demo users (log in at http://{host}:{port}/ after `repatria serve --db {db}`)"
    )
    # Serving blocks until Ctrl-C, so by default it happens only for a person at a terminal.
    if serve if serve is not None else sys.stdin.isatty():
        _serve(db, s, host, port)


def _users_table(s: DemoSummary, title: str) -> None:
    table = Table(title=title)
    for col in ("name", "role", "password"):
        table.add_column(col)
    for name, role in s.users:
        table.add_row(name, role.replace("_", " "), s.passwords[name])
    console.print(table)


def _serve(db: Path, s: DemoSummary, host: str, port: int) -> None:
    """Serve the demo database (its users' passwords were set when it was loaded)."""
    from repatria.cli.serve_cmd import run_server

    console.print(f"serving on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
    run_server(str(db), host, port)
