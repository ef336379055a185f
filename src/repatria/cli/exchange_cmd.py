"""``repatria exchange``: signed packages for handovers and partner agencies (docs/exchange.md).

keygen, trust, parties, consent, export, import, received. Each command calls one service
(:mod:`repatria.services.workflows.exchange`, :mod:`~repatria.services.workflows.exchange_import`)
and prints its result.
"""

from __future__ import annotations

import dataclasses

import typer

from repatria.cli.output import command, console, print_json
from repatria.cli.registry_cmd import AsOpt, DbOpt, JsonOpt, _out, _Service

__all__ = ["exchange_app"]

exchange, exchange_import = _Service("workflows.exchange"), _Service("workflows.exchange_import")

exchange_app = typer.Typer(
    help="Signed, hash-chained exchange packages: keys, trusted parties, export and import.",
    no_args_is_help=True,
)


@exchange_app.command("keygen")
@command
def keygen_cmd(
    party: str = typer.Option(..., "--party", help="The party the key is for (your agency)."),
    out: str = typer.Option(".", "--out", help="The folder for NAME.key and NAME.pub."),
    as_json: bool = JsonOpt,
) -> None:
    """Create an Ed25519 key pair: NAME.key (private, 0600) and NAME.pub (to give away)."""
    k = exchange.keygen(party, out)
    _out({**dataclasses.asdict(k), "message": k.message} if as_json else k, as_json, k.message)


@exchange_app.command("trust")
@command
def trust_cmd(
    name: str = typer.Argument(..., help="The party's name, as it signs its packages."),
    public_key_file: str = typer.Argument(..., help="The party's public key file (NAME.pub)."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Trust a party's packages: record its name and public key (admins; audited)."""
    p = exchange.trust_party(db, name, public_key_file, actor=actor)
    _out({**dataclasses.asdict(p), "message": p.message} if as_json else p, as_json, p.message)


@exchange_app.command("parties")
@command
def parties_cmd(db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """List the trusted parties and their key fingerprints."""
    rows = exchange.list_parties(db)
    if as_json:
        print_json({"parties": [dataclasses.asdict(p) for p in rows]})
        return
    if not rows:
        console.print("no trusted party yet (add one with `repatria exchange trust`)")
    for p in rows:
        console.print(
            f"{p.name}\t{p.fingerprint}\tadded by {p.added_by} on {p.added_at[:10]}",
            highlight=False,
        )


@exchange_app.command("consent")
@command
def consent_cmd(
    donor: str = typer.Argument(..., help="The donor's reference."),
    given_on: str = typer.Option(..., "--on", help="When the donor gave this consent."),
    party: str | None = typer.Option(
        None, "--party", help="The one party it is for; default: any party we exchange with."
    ),
    actor: str = AsOpt,
    db: str | None = DbOpt,
) -> None:
    """Record a donor's consent to share their reference profile in exchange packages."""
    console.print(
        exchange.record_sharing_consent(db, donor, actor=actor, given_on=given_on, party=party),
        highlight=False,
        soft_wrap=True,
    )


@exchange_app.command("export")
@command
def export_cmd(
    out: str = typer.Option(..., "--out", help="The package file to write (never overwritten)."),
    actor: str = AsOpt,
    to: str | None = typer.Option(None, "--to", help="The party the package is for."),
    key: str | None = typer.Option(
        None, "--key", help="Your party's private key file; default $REPATRIA_EXCHANGE_KEY."
    ),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Write a signed package of the registry's records for another party (case managers)."""
    s = exchange.export_package(db, out, actor=actor, recipient=to, key_file=key)
    _out({**dataclasses.asdict(s), "message": s.message} if as_json else s, as_json, s.message)


@exchange_app.command("import")
@command
def import_cmd(
    file: str = typer.Argument(..., help="The package file."),
    actor: str = AsOpt,
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Verify a package (signature, trusted signer, chain) and store its records, all or none."""
    s = exchange_import.import_package(db, file, actor=actor)
    _out({**dataclasses.asdict(s), "message": s.message} if as_json else s, as_json, s.message)


@exchange_app.command("received")
@command
def received_cmd(
    party: str | None = typer.Option(None, "--party", help="Only this party's records."),
    db: str | None = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Count the records held as received from other parties (newest versions), by type."""
    counts = exchange_import.received_counts(db, party)
    if as_json:
        print_json({"party": party, "counts": counts})
        return
    console.print(", ".join(f"{n} {t}" for t, n in counts.items()), highlight=False, soft_wrap=True)
