"""The steps of the DVI workflow, except the joint analysis of complex families.

Each function takes the problem left by the step before and returns a frozen
:class:`~repatria.kinship.solve.records.Step` record: the reduced problem, the AM and PM rows it
settled, its part of the log and the LR0 of what it reported. Order of use (see
:func:`repatria.kinship.conclusions.dvi_solve`): :func:`nonidentifiable_step`, then
:func:`exclusion_step` and :func:`undisputed_step` in turns until nothing changes,
:func:`simple_families_step`, the complex families
(:func:`~repatria.kinship.solve.joint_step.complex_families_step`), :func:`pm_driven_step`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, find_excluded
from repatria.kinship.solve.problem import (
    lr0,
    pairwise_or_none,
    rebuild,
    same_pairings,
    without,
)
from repatria.kinship.solve.records import (
    AMRow,
    Conclusion,
    ExclusionStep,
    Placed,
    PMRow,
    SolveSettings,
    Step,
    UndisputedStep,
)
from repatria.kinship.solve.text import fmt_lr, plural, section
from repatria.kinship.solve.undisputed import find_nonidentifiable, find_undisputed

__all__ = [
    "nonidentifiable_step",
    "exclusion_step",
    "undisputed_step",
    "simple_families_step",
    "pm_driven_step",
    "one_column",
]

_NO_CANDIDATES = "No candidates left"


# --------------------------------------------------------------------------------------------
# nonidentifiable


def nonidentifiable_step(problem: DVIProblem) -> Step:
    """Remove the MPs that no data can identify (:func:`find_nonidentifiable`).

    Returns
    -------
    Step
        An AM row *Nonidentifiable* per such MP (comment: whom it is unrelated to), and the
        problem without them.
    """
    name = "Nonidentifiable MPs"
    non = find_nonidentifiable(problem)
    if not non:
        return Step(name=name, problem=problem, log=section(name) + "None \n")
    rows = []
    for m in non:
        f = problem.missing_family[m]
        refs = [*problem.am_profiles.get(f, {}), *(x for x in problem.family_missing[f] if x != m)]
        comment = "Unrelated to " + ", ".join(refs) if refs else "No relatives"
        rows.append(
            AMRow(family=f, missing=m, conclusion=Conclusion.NONIDENTIFIABLE, comment=comment)
        )
    reduced, _ = rebuild(
        problem, problem.pm, [m for m in problem.missing if m not in non], problem.pairings
    )
    log = section(name) + "\n".join(f"{r.missing}: Nonidentifiable" for r in rows) + "\n"
    return Step(name=name, problem=reduced, changed=True, am=tuple(rows), log=log)


# --------------------------------------------------------------------------------------------
# exclusions


def _inconsistencies(fewest: int | None) -> str:
    return "No compatible pairings" if fewest is None else f"{fewest}+ inconsistencies"


def exclusion_step(
    problem: DVIProblem,
    max_incomp: int,
    iteration: int,
    pairwise: PairwiseResult | None = None,
) -> ExclusionStep:
    """Exclusions (:func:`~repatria.kinship.dvi.find_excluded`, dvir's ``findExcluded``).

    Parameters
    ----------
    problem : the problem left so far.
    max_incomp : a pairing with more inconsistent markers than this is excluded.
    iteration : the round of the exclusion/undisputed loop (1, 2, ...): it names the section,
        and from round 2 on "no exclusions" ends the loop.
    pairwise : the pairwise analysis of ``problem`` if already computed.

    Returns
    -------
    ExclusionStep
        *Excluded* rows for the PMs and MPs with no pairing left (comment ``"N+ inconsistencies"``,
        N the smallest count, or ``"No compatible pairings"``), and the problem without them and
        without the excluded pairings. As dvir's ``findExcluded``, the pairings are rebuilt
        (``"*"`` and every MP still compatible among the current pairings) only when some pairing
        is excluded; otherwise they are kept as they are.
    """
    name = f"Exclusions, iteration {iteration}"
    log = section(name)
    pw = pairwise if pairwise is not None else pairwise_or_none(problem)
    if pw is None:  # nothing left to pair: dvir prints nothing here and goes on
        return ExclusionStep(name=name, problem=problem, log=log)
    ex = find_excluded(problem, max_incomp, pairwise=pw)
    # dvir's findExcluded: the pairings are rebuilt ("*" and the compatible MPs) only when some
    # pairing is excluded; otherwise they stay as they are (a pairing that an undisputed step
    # dropped under ``limit`` is never put back, which would undo that step for ever).
    pairings = ex.pairings if ex.n_pairings_excluded else problem.pairings
    reduced, _ = rebuild(
        problem,
        [v for v in problem.pm if v not in ex.pm],
        [m for m in problem.missing if m not in ex.missing],
        pairings,
    )
    if same_pairings(reduced, problem):
        log += "No exclusions; breaking loop\n" if iteration > 1 else "No exclusions\n"
        return ExclusionStep(name=name, problem=problem, log=log, pairwise=pw, excluded=ex)
    am = tuple(
        AMRow(
            family=problem.missing_family[m],
            missing=m,
            conclusion=Conclusion.EXCLUDED,
            comment=_inconsistencies(ex.missing_fewest[m]),
        )
        for m in ex.missing
    )
    pm = tuple(
        PMRow(sample=v, conclusion=Conclusion.EXCLUDED, comment=_inconsistencies(ex.pm_fewest[v]))
        for v in ex.pm
    )
    log += "".join(f"{r.missing or r.sample}: Excluded ({r.comment})\n" for r in (*am, *pm))
    n = ex.n_individual_excluded
    log += f"Excluded {n} individual {plural(n, 'pairing', 'pairings')}\n"
    return ExclusionStep(
        name=name, problem=reduced, changed=True, am=am, pm=pm, log=log, pairwise=pw, excluded=ex
    )


# --------------------------------------------------------------------------------------------
# undisputed


def undisputed_step(
    problem: DVIProblem,
    settings: SolveSettings,
    iteration: int,
    original: DVIProblem,
    placed: Placed,
) -> UndisputedStep:
    """Undisputed matches (:func:`find_undisputed`), their PMs placed on their MPs.

    Parameters
    ----------
    problem : the problem left so far.
    settings : ``threshold`` and ``limit`` are used.
    iteration : the round of the exclusion/undisputed loop (names the section).
    original : the problem given to the workflow (for LR0).
    placed : PMs placed as reference data by earlier rounds (``family -> {mp: pm}``).

    Returns
    -------
    UndisputedStep
        *Undisputed* rows (AM and PM), *Excluded* PM rows for PMs left with no pairing, the
        problem left, and ``placed`` with this round's matches added. Unchanged (and the loop
        ends) when nothing was found.
    """
    name = f"Undisputed, iteration {iteration}"
    log = section(name)
    und = find_undisputed(problem, threshold=settings.threshold, limit=settings.limit)
    if same_pairings(und.reduced, problem):
        log += "No change; breaking loop\n"
        return UndisputedStep(name=name, problem=problem, log=log, undisputed=und, placed=placed)
    now = {f: dict(d) for f, d in placed.items()}
    lr0s = {}
    # In the order found: a match placed earlier in a family is part of the next one's LR0.
    for f, d in und.transferred.items():
        for m, v in d.items():
            lr0s[(v, m)] = lr0(original, f, v, m, now.get(f, {}))
            now.setdefault(f, {})[m] = v
    for r in und.summary:
        who = r.sample if r.missing is None else f"{r.sample} = {r.missing}"
        log += f"{who}: {r.conclusion} ({r.comment})\n"
    # Pairings dropped for LR = 0 (or < limit): still allowed before, gone from the reduced one.
    n_zero = sum(
        1
        for v in und.reduced.pm
        for x in problem.pairings[v]
        if (x == NOBODY or x in und.reduced.missing_family) and x not in und.reduced.pairings[v]
    )
    if n_zero:
        why = "LR = 0" if settings.limit == 0 else f"LR < {fmt_lr(settings.limit)}"
        log += f"Removed {n_zero} {plural(n_zero, 'pairing', 'pairings')} with {why}\n"
    return UndisputedStep(
        name=name,
        problem=und.reduced,
        changed=True,
        am=tuple(r.as_am() for r in und.summary if r.missing is not None),
        pm=tuple(r.as_pm() for r in und.summary),
        log=log,
        lr0=lr0s,
        undisputed=und,
        placed=now,
    )


# --------------------------------------------------------------------------------------------
# AM-driven: simple families, and PM-driven


@dataclass(frozen=True)
class OneColumn:
    """The conclusion drawn from one row or column of pairwise LRs.

    Attributes
    ----------
    conclusion : *Disputed*, *Probable*, *Inconclusive* or *No match*.
    best : the candidate with the largest LR (``None``: no candidate).
    lr : its LR.
    comment : the runner-up, the other candidates above ``threshold2``, or the best candidate.
    """

    conclusion: Conclusion
    best: str | None
    lr: float | None
    comment: str | None


def _argmax(cands: Sequence[tuple[str, float]]) -> tuple[str, float]:
    """The first candidate with the largest LR (ties: the first, as R's ``which.max``)."""
    best, max_lr = cands[0]
    for x, lr in cands:
        if lr > max_lr:
            best, max_lr = x, lr
    return best, max_lr


def one_column(cands: Sequence[tuple[str, float]], threshold2: float) -> OneColumn:
    """Conclusion from one row or column of pairwise LRs, ``(candidate, LR)`` in matrix order.

    More than one LR above ``threshold2`` is *Disputed*, exactly one *Probable*, else
    *Inconclusive* (best LR >= 1) or *No match*.

    >>> c = one_column([("V1", 500.0), ("V2", 3.0)], threshold2=100)
    >>> str(c.conclusion), c.best, c.comment
    ('Probable', 'V1', 'Runner-up: V2 (LR=3)')
    >>> str(one_column([("V1", 500.0), ("V2", 700.0)], 100).conclusion)
    'Disputed'
    """
    if not cands:
        return OneColumn(Conclusion.NO_MATCH, None, None, _NO_CANDIDATES)
    best, max_lr = _argmax(cands)
    top = [(x, lr) for x, lr in cands if lr > threshold2]
    if len(top) > 1:
        also = ", ".join(f"{x} (LR={fmt_lr(lr)})" for x, lr in top if x != best)
        return OneColumn(Conclusion.DISPUTED, best, max_lr, f"Also: {also}")
    if len(top) == 1:
        rest = [(x, lr) for x, lr in cands if x != best]
        if not rest:
            return OneColumn(Conclusion.PROBABLE, best, max_lr, "Runner-up: -")
        r, rlr = _argmax(rest)
        return OneColumn(Conclusion.PROBABLE, best, max_lr, f"Runner-up: {r} (LR={fmt_lr(rlr)})")
    if max_lr >= 1:
        return OneColumn(Conclusion.INCONCLUSIVE, best, max_lr, f"Best: {best}")
    return OneColumn(Conclusion.NO_MATCH, best, max_lr, None)


def _simple_family(pw: PairwiseResult, fam: str, m: str, threshold2: float) -> AMRow:
    """The AM row of a family whose only MP left is ``m``, from ``m``'s column of LRs."""
    j = pw.column_of[m]
    cands = [(v, float(pw.lr[i, j])) for i, v in enumerate(pw.pm) if not np.isnan(pw.lr[i, j])]
    c = one_column(cands, threshold2)
    sample = None if c.conclusion == Conclusion.NO_MATCH else c.best
    return AMRow(
        family=fam, missing=m, sample=sample, lr=c.lr, conclusion=c.conclusion, comment=c.comment
    )


def simple_families_step(
    problem: DVIProblem, threshold2: float, original: DVIProblem, placed: Placed
) -> Step:
    """AM-driven conclusions for the families with one MP left, from its column of LRs.

    Parameters
    ----------
    problem : the problem left by the exclusion/undisputed loop.
    threshold2 : LR threshold of *Probable* (see :func:`one_column`).
    original, placed : for LR0 (see :func:`undisputed_step`).

    Returns
    -------
    Step
        One AM row per simple family, a PM row per *Probable* match, and the problem without the
        PMs and MPs of those matches.
    """
    name = "AM-driven: Simple families"
    fams = [f for f in problem.families if len(problem.family_missing.get(f, ())) == 1]
    log = section(name) + f"{len(fams)} simple {plural(len(fams), 'family', 'families')}"
    log += (f": {', '.join(fams)}" if fams else "") + "\n"
    if not fams:
        return Step(name=name, problem=problem, log=log)
    log += "\n"
    mps = {f: problem.family_missing[f][0] for f in fams}
    sub, _ = rebuild(problem, problem.pm, list(mps.values()), problem.pairings)
    spw = pairwise_or_none(sub)
    am: list[AMRow] = []
    pm: list[PMRow] = []
    lr0s = {}
    for f, m in mps.items():
        if spw is None:  # no PM may be any of these MPs: the row says so, the log stays silent
            am.append(
                AMRow(family=f, missing=m, conclusion=Conclusion.NO_MATCH, comment=_NO_CANDIDATES)
            )
            continue
        row = _simple_family(spw, f, m, threshold2)
        am.append(row)
        if row.conclusion == Conclusion.PROBABLE and row.sample is not None:
            pm.append(row.as_pm())
            lr0s[(row.sample, m)] = lr0(original, f, row.sample, m, placed.get(f, {}))
        log += f"Family {f}: {m} --> {row.conclusion} \n"
    reduced = without(
        problem, [r.sample for r in pm if r.sample], [r.missing for r in pm if r.missing]
    )
    return Step(
        name=name,
        problem=reduced,
        changed=bool(pm),
        am=tuple(am),
        pm=tuple(pm),
        log=log,
        lr0=lr0s,
    )


def _pm_row(problem: DVIProblem, pw: PairwiseResult | None, i: int, threshold2: float) -> PMRow:
    """The PM row of PM ``i`` of ``problem``, from its row of LRs against the MPs still open."""
    v = problem.pm[i]
    cands = []
    if pw is not None:
        cands = [
            (m, float(pw.lr[i, j]))
            for j, m in enumerate(pw.missing)
            if problem.allowed(v, m) and not np.isnan(pw.lr[i, j])
        ]
    c = one_column(cands, threshold2)
    if c.conclusion in (Conclusion.PROBABLE, Conclusion.DISPUTED) and c.best is not None:
        fam = problem.missing_family[c.best]
        return PMRow(
            sample=v,
            missing=c.best,
            family=fam,
            lr=c.lr,
            conclusion=c.conclusion,
            comment=c.comment,
        )
    # dvir writes empty strings, not NA, where the PM-driven step names nobody.
    return PMRow(
        sample=v, missing="", family="", lr=c.lr, conclusion=c.conclusion, comment=c.comment
    )


def pm_driven_step(
    problem: DVIProblem, threshold2: float, original: DVIProblem, placed: Placed
) -> Step:
    """PM-driven conclusions for the PMs still open, from their rows of LRs (dvir's step 4).

    Parameters
    ----------
    problem : the problem left by the AM-driven steps (its PMs are the ones still open).
    threshold2 : LR threshold of *Probable* (see :func:`one_column`).
    original, placed : for LR0 (see :func:`undisputed_step`).

    Returns
    -------
    Step
        One PM row per open PM (PMs with no pairing left: *No match*, ``"No candidates left"``).
    """
    name = "PM-driven: Remaining victims"
    if not problem.pm:
        return Step(name=name, problem=problem, log=section(name) + "No remaining victims\n")
    n = len(problem.pm)
    log = section(name)
    log += f"{n} remaining {plural(n, 'victim', 'victims')}: {', '.join(problem.pm)}\n"
    current, dropped = rebuild(problem, problem.pm, problem.missing, problem.pairings)
    pw = pairwise_or_none(current)
    rows = [_pm_row(current, pw, i, threshold2) for i in range(len(current.pm))]
    rows += [
        PMRow(
            sample=v, missing="", family="", conclusion=Conclusion.NO_MATCH, comment=_NO_CANDIDATES
        )
        for v in dropped
    ]
    lr0s = {
        (r.sample, r.missing): lr0(
            original, r.family, r.sample, r.missing, placed.get(r.family, {})
        )
        for r in rows
        if r.conclusion == Conclusion.PROBABLE and r.sample and r.missing and r.family
    }
    # Every open PM is concluded here, so none is left for a further step.
    return Step(
        name=name,
        problem=without(problem, problem.pm, ()),
        changed=True,
        pm=tuple(rows),
        log=log,
        lr0=lr0s,
    )
