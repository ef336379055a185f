"""Numbers for JSON: JSON (and PostgreSQL's JSON columns) have no NaN or infinity.

An LR can be infinite and a missing value NaN; they are written as the strings "Inf", "-Inf" and
"NaN", the convention of every Repatria JSON output (command contracts, API, stored results).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["json_safe"]


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
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Inf" if x > 0 else "-Inf"
        return x
    return x


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
