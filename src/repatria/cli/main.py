"""Entry point of the ``repatria`` command."""

from __future__ import annotations

import typer

from repatria import __version__
from repatria.cli import (
    demo_cmd,
    dvi_cmd,
    kinship_cmd,
    lab_cmd,
    lineage_cmd,
    power_cmd,
    registry_cmd,
    screen_cmd,
    serve_cmd,
    simulate_cmd,
)

app = typer.Typer(
    name="repatria",
    help="Repatria: identify the dead by DNA kinship, account for every one of them, "
    "track their way home.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(kinship_cmd.app, name="kinship")
app.add_typer(dvi_cmd.app, name="dvi")
app.add_typer(simulate_cmd.app, name="simulate")
app.add_typer(lineage_cmd.app, name="lineage")
app.add_typer(lab_cmd.app, name="lab")
app.command("demo")(demo_cmd.demo)
app.command("screen")(screen_cmd.screen)
app.command("fragments")(screen_cmd.fragments)
app.command("serve")(serve_cmd.serve)
app.command("power")(power_cmd.power)
registry_cmd.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"repatria {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Repatria command line."""


if __name__ == "__main__":  # pragma: no cover
    app()
