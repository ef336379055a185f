"""Text files as they come: byte-order marks, Windows line ends, UTF-16 and latin-1.

Every text reader in :mod:`repatria.formats` reads through :func:`read_text`, which

- removes a UTF-8 byte-order mark (spreadsheet programs write one);
- reads UTF-16 (with a byte-order mark, or without one when every other byte is zero, as Windows
  programs write it);
- reads UTF-8, and otherwise Windows-1252 / latin-1 (the encodings of older Windows programs such
  as Familias), saying so in :attr:`Text.encoding`;
- refuses a binary file (NUL bytes that are not UTF-16) in one line naming the file, the line and
  the field ``encoding``.

Line ends (``\\n``, ``\\r\\n``, ``\\r``) are left to :meth:`str.splitlines`.

Examples
--------
>>> decode_text("\\ufeffid\\tsex\\r\\n".encode("utf-8"), "pm.tsv").text.splitlines()
['id\\tsex']
>>> decode_text("Sør".encode("latin-1"), "am.tsv").encoding
'cp1252'
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from repatria.errors import FormatError

__all__ = ["Text", "decode_text", "read_text", "read_bytes"]


@dataclass(frozen=True)
class Text:
    """A decoded text file: its text and the encoding it was read with."""

    text: str
    encoding: str

    def lines(self) -> list[str]:
        return self.text.splitlines()


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    """The bytes of ``path``; a missing file, a folder or an unreadable file is a FormatError."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise FormatError("file not found", file=str(p)) from None
    except IsADirectoryError:
        raise FormatError(f"is a folder, not a {what}", file=str(p)) from None
    except OSError as e:
        raise FormatError(f"cannot read: {e.strerror}", file=str(p)) from None


def read_text(path: str | Path, what: str = "file") -> Text:
    """Read and decode a text file (see the module notes)."""
    return decode_text(read_bytes(path, what), str(path))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_text(data: bytes, file: str) -> Text:
    """Decode the bytes of a text file; ``file`` names it in errors."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return _decode(data[len(bom) :], enc, file)
    if b"\x00" in data:
        enc16 = _utf16_without_bom(data)
        if enc16 is None:
            at = data.index(b"\x00")
            raise FormatError(
                "this is not a text file (it holds NUL bytes; a spreadsheet or other binary "
                "file?): save it as UTF-8 text",
                file=file,
                line=_line_of(data, at),
                field="encoding",
            )
        return _decode(data, enc16, file)
    try:
        return Text(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return Text(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        return Text(data.decode("latin-1"), "latin-1")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 with mostly ASCII text has a zero in every other byte."""
    n = len(data) - len(data) % 2
    if n < 2:
        return None
    even, odd = data[0:n:2], data[1:n:2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _decode(data: bytes, encoding: str, file: str) -> Text:
    try:
        return Text(data.decode(encoding), encoding)
    except UnicodeDecodeError as e:
        raise FormatError(
            f"the file starts as {encoding} text but byte {e.start + 1} is not {encoding}: save "
            f"it as UTF-8 text",
            file=file,
            line=_line_of(data, e.start) if encoding == "utf-8" else None,
            field="encoding",
        ) from None
