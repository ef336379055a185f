"""Exchange packages for handovers and partner agencies: keys, trusted parties, consent, export.

A package (``docs/exchange.md``) carries the registry's bodies, recovered items with their
custody history, graves, identifications with their evidence and the run behind them, and the
profiles that may be shared (:mod:`~repatria.services.workflows.exchange_collect`); it is
hash-chained and signed with the sender's Ed25519 key
(:mod:`repatria.formats.exchange_package`). Importing one is
:mod:`~repatria.services.workflows.exchange_import`.

The sender's private key is a file outside the database (``repatria exchange keygen``), named
by ``$REPATRIA_EXCHANGE_KEY`` or given to the export; the registry keeps only the public keys of
the parties it trusts, which an admin adds.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from repatria import __version__
from repatria.errors import ServiceError
from repatria.formats import exchange_package as fmt
from repatria.registry.db import session_scope
from repatria.registry.models import Donor, ExchangePackage, ExchangeParty, SharingConsent
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows._lookup import by_ref
from repatria.services.workflows.exchange_collect import collect

__all__ = [
    "KEY_ENV",
    "KeyPair",
    "Party",
    "ExportSummary",
    "keygen",
    "trust_party",
    "list_parties",
    "trusted_keys",
    "record_sharing_consent",
    "load_signing_key",
    "export_package",
]

#: The file of this registry's private exchange key, when the export is not given one.
KEY_ENV = "REPATRIA_EXCHANGE_KEY"


@dataclass(frozen=True)
class KeyPair:
    """Key files written by :func:`keygen`."""

    party: str
    private_key: str
    public_key: str
    fingerprint: str

    @property
    def message(self) -> str:
        return (
            f"key pair of {self.party}: private key {self.private_key} (keep it secret, 0600), "
            f"public key {self.public_key} (give it to the parties you exchange with); "
            f"fingerprint {self.fingerprint}"
        )


@dataclass(frozen=True)
class Party:
    """A trusted party."""

    name: str
    public_key: str
    fingerprint: str
    added_by: str | None
    added_at: str
    already: bool = False

    @property
    def message(self) -> str:
        if self.already:
            return f"{self.name} was already trusted with this key (fingerprint {self.fingerprint})"
        return f"{self.name} is now a trusted party (fingerprint {self.fingerprint})"


@dataclass(frozen=True)
class ExportSummary:
    """A package written: where, its id, parties, counts and chain head."""

    path: str
    package_id: str
    sender: str
    recipient: str | None
    records: int
    counts: dict[str, int]
    chain_head: str
    sha256: str
    fingerprint: str

    @property
    def message(self) -> str:
        counts = ", ".join(f"{n} {t}" for t, n in self.counts.items() if n)
        to = f" to {self.recipient}" if self.recipient else ""
        return (
            f"package {self.package_id} from {self.sender}{to} written to {self.path}: "
            f"{self.records} records ({counts or 'none'}); chain head {self.chain_head[:12]}…, "
            f"signed by key {self.fingerprint}"
        )


def keygen(party: str, out: str | Path = ".") -> KeyPair:
    """Create an Ed25519 key pair for ``party`` in ``out`` (``NAME.key`` 0600, ``NAME.pub``)."""
    if not party.strip():
        raise ServiceError("name the party the key is for with --party NAME")
    key = fmt.generate_key(party.strip())
    private, public = fmt.write_key_pair(key, out)
    return KeyPair(
        key.party, str(private), str(public), fmt.fingerprint(fmt.public_key_hex(key.public))
    )


def trust_party(db: str | None, name: str, public_key_file: str | Path, *, actor: str) -> Party:
    """Add ``name`` to the trusted parties with the public key in ``public_key_file`` (admins).

    A name is trusted with one key: trusting it again with the same key changes nothing, with
    another key is refused (a new key is a new decision, not a silent replacement).
    """
    key = fmt.read_public_key(public_key_file)
    if key.party and key.party != name:
        raise ServiceError(
            f"{public_key_file} is the key of {key.party!r}, not of {name!r}; check the file"
        )
    hexkey = fmt.public_key_hex(key.public)
    with session_scope(db) as session:
        user = require(session, actor, "exchange.trust")
        found = session.execute(
            select(ExchangeParty).where(
                (ExchangeParty.name == name) | (ExchangeParty.public_key == hexkey)
            )
        ).scalar_one_or_none()
        if found is not None:
            if found.name == name and found.public_key == hexkey:
                return _party(found, None, already=True)
            if found.name == name:
                raise ServiceError(
                    f"{name} is already trusted with another key (fingerprint "
                    f"{found.fingerprint}); nothing changed"
                )
            raise ServiceError(f"this key is already the trusted key of {found.name}")
        row = ExchangeParty(
            name=name, public_key=hexkey, fingerprint=fmt.fingerprint(hexkey), added_by_id=user.id
        )
        session.add(row)
        session.flush()
        log_event(
            session,
            user.name,
            "exchange.trust",
            "exchange_party",
            row.id,
            party=name,
            fingerprint=row.fingerprint,
        )
        return _party(row, user.name)


def _party(row: ExchangeParty, added_by: str | None, *, already: bool = False) -> Party:
    return Party(
        row.name, row.public_key, row.fingerprint, added_by, row.added_at.isoformat(), already
    )


def list_parties(db: str | None) -> list[Party]:
    """The trusted parties, by name (public keys are public: no role needed to read them)."""
    from repatria.registry.models import User

    with session_scope(db, read=True) as session:
        rows = session.execute(
            select(ExchangeParty, User.name)
            .join(User, User.id == ExchangeParty.added_by_id)
            .order_by(ExchangeParty.name)
        ).all()
        return [_party(p, who) for p, who in rows]


def trusted_keys(db: str | None) -> dict[str, str]:
    """Party name -> public key (hex) of every trusted party."""
    return {p.name: p.public_key for p in list_parties(db)}


def record_sharing_consent(
    db: str | None, donor_ref: str, *, actor: str, given_on: str, party: str | None = None
) -> str:
    """Record that a donor agreed to share their reference profile with ``party`` (``None``: with
    any party the agency exchanges with). Case managers and liaison officers."""
    if not given_on.strip():
        raise ServiceError("say when the donor gave this consent (--on DATE)")
    with session_scope(db) as session:
        user = require(session, actor, "exchange.consent")
        donor = by_ref(session, Donor, donor_ref, lock=True)
        if donor.consent_withdrawn_at is not None:
            raise ServiceError(
                f"donor {donor.ref} withdrew consent; a consent to sharing cannot be recorded"
            )
        to = party or None
        found = session.execute(
            select(SharingConsent).where(
                SharingConsent.donor_id == donor.id,
                SharingConsent.party.is_(None) if to is None else SharingConsent.party == to,
            )
        ).scalar_one_or_none()
        whom = to or "any party"
        if found is not None:
            return f"donor {donor.ref} had already consented to sharing with {whom}"
        session.add(
            SharingConsent(donor_id=donor.id, party=to, given_on=given_on, recorded_by_id=user.id)
        )
        log_event(
            session, user.name, "exchange.consent", "donor", donor.id, party=to, given_on=given_on
        )
        return f"donor {donor.ref} consented to sharing their reference profile with {whom}"


def load_signing_key(key_file: str | Path | None = None) -> fmt.PartyKey:
    """This registry's private key: ``key_file``, else the file ``$REPATRIA_EXCHANGE_KEY`` names."""
    path = key_file or os.environ.get(KEY_ENV)
    if not path:
        raise ServiceError(
            f"an export is signed with your party's private key: set {KEY_ENV}=FILE "
            "(make one with `repatria exchange keygen --party NAME`)"
        )
    return fmt.read_private_key(path)


