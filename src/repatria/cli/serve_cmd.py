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
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="Server processes (one per CPU core serves more readers at once).",
    ),
) -> None:
    """Serve the web pages and the REST API (/api/v1) over the registry."""
    run_server(db, host, port, workers)


def run_server(db: str | None, host: str, port: int, workers: int = 1) -> None:
    """Check the database, say where to go, and serve until interrupted."""
    import uvicorn

    from repatria.api.app import SERVE_DB_VAR, create_app, settle_heap
    from repatria.services.workflows.setup import prepare_server

    where = prepare_server(db)
    console.print(
        f"Repatria at [bold]http://{host}:{port}/[/] (API: http://{host}:{port}/api/v1/docs), "
        f"database {where}. Ctrl-C stops it.",
        highlight=False,
    )
    if workers == 1:
        app = create_app(db)
        settle_heap()
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    # Several processes: each builds its app (and its checks) from the factory.
    import os

    if db:
        os.environ[SERVE_DB_VAR] = db
    uvicorn.run(
        "repatria.api.app:served_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
    )
