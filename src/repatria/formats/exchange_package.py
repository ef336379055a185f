"""The exchange package: records for another party, hash-chained and signed (Ed25519).

A package is one UTF-8 file of JSON lines (``docs/exchange.md``,
``docs/exchange-package.schema.json``):

- line 1, the header: format and version, package id, sender, recipient, creation time, the
  software that wrote it, the number of records of each type, and the chain's genesis and head;
- one line per record: ``index`` (0, 1, ...), ``type``, ``prev`` (the previous record's hash;
  the genesis for record 0) and ``data``;
- the last line, the signature: Ed25519 over every byte of the file before that line.

A record's hash is the SHA-256 of its line's bytes (without the newline), so the chain is
checked on the bytes as written, with no canonical form to agree on; the genesis is the SHA-256
of ``"repatria-exchange:" + package_id``, so records cannot be spliced between packages.

This module is pure: it builds and checks bytes and keys. What goes in a record, and what an
import does with it, is :mod:`repatria.services.workflows.exchange`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from repatria.errors import FormatError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "RECORD_TYPES",
    "REQUIRED_FIELDS",
    "PartyKey",
    "Package",
    "genesis",
    "record_hash",
    "build_package",
    "sign_lines",
    "read_package",
    "parse_package",
    "generate_key",
    "write_key_pair",
    "read_private_key",
    "read_public_key",
    "public_key_hex",
    "fingerprint",
]

FORMAT = "repatria-exchange"
#: Major.minor. A reader refuses another major version; a minor version only adds optional
#: fields, which a reader of an older minor version ignores.
FORMAT_VERSION = "1.0"
RECORD_TYPES = (
    "grave",
    "person",
    "remains",
    "body",
    "custody",
    "disposition",
    "identification",
    "profile",
)
#: Fields every record of a type must have (the schema gives them all, with their types).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "grave": ("cemetery", "plot", "number"),
    "person": ("sex", "status", "names"),
    "remains": ("condition", "status"),
    "body": ("status", "parts"),
    "custody": ("event",),
    "disposition": ("kind",),
    "identification": ("person", "evidence", "run"),
    "profile": ("kind", "genotypes"),
}
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
_PARTY_LINE = "Party: "


@dataclass(frozen=True)
class PartyKey:
    """A party's Ed25519 key: its name and the key (private when it signs)."""

    party: str
    private: Ed25519PrivateKey | None
    public: Ed25519PublicKey


@dataclass(frozen=True)
class Package:
    """A verified package: its header, its records (``index``, ``type``, ``prev``, ``data``)
    with their hashes, and the SHA-256 of the whole file."""

    header: dict[str, Any]
    records: list[dict[str, Any]]
    hashes: list[str]
    sha256: str
    signer_key: str

    @property
    def package_id(self) -> str:
        return str(self.header["package_id"])

    @property
    def sender(self) -> str:
        return str(self.header["sender"])


def genesis(package_id: str) -> str:
    """The ``prev`` of a package's first record."""
    return hashlib.sha256(f"{FORMAT}:{package_id}".encode()).hexdigest()


def record_hash(line: bytes) -> str:
    """A record's hash: SHA-256 of its line's bytes, without the newline."""
    return hashlib.sha256(line).hexdigest()