def _secret(key: fmt.PartyKey) -> bytes:
    """The pseudonyms' key, derived from the private key (never the signing key itself)."""
    assert key.private is not None
    raw = key.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return hashlib.sha256(b"repatria-exchange-pseudonyms\n" + raw).digest()


def export_package(
    db: str | None,
    out: str | Path,
    *,
    actor: str,
    recipient: str | None = None,
    key_file: str | Path | None = None,
) -> ExportSummary:
    """Write a signed package of the registry's records to ``out`` (case managers).

    The file is written before the transaction that records the export commits, and removed
    if that fails, so a package on disk is always one the registry knows it sent.
    """
    path = Path(out)
    if path.exists():
        raise ServiceError(f"{path} exists; a package is never overwritten, choose another name")
    key = load_signing_key(key_file)
    written = False
    try:
        with session_scope(db) as session:
            user = require(session, actor, "exchange.export")
            records = collect(session, recipient=recipient, secret=_secret(key))
            data = fmt.build_package(
                records,
                key=key,
                recipient=recipient,
                software={"name": "repatria", "version": __version__},
            )
            package = fmt.parse_package(data, {key.party: fmt.public_key_hex(key.public)})
            header = package.header
            session.add(
                ExchangePackage(
                    direction="export",
                    package_id=package.package_id,
                    sender=key.party,
                    recipient=recipient,
                    created_at=header["created_at"],
                    sha256=package.sha256,
                    records=header["records"],
                    counts=header["counts"],
                    chain_head=header["chain_head"],
                    done_by_id=user.id,
                )
            )
            log_event(
                session,
                user.name,
                "exchange.export",
                "exchange_package",
                package.package_id,
                recipient=recipient,
                records=header["records"],
                counts=header["counts"],
                sha256=package.sha256,
            )
            session.flush()
            try:
                tmp = path.with_name(path.name + ".part")
                tmp.write_bytes(data)
                tmp.replace(path)
                written = True
            except OSError as e:
                raise ServiceError(f"cannot write {path}: {e.strerror or e}") from None
            summary = ExportSummary(
                str(path),
                package.package_id,
                key.party,
                recipient,
                header["records"],
                dict(header["counts"]),
                header["chain_head"],
                package.sha256,
                fmt.fingerprint(package.signer_key),
            )
    except BaseException:
        if written:
            path.unlink(missing_ok=True)
        raise
    return summary
