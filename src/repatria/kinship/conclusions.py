"""Conclusions of a DVI case: dvir's ``dviSolve`` workflow, with ``findUndisputed``.

Every PM sample and every MP gets exactly one conclusion, reached by the first step that settles it:

1. **Nonidentifiable** MPs: kinship 0 with every typed reference and every other MP (no common
   ancestor in the pedigree). They are removed.
2. A loop, until a step changes nothing:

   a. **Exclusions** (``findExcluded``): a pairing with more than ``max_incomp`` markers
      inconsistent without mutation is removed; PMs and MPs with no pairing left are *Excluded*
      (comment ``"N+ inconsistencies"``, N the smallest count, or ``"No compatible pairings"``).
   b. **Undisputed** (:func:`find_undisputed`): ``LR >= threshold`` and at least ``threshold``
      times every other LR in its row and column of the pairwise LR matrix. The PM's profile is
      placed on the MP as reference data and the search repeats (comment ``"Step k"``). Pairings
      with LR = 0 are dropped; PMs left with no pairing are *Excluded*.

3. **AM-driven**, one family at a time:

   - *simple* families (one MP left), from the pairwise LRs of its column: more than one LR above
     ``threshold2`` is *Disputed*, exactly one *Probable*, else *Inconclusive* (best LR >= 1) or
     *No match*;
   - *complex* families (several MPs), from the family's full joint table (every assignment of
     its candidate PMs, mutation models as stored, as dvir's ``dviJoint``). The generalised LR of
     a hypothesis is ``max L(assignments where it holds) / max L(assignments where it fails)``.
     Pairs of the best assignment with ``GLR >= threshold`` are a *Match (GLR)*. Several best
     assignments of equal likelihood that permute a set of PMs over a set of MPs (full siblings,
     typically) are a *Symmetric match* when the GLR of "these PMs are these MPs, in some order"
     reaches ``threshold``. Other MPs of the family are *Inconclusive* (LR: the largest pairwise LR
     of the MP; GLR: the largest GLR of any PM = MP).

4. **PM-driven**, for each PM still open, from the pairwise LRs of its row against the MPs still
   open, with ``threshold2`` as for simple families (*Disputed*, *Probable*, *Inconclusive*,
   *No match*).

Mutation models
---------------
Kept as stored everywhere. dvir 3.4.2's ``dviSolve`` analyses complex families with ``dviJoint``
(its log prints ``dviJoint``'s "Number of assignments: N (exact)" and its joint tables have
``dviJoint``'s columns), which keeps the models; the legacy ``jointDVI`` would switch them off
(``disableMutations = NA``) in families whose references are consistent without mutation. No
reference case has a complex family with a mutation model, so the two readings are not told apart
by the data; Repatria follows the code path dvir takes.

Conventions
-----------
- LRs are pairwise LRs (``L(family with v on m) / (L(family) L(v))``), mutation models as stored;
  GLRs are ratios of maximised joint likelihoods (flat over assignments, no prior needed).
- Tables follow dvir's ``formatSummary``: the AM table is ordered by family then MP, the PM table
  by sample, in the order of the original problem. ``None`` is R's ``NA``; ``""`` is where dvir
  writes an empty string (PM rows of the PM-driven step without a match).
- ``lr0`` (not in dvir's tables): for every reported single pairing ``v = m``, the LR of ``v = m``
  in the family with its typed references removed, keeping the PMs already placed in the family
  (undisputed ones, and the other PMs of the same joint solution). It is 1 when nothing else in the
  family is typed; a large ``lr0`` means the match rests on relatives among the victims rather than
  on the reference family.

Where dvir's source was not available (dvir 3.4.2's ``amDrivenDVI``), the rules were reconstructed
from its outputs on the shared reference cases; rows of shapes those cases do not show (simple
families with *No match*, symmetric groups of other shapes, non-sibling symmetries) follow the
nearest documented pattern and say so in the comment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repatria import __version__
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, generate_pairings, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.joint import count_assignments, joint_dvi
from repatria.kinship.probability import likelihood

__all__ = [
    "Conclusions",
    "Undisputed",
    "FamilyJoint",
    "dvi_solve",
    "find_undisputed",
    "find_nonidentifiable",
]

#: Tolerance of dvir's threshold comparisons (``threshold - sqrt(.Machine$double.eps)``).
_EPS = math.sqrt(np.finfo(float).eps)
#: Two joint log-likelihoods closer than this are ties (symmetric solutions are exact ties).
_TIE = 1e-9
#: Largest joint table of one family (dvir's ``maxAssign``).
MAX_ASSIGN = 100_000

AM_KEYS = ("family", "missing", "sample", "lr", "glr", "conclusion", "comment")
PM_KEYS = ("sample", "missing", "family", "lr", "glr", "conclusion", "comment")


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class FamilyJoint:
    """The joint table of one complex family, best assignment first.

    Attributes
    ----------
    family : the family.
    pm, missing : the PMs and MPs of the table.
    n_assignments : the number of assignments of the family (all of them are in ``rows`` unless
        it exceeds ``max_assign``, or some are impossible: those are left out).
    rows : ``(assignment, loglik)``, assignment PM -> MP or ``"*"``, natural-log likelihood.
    neglected_mass_bound : the joint engine's proven bound on what it left out (0: nothing).
    """

    family: str
    pm: tuple[str, ...]
    missing: tuple[str, ...]
    n_assignments: int
    rows: tuple[tuple[dict[str, str], float], ...]
    neglected_mass_bound: float = 0.0


@dataclass(frozen=True)
class Conclusions:
    """The AM- and PM-centric conclusions of a DVI case (dvir's ``dviSolve``).

    Attributes
    ----------
    am : one row per MP, keys ``family, missing, sample, lr, glr, conclusion, comment``.
    pm : one row per PM sample, keys ``sample, missing, family, lr, glr, conclusion, comment``.
    lr0 : ``(sample, missing) -> LR`` of that pairing with the typed references removed (see the
        module docstring), for every reported single pairing.
    lr_matrix_first : the pairwise LRs of the first undisputed step, after the first exclusions
        (dvir's ``LRmatrix`` of the detailed output).
    exclusions_first : the pairwise analysis of the first exclusion step; its ``exclusions`` are
        dvir's ``exclusionMatrix`` (``-1`` where dvir has ``NA``).
    joint_tables : the joint table of every complex family analysed.
    log : the steps taken, in the manner of dvir's verbose output (no timings).
    parameters : thresholds and options used.
    version : Repatria's version.
    """

    am: list[dict[str, Any]]
    pm: list[dict[str, Any]]
    lr0: dict[tuple[str, str], float] = field(default_factory=dict)
    lr_matrix_first: PairwiseResult | None = None
    exclusions_first: PairwiseResult | None = None
    joint_tables: dict[str, FamilyJoint] = field(default_factory=dict)
    log: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    method: str = (
        "dvir dviSolve workflow (3.4.2): exclusions, undisputed, AM-driven (GLR), PM-driven"
    )
    version: str = __version__


@dataclass(frozen=True)
class Undisputed:
    """What :func:`find_undisputed` settled, and the problem left.

    Attributes
    ----------
    summary : one row per settled PM, keys ``family, missing, sample, lr, conclusion, comment``
        (undisputed matches, and PMs *Excluded* because no pairing was left for them).
    reduced : the remaining problem: settled PMs and MPs removed, the profiles of undisputed PMs
        placed on their MPs as reference data, pairings with LR <= ``limit`` removed and the rest
        ordered by decreasing LR (``"*"`` counts as LR 1).
    lr_matrix : the pairwise LRs of the last step.
    lr_matrix_first : the pairwise LRs of the first step.
    transferred : ``family -> {mp: pm}``: the undisputed PMs placed in each family.
    steps : how many steps were run.
    """

    summary: list[dict[str, Any]]
    reduced: DVIProblem
    lr_matrix: PairwiseResult | None
    transferred: dict[str, dict[str, str]]
    steps: int
    threshold: float
    strict: bool
    limit: float
    lr_matrix_first: PairwiseResult | None = None
    version: str = __version__


# --------------------------------------------------------------------------------------------
# problem surgery


def _rebuild(
    base: DVIProblem,
    pm: Sequence[str],
    missing: Sequence[str],
    pairings: Mapping[str, Sequence[str]],
    transfer: Mapping[str, str] | None = None,
    drop_unpaired: bool = True,
) -> tuple[DVIProblem, list[str]]:
    """A new problem with the given PMs and MPs; ``transfer`` places PM profiles on MPs (mp -> pm).

    Families with no MP left are dropped; pairings are restricted to what is left. Returns the
    problem and the PMs dropped because no pairing was left (dvir's ``removeUnpairedPM``).
    """
    mp_keep = tuple(m for m in base.missing if m in set(missing))
    fams = {base.missing_family[m] for m in mp_keep}
    am_prof = {f: dict(p) for f, p in base.am_profiles.items() if f in fams}
    for mp, v in (transfer or {}).items():
        f = base.missing_family.get(mp)
        if f in fams:
            am_prof.setdefault(f, {})[mp] = base.pm_profiles.get(v, {})
    keep_set = set(mp_keep)
    pm_keep = [v for v in base.pm if v in set(pm)]
    pair = {
        v: tuple(x for x in pairings.get(v, (NOBODY,)) if x == NOBODY or x in keep_set)
        for v in pm_keep
    }
    dropped = []
    if drop_unpaired:
        dropped = [v for v in pm_keep if all(x == NOBODY for x in pair[v])]
        pm_keep = [v for v in pm_keep if v not in dropped]
        pair = {v: pair[v] for v in pm_keep}
    missing_family = {m: base.missing_family[m] for m in mp_keep}
    # Keep the MPs already settled in the family map so that later look-ups still work.
    problem = DVIProblem(
        base.markers,
        tuple(pm_keep),
        {v: base.pm_sex[v] for v in pm_keep},
        {v: base.pm_profiles.get(v, {}) for v in pm_keep},
        {f: p for f, p in base.families.items() if f in fams},
        am_prof,
        mp_keep,
        missing_family,
        pair,
    )
    return problem, dropped


def _pairings_equal(a: DVIProblem, b: DVIProblem) -> bool:
    """dvir's ``dviEqual``: same PMs, MPs, reference data and pairings (as sets)."""
    if a.pm != b.pm or a.missing != b.missing or set(a.families) != set(b.families):
        return False
    if any({x for x in a.pairings[v]} != {x for x in b.pairings[v]} for v in a.pm):
        return False
    return all(set(a.am_profiles.get(f, {})) == set(b.am_profiles.get(f, {})) for f in a.families)


def _pairwise(problem: DVIProblem) -> PairwiseResult | None:
    if not problem.pm or not problem.missing:
        return None
    return pairwise_lr(problem)


def _lr(pw: PairwiseResult, v: str, m: str) -> float:
    return float(pw.lr[pw.pm.index(v), pw.missing.index(m)])


def _reduced_pairings(
    problem: DVIProblem, pw: PairwiseResult | None, limit: float = 0.0
) -> dict[str, tuple[str, ...]]:
    """dvir's ``pairwiseLR`` pairings: LR > ``limit``, by decreasing LR (``"*"`` = 1), stable."""
    if pw is None:
        return {v: tuple(problem.pairings[v]) for v in problem.pm}
    out = {}
    for v in problem.pm:
        items = []
        for k, x in enumerate(problem.pairings[v]):
            lr = 1.0 if x == NOBODY else _lr(pw, v, x)
            if not lr > limit:
                continue
            items.append((-lr, k, x))
        items.sort()
        out[v] = tuple(x for _, _, x in items)
    return out


# --------------------------------------------------------------------------------------------
# nonidentifiable


def find_nonidentifiable(problem: DVIProblem) -> list[str]:
    """MPs unrelated (kinship 0: no common ancestor) to every typed reference and every other MP."""
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


# --------------------------------------------------------------------------------------------
# undisputed


def _undisputed_entries(lr: np.ndarray, threshold: float, strict: bool) -> list[tuple[int, int]]:
    """Undisputed cells of an LR matrix, column by column (R's ``which(arr.ind = TRUE)`` order)."""
    m = np.where(np.isnan(lr), -1.0, lr)
    n_row, n_col = m.shape
    out = []
    for j in range(n_col):
        for i in range(n_row):
            if not m[i, j] >= threshold - _EPS:
                continue
            others = np.concatenate([np.delete(m[i], j), np.delete(m[:, j], i)])
            if strict:
                ok = bool(np.all(others <= 1))
            else:
                ok = bool(np.all(others <= m[i, j] / threshold))
            if ok:
                out.append((i, j))
    return out


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
    limit : pairings with LR <= ``limit`` are removed from the reduced problem.

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
    rows: list[dict[str, Any]] = []
    transferred: dict[str, dict[str, str]] = {}
    families = dict(problem.missing_family)
    if not problem.pm or not problem.missing:
        return Undisputed(rows, problem, None, transferred, 0, threshold, strict, limit)
    step = 0
    pw = pairwise
    first = None
    current = problem
    while True:
        step += 1
        pw = pw if (step == 1 and pw is not None) else _pairwise(current)
        if pw is None:
            break
        first = first or pw
        hits = _undisputed_entries(pw.lr, threshold, strict)
        if not hits:
            break
        found = [(current.pm[i], current.missing[j], float(pw.lr[i, j])) for i, j in hits]
        for v, m, lr in found:
            rows.append(
                {
                    "family": families[m],
                    "missing": m,
                    "sample": v,
                    "lr": lr,
                    "conclusion": "Undisputed",
                    "comment": f"Step {step}",
                }
            )
        vics = {v for v, _, _ in found}
        mps = {m for _, m, _ in found}
        transfer = {m: v for v, m, _ in found}
        for v, m, _ in found:
            transferred.setdefault(families[m], {})[m] = v
        current, dropped = _rebuild(
            current,
            [v for v in current.pm if v not in vics],
            [m for m in current.missing if m not in mps],
            current.pairings,
            transfer,
        )
        for v in dropped:
            rows.append(
                {
                    "family": None,
                    "missing": None,
                    "sample": v,
                    "lr": None,
                    "conclusion": "Excluded",
                    "comment": "No compatible pairings",
                }
            )
        pw = None
        if not current.pm or not current.missing:
            break
    # The reduced problem keeps pairings with LR > limit, by decreasing LR (as dvir's pairwiseLR).
    last = (
        pw
        if pw is not None and pw.pm == current.pm and pw.missing == current.missing
        else _pairwise(current)
    )
    pairings = _reduced_pairings(current, last, limit)
    reduced, _ = _rebuild(current, current.pm, current.missing, pairings, drop_unpaired=False)
    return Undisputed(rows, reduced, last, transferred, step, threshold, strict, limit, first)


# --------------------------------------------------------------------------------------------
# exclusions


def _exclusion_step(
    problem: DVIProblem, max_incomp: int, pw: PairwiseResult
) -> tuple[DVIProblem, list[dict], list[dict], int]:
    """dvir's ``findExcluded``: the reduced problem, AM and PM rows, pairings removed."""
    ex = pw.exclusions
    allowed = ex >= 0

    def min_ex(a: np.ndarray, ok: np.ndarray) -> float:
        return float(a[ok].min()) if ok.any() else math.inf

    def comment(x: float) -> str:
        return "No compatible pairings" if x == math.inf else f"{int(x)}+ inconsistencies"

    am_rows, pm_rows = [], []
    pm_out, mp_out = [], []
    for i, v in enumerate(problem.pm):
        mn = min_ex(ex[i], allowed[i])
        if mn > max_incomp:
            pm_out.append(v)
            pm_rows.append({"sample": v, "conclusion": "Excluded", "comment": comment(mn)})
    for j, m in enumerate(problem.missing):
        mn = min_ex(ex[:, j], allowed[:, j])
        if mn > max_incomp:
            mp_out.append(m)
            am_rows.append(
                {
                    "family": problem.missing_family[m],
                    "missing": m,
                    "conclusion": "Excluded",
                    "comment": comment(mn),
                }
            )
    keep_pm = [v for v in problem.pm if v not in pm_out]
    keep_mp = [m for m in problem.missing if m not in mp_out]
    col = {m: j for j, m in enumerate(problem.missing)}
    pairings = {}
    for i, v in enumerate(problem.pm):
        if v in pm_out:
            continue
        pairings[v] = (NOBODY, *[m for m in keep_mp if 0 <= ex[i, col[m]] <= max_incomp])
    rows_kept = [i for i, v in enumerate(problem.pm) if v not in pm_out]
    cols_kept = [col[m] for m in keep_mp]
    n_removed = int((ex[np.ix_(rows_kept, cols_kept)] > max_incomp).sum())
    reduced, _ = _rebuild(problem, keep_pm, keep_mp, pairings)
    return reduced, am_rows, pm_rows, n_removed


# --------------------------------------------------------------------------------------------
# AM-driven: simple families


def _fmt(x: float) -> str:
    """R's ``sprintf("%.2g")``."""
    return "%.2g" % x


def _one_column(
    cands: list[tuple[str, float]], threshold2: float
) -> tuple[str, str | None, float | None, str | None]:
    """Conclusion from one row or column of pairwise LRs: (conclusion, best, LR, comment)."""
    if not cands:
        return "No match", None, None, "No candidates left"
    best, max_lr = cands[0]
    for x, lr in cands:
        if lr > max_lr:
            best, max_lr = x, lr
    top = [(x, lr) for x, lr in cands if lr > threshold2]
    if len(top) > 1:
        also = ", ".join(f"{x} (LR={_fmt(lr)})" for x, lr in top if x != best)
        return "Disputed", best, max_lr, f"Also: {also}"
    if len(top) == 1:
        rest = [(x, lr) for x, lr in cands if x != best]
        if rest:
            r, rlr = rest[0]
            for x, lr in rest:
                if lr > rlr:
                    r, rlr = x, lr
            return "Probable", best, max_lr, f"Runner-up: {r} (LR={_fmt(rlr)})"
        return "Probable", best, max_lr, "Runner-up: -"
    if max_lr >= 1:
        return "Inconclusive", best, max_lr, f"Best: {best}"
    return "No match", best, max_lr, None


def _simple_family(
    problem: DVIProblem, pw: PairwiseResult, fam: str, threshold2: float
) -> tuple[dict, dict | None, str | None, str | None]:
    """AM row, PM row (if settled), and the settled PM and MP of a family with one MP."""
    m = problem.family_missing[fam][0]
    j = pw.missing.index(m)
    cands = [(v, float(pw.lr[i, j])) for i, v in enumerate(pw.pm) if not np.isnan(pw.lr[i, j])]
    concl, best, max_lr, comment = _one_column(cands, threshold2)
    if concl == "No match":
        best = None
    am = {
        "family": fam,
        "missing": m,
        "sample": best,
        "lr": max_lr,
        "glr": None,
        "conclusion": concl,
        "comment": comment,
    }
    if concl == "Probable":
        pm = {
            "sample": best,
            "missing": m,
            "family": fam,
            "lr": max_lr,
            "glr": None,
            "conclusion": concl,
            "comment": comment,
        }
        return am, pm, best, m
    return am, None, None, None


# --------------------------------------------------------------------------------------------
# AM-driven: complex families


def _relationship(problem: DVIProblem, fam: str, mps: Sequence[str]) -> str:
    """How the MPs of a symmetric group are related: ``"full siblings"``, ``"half siblings"``, ..."""
    ped = problem.families[fam]
    parents = [ped.parents(m) for m in mps]
    if all(p is not None for p in parents):
        fathers = {p[0] for p in parents}
        mothers = {p[1] for p in parents}
        if len(fathers) == 1 and len(mothers) == 1:
            return "full siblings"
        if len(fathers) == 1 or len(mothers) == 1:
            return "half siblings"
    return "symmetric"


def _glr_matrix(
    pm: Sequence[str], missing: Sequence[str], rows: Sequence[tuple[dict[str, str], float]]
) -> dict[tuple[str, str], float]:
    """GLR of every ``v = m`` (dvir's ``pairwiseGLR``): max L where it holds over max L where not."""
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
            out[(v, m)] = _exp(best[m] - other)
    return out


def _exp(x: float) -> float:
    return math.inf if x > 709 else math.exp(x)


def _glr_of(rows: Sequence[tuple[dict[str, str], float]], holds) -> float:
    """GLR of a hypothesis given as a predicate on assignments."""
    yes = max((ll for a, ll in rows if holds(a)), default=-math.inf)
    no = max((ll for a, ll in rows if not holds(a)), default=-math.inf)
    if yes == -math.inf:
        return 0.0
    return _exp(yes - no)


def _complex_family(
    problem: DVIProblem, fam: str, threshold: float, max_assign: int, log: list[str]
) -> tuple[list[dict], list[dict], set[str], set[str], FamilyJoint | None, list[dict[str, str]]]:
    """AM rows, PM rows, settled PMs and MPs, joint table, and the assignments used for LR0."""
    mps = problem.family_missing[fam]
    sub, _ = _rebuild(problem, problem.pm, mps, problem.pairings)
    am_rows: list[dict] = []
    pm_rows: list[dict] = []
    if not sub.pm:
        for m in mps:
            am_rows.append(
                {
                    "family": fam,
                    "missing": m,
                    "sample": None,
                    "lr": None,
                    "glr": None,
                    "conclusion": "Inconclusive",
                    "comment": None,
                }
            )
        return am_rows, pm_rows, set(), set(), None, []
    pw = pairwise_lr(sub)
    n = count_assignments(sub.pm, sub.pairings)
    log.append(f"Number of assignments: {n} (exact)\n")
    if n > max_assign:
        log.append(f"Too many assignments (> {max_assign}); family {fam} not analysed jointly\n")
        for m in mps:
            j = sub.missing.index(m)
            col = pw.lr[:, j]
            am_rows.append(
                {
                    "family": fam,
                    "missing": m,
                    "sample": None,
                    "lr": float(np.nanmax(col)) if np.any(~np.isnan(col)) else None,
                    "glr": None,
                    "conclusion": "Inconclusive",
                    "comment": f"Joint analysis skipped: {n} assignments",
                }
            )
        return am_rows, pm_rows, set(), set(), None, []
    try:
        jr = joint_dvi(sub, pairwise=pw, top=n)
    except KinshipError as e:
        log.append(f"Joint analysis of family {fam} failed: {e}\n")
        for m in mps:
            col = pw.lr[:, sub.missing.index(m)]
            am_rows.append(
                {
                    "family": fam,
                    "missing": m,
                    "sample": None,
                    "lr": float(np.nanmax(col)) if np.any(~np.isnan(col)) else None,
                    "glr": None,
                    "conclusion": "Inconclusive",
                    "comment": f"Joint analysis failed: {e}",
                }
            )
        return am_rows, pm_rows, set(), set(), None, []
    rows = tuple((dict(r.assignment), float(r.loglik)) for r in jr.top)
    table = FamilyJoint(fam, sub.pm, sub.missing, n, rows, float(jr.neglected_mass_bound))
    ll1 = rows[0][1]
    tied = [a for a, ll in rows if ll >= ll1 - _TIE * max(1.0, abs(ll1))]
    first = tied[0]
    fixed = [v for v in sub.pm if first[v] != NOBODY and all(a[v] == first[v] for a in tied)]
    group = [v for v in sub.pm if any(a[v] != first[v] for a in tied)]
    joint_label = "Joint: {" + ",".join(sub.missing) + "}"
    settled_pm: set[str] = set()
    settled_mp: set[str] = set()
    lr0_basis: list[dict[str, str]] = []

    for v in fixed:
        m = first[v]
        glr = _glr_of(rows, lambda a, v=v, m=m: a[v] == m)
        if glr >= threshold - _EPS:
            lr = _lr(pw, v, m)
            am_rows.append(
                {
                    "family": fam,
                    "missing": m,
                    "sample": v,
                    "lr": lr,
                    "glr": glr,
                    "conclusion": "Match (GLR)",
                    "comment": joint_label,
                }
            )
            pm_rows.append(
                {
                    "sample": v,
                    "missing": m,
                    "family": fam,
                    "lr": lr,
                    "glr": glr,
                    "conclusion": "Match (GLR)",
                    "comment": joint_label,
                }
            )
            settled_pm.add(v)
            settled_mp.add(m)

    if group and all(a[v] != NOBODY for a in tied for v in group):
        gm = {a[v] for a in tied for v in group}
        g_mps = [m for m in sub.missing if m in gm]
        gset = set(g_mps)
        glr = _glr_of(rows, lambda a: all(a[v] in gset for v in group))
        if glr >= threshold - _EPS:
            rel = _relationship(problem, fam, g_mps)
            label = rel[0].upper() + rel[1:]
            vs, ms = "{" + ", ".join(group) + "}", "{" + ", ".join(g_mps) + "}"
            if len(group) == 1:
                v = group[0]
                for m in g_mps:
                    others = ", ".join(x for x in g_mps if x != m)
                    am_rows.append(
                        {
                            "family": fam,
                            "missing": m,
                            "sample": v,
                            "lr": _lr(pw, v, m),
                            "glr": glr,
                            "conclusion": "Symmetric match",
                            "comment": f"{v} also matches {others} ({rel})",
                        }
                    )
                names = " and ".join([", ".join(g_mps[:-1]), g_mps[-1]])
                pm_rows.append(
                    {
                        "sample": v,
                        "missing": "/".join(g_mps),
                        "family": fam,
                        "lr": max(_lr(pw, v, m) for m in g_mps),
                        "glr": glr,
                        "conclusion": "Symmetric match",
                        "comment": f"{names} are {rel}",
                    }
                )
            else:
                sep = " = " if len(group) == len(g_mps) else " among "
                for m in g_mps:
                    am_rows.append(
                        {
                            "family": fam,
                            "missing": m,
                            "sample": "/".join(group),
                            "lr": None,
                            "glr": glr,
                            "conclusion": "Symmetric match",
                            "comment": f"{label}: {ms} = {vs}"
                            if sep == " = "
                            else f"{label}: {vs} among {ms}",
                        }
                    )
                for v in group:
                    pm_rows.append(
                        {
                            "sample": v,
                            "missing": "/".join(g_mps),
                            "family": fam,
                            "lr": max(_lr(pw, v, m) for m in g_mps if sub.allowed(v, m)),
                            "glr": glr,
                            "conclusion": "Symmetric match",
                            "comment": f"{label}: {vs}{sep}{ms}",
                        }
                    )
            settled_pm |= set(group)
            settled_mp |= gset
    if settled_pm:
        lr0_basis.append({v: first[v] for v in settled_pm})

    # Everything else in the family: Inconclusive, with the best pairwise LR and GLR of each MP.
    g = _glr_matrix(sub.pm, sub.missing, rows)
    for m in mps:
        if m in settled_mp:
            continue
        j = sub.missing.index(m)
        col = pw.lr[:, j]
        lr = float(np.nanmax(col)) if np.any(~np.isnan(col)) else None
        glrs = [g[(v, m)] for v in sub.pm if (v, m) in g]
        am_rows.append(
            {
                "family": fam,
                "missing": m,
                "sample": None,
                "lr": lr,
                "glr": max(glrs) if glrs else None,
                "conclusion": "Inconclusive",
                "comment": None,
            }
        )
    return am_rows, pm_rows, settled_pm, settled_mp, table, lr0_basis


# --------------------------------------------------------------------------------------------
# PM-driven


def _pm_driven(problem: DVIProblem, threshold2: float) -> tuple[list[dict], set[str], set[str]]:
    """PM rows for the PMs still open, from their rows of pairwise LRs against the MPs still open."""
    rows = []
    pw = _pairwise(problem)
    for i, v in enumerate(problem.pm):
        cands = []
        if pw is not None:
            cands = [
                (m, float(pw.lr[i, j]))
                for j, m in enumerate(pw.missing)
                if problem.allowed(v, m) and not np.isnan(pw.lr[i, j])
            ]
        concl, best, max_lr, comment = _one_column(cands, threshold2)
        if concl in ("Probable", "Disputed"):
            rows.append(
                {
                    "sample": v,
                    "missing": best,
                    "family": problem.missing_family[best],
                    "lr": max_lr,
                    "glr": None,
                    "conclusion": concl,
                    "comment": comment,
                }
            )
        else:
            rows.append(
                {
                    "sample": v,
                    "missing": "",
                    "family": "",
                    "lr": max_lr,
                    "glr": None,
                    "conclusion": concl,
                    "comment": comment,
                }
            )
    return rows, set(), set()


# --------------------------------------------------------------------------------------------
# LR0


def _lr0(original: DVIProblem, fam: str, v: str, m: str, placed: Mapping[str, str]) -> float:
    """LR of ``v = m`` in family ``fam`` without its typed references, other placed PMs kept."""
    ped = original.families[fam]
    others = {
        mp: original.pm_profiles.get(pm, {}) for mp, pm in placed.items() if mp != m and mp in ped
    }
    if not others:
        return 1.0  # v alone on an untyped pedigree: the LR is 1 exactly
    with_v = dict(others)
    with_v[m] = original.pm_profiles.get(v, {})
    l1 = likelihood(ped, original.markers, with_v).loglik
    l0 = likelihood(ped, original.markers, others).loglik if others else 0.0
    lv = float(np.sum(original.pm_logliks[v]))
    return _exp(l1 - l0 - lv)


# --------------------------------------------------------------------------------------------
# the workflow


def _dashpad(title: str, width: int = 50) -> str:
    y = "\n" + "-" * 6 + " " + title + " "
    return y + "-" * max(0, width - len(y)) + "\n\n"


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def dvi_solve(
    problem: DVIProblem,
    threshold: float = 1e4,
    threshold2: float | None = None,
    max_incomp: int = 2,
    ignore_sex: bool = False,
    pairwise: PairwiseResult | None = None,
    limit: float = 0.0,
    max_assign: int = MAX_ASSIGN,
) -> Conclusions:
    """Solve a DVI case: a conclusion for every PM sample and every MP (dvir's ``dviSolve``).

    Parameters
    ----------
    problem : the case.
    threshold : LR threshold of undisputed matches, and GLR threshold of joint matches.
    threshold2 : LR threshold of *Probable* matches (simple families, PM-driven step); default
        ``max(1, threshold / 10)``.
    max_incomp : a pairing with more inconsistent markers than this is excluded.
    ignore_sex : consider every pairing, whatever the sexes.
    pairwise : the pairwise LRs of ``problem``, if already computed (not used with ``ignore_sex``).
    limit : pairings with pairwise LR <= ``limit`` are dropped after each undisputed step.
    max_assign : the largest joint table of one family.

    Returns
    -------
    Conclusions
        ``am`` (one row per MP) and ``pm`` (one row per sample) tables, LR0 of the reported pairings,
        the joint tables of complex families and a log of the steps.

    Examples
    --------
    On dvir's ``symmetricSibs`` the full siblings M1 and M2 are a *Symmetric match* with V1 and V2
    (GLR 1.1e9), V3 matches M3 or M4 (*Symmetric match*), and V5 and V6 are both *Probable* M5.
    """
    if threshold2 is None:
        threshold2 = max(1.0, threshold / 10)
    params = {
        "threshold": threshold,
        "threshold2": threshold2,
        "max_incomp": max_incomp,
        "ignore_sex": ignore_sex,
        "limit": limit,
        "max_assign": max_assign,
    }
    original = problem
    if ignore_sex:
        problem, _ = _rebuild(
            problem,
            problem.pm,
            problem.missing,
            generate_pairings(problem, ignore_sex=True),
            drop_unpaired=False,
        )
        pairwise = None
    log: list[str] = [_dashpad("Checking dataset"), "Ok\n"]
    am_parts: list[dict] = []
    pm_parts: list[dict] = []
    lr0: dict[tuple[str, str], float] = {}
    placed: dict[str, dict[str, str]] = {}  # family -> {mp: pm}: PMs placed as reference data

    # Nonidentifiable -------------------------------------------------------------------------
    log.append(_dashpad("Nonidentifiable MPs"))
    non = find_nonidentifiable(problem)
    if non:
        for m in non:
            f = problem.missing_family[m]
            refs = [p for p in problem.am_profiles.get(f, {})] + [
                x for x in problem.family_missing[f] if x != m
            ]
            am_parts.append(
                {
                    "family": f,
                    "missing": m,
                    "conclusion": "Nonidentifiable",
                    "comment": "Unrelated to " + ", ".join(refs) if refs else "No relatives",
                }
            )
        problem, _ = _rebuild(
            problem, problem.pm, [m for m in problem.missing if m not in non], problem.pairings
        )
        log.append("\n".join(f"{r['missing']}: Nonidentifiable" for r in am_parts) + "\n")
        pairwise = None
    else:
        log.append("None \n")

    # Exclusions and undisputed, until nothing changes -----------------------------------------
    first_pw: PairwiseResult | None = None
    first_lr: PairwiseResult | None = None
    it = 0
    while True:
        it += 1
        log.append(_dashpad(f"Exclusions, iteration {it}"))
        pw = pairwise if (it == 1 and pairwise is not None) else _pairwise(problem)
        if first_pw is None:
            first_pw = pw
        step = _exclusion_step(problem, max_incomp, pw) if pw is not None else None
        if step is None:
            pass  # nothing left to exclude (dvir prints nothing here and goes on)
        elif _pairings_equal(step[0], problem):
            log.append("No exclusions; breaking loop\n" if it > 1 else "No exclusions\n")
            if it > 1:
                break
        else:
            reduced, am_rows, pm_rows, n_removed = step
            am_parts += am_rows
            pm_parts += pm_rows
            if am_rows or pm_rows:
                log.append(
                    "".join(
                        f"{r.get('missing') or r.get('sample')}: Excluded ({r['comment']})\n"
                        for r in am_rows + pm_rows
                    )
                )
            log.append(
                f"Excluded {n_removed} individual {_plural(n_removed, 'pairing', 'pairings')}\n"
            )
            problem = reduced

        log.append(_dashpad(f"Undisputed, iteration {it}"))
        und = find_undisputed(problem, threshold=threshold, limit=limit)
        if first_lr is None:
            first_lr = und.lr_matrix_first
        if _pairings_equal(und.reduced, problem):
            log.append("No change; breaking loop\n")
            break
        for f, d in und.transferred.items():
            for m, v in d.items():
                lr0[(v, m)] = _lr0(original, f, v, m, placed.get(f, {}))
                placed.setdefault(f, {})[m] = v
        for r in und.summary:
            if r["missing"] is not None:
                am_parts.append({**r, "glr": None})
            pm_parts.append({**r, "glr": None})
            who = r["sample"] if r["missing"] is None else f"{r['sample']} = {r['missing']}"
            log.append(f"{who}: {r['conclusion']} ({r['comment']})\n")
        n_zero = sum(
            1
            for v in und.reduced.pm
            for x in problem.pairings[v]
            if (x == NOBODY or x in und.reduced.missing_family) and x not in und.reduced.pairings[v]
        )
        if n_zero:
            log.append(f"Removed {n_zero} {_plural(n_zero, 'pairing', 'pairings')} with LR = 0\n")
        problem = und.reduced

    # AM-driven: simple families ---------------------------------------------------------------
    open_pm = set(problem.pm)
    open_mp = set(problem.missing)
    fams = [f for f in problem.families if problem.family_missing.get(f)]
    simple = [f for f in fams if len(problem.family_missing[f]) == 1]
    complex_ = [f for f in fams if len(problem.family_missing[f]) > 1]
    log.append(_dashpad("AM-driven: Simple families"))
    log.append(
        f"{len(simple)} simple {_plural(len(simple), 'family', 'families')}"
        + (f": {', '.join(simple)}" if simple else "")
        + "\n"
    )
    if simple:
        log.append("\n")
        sub, _ = _rebuild(
            problem, problem.pm, [problem.family_missing[f][0] for f in simple], problem.pairings
        )
        spw = _pairwise(sub)
        for f in simple:
            if spw is None:
                m = problem.family_missing[f][0]
                am_parts.append(
                    {
                        "family": f,
                        "missing": m,
                        "sample": None,
                        "lr": None,
                        "glr": None,
                        "conclusion": "No match",
                        "comment": "No candidates left",
                    }
                )
                continue
            am, pm, v, m = _simple_family(sub, spw, f, threshold2)
            am_parts.append(am)
            if pm is not None:
                pm_parts.append(pm)
                open_pm.discard(v)
                open_mp.discard(m)
                lr0[(v, m)] = _lr0(original, f, v, m, placed.get(f, {}))
            log.append(f"Family {f}: {am['missing']} --> {am['conclusion']} \n")

    # AM-driven: complex families --------------------------------------------------------------
    log.append(_dashpad("AM-driven: Complex families"))
    log.append(
        f"{len(complex_)} complex {_plural(len(complex_), 'family', 'families')}"
        + (f": {', '.join(complex_)}" if complex_ else "")
        + "\n"
    )
    joint_tables: dict[str, FamilyJoint] = {}
    for f in complex_:
        log.append("\n")
        current, _ = _rebuild(
            problem,
            sorted(open_pm, key=problem.pm.index),
            [m for m in problem.missing if m in open_mp],
            problem.pairings,
        )
        if f not in current.families:
            continue
        am_rows, pm_rows, s_pm, s_mp, table, basis = _complex_family(
            current, f, threshold, max_assign, log
        )
        am_parts += am_rows
        pm_parts += pm_rows
        open_pm -= s_pm
        open_mp -= s_mp
        if table is not None:
            joint_tables[f] = table
        for a in basis:
            fam_placed = dict(placed.get(f, {}))
            fam_placed.update({m: v for v, m in a.items()})
            for v, m in a.items():
                lr0[(v, m)] = _lr0(original, f, v, m, fam_placed)
        log.append("\n" + _format_rows(am_rows, AM_KEYS) + "\n")

    # PM-driven: remaining victims ---------------------------------------------------------------
    log.append(_dashpad("PM-driven: Remaining victims"))
    remaining = [v for v in problem.pm if v in open_pm]
    if remaining:
        log.append(
            f"{len(remaining)} remaining {_plural(len(remaining), 'victim', 'victims')}: "
            f"{', '.join(remaining)}\n"
        )
        current, dropped = _rebuild(
            problem, remaining, [m for m in problem.missing if m in open_mp], problem.pairings
        )
        rows, _, _ = _pm_driven(current, threshold2)
        for v in dropped:
            rows.append(
                {
                    "sample": v,
                    "missing": "",
                    "family": "",
                    "lr": None,
                    "glr": None,
                    "conclusion": "No match",
                    "comment": "No candidates left",
                }
            )
        for r in rows:
            if r["conclusion"] == "Probable":
                f = r["family"]
                lr0[(r["sample"], r["missing"])] = _lr0(
                    original, f, r["sample"], r["missing"], placed.get(f, {})
                )
        pm_parts += rows
    else:
        log.append("No remaining victims\n")
    log.append(_dashpad("Analysis complete"))

    am = _format_summary(am_parts, "AM", original)
    pm = _format_summary(pm_parts, "PM", original)
    return Conclusions(am, pm, lr0, first_lr, first_pw, joint_tables, "".join(log), params)


def _format_summary(
    parts: list[dict], centricity: str, original: DVIProblem
) -> list[dict[str, Any]]:
    """dvir's ``formatSummary``: all columns, rows without an id dropped, ordered as the problem."""
    keys = AM_KEYS if centricity == "AM" else PM_KEYS
    idcol = "missing" if centricity == "AM" else "sample"
    rows = [{k: r.get(k) for k in keys} for r in parts if r.get(idcol) is not None]
    if centricity == "AM":
        fam_order = {f: i for i, f in enumerate(original.families)}
        mp_order = {m: i for i, m in enumerate(original.missing)}
        rows.sort(
            key=lambda r: (
                fam_order.get(r["family"], len(fam_order)),
                mp_order.get(r["missing"], 0),
            )
        )
    else:
        pm_order = {v: i for i, v in enumerate(original.pm)}
        rows.sort(key=lambda r: pm_order.get(r["sample"], len(pm_order)))
    return rows


def _format_rows(rows: list[dict], keys: Sequence[str]) -> str:
    """A plain table of rows for the log."""
    if not rows:
        return ""
    head = [k.capitalize() if k not in ("lr", "glr") else k.upper() for k in keys]

    def cell(x: Any) -> str:
        if x is None:
            return "NA"
        if isinstance(x, float):
            return f"{x:.7g}"
        return str(x)

    table = [head] + [[cell(r.get(k)) for k in keys] for r in rows]
    widths = [max(len(row[c]) for row in table) for c in range(len(keys))]
    return (
        "\n".join(" ".join(s.rjust(w) for s, w in zip(row, widths, strict=False)) for row in table)
        + "\n"
    )
