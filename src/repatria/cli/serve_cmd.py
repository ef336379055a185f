"""``repatria serve``: the pages and the API on one address (uvicorn)."""

from __future__ import annotations

import typer

from repatria.cli.output import command, console


@command
def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)."
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    db: str = typer.Option(
        None,
        "--db",
        help="Database URL or SQLite file "
        "(default: $REPATRIA_DATABASE_URL, else ./repatria.sqlite).",
    ),
) -> None:
    """Serve the web pages and the REST API (/api/v1) over the registry."""
    run_server(db, host, port)


def run_server(db: str | None, host: str, port: int) -> None:
    """Check the database, say where to go, and serve until interrupted."""
    import uvicorn

    from repatria.api.app import create_app
    from repatria.services.workflows.setup import prepare_server

    where = prepare_server(db)
    console.print(
        f"Repatria at [bold]http://{host}:{port}/[/] (API: http://{host}:{port}/api/v1/docs), "
        f"database {where}. Ctrl-C stops it.",
        highlight=False,
    )
    uvicorn.run(create_app(db), host=host, port=port, log_level="warning")
