"""Problem surgery for the DVI workflow: reduced problems, pairing order, LR look-ups and LR0.

Each step of the workflow removes what it settled and hands a smaller :class:`DVIProblem` to
the next; these are the few operations it needs for that, kept in one place so that every step
reduces a problem the same way (dvir's ``subsetDVI``, ``transferMatches`` and
``removeUnpairedPM``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from repatria.kinship._numeric import safe_exp
from repatria.kinship.dropout import single_peak_as_unknown
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, pairwise_lr
from repatria.kinship.pairwise_restrict import restrict_pairwise
from repatria.kinship.probability import likelihood

__all__ = [
    "EPS",
    "rebuild",
    "without",
    "same_pairings",
    "pairwise_or_none",
    "reusing_pairwise",
    "lr_at",
    "best_lr_of",
    "lr0",
]

#: Tolerance of dvir's threshold comparisons (``threshold - sqrt(.Machine$double.eps)``): an LR
#: computed a few ulps below the threshold still reaches it, as in dvir.
EPS = math.sqrt(float(np.finfo(float).eps))


def rebuild(
    base: DVIProblem,
    pm: Iterable[str],
    missing: Iterable[str],
    pairings: Mapping[str, Sequence[str]],
    transfer: Mapping[str, str] | None = None,
    drop_unpaired: bool = True,
) -> tuple[DVIProblem, list[str]]:
    """A new problem with the given PMs and MPs, and the PMs dropped for want of a pairing.

    Parameters
    ----------
    base : the problem to reduce.
    pm, missing : the PMs and MPs to keep (kept in ``base``'s order).
    pairings : the pairings of the kept PMs; they are restricted to the kept MPs (and ``"*"``).
    transfer : ``mp -> pm``: PM profiles placed on MPs as reference data (dvir's
        ``transferMatches``).
    drop_unpaired : drop PMs left with no pairing but ``"*"`` (dvir's ``removeUnpairedPM``).

    Returns
    -------
    tuple
        The problem (families with no MP left are dropped), and the PMs dropped, in order.
    """
    keep_mp_set = set(missing)
    keep_pm_set = set(pm)
    mp_keep = tuple(m for m in base.missing if m in keep_mp_set)
    fams = {base.missing_family[m] for m in mp_keep}
    am_prof = {f: dict(p) for f, p in base.am_profiles.items() if f in fams}
    for mp, v in (transfer or {}).items():
        f = base.missing_family.get(mp)
        if f in fams:
            prof = base.pm_profiles.get(v, {})
            if v in base.pm_dropout:
                # A reference is typed exactly: its single peaks keep the reading that cannot
                # exclude (one allele unknown), not a homozygote.
                prof = {k: single_peak_as_unknown(g) for k, g in prof.items()}
            am_prof.setdefault(f, {})[mp] = prof
    pm_keep = [v for v in base.pm if v in keep_pm_set]
    pair = {
        v: tuple(x for x in pairings.get(v, (NOBODY,)) if x == NOBODY or x in keep_mp_set)
        for v in pm_keep
    }
    dropped: list[str] = []
    if drop_unpaired:
        dropped = [v for v in pm_keep if all(x == NOBODY for x in pair[v])]
        pm_keep = [v for v in pm_keep if v not in dropped]
        pair = {v: pair[v] for v in pm_keep}
    problem = DVIProblem(
        base.markers,
        tuple(pm_keep),
        {v: base.pm_sex[v] for v in pm_keep},
        {v: base.pm_profiles.get(v, {}) for v in pm_keep},
        {f: p for f, p in base.families.items() if f in fams},
        am_prof,
        mp_keep,
        {m: base.missing_family[m] for m in mp_keep},
        pair,
        {v: base.pm_dropout[v] for v in pm_keep if v in base.pm_dropout},
    )
    return problem, dropped


def without(problem: DVIProblem, pm: Iterable[str], missing: Iterable[str]) -> DVIProblem:
    """``problem`` with the given PMs and MPs removed; PMs left unpaired are kept.

    Unpaired PMs are kept because a later step still owes them a conclusion (the PM-driven step
    reports them as *No match*).
    """
    pm_out, mp_out = set(pm), set(missing)
    if not pm_out and not mp_out:
        return problem
    reduced, _ = rebuild(
        problem,
        [v for v in problem.pm if v not in pm_out],
        [m for m in problem.missing if m not in mp_out],
        problem.pairings,
        drop_unpaired=False,
    )
    return reduced


def same_pairings(a: DVIProblem, b: DVIProblem) -> bool:
    """dvir's ``dviEqual``: same PMs, MPs, families, reference data and pairings (as sets)."""
    if a.pm != b.pm or a.missing != b.missing or set(a.families) != set(b.families):
        return False
    if any(set(a.pairings[v]) != set(b.pairings[v]) for v in a.pm):
        return False
    return all(set(a.am_profiles.get(f, {})) == set(b.am_profiles.get(f, {})) for f in a.families)


#: The pairwise results of one solve so far, newest last (see :func:`reusing_pairwise`);
#: ``None`` outside a solve, where nothing is kept.
_KNOWN: ContextVar[tuple[tuple[DVIProblem, PairwiseResult], ...] | None] = ContextVar(
    "repatria_known_pairwise", default=None
)


@contextmanager
def reusing_pairwise(problem: DVIProblem, pw: PairwiseResult | None) -> Iterator[None]:
    """Within this block, :func:`pairwise_or_none` reads a reduced problem's LRs from ``pw``
    (and from the results it computes itself) where they are the same numbers
    (:func:`~repatria.kinship.pairwise_restrict.restrict_pairwise`), instead of computing them."""
    token = _KNOWN.set((_KNOWN.get() or ()) + (((problem, pw),) if pw is not None else ()))
    try:
        yield
    finally:
        _KNOWN.reset(token)


def pairwise_or_none(problem: DVIProblem) -> PairwiseResult | None:
    """The pairwise LRs of ``problem``, or ``None`` when it has no PM or no MP left to pair."""
    if not problem.pm or not problem.missing:
        return None
    known = _KNOWN.get()
    for base, pw in reversed(known or ()):
        got = restrict_pairwise(base, pw, problem)
        if got is not None:
            return got
    fresh = pairwise_lr(problem)
    if known is not None:
        _KNOWN.set(known + ((problem, fresh),))
    return fresh


def lr_at(pw: PairwiseResult, v: str, m: str) -> float:
    """The pairwise LR of PM ``v`` and MP ``m`` (``nan`` if the pairing is not allowed)."""
    return float(pw.lr[pw.row_of[v], pw.column_of[m]])


def best_lr_of(pw: PairwiseResult, m: str) -> float | None:
    """The largest pairwise LR in MP ``m``'s column, ``None`` if no pairing is allowed."""
    col = pw.lr[:, pw.column_of[m]]
    return float(np.nanmax(col)) if np.any(~np.isnan(col)) else None


def lr0(original: DVIProblem, fam: str, v: str, m: str, placed: Mapping[str, str]) -> float:
    """LR of ``v = m`` in family ``fam`` without its typed references, other placed PMs kept.

    Parameters
    ----------
    original : the problem as given to the workflow (its pedigrees and PM profiles).
    fam, v, m : the family, PM and MP of the pairing.
    placed : ``mp -> pm``: the PMs placed in ``fam`` alongside ``v`` (``m`` itself is ignored).

    Returns
    -------
    float
        ``L(placed PMs and v on the pedigree) / (L(placed PMs) L(v))``; exactly 1 when nothing
        else is placed in the family.
    """
    ped = original.families[fam]
    others = {
        mp: original.pm_profiles.get(pm, {}) for mp, pm in placed.items() if mp != m and mp in ped
    }
    if not others:
        return 1.0  # v alone on an untyped pedigree: the LR is 1 exactly
    with_v = dict(others)
    with_v[m] = original.pm_profiles.get(v, {})
    placed_pm = [(pm, mp) for mp, pm in placed.items() if mp != m and mp in ped]
    l1 = likelihood(
        ped, original.markers, with_v, dropout=original.placed_dropout([*placed_pm, (v, m)])
    ).loglik
    l0 = likelihood(
        ped, original.markers, others, dropout=original.placed_dropout(placed_pm)
    ).loglik
    lv = float(np.sum(original.pm_logliks[v]))
    return safe_exp(l1 - l0 - lv)
