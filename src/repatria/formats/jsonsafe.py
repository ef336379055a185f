"""Numbers for JSON: JSON (and PostgreSQL's JSON columns) have no NaN or infinity.

An integer too long for Python to write in decimal (more than ``sys.get_int_max_str_digits()``
digits, e.g. the number of joint assignments of 2,000 bodies and 1,500 missing persons) is written
as the string of its value in scientific notation, its first 16 digits kept.

An LR can be infinite and a missing value NaN; they are written as the strings "Inf", "-Inf" and
"NaN", the convention of every Repatria JSON output (command contracts, API, stored results).
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

__all__ = ["json_safe", "count_text"]


def json_safe(x: Any) -> Any:
    """``x`` with numpy values made plain and non-finite floats as "Inf", "-Inf", "NaN"."""
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        if _plain(x):  # a plain list is given back itself: a run's matrices are not copied
            return x if isinstance(x, list) else list(x)
        return [json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_safe(x.tolist())
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, int) and x.bit_length() > _SHORT_INT_BITS:
        return _long_int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Inf" if x > 0 else "-Inf"
        return x
    return x


#: Integers up to this many bits (4,214 digits) are always written: below Python's 4,300 digits.
_SHORT_INT_BITS = 14_000


def _long_int(x: int) -> int | str:
    """``x``, or where Python will not write it in decimal, its value as ``"1.234...e+4602"``."""
    limit = sys.get_int_max_str_digits()
    digits = _digits(abs(x))
    return x if not limit or digits <= limit else _scientific(x, digits, 16)


def _digits(n: int) -> int:
    digits = max(1, int(n.bit_length() * math.log10(2)))  # within one of the true count
    while 10**digits <= n:
        digits += 1
    return digits


def _scientific(x: int, digits: int, kept: int) -> str:
    lead = str(abs(x) // 10 ** max(0, digits - kept))  # the first ``kept`` digits, truncated
    return f"{'-' if x < 0 else ''}{lead[0]}.{lead[1:] or '0'}e+{digits - 1}"


def count_text(n: int) -> str:
    """A count for people: ``1,234,567``, or ``1.2e+4602`` beyond 15 digits (a joint's number
    of assignments, which Python will not even write in decimal at 2,000 x 1,500)."""
    if abs(n) < 10**15:
        return f"{n:,}"
    return _scientific(n, _digits(abs(n)), 2)


_AS_IS = frozenset((int, bool, str, type(None)))
_NUMBERS = frozenset((int, bool, float, type(None)))


def _plain(x: list[Any] | tuple[Any, ...]) -> bool:
    """Whether every item of ``x`` is already plain (``json_safe`` would give it back as is):
    a run's matrices are rows of 10^3 numbers, checked at C speed rather than one by one."""
    kinds = set(map(type, x))
    if kinds <= _AS_IS:
        return True
    if not kinds <= _NUMBERS:
        return False
    try:  # finite floats only: any NaN or infinity makes the sum non-finite
        return math.isfinite(math.fsum(v for v in x if v is not None))
    except (OverflowError, ValueError):  # an overflow, or inf + -inf: look one by one
        return False
