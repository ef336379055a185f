"""Pairwise LRs of a reduced problem read from the whole problem's, not computed again.

dviSolve hands each step a smaller problem (PMs and MPs removed, pairings narrowed). Where the
reduced problem keeps the same PM profiles, dropout models and reference data, each of its LRs,
exclusion counts and table columns is the whole problem's: a row of PM ``v`` against the column
of MP ``m`` depends on nothing else. Reading them back instead of building tables and scoring
again cost most of the conclusions on a realistic exchange (issue 12: 12 s of 43 at 1,000 x 750).

What may differ is which pairings are allowed: the reduced problem's own rule (its pairings) is
applied again, by the same function that :func:`repatria.kinship.dvi.pairwise_lr` uses. A pairing
the reduced problem allows but the whole problem did not has no value to read; then, and wherever
the data differ, the caller computes the result afresh.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from repatria.kinship.dvi import DVIProblem, PairwiseResult
from repatria.kinship.screening import EncodedPM, ScreeningTables
from repatria.kinship.screening_exclusions import allowed_pairs

__all__ = ["restrict_pairwise"]


def restrict_pairwise(
    base: DVIProblem, pw: PairwiseResult, sub: DVIProblem
) -> PairwiseResult | None:
    """``pairwise_lr(sub)`` read from ``pw = pairwise_lr(base)``; ``None`` where it cannot be.

    It can be when ``sub``'s markers, PM profiles and dropout models, and its families'
    pedigrees and reference profiles, are ``base``'s, and ``sub`` allows no pairing that
    ``base`` did not.
    """
    tables, enc = pw.tables, pw.encoded_pm
    if tables is None or enc is None or pw.per_marker is not None:
        return None
    if sub.markers is not base.markers and sub.markers != base.markers:
        return None
    row_of = {v: i for i, v in enumerate(pw.pm)}
    col_of = {m: j for j, m in enumerate(pw.missing)}
    if any(v not in row_of for v in sub.pm) or any(m not in col_of for m in sub.missing):
        return None
    if not _same_pm_data(base, sub) or not _same_reference_data(base, sub):
        return None
    rows = np.fromiter((row_of[v] for v in sub.pm), dtype=np.intp, count=len(sub.pm))
    cols = np.fromiter((col_of[m] for m in sub.missing), dtype=np.intp, count=len(sub.missing))
    sub_tables = _columns(tables, cols)
    allowed = allowed_pairs(sub, sub_tables)
    if np.any(allowed & ~pw.allowed[np.ix_(rows, cols)]):
        return None
    log_lr = pw.log_lr[np.ix_(rows, cols)]
    log_lr[~allowed] = np.nan
    excl = pw.exclusions[np.ix_(rows, cols)]
    excl[~allowed] = -1
    fam_ll: dict[str, np.ndarray] = {}
    for j, f in enumerate(sub_tables.family):
        if f not in fam_ll:
            fam_ll[f] = sub_tables.family_loglik[j].copy()
    return PairwiseResult(
        sub.pm,
        sub.missing,
        sub_tables.markers,
        log_lr,
        None,
        excl,
        fam_ll,
        allowed,
        sub_tables,
        _rows(enc, rows, sub.pm),
    )


def _same_pm_data(base: DVIProblem, sub: DVIProblem) -> bool:
    for v in sub.pm:
        mine, theirs = sub.pm_profiles.get(v, {}), base.pm_profiles.get(v, {})
        if mine is not theirs and mine != theirs:
            return False
        if sub.pm_dropout.get(v) != base.pm_dropout.get(v):
            return False
        if sub.pm_sex[v] != base.pm_sex[v]:
            return False
    return True


def _same_reference_data(base: DVIProblem, sub: DVIProblem) -> bool:
    for f in {sub.missing_family[m] for m in sub.missing}:
        if sub.families.get(f) is not base.families.get(f):
            return False
        mine, theirs = sub.am_profiles.get(f, {}), base.am_profiles.get(f, {})
        if mine is not theirs and mine != theirs:
            return False
    return all(base.missing_family.get(m) == sub.missing_family[m] for m in sub.missing)


def _columns(t: ScreeningTables, cols: np.ndarray) -> ScreeningTables:
    return replace(
        t,
        missing=tuple(t.missing[j] for j in cols),
        family=tuple(t.family[j] for j in cols),
        mp_sex=t.mp_sex[cols],
        logt=t.logt[:, cols],
        family_loglik=t.family_loglik[cols],
        impossible=None if t.impossible is None else t.impossible[:, cols],
        refs_impossible=None if t.refs_impossible is None else t.refs_impossible[:, cols],
        seconds=0.0,
    )


def _rows(enc: EncodedPM, rows: np.ndarray, ids: tuple[str, ...]) -> EncodedPM:
    return EncodedPM(
        ids,
        enc.codes[rows],
        enc.loglik[rows],
        enc.sex[rows],
        enc.marker_loglik[rows],
    )
