"""Uploaded files into the registry: the same imports as the command line, from bytes.

An upload is written to a private temporary folder (a zip of a case folder unpacked there,
refusing paths that leave it, links, and archives too large) and imported by the service of
its kind, all or nothing. Errors name the file as the uploader knows it (the upload's name, or
the path inside the zip), never the temporary folder.
"""

from __future__ import annotations

import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from repatria.errors import FormatError, RepatriaError
from repatria.services.workflows import imports
from repatria.services.workflows.case_import import import_case

__all__ = [
    "UPLOAD_KINDS",
    "MAX_UPLOAD_BYTES",
    "UploadResult",
    "import_upload",
    "unpack_case",
    "as_uploaded",
]

UPLOAD_KINDS = ("case", "persons", "remains", "claims")
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
MAX_ZIP_FILES = 10_000
_SAFE_NAME = 200


@dataclass(frozen=True)
class UploadResult:
    """The batch an upload was stored as, and whether those bytes were there already."""

    kind: str
    batch: int
    already_imported: bool
    message: str


def import_upload(
    db: str | None, *, actor: str, kind: str, filename: str, data: bytes
) -> UploadResult:
    """Import ``data`` (named ``filename`` by the uploader) as ``kind``; all or nothing."""
    if kind not in UPLOAD_KINDS:
        raise FormatError(
            f"unknown kind {kind[:40]!r}; one of {', '.join(UPLOAD_KINDS)}", field="kind"
        )
    name = _plain_name(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise FormatError(f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB", file=name)
    with tempfile.TemporaryDirectory(prefix="repatria-upload-") as tmp:
        root = Path(tmp)
        try:
            return _import(db, actor, kind, name, data, root)
        except FormatError as e:
            raise _as_uploaded(e, root, name) from None
        except RepatriaError as e:  # a refusal against the registry: the same words, our names
            raise type(e)(_strip_root(str(e), root)) from None


def _import(
    db: str | None, actor: str, kind: str, name: str, data: bytes, root: Path
) -> UploadResult:
    if kind != "case":
        path = root / name
        path.write_bytes(data)
        run = {
            "persons": imports.import_persons,
            "remains": imports.import_remains,
            "claims": imports.import_claims,
        }[kind]
        r = run(db, path, actor=actor)
        return UploadResult(kind, r.import_id, r.already_imported, r.message)
    if name.lower().endswith(".fam"):
        path = root / name
        path.write_bytes(data)
    elif name.lower().endswith(".zip"):
        path = _unzip(data, root / "case", name)
    else:
        raise FormatError("a case is a .zip of a case folder or a .fam file", file=name)
    c = import_case(db, path, actor=actor)
    return UploadResult(kind, c.import_id, c.already_imported, c.message)


def unpack_case(data: bytes, filename: str, root: Path) -> tuple[Path, str]:
    """An uploaded zip of a case folder unpacked under ``root`` (a folder the caller owns and
    removes), as for an import: the case folder, and the upload's plain name."""
    name = _plain_name(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise FormatError(f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB", file=name)
    if not name.lower().endswith(".zip"):
        raise FormatError("a case to screen is a .zip of a case folder", file=name)
    try:
        return _unzip(data, root / "case", name), name
    except FormatError as e:
        raise _as_uploaded(e, root, name) from None


def as_uploaded(e: RepatriaError, root: Path, name: str) -> RepatriaError:
    """``e`` about a file unpacked under ``root`` with the files named as the uploader knows
    them (``name``: the upload's name), never the server's folder."""
    if isinstance(e, FormatError):
        return _as_uploaded(e, root, name)
    return type(e)(_strip_root(str(e), root))


def _plain_name(filename: str) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name
    if not name or name in (".", "..") or "\x00" in name or len(name) > _SAFE_NAME:
        raise FormatError("the upload needs a plain file name", field="file")
    return name


def _unzip(data: bytes, into: Path, name: str) -> Path:
    """Unpack the zip under ``into``; the case folder (its single top folder, if it has one)."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FormatError("not a zip archive", file=name) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_FILES:
            raise FormatError(f"more than {MAX_ZIP_FILES} files in the archive", file=name)
        if sum(m.file_size for m in members) > MAX_UPLOAD_BYTES:
            raise FormatError(f"unpacks to more than {MAX_UPLOAD_BYTES // 2**20} MiB", file=name)
        for m in members:
            inner = PurePosixPath(m.filename)
            if inner.is_absolute() or ".." in inner.parts or "\x00" in m.filename:
                raise FormatError("a path in the archive leaves its folder", file=name)
            if stat.S_ISLNK(m.external_attr >> 16):
                raise FormatError(f"{m.filename[:80]}: links are not accepted", file=name)
        archive.extractall(into)
    entries = [p for p in into.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return into


def _as_uploaded(e: FormatError, root: Path, name: str) -> FormatError:
    """``e`` with the file named as the uploader knows it."""
    file = e.file
    if file is not None:
        try:
            rel = Path(file).resolve().relative_to(root.resolve())
            parts = rel.parts[1:] if rel.parts and rel.parts[0] == "case" else rel.parts
            file = "/".join(parts) if parts else name
        except ValueError:
            file = Path(file).name if str(root) in str(file) else file
    elif e.line is None and e.field is None:
        file = name
    out = FormatError(_strip_root(e.reason, root), file=file, line=e.line, field=e.field)
    return out


def _strip_root(message: str, root: Path) -> str:
    for base in (str(root.resolve()), str(root)):
        message = message.replace(base + "/case/", "").replace(base + "/", "")
    return message
