"""Shared by the lab-export tests: where the hand-made files are, and how a refusal must look."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from repatria.errors import FormatError

LAB = Path(__file__).resolve().parent / "data" / "lab"


def assert_refused(
    call: Callable[[], Any],
    *,
    file: str | Path,
    line: int | None,
    field: str,
    secrets: Iterable[str] = (),
    says: str = "",
) -> FormatError:
    """``call()`` raises one FormatError naming ``file``, ``line`` and ``field``, on one line,
    holding none of ``secrets`` (the allele values of the bad file) and containing ``says``."""
    with pytest.raises(FormatError) as info:
        call()
    e = info.value
    msg = str(e)
    assert e.file == str(file), msg
    assert e.line == line, msg
    assert e.field == field, msg
    assert "\n" not in msg
    assert msg.startswith(f"{file} line {line} field `{field}`: ") if line else True
    for s in secrets:
        assert s not in msg, f"the message repeats an allele value {s!r}: {msg}"
    assert says in msg, msg
    return e
