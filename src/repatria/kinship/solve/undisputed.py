"""Undisputed identifications (dvir's ``findUndisputed``) and nonidentifiable MPs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult
from repatria.kinship.solve.problem import EPS, lr_at, pairwise_or_none, rebuild
from repatria.kinship.solve.records import Conclusion, Undisputed, UndisputedRow

__all__ = ["find_undisputed", "find_nonidentifiable", "keep_pairing"]


def find_nonidentifiable(problem: DVIProblem) -> list[str]:
    """MPs unrelated (kinship 0: no common ancestor) to every typed reference and every other MP.

    Parameters
    ----------
    problem : the case.

    Returns
    -------
    list of str
        The nonidentifiable MPs, in the order of ``problem.missing``.
    """
    out = []
    for m in problem.missing:
        f = problem.missing_family[m]
        ped = problem.families[f]
        others = [p for p in problem.am_profiles.get(f, {}) if p in ped] + [
            x for x in problem.family_missing[f] if x != m
        ]
        line_m = ped.ancestors(m) | {m}
        if not any(line_m & (ped.ancestors(x) | {x}) for x in others):
            out.append(m)
    return out


def _undisputed_entries(
    lr: NDArray[np.float64], threshold: float, strict: bool
) -> list[tuple[int, int]]:
    """Undisputed cells of an LR matrix of shape ``(n_pm, n_missing)``, column by column.

    Column-major order is R's ``which(arr.ind = TRUE)``: it fixes the order of the summary rows.
    """
    m = np.where(np.isnan(lr), -1.0, lr)  # a pairing not allowed never disputes anything
    n_row, n_col = m.shape
    out = []
    for j in range(n_col):
        for i in range(n_row):
            if not m[i, j] >= threshold - EPS:
                continue
            others = np.concatenate([np.delete(m[i], j), np.delete(m[:, j], i)])
            bound = 1.0 if strict else m[i, j] / threshold
            if bool(np.all(others <= bound)):
                out.append((i, j))
    return out


def keep_pairing(x: str, lr: float, limit: float) -> bool:
    """dvir's ``pairwiseLR`` rule for the pairings it keeps: is pairing ``x`` with LR ``lr`` kept?

    As dvir's ``pairwiseLR`` (R/pairwiseLR.R): with ``limit == 0`` a pairing is kept if its
    LR is ``> 0``, otherwise if it is ``>= limit``; with ``limit > 1`` ``"*"`` (LR 1) is always
    kept ("Never remove *"). So ``"*"`` is never dropped, whatever the limit. ``nan`` (a pairing
    not allowed) is never kept.

    >>> keep_pairing("M1", 2.0, 2.0), keep_pairing("M1", 1.99, 2.0), keep_pairing("*", 1.0, 5.0)
    (True, False, True)
    >>> keep_pairing("M1", 0.0, 0.0), keep_pairing("M1", 1e-300, 0.0)
    (False, True)
    """
    if x == NOBODY and limit > 1:
        return True
    return bool(lr > 0) if limit == 0 else bool(lr >= limit)


def _ranked_pairings(
    problem: DVIProblem, pw: PairwiseResult | None, limit: float = 0.0
) -> dict[str, tuple[str, ...]]:
    """dvir's ``pairwiseLR`` pairings (:func:`keep_pairing`), by decreasing LR (``"*"`` = 1).

    The order is stable, as R's ``sort(decreasing = TRUE)`` on the pairings in their order.
    """
    if pw is None:
        return {v: tuple(problem.pairings[v]) for v in problem.pm}
    out = {}
    for v in problem.pm:
        items = []
        for k, x in enumerate(problem.pairings[v]):
            lr = 1.0 if x == NOBODY else lr_at(pw, v, x)
            if keep_pairing(x, lr, limit):
                items.append((-lr, k, x))
        items.sort()
        out[v] = tuple(x for _, _, x in items)
    return out


def _settle(
    current: DVIProblem, found: Sequence[tuple[str, str, float]], step: int
) -> tuple[DVIProblem, list[UndisputedRow]]:
    """Place the found PMs on their MPs, remove both; rows for the matches and the PMs dropped."""
    families = current.missing_family
    rows = [
        UndisputedRow(
            family=families[m],
            missing=m,
            sample=v,
            lr=lr,
            conclusion=Conclusion.UNDISPUTED,
            comment=f"Step {step}",
        )
        for v, m, lr in found
    ]
    vics = {v for v, _, _ in found}
    mps = {m for _, m, _ in found}
    reduced, dropped = rebuild(
        current,
        [v for v in current.pm if v not in vics],
        [m for m in current.missing if m not in mps],
        current.pairings,
        {m: v for v, m, _ in found},
    )
    rows += [
        UndisputedRow(sample=v, conclusion=Conclusion.EXCLUDED, comment="No compatible pairings")
        for v in dropped
    ]
    return reduced, rows


def find_undisputed(
    problem: DVIProblem,
    threshold: float = 1e4,
    pairwise: PairwiseResult | None = None,
    strict: bool = False,
    limit: float = 0.0,
) -> Undisputed:
    """Undisputed identifications, found step by step (dvir's ``findUndisputed``).

    A pairing ``v = m`` is undisputed if ``LR(v, m) >= threshold`` and every other LR in row ``v``
    and column ``m`` of the pairwise LR matrix is at most ``LR(v, m) / threshold`` (with
    ``strict=True``: at most 1). Undisputed PMs are placed on their MPs as reference data, both are
    removed, and the LRs of what is left are computed again, until no further match is found.

    Parameters
    ----------
    problem : the case (its ``pairings`` define the candidates).
    threshold : the LR threshold (``>= 0``).
    pairwise : the pairwise LRs of ``problem`` if already computed (used for the first step).
    strict : see above.
    limit : the reduced problem keeps the pairings with LR ``>= limit`` (``> 0`` when ``limit`` is
        0), and always ``"*"``, as dvir's ``pairwiseLR`` (see :func:`keep_pairing`).

    Returns
    -------
    Undisputed
        Summary rows (LR of each match in the step that found it; comment ``"Step k"``), the reduced
        problem and the last LR matrix.

    Examples
    --------
    In ``planecrash`` (dvir's bundled data) three matches are undisputed in step 1: V6 = M2,
    V2 = M3 and V4 = M5.
    """
    if not (threshold >= 0):
        raise ValueError(f"threshold must be a non-negative number: {threshold}")
    rows: list[UndisputedRow] = []
    transferred: dict[str, dict[str, str]] = {}
    if not problem.pm or not problem.missing:
        return Undisputed((), problem, None, transferred, 0, threshold, strict, limit)
    step = 0
    pw = pairwise
    first = None
    current = problem
    while True:
        step += 1
        pw = pw if (step == 1 and pw is not None) else pairwise_or_none(current)
        if pw is None:
            break
        first = first or pw
        hits = _undisputed_entries(pw.lr, threshold, strict)
        if not hits:
            break
        found = [(current.pm[i], current.missing[j], float(pw.lr[i, j])) for i, j in hits]
        for v, m, _ in found:
            transferred.setdefault(current.missing_family[m], {})[m] = v
        current, settled = _settle(current, found, step)
        rows += settled
        pw = None
        if not current.pm or not current.missing:
            break
    # The reduced problem keeps pairings by dvir's pairwiseLR rule, by decreasing LR.
    fresh = pw is not None and pw.pm == current.pm and pw.missing == current.missing
    last = pw if fresh else pairwise_or_none(current)
    pairings = _ranked_pairings(current, last, limit)
    reduced, _ = rebuild(current, current.pm, current.missing, pairings, drop_unpaired=False)
    return Undisputed(
        tuple(rows), reduced, last, transferred, step, threshold, strict, limit, first
    )
