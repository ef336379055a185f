"""AM-driven conclusions for complex families (several MPs left), from their joint tables.

For each such family every assignment of its candidate PMs is scored (the joint engine,
mutation models as stored, as dvir's ``dviJoint``). The generalised LR of a hypothesis H is
``max L(assignments where H holds) / max L(assignments where it fails)``: flat over assignments,
no prior needed. Pairs of the best assignment with ``GLR >= threshold`` are a *Match (GLR)*.
Several best assignments of equal likelihood that permute a set of PMs over a set of MPs (full
siblings, typically) are a *Symmetric match* when the GLR of "these PMs are these MPs, in some
order" reaches ``threshold``. The family's other MPs are *Inconclusive* (LR: the MP's largest
pairwise LR; GLR: the largest GLR of any PM = MP).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from repatria.kinship._numeric import safe_exp
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult
from repatria.kinship.errors import KinshipError
from repatria.kinship.joint import count_assignments, joint_dvi
from repatria.kinship.solve.problem import (
    EPS,
    best_lr_of,
    lr0,
    lr_at,
    pairwise_or_none,
    rebuild,
    without,
)
from repatria.kinship.solve.records import (
    AM_KEYS,
    AMRow,
    ComplexFamiliesStep,
    Conclusion,
    FamilyJoint,
    FamilyStep,
    Placed,
    PMRow,
    SolveSettings,
)
from repatria.kinship.solve.text import format_rows, plural, section

__all__ = ["complex_families_step", "complex_family_step", "glr_matrix"]

#: Two joint log-likelihoods closer than this (relative) are ties: symmetric solutions are exact
#: ties, and only rounding tells them apart.
_TIE = 1e-9

#: Rows of a joint table: ``(assignment pm -> mp or "*", natural-log likelihood)``, best first.
Rows = Sequence[tuple[dict[str, str], float]]


def glr_matrix(
    pm: Sequence[str], missing: Sequence[str], rows: Rows
) -> dict[tuple[str, str], float]:
    """GLR of every ``v = m`` (dvir's ``pairwiseGLR``): max L where it holds over max L where not.

    Parameters
    ----------
    pm, missing : the PMs and MPs of the table.
    rows : the joint table, best first.

    Returns
    -------
    dict
        ``(v, m) -> GLR`` for the pairings that occur in ``rows``; PMs with a single value over
        all of ``rows`` are left out (there is no alternative to weigh against).
    """
    out = {}
    for v in pm:
        if len({a[v] for a, _ in rows}) < 2:
            continue
        best: dict[str, float] = {}
        for a, ll in rows:
            best.setdefault(a[v], ll)  # rows are sorted: the first is the largest
        for m in missing:
            if m not in best:
                continue
            other = max((ll for x, ll in best.items() if x != m), default=-math.inf)
            out[(v, m)] = safe_exp(best[m] - other)
    return out


def _glr_of(rows: Rows, holds: Callable[[Mapping[str, str]], bool]) -> float:
    """GLR of a hypothesis given as a predicate on assignments (0 if it never holds)."""
    yes = max((ll for a, ll in rows if holds(a)), default=-math.inf)
    no = max((ll for a, ll in rows if not holds(a)), default=-math.inf)
    if yes == -math.inf:
        return 0.0
    return safe_exp(yes - no)


def _pairs(v: str, m: str) -> Callable[[Mapping[str, str]], bool]:
    """The hypothesis ``v = m`` as a predicate on assignments."""
    return lambda a: a[v] == m


def _relationship(problem: DVIProblem, fam: str, mps: Sequence[str]) -> str:
    """How the MPs of a symmetric group are related: ``"full siblings"``, ``"half siblings"``,
    or ``"symmetric"`` (same likelihood, relationship not named)."""
    ped = problem.families[fam]
    parents = [ped.parents(m) for m in mps]
    if all(p is not None for p in parents):
        fathers = {p[0] for p in parents if p is not None}
        mothers = {p[1] for p in parents if p is not None}
        if len(fathers) == 1 and len(mothers) == 1:
            return "full siblings"
        if len(fathers) == 1 or len(mothers) == 1:
            return "half siblings"
    return "symmetric"


# --------------------------------------------------------------------------------------------
# rows of one family


@dataclass(frozen=True)
class _Ties:
    """The best assignments of a joint table (ties included), read off.

    Attributes
    ----------
    first : the first best assignment.
    fixed : PMs on the same MP (not ``"*"``) in every best assignment, in the problem's order.
    group : PMs whose MP differs between best assignments; empty unless all of them are on an
        MP in every best assignment (then the ties permute them over ``group_mps``).
    group_mps : the MPs the group moves over, in the problem's order.
    """

    first: Mapping[str, str]
    fixed: tuple[str, ...]
    group: tuple[str, ...]
    group_mps: tuple[str, ...]


def _ties(sub: DVIProblem, rows: Rows) -> _Ties:
    ll1 = rows[0][1]
    tied = [a for a, ll in rows if ll >= ll1 - _TIE * max(1.0, abs(ll1))]
    first = tied[0]
    fixed = tuple(v for v in sub.pm if first[v] != NOBODY and all(a[v] == first[v] for a in tied))
    group = tuple(v for v in sub.pm if any(a[v] != first[v] for a in tied))
    if any(a[v] == NOBODY for a in tied for v in group):
        return _Ties(first, fixed, (), ())  # "nobody" among the ties: no permutation of MPs
    on = {a[v] for a in tied for v in group}
    return _Ties(first, fixed, group, tuple(m for m in sub.missing if m in on))


def _unanalysed(
    sub: DVIProblem, pw: PairwiseResult | None, fam: str, comment: str | None
) -> tuple[AMRow, ...]:
    """*Inconclusive* rows for every MP of a family the joint analysis did not settle."""
    return tuple(
        AMRow(
            family=fam,
            missing=m,
            lr=None if pw is None else best_lr_of(pw, m),
            conclusion=Conclusion.INCONCLUSIVE,
            comment=comment,
        )
        for m in sub.missing
    )


def _fixed_matches(
    sub: DVIProblem, pw: PairwiseResult, rows: Rows, ties: _Ties, fam: str, threshold: float
) -> list[AMRow]:
    """*Match (GLR)* rows for the PMs fixed in every best assignment whose GLR reaches it."""
    label = "Joint: {" + ",".join(sub.missing) + "}"
    out = []
    for v in ties.fixed:
        m = ties.first[v]
        glr = _glr_of(rows, _pairs(v, m))
        if glr >= threshold - EPS:
            out.append(
                AMRow(
                    family=fam,
                    missing=m,
                    sample=v,
                    lr=lr_at(pw, v, m),
                    glr=glr,
                    conclusion=Conclusion.MATCH_GLR,
                    comment=label,
                )
            )
    return out


def _one_over_many(
    pw: PairwiseResult, ties: _Ties, fam: str, glr: float, rel: str
) -> tuple[list[AMRow], list[PMRow]]:
    """One PM equally likely to be any of several MPs: a row per MP, one PM row naming them all."""
    v, mps = ties.group[0], ties.group_mps
    am = [
        AMRow(
            family=fam,
            missing=m,
            sample=v,
            lr=lr_at(pw, v, m),
            glr=glr,
            conclusion=Conclusion.SYMMETRIC_MATCH,
            comment=f"{v} also matches {', '.join(x for x in mps if x != m)} ({rel})",
        )
        for m in mps
    ]
    names = " and ".join([", ".join(mps[:-1]), mps[-1]])
    pm = PMRow(
        sample=v,
        missing="/".join(mps),
        family=fam,
        lr=max(lr_at(pw, v, m) for m in mps),
        glr=glr,
        conclusion=Conclusion.SYMMETRIC_MATCH,
        comment=f"{names} are {rel}",
    )
    return am, [pm]


def _many_over_many(
    sub: DVIProblem, pw: PairwiseResult, ties: _Ties, fam: str, glr: float, rel: str
) -> tuple[list[AMRow], list[PMRow]]:
    """Several PMs permuted over as many MPs (``=``) or more (``among``)."""
    group, mps = ties.group, ties.group_mps
    label = rel[0].upper() + rel[1:]
    vs, ms = "{" + ", ".join(group) + "}", "{" + ", ".join(mps) + "}"
    same = len(group) == len(mps)
    am_comment = f"{label}: {ms} = {vs}" if same else f"{label}: {vs} among {ms}"
    am = [
        AMRow(
            family=fam,
            missing=m,
            sample="/".join(group),
            glr=glr,
            conclusion=Conclusion.SYMMETRIC_MATCH,
            comment=am_comment,
        )
        for m in mps
    ]
    pm = [
        PMRow(
            sample=v,
            missing="/".join(mps),
            family=fam,
            lr=max(lr_at(pw, v, m) for m in mps if sub.allowed(v, m)),
            glr=glr,
            conclusion=Conclusion.SYMMETRIC_MATCH,
            comment=f"{label}: {vs}{' = ' if same else ' among '}{ms}",
        )
        for v in group
    ]
    return am, pm


def _symmetric_match(
    sub: DVIProblem, pw: PairwiseResult, rows: Rows, ties: _Ties, fam: str, threshold: float
) -> tuple[list[AMRow], list[PMRow]]:
    """*Symmetric match* rows when the GLR of "the group is these MPs, in some order" reaches it."""
    if not ties.group:
        return [], []
    on = set(ties.group_mps)
    glr = _glr_of(rows, lambda a: all(a[v] in on for v in ties.group))
    if not glr >= threshold - EPS:
        return [], []
    rel = _relationship(sub, fam, ties.group_mps)
    if len(ties.group) == 1:
        return _one_over_many(pw, ties, fam, glr, rel)
    return _many_over_many(sub, pw, ties, fam, glr, rel)


def _inconclusive_rest(
    sub: DVIProblem, pw: PairwiseResult, rows: Rows, fam: str, settled: set[str]
) -> list[AMRow]:
    """*Inconclusive* rows for the family's other MPs: best pairwise LR and best GLR of each."""
    g = glr_matrix(sub.pm, sub.missing, rows)
    out = []
    for m in sub.missing:
        if m in settled:
            continue
        glrs = [g[(v, m)] for v in sub.pm if (v, m) in g]
        out.append(
            AMRow(
                family=fam,
                missing=m,
                lr=best_lr_of(pw, m),
                glr=max(glrs) if glrs else None,
                conclusion=Conclusion.INCONCLUSIVE,
            )
        )
    return out


def _joint_table(
    sub: DVIProblem, pw: PairwiseResult, fam: str, max_assign: int
) -> tuple[FamilyJoint | None, str, str | None]:
    """The family's joint table, the log lines, and why there is no table (``None`` if there is)."""
    n = count_assignments(sub.pm, sub.pairings)
    log = f"Number of assignments: {n} (exact)\n"
    if n > max_assign:
        log += f"Too many assignments (> {max_assign}); family {fam} not analysed jointly\n"
        return None, log, f"Joint analysis skipped: {n} assignments"
    try:
        jr = joint_dvi(sub, pairwise=pw, top=n)
    except KinshipError as e:  # a family the engine cannot score stays open, with the reason
        log += f"Joint analysis of family {fam} failed: {e}\n"
        return None, log, f"Joint analysis failed: {e}"
    rows = tuple((dict(r.assignment), float(r.loglik)) for r in jr.top)
    return FamilyJoint(fam, sub.pm, sub.missing, n, rows, float(jr.neglected_mass_bound)), log, None


def complex_family_step(
    problem: DVIProblem,
    fam: str,
    threshold: float,
    max_assign: int,
    original: DVIProblem | None = None,
    placed: Placed | None = None,
) -> FamilyStep:
    """Conclusions for one family with several MPs left, from its joint table.

    Parameters
    ----------
    problem : the problem left so far (only ``fam``'s MPs and their candidate PMs are used).
    fam : the family.
    threshold : GLR threshold of *Match (GLR)* and *Symmetric match*.
    max_assign : a family with more assignments than this is not analysed jointly.
    original, placed : for LR0 (default: ``problem``, nothing placed).

    Returns
    -------
    FamilyStep
        One AM row per MP of the family, a PM row per PM settled, the joint table, and the
        problem without what was settled.
    """
    name = f"Family {fam}"
    if fam not in problem.families:
        return FamilyStep(name=name, problem=problem, log="\n", family=fam)
    sub, _ = rebuild(problem, problem.pm, problem.family_missing[fam], problem.pairings)
    if not sub.pm:  # no candidate left for any MP of the family
        rows = _unanalysed(sub, None, fam, None)
        return FamilyStep(name=name, problem=problem, am=rows, log=_log("", rows), family=fam)
    pw = pairwise_or_none(sub)
    assert pw is not None  # sub has PMs, and the family's MPs
    table, head, why = _joint_table(sub, pw, fam, max_assign)
    if table is None:
        rows = _unanalysed(sub, pw, fam, why)
        return FamilyStep(name=name, problem=problem, am=rows, log=_log(head, rows), family=fam)
    ties = _ties(sub, table.rows)
    fixed = _fixed_matches(sub, pw, table.rows, ties, fam, threshold)
    sym_am, sym_pm = _symmetric_match(sub, pw, table.rows, ties, fam, threshold)
    settled_pm = {r.sample for r in fixed if r.sample} | (set(ties.group) if sym_am else set())
    settled_mp = {r.missing for r in fixed + sym_am if r.missing}
    am = fixed + sym_am + _inconclusive_rest(sub, pw, table.rows, fam, settled_mp)
    pm = [r.as_pm() for r in fixed] + sym_pm
    settled = {v: ties.first[v] for v in sub.pm if v in settled_pm}
    lr0s = _lr0_of(original or problem, fam, settled, placed or {})
    return FamilyStep(
        name=name,
        problem=without(problem, settled, settled_mp),
        changed=bool(settled),
        am=tuple(am),
        pm=tuple(pm),
        log=_log(head, am),
        lr0=lr0s,
        family=fam,
        joint=table,
        settled=settled,
    )


def _log(head: str, am: Sequence[AMRow]) -> str:
    """A family's part of the log: what the joint analysis said, then the family's AM rows."""
    return "\n" + head + "\n" + format_rows(am, AM_KEYS) + "\n"


def _lr0_of(
    original: DVIProblem, fam: str, settled: Mapping[str, str], placed: Placed
) -> dict[tuple[str, str], float]:
    """LR0 of each settled pairing, the family's other settled PMs placed alongside it."""
    fam_placed = dict(placed.get(fam, {}))
    fam_placed.update({m: v for v, m in settled.items()})
    return {(v, m): lr0(original, fam, v, m, fam_placed) for v, m in settled.items()}


def complex_families_step(
    problem: DVIProblem, settings: SolveSettings, original: DVIProblem, placed: Placed
) -> ComplexFamiliesStep:
    """AM-driven conclusions for every family with several MPs left, one family at a time.

    Parameters
    ----------
    problem : the problem left by the simple families.
    settings : ``threshold`` and ``max_assign`` are used.
    original, placed : for LR0 (see :func:`~repatria.kinship.solve.steps.undisputed_step`).

    Returns
    -------
    ComplexFamiliesStep
        The rows and joint table of each family (:func:`complex_family_step`), and the problem
        without what they settled.
    """
    name = "AM-driven: Complex families"
    fams = [f for f in problem.families if len(problem.family_missing.get(f, ())) > 1]
    log = section(name) + f"{len(fams)} complex {plural(len(fams), 'family', 'families')}"
    log += (f": {', '.join(fams)}" if fams else "") + "\n"
    steps = []
    current = problem
    for f in fams:
        s = complex_family_step(
            current, f, settings.threshold, settings.max_assign, original, placed
        )
        steps.append(s)
        current = s.problem
    lr0s = {k: x for s in steps for k, x in s.lr0.items()}
    return ComplexFamiliesStep(
        name=name,
        problem=current,
        changed=any(s.changed for s in steps),
        am=tuple(r for s in steps for r in s.am),
        pm=tuple(r for s in steps for r in s.pm),
        log=log + "".join(s.log for s in steps),
        lr0=lr0s,
        families=tuple(steps),
    )