def _line(obj: Mapping[str, Any]) -> bytes:
    # Sorted keys and no spaces: one way of writing, so equal packages are equal files. Readers
    # hash the bytes as written and need not reproduce this.
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def build_package(
    records: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    key: PartyKey,
    recipient: str | None,
    software: Mapping[str, Any],
    created_at: dt.datetime | None = None,
    package_id: str | None = None,
) -> bytes:
    """The bytes of a signed package of ``records`` (``(type, data)`` in their order)."""
    pid = package_id or uuid.uuid4().hex
    prev = genesis(pid)
    lines: list[bytes] = []
    for index, (kind, data) in enumerate(records):
        if kind not in RECORD_TYPES:
            raise ValueError(f"unknown record type {kind!r}")
        line = _line({"kind": "record", "index": index, "type": kind, "prev": prev, "data": data})
        if b"\n" in line:  # json.dumps escapes newlines; a raw one would split the record
            raise ValueError("a record line may not hold a newline")
        lines.append(line)
        prev = record_hash(line)
    when = (created_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    counts = Counter(kind for kind, _ in records)
    header = {
        "kind": "header",
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_id": pid,
        "sender": key.party,
        "recipient": recipient,
        "created_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "software": dict(software),
        "counts": {t: counts.get(t, 0) for t in RECORD_TYPES},
        "records": len(records),
        "chain_genesis": genesis(pid),
        "chain_head": prev,
    }
    return sign_lines([_line(header), *lines], key)


def sign_lines(lines: Sequence[bytes], key: PartyKey) -> bytes:
    """``lines`` (header and records, without newlines) with a signature line after them."""
    if key.private is None:
        raise ValueError("signing needs the party's private key")
    signed = b"".join(line + b"\n" for line in lines)
    signature = {
        "kind": "signature",
        "algorithm": "Ed25519",
        "signer": key.party,
        "public_key": public_key_hex(key.public),
        "value": key.private.sign(signed).hex(),
    }
    return signed + _line(signature) + b"\n"


# --------------------------------------------------------------------------- reading


def read_package(path: str | Path, trusted: Mapping[str, str]) -> Package:
    """Read and verify the package file ``path`` (see :func:`parse_package`)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise FormatError(f"cannot read the package: {e.strerror or e}", file=str(p)) from None
    return parse_package(data, trusted, name=str(p))


def parse_package(data: bytes, trusted: Mapping[str, str], *, name: str = "package") -> Package:
    """Verify a package's bytes and return it; else one :class:`FormatError` naming the line.

    ``trusted`` maps party names to their public keys (hex). Checked in this order: the file's
    shape, the signature line, that the signer is a trusted party with that key, the signature,
    the header, then the chain record by record (index, ``prev``, head, counts).
    """
    if not data.endswith(b"\n"):
        raise FormatError("the package does not end with a newline; it is cut short", file=name)
    raw = data[:-1].split(b"\n")
    if len(raw) < 2:
        raise FormatError("a package needs a header line and a signature line", file=name)
    sig = _json_line(raw[-1], name, len(raw))
    _check_signature_line(sig, raw[-1], name, len(raw))
    signer = sig["signer"]
    if signer not in trusted:
        raise FormatError(
            f"the signer {signer!r} is not a trusted party; nothing imported "
            "(an admin adds it with `repatria exchange trust`)",
            file=name,
            line=len(raw),
            field="signer",
        )
    if trusted[signer] != sig["public_key"]:
        raise FormatError(
            f"the package is signed with a key that is not the trusted key of {signer!r}",
            file=name,
            line=len(raw),
            field="public_key",
        )
    signed = data[: len(data) - len(raw[-1]) - 1]
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(sig["public_key"])).verify(
            bytes.fromhex(sig["value"]), signed
        )
    except InvalidSignature:
        raise FormatError(
            "the signature does not verify: the file was changed after it was signed",
            file=name,
            line=len(raw),
            field="value",
        ) from None
    header = _json_line(raw[0], name, 1)
    _check_header(header, signer, name)
    records, hashes = _check_chain(header, raw[1:-1], name)
    return Package(header, records, hashes, hashlib.sha256(data).hexdigest(), sig["public_key"])


def _json_line(line: bytes, name: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise FormatError("not UTF-8", file=name, line=number) from None
    except json.JSONDecodeError as e:
        raise FormatError(f"not JSON ({e.msg})", file=name, line=number) from None
    if not isinstance(obj, dict):
        raise FormatError("a line must be a JSON object", file=name, line=number)
    return obj


def _check_signature_line(sig: dict[str, Any], line: bytes, name: str, number: int) -> None:
    if sig.get("kind") != "signature":
        raise FormatError("the last line is not the signature", file=name, line=number)
    if sig.get("algorithm") != "Ed25519":
        raise FormatError("the signature must be Ed25519", file=name, line=number)
    for field, pattern in (("public_key", _HEX64), ("value", _HEX128)):
        if not isinstance(sig.get(field), str) or not pattern.fullmatch(sig[field]):
            raise FormatError(
                "not lowercase hex of the right length", file=name, line=number, field=field
            )
    if not isinstance(sig.get("signer"), str):
        raise FormatError("missing", file=name, line=number, field="signer")
    # The signature line is outside the signed bytes: it must be written exactly one way, so
    # that no byte of the file can change unnoticed.
    if _line(sig) != line or set(sig) != {"kind", "algorithm", "signer", "public_key", "value"}:
        raise FormatError(
            "the signature line is not written as the format requires", file=name, line=number
        )


def _check_header(header: dict[str, Any], signer: str, name: str) -> None:
    def bad(field: str, why: str) -> FormatError:
        return FormatError(why, file=name, line=1, field=field)

    if header.get("kind") != "header" or header.get("format") != FORMAT:
        raise bad("format", f"not a {FORMAT} package header")
    version = str(header.get("format_version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise bad("format_version", f"version {version} is not readable here ({FORMAT_VERSION})")
    if header.get("sender") != signer:
        raise bad("sender", "the sender is not the party that signed the package")
    for field in ("package_id", "created_at"):
        if not isinstance(header.get(field), str) or not header[field]:
            raise bad(field, "missing")
    for field in ("chain_genesis", "chain_head"):
        if not isinstance(header.get(field), str) or not _HEX64.fullmatch(header[field]):
            raise bad(field, "not a SHA-256 in lowercase hex")
    if header["chain_genesis"] != genesis(header["package_id"]):
        raise bad("chain_genesis", "not the genesis of this package id")
    if not isinstance(header.get("records"), int) or not isinstance(header.get("counts"), dict):
        raise bad("counts", "missing")


def _check_chain(
    header: dict[str, Any], lines: list[bytes], name: str
) -> tuple[list[dict[str, Any]], list[str]]:
    prev = header["chain_genesis"]
    records: list[dict[str, Any]] = []
    hashes: list[str] = []
    for k, line in enumerate(lines):
        number = k + 2
        rec = _json_line(line, name, number)
        if rec.get("kind") != "record" or rec.get("type") not in RECORD_TYPES:
            raise FormatError("not a record of a known type", file=name, line=number, field="type")
        if rec.get("index") != k:
            raise FormatError(
                f"record {rec.get('index')!r} is at position {k}: records were reordered, "
                "dropped or added",
                file=name,
                line=number,
                field="index",
            )
        if rec.get("prev") != prev:
            raise FormatError(
                "the chain is broken here: prev is not the hash of the record before",
                file=name,
                line=number,
                field="prev",
            )
        data = rec.get("data")
        if not isinstance(data, dict):
            raise FormatError("missing", file=name, line=number, field="data")
        if not isinstance(data.get("ref"), str) or not data["ref"]:
            raise FormatError("missing", file=name, line=number, field="data.ref")
        for field in REQUIRED_FIELDS[rec["type"]]:
            if field not in data:
                raise FormatError("missing", file=name, line=number, field=f"data.{field}")
        prev = record_hash(line)
        records.append(rec)
        hashes.append(prev)
    if prev != header["chain_head"] or header["records"] != len(records):
        raise FormatError(
            f"the chain ends at record {len(records) - 1}, not at the header's head: "
            "records were dropped or added",
            file=name,
            line=1,
            field="chain_head",
        )
    counts = Counter(r["type"] for r in records)
    for t in RECORD_TYPES:
        if header["counts"].get(t, 0) != counts.get(t, 0):
            raise FormatError(
                f"the header counts {header['counts'].get(t, 0)} {t} records, the file holds "
                f"{counts.get(t, 0)}",
                file=name,
                line=1,
                field="counts",
            )
    return records, hashes


# --------------------------------------------------------------------------- keys


def generate_key(party: str) -> PartyKey:
    """A new Ed25519 key pair for ``party``."""
    private = Ed25519PrivateKey.generate()
    return PartyKey(party, private, private.public_key())


def _slug(party: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", party).strip("-.")
    if not slug:
        raise FormatError(f"the party name {party!r} gives no file name; use letters or digits")
    return slug


def write_key_pair(key: PartyKey, folder: str | Path) -> tuple[Path, Path]:
    """Write ``NAME.key`` (private, 0600) and ``NAME.pub`` in ``folder``; never overwrites.

    Both are PEM (PKCS#8 and SubjectPublicKeyInfo) after one ``Party: NAME`` line, which PEM
    readers such as OpenSSL skip.
    """
    if key.private is None:
        raise ValueError("no private key to write")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stem = _slug(key.party)
    private_path, public_path = out / f"{stem}.key", out / f"{stem}.pub"
    for p in (private_path, public_path):
        if p.exists():
            raise FormatError("already exists; a key is never overwritten", file=str(p))
    head = f"{_PARTY_LINE}{key.party}\n".encode()
    pem = key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(head + pem)
    public_path.write_bytes(
        head
        + key.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def _party_of(text: bytes, name: str) -> str:
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace")
    if not first.startswith(_PARTY_LINE) or not first[len(_PARTY_LINE) :].strip():
        raise FormatError(f"the first line must be '{_PARTY_LINE}NAME'", file=name, line=1)
    return first[len(_PARTY_LINE) :].strip()


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise FormatError(f"cannot read the key: {e.strerror or e}", file=str(path)) from None


def read_private_key(path: str | Path) -> PartyKey:
    """A party's private key file, as :func:`write_key_pair` writes it."""
    text = _read(path)
    party = _party_of(text, str(path))
    try:
        private = serialization.load_pem_private_key(text, password=None)
    except (ValueError, TypeError):
        raise FormatError("not an unencrypted PEM private key", file=str(path)) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise FormatError("not an Ed25519 key", file=str(path))
    return PartyKey(party, private, private.public_key())


def read_public_key(path: str | Path) -> PartyKey:
    """A party's public key file (``Party: NAME`` line optional here; PEM)."""
    text = _read(path)
    first = text.split(b"\n", 1)[0]
    party = _party_of(text, str(path)) if first.startswith(_PARTY_LINE.encode()) else ""
    try:
        public = serialization.load_pem_public_key(text)
    except ValueError:
        raise FormatError("not a PEM public key", file=str(path)) from None
    if not isinstance(public, Ed25519PublicKey):
        raise FormatError("not an Ed25519 key", file=str(path))
    return PartyKey(party, None, public)


def public_key_hex(public: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, lowercase hex (as the signature line gives it)."""
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def fingerprint(public_hex: str) -> str:
    """A short name for a key, to read over the phone: SHA-256 of the raw key, 16 hex digits."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]
