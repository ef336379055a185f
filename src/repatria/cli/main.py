"""Entry point of the ``repatria`` command."""

from __future__ import annotations

import typer

from repatria import __version__
from repatria.cli import (
    bodies_cmd,
    case_cmd,
    custody_cmd,
    db_cmd,
    demo_cmd,
    direct_cmd,
    dvi_cmd,
    exchange_cmd,
    frequencies_cmd,
    kinship_cmd,
    lab_cmd,
    lineage_cmd,
    lineage_registry_cmd,
    notification_cmd,
    persons_cmd,
    policy_cmd,
    power_cmd,
    power_registry_cmd,
    review_cmd,
    screen_cmd,
    serve_cmd,
    simulate_cmd,
)
from repatria.cli.output import command

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
lineage_registry_cmd.register(lineage_cmd.app)
app.add_typer(direct_cmd.app, name="direct")
app.add_typer(lab_cmd.app, name="lab")
app.command("demo")(demo_cmd.demo)
app.command("screen")(screen_cmd.screen)
app.command("fragments")(screen_cmd.fragments)
app.command("serve")(serve_cmd.serve)
app.command("power")(power_cmd.power)
# The registry commands (options shared in repatria.cli.registry_cmd).
app.add_typer(db_cmd.db_app, name="db")
app.command("login")(command(db_cmd.login_cmd))
app.add_typer(db_cmd.users_app, name="users")
app.add_typer(case_cmd.import_app, name="import")
case_cmd.import_app.command("lab")(frequencies_cmd.import_lab)
app.add_typer(frequencies_cmd.app, name="frequencies")
app.command("identify")(command(case_cmd.identify_cmd))
app.add_typer(review_cmd.review_app, name="review")
app.add_typer(policy_cmd.policy_app, name="policy")
app.add_typer(bodies_cmd.bodies_app, name="bodies")
app.add_typer(bodies_cmd.families_app, name="families")
bodies_cmd.families_app.command("power")(command(power_registry_cmd.families_power))
bodies_cmd.families_app.command("weak")(command(power_registry_cmd.families_weak))
app.command("custody")(command(custody_cmd.custody_cmd))
app.command("custody-history")(command(custody_cmd.custody_history_cmd))
app.command("sample")(command(custody_cmd.sample_cmd))
app.command("notify")(command(custody_cmd.notify_cmd))
app.command("repatriate")(command(custody_cmd.repatriate_cmd))
app.command("dispose")(command(custody_cmd.dispose_cmd))
app.command("presume-dead")(command(custody_cmd.presume_dead_cmd))
app.add_typer(custody_cmd.consent_app, name="consent")
app.command("to-tell")(command(notification_cmd.to_tell_cmd))
app.command("notify-exception")(command(notification_cmd.notify_exception_cmd))
custody_cmd.consent_app.command("flagged")(command(notification_cmd.flagged_cmd))
app.add_typer(persons_cmd.persons_app, name="persons")
app.command("account")(command(custody_cmd.account_cmd))
app.add_typer(db_cmd.audit_app, name="audit")
app.add_typer(exchange_cmd.exchange_app, name="exchange")


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
