"""What every check routed to review shares: an LR of 1 within rounding, the route, the references.

:func:`is_one`, :func:`snap_log_lr` and :func:`compare_with_one` count ``|log LR| <``
:data:`LR_ONE_TOL` as exactly 1; :data:`REVIEW` is where every record goes;
:func:`typed_references` lists a family's typed references. The checks are described in
:mod:`repatria.kinship.checks`.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np

from repatria.kinship.dvi import DVIProblem
from repatria.kinship.errors import KinshipError

__all__ = [
    "LR_ONE_TOL",
    "REVIEW",
    "is_one",
    "snap_log_lr",
    "compare_with_one",
    "typed_references",
]

#: Natural-log tolerance within which an LR is exactly 1: ``|log LR| < 1e-9``, i.e. the LR is
#: within 1e-9 relative of 1, the accuracy to which the engine is checked against its peer
#: (DESIGN.md: 1e-9 relative). Rounding noise of a family with no typed reference (log10 LR of
#: order 1e-16) is far inside it; a real LR of 1.000000001 is not distinguishable from 1.
LR_ONE_TOL = 1e-9

#: Where every check's record is routed: to a reviewer, never resolved automatically.
REVIEW = "review"


def is_one(log_lr: float, tol: float = LR_ONE_TOL) -> bool:
    """Is the LR ``exp(log_lr)`` 1 within :data:`LR_ONE_TOL`?

    >>> is_one(7e-16 * math.log(10)), is_one(1e-6)
    (True, False)
    """
    return bool(abs(log_lr) < tol)


@overload
def snap_log_lr(log_lr: float, tol: float = ...) -> float: ...
@overload
def snap_log_lr(log_lr: np.ndarray, tol: float = ...) -> np.ndarray: ...
def snap_log_lr(log_lr: float | np.ndarray, tol: float = LR_ONE_TOL) -> float | np.ndarray:
    """``log_lr`` with values within ``tol`` of 0 set to exactly 0 (LR exactly 1); ``nan`` kept.

    >>> snap_log_lr(np.array([1.6e-15, -2e-12, 0.5])).tolist()
    [0.0, 0.0, 0.5]
    """
    if isinstance(log_lr, np.ndarray):
        out = log_lr.copy()
        with np.errstate(invalid="ignore"):
            out[np.abs(out) < tol] = 0.0
        return out
    return 0.0 if abs(log_lr) < tol else float(log_lr)


def compare_with_one(log_lr: float, tol: float = LR_ONE_TOL) -> int:
    """``-1``, ``0`` or ``1`` as the LR is below, equal to (within ``tol``) or above 1.

    >>> compare_with_one(1e-15), compare_with_one(0.1), compare_with_one(-math.inf)
    (0, 1, -1)
    """
    if math.isnan(log_lr):
        raise KinshipError("an undefined LR (nan) cannot be compared with 1")
    if abs(log_lr) < tol:
        return 0
    return 1 if log_lr > 0 else -1


def typed_references(problem: DVIProblem, family: str) -> tuple[str, ...]:
    """The family's references typed at one of the problem's markers, in pedigree order."""
    names = {m.name for m in problem.markers}
    prof = problem.am_profiles.get(family, {})
    ped = problem.families[family]
    return tuple(
        p
        for p in ped.ids
        if p in prof and any(k in names and g is not None for k, g in prof[p].items())
    )
