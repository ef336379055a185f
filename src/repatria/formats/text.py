"""Text files as they come: byte-order marks, Windows line ends, UTF-16 and latin-1.

Every text reader in :mod:`repatria.formats` reads through :func:`read_text`, which

- removes a UTF-8 byte-order mark (spreadsheet programs write one);
- reads UTF-16 (with a byte-order mark, or without one when every other byte is zero, as Windows
  programs write it);
- reads UTF-8, and otherwise Windows-1252 / latin-1 (the encodings of older Windows programs such
  as Familias), saying so in :attr:`Text.encoding`;
- refuses a binary file (NUL bytes that are not UTF-16), and a NUL character in decoded text
  (PostgreSQL cannot store one), in one line naming the file, the line and the field
  ``encoding``.

The readers check each value they take with :func:`check_field`: not longer than its registry
column (the numbers of :mod:`repatria.field_limits`) and without a NUL character (a JSON file
can spell one ``\\u0000``). Its error names the file, the line and the field, and never shows
the value, which could be a genotype.

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

__all__ = ["Text", "decode_text", "read_text", "read_bytes", "check_field", "check_no_nul"]


@dataclass(frozen=True)
class Text:
    """A decoded text file: its text and the encoding it was read with."""

    text: str
    encoding: str

    def lines(self) -> list[str]:
        return self.text.splitlines()

    def data_rows(self) -> list[tuple[int, list[str]]]:
        """(line number, tab-separated cells) of every line that is neither blank nor a
        ``#`` comment; cells as written (not stripped)."""
        return [
            (k, ln.rstrip("\r").split("\t"))
            for k, ln in enumerate(self.lines(), 1)
            if ln.strip() and not ln.lstrip().startswith("#")
        ]


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
            stray = data.count(b"\x00") <= 3 and _is_utf8(data.replace(b"\x00", b""))
            raise FormatError(
                "holds a NUL byte, which no text field may contain: remove it"
                if stray
                else "this is not a text file (it holds NUL bytes; a spreadsheet or other binary "
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


def _is_utf8(data: bytes) -> bool:
    """UTF-8 text without control characters other than tabs and line ends."""
    if any(b < 0x20 and b not in b"\t\r\n" for b in data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise FormatError(
            f"the file starts as {encoding} text but byte {e.start + 1} is not {encoding}: save "
            f"it as UTF-8 text",
            file=file,
            line=_line_of(data, e.start) if encoding == "utf-8" else None,
            field="encoding",
        ) from None
    if "\x00" in text:
        raise FormatError(
            "holds a NUL character, which no text field may contain",
            file=file,
            line=text.count("\n", 0, text.index("\x00")) + 1,
            field="encoding",
        )
    return Text(text, encoding)


def check_field(
    value: str | None,
    limit: int,
    *,
    file: str | None,
    line: int | None,
    field: str,
) -> str | None:
    """``value`` if it fits a registry column of ``limit`` characters and holds no NUL; else one
    :class:`FormatError` naming the file, the line and the field, without the value.

    >>> check_field("9.3", 64, file="pm.tsv", line=2, field="TH01")
    '9.3'
    >>> check_field("9" * 65, 64, file="a.tsv", line=2, field="D1")
    Traceback (most recent call last):
    ...
    repatria.errors.FormatError: a.tsv line 2 field `D1`: is 65 characters, over the 64 it may hold
    """
    if value is None:
        return None
    if "\x00" in value:
        raise FormatError("holds a NUL character", file=file, line=line, field=field)
    if len(value) > limit:
        raise FormatError(
            f"is {len(value)} characters, over the {limit} it may hold",
            file=file,
            line=line,
            field=field,
        )
    return value


def check_no_nul(value: object, *, file: str, line: int | None = None, field: str = "") -> None:
    """Refuse a NUL character anywhere in a parsed JSON value (keys and strings, nested)."""
    stack: list[tuple[object, str]] = [(value, field)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, str):
            if "\x00" in v:
                raise FormatError(
                    "holds a NUL character", file=file, line=line, field=where or "(value)"
                )
        elif isinstance(v, dict):
            for k, x in v.items():
                name = f"{where}.{k}" if where else str(k)
                if isinstance(k, str) and "\x00" in k:
                    raise FormatError("a key holds a NUL character", file=file, line=line)
                stack.append((x, name))
        elif isinstance(v, list):
            stack.extend((x, f"{where}[{i}]") for i, x in enumerate(v))
