"""The chain key file and the signed anchors of the hash chains (:mod:`repatria.registry.chain`).

The key (32 random bytes, hex) lives outside the database: in the file named by
``$REPATRIA_CHAIN_KEY_FILE``, else beside a SQLite database (``NAME.sqlite.chainkey``),
created 0600 by ``repatria db init``. :func:`write_anchor` writes the chain heads, signed
(Ed25519, a key derived from the chain key), to a file outside the database, and
:func:`check_anchor` compares the table with the last anchor.

Everything here is re-exported by :mod:`repatria.registry.chain`; the sealing helpers the
anchors use (``_canonical``, ``_json``, ``CHAINED``) are imported from there when called, so
the two modules do not import each other at load time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from repatria.errors import RegistryError
from repatria.registry.models import ChainHead, utcnow

__all__ = [
    "KEY_ENV",
    "key_path",
    "ensure_key",
    "read_key",
    "anchor_path",
    "write_anchor",
    "check_anchor",
]

KEY_ENV = "REPATRIA_CHAIN_KEY_FILE"


# ----------------------------------------------------------------------------- the key


def key_path(url: str) -> Path:
    """Where the chain key of the database at ``url`` lives (it need not exist yet)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env)
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        db = Path(u.database)
        return db.with_name(db.name + ".chainkey")
    raise RegistryError(
        f"set {KEY_ENV} to the chain key file of this database (outside the database; "
        "`repatria db init` creates it)"
    )


def ensure_key(url: str, *, may_create: bool) -> Path:
    """The chain key file, created 0600 when missing and ``may_create``."""
    path = key_path(url)
    if path.exists():
        read_key(path)
        return path
    if not may_create:
        raise RegistryError(
            f"the chain key {path} is missing and the database already holds sealed rows; "
            "restore the key from its backup (a new key would make every seal fail)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path


def read_key(path: Path) -> bytes:
    """The 32-byte key in ``path``; a one-line error when it is missing, unsafe or malformed."""
    try:
        mode = path.stat().st_mode
        text = path.read_text().strip()
    except OSError:
        raise RegistryError(
            f"cannot read the chain key {path}; run `repatria db init` for a new database, "
            "or restore the key from its backup"
        ) from None
    if mode & 0o077:
        raise RegistryError(f"the chain key {path} is readable by others; chmod 600 {path}")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise RegistryError(f"the chain key {path} is not 64 hex digits")
    return key


def _session_url(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=False)


def _key(session: Session) -> bytes:
    cached = session.info.get("repatria_chain_key")
    if cached is None:
        cached = read_key(key_path(_session_url(session)))
        session.info["repatria_chain_key"] = cached
    key: bytes = cached
    return key


# ----------------------------------------------------------------------------- anchors


def anchor_path(url: str) -> Path:
    """The default anchor file: beside the chain key, ``KEYFILE.anchors.jsonl``."""
    key = key_path(url)
    return key.with_name(key.name + ".anchors.jsonl")


def _signing_key(key: bytes) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = hmac.new(key, b"repatria anchor signing key v1", hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _public_hex(private: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw: bytes = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw.hex()


def write_anchor(session: Session, out: Path, *, by: str | None) -> dict[str, Any]:
    """Append the signed chain heads to ``out`` (one JSON object a line); return the anchor."""
    from repatria.registry.chain import _canonical, _json

    key = _key(session)
    heads = {
        h.chain: {"seq": h.last_seq, "hash": h.last_hash}
        for h in session.execute(select(ChainHead).order_by(ChainHead.chain)).scalars()
    }
    body = {"anchored_at": _canonical(utcnow()), "by": by, "heads": heads}
    private = _signing_key(key)
    anchor = body | {
        "public_key": _public_hex(private),
        "signature": private.sign(_json(body).encode()).hex(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write(_json(anchor) + "\n")
    return anchor


def _last_anchor(path: Path) -> dict[str, Any] | None:
    try:
        lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    except FileNotFoundError:
        return None
    except OSError as e:
        raise RegistryError(f"cannot read the anchor file {path}: {e.strerror}") from None
    if not lines:
        return None
    try:
        anchor = json.loads(lines[-1])
    except ValueError:
        anchor = None
    if not isinstance(anchor, dict):
        raise RegistryError(f"{path} line {len(lines)}: not an anchor (one JSON object)")
    return anchor


def check_anchor(session: Session, path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """Compare the chains with the last anchor in ``path``: ``(anchor, problems)``.

    The anchor's signature must verify under the key derived from this database's chain key;
    each anchored row must still be in its table with the anchored seal.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from repatria.registry.chain import CHAINED, _json

    anchor = _last_anchor(path)
    if anchor is None:
        return None, []
    body = {k: anchor.get(k) for k in ("anchored_at", "by", "heads")}
    private = _signing_key(_key(session))
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(_public_hex(private))).verify(
            bytes.fromhex(str(anchor.get("signature", ""))), _json(body).encode()
        )
    except (InvalidSignature, ValueError):
        return anchor, [f"the last anchor in {path} is not signed with this registry's key"]
    problems = []
    models = {m.CHAIN: m for m in CHAINED}
    heads = body["heads"] if isinstance(body["heads"], dict) else {}
    for name, h in sorted(heads.items()):
        model = models.get(name)
        if model is None or not isinstance(h, dict):
            continue
        seq, sealed = h.get("seq"), h.get("hash")
        if not seq:
            continue
        row: Any = session.execute(select(model).where(model.seq == seq)).scalar_one_or_none()
        if row is None:
            problems.append(
                f"{name} chain: the anchor of {body['anchored_at']} records {seq} rows, "
                f"{model.__tablename__} has no row at seq {seq}: rows were removed "
                "(and the head rolled back)"
            )
        elif row.row_hash != sealed:
            problems.append(
                f"{name} chain: {model.__tablename__} row id {row.id} (seq {seq}) is not the row "
                f"anchored on {body['anchored_at']}: the chain was rewritten since"
            )
    return anchor, problems
