"""Conclusions of a DVI case: dvir's ``dviSolve`` workflow, with ``findUndisputed``.

Every PM sample and every MP gets exactly one conclusion, reached by the first step that settles it.
Each step is a function of :mod:`repatria.kinship.solve` that returns a frozen record (the problem
it leaves, the AM and PM rows it settled, its part of the log); :func:`dvi_solve` only chains them:

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

Steps and records
-----------------
The steps are :func:`~repatria.kinship.solve.steps.nonidentifiable_step` (1),
:func:`~repatria.kinship.solve.steps.exclusion_step` and
:func:`~repatria.kinship.solve.steps.undisputed_step` (2),
:func:`~repatria.kinship.solve.steps.simple_families_step` and
:func:`~repatria.kinship.solve.joint_step.complex_families_step` (3),
:func:`~repatria.kinship.solve.steps.pm_driven_step` (4); :attr:`Conclusions.steps` keeps the
record of each. Rows are frozen :class:`AMRow` / :class:`PMRow` records whose ``conclusion`` is a
:class:`Conclusion` (a ``StrEnum``: it prints and serialises as dvir's words). A row also reads as
a mapping over its table's columns, as the plain dicts of earlier versions did;
:meth:`Conclusions.tables` gives both tables as plain dicts for JSON.

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

from itertools import count

from repatria.kinship.dvi import DVIProblem, PairwiseResult, generate_pairings
from repatria.kinship.solve.joint_step import complex_families_step
from repatria.kinship.solve.problem import rebuild, reusing_pairwise
from repatria.kinship.solve.records import (
    AM_KEYS,
    MAX_ASSIGN,
    PM_KEYS,
    AMRow,
    ComplexFamiliesStep,
    Conclusion,
    Conclusions,
    ExclusionStep,
    FamilyJoint,
    Placed,
    PMRow,
    SolveSettings,
    Step,
    Undisputed,
    UndisputedStep,
)
from repatria.kinship.solve.steps import (
    exclusion_step,
    nonidentifiable_step,
    pm_driven_step,
    simple_families_step,
    undisputed_step,
)
from repatria.kinship.solve.text import am_table, pm_table, section
from repatria.kinship.solve.undisputed import find_nonidentifiable, find_undisputed

__all__ = [
    "AM_KEYS",
    "PM_KEYS",
    "MAX_ASSIGN",
    "Conclusion",
    "AMRow",
    "PMRow",
    "Conclusions",
    "SolveSettings",
    "Undisputed",
    "FamilyJoint",
    "dvi_solve",
    "find_undisputed",
    "find_nonidentifiable",
]


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
    limit : after each undisputed step only pairings with pairwise LR ``>= limit`` (``> 0`` when
        ``limit`` is 0) are kept, and ``"*"`` always (dvir's ``pairwiseLR``).
    max_assign : the largest joint table of one family.

    Returns
    -------
    Conclusions
        ``am`` (one row per MP) and ``pm`` (one row per sample) tables, LR0 of the reported
        pairings, the joint tables of complex families, a log and the record of every step.

    Examples
    --------
    On dvir's ``symmetricSibs`` the full siblings M1 and M2 are a *Symmetric match* with V1 and V2
    (GLR 1.1e9), V3 matches M3 or M4 (*Symmetric match*), and V5 and V6 are both *Probable* M5.
    """
    settings = SolveSettings(
        threshold,
        max(1.0, threshold / 10) if threshold2 is None else threshold2,
        max_incomp,
        ignore_sex,
        limit,
        max_assign,
    )
    original = problem
    if ignore_sex:
        problem, _ = rebuild(
            problem,
            problem.pm,
            problem.missing,
            generate_pairings(problem, ignore_sex=True),
            drop_unpaired=False,
        )
        pairwise = None  # it was computed for the sex-aware pairings
    with reusing_pairwise(problem, pairwise):
        steps: list[Step] = [nonidentifiable_step(problem)]
        if steps[-1].changed:
            pairwise = None  # it was computed with the MPs just removed
        steps += _exclusions_and_undisputed(steps[-1].problem, settings, original, pairwise)
        placed = _placed(steps)
        steps.append(simple_families_step(steps[-1].problem, settings.threshold2, original, placed))
        steps.append(complex_families_step(steps[-1].problem, settings, original, placed))
        steps.append(pm_driven_step(steps[-1].problem, settings.threshold2, original, placed))
    return _conclusions(original, settings, steps)


def _exclusions_and_undisputed(
    problem: DVIProblem,
    settings: SolveSettings,
    original: DVIProblem,
    pairwise: PairwiseResult | None,
) -> list[Step]:
    """Exclusions and undisputed matches in turns, until a round changes nothing (dvir's loop).

    The loop ends when an undisputed step finds nothing, or when an exclusion step from the
    second round on excludes nothing (what is left is then what the last undisputed step left).
    """
    steps: list[Step] = []
    placed: Placed = {}
    for it in count(1):
        ex = exclusion_step(problem, settings.max_incomp, it, pairwise if it == 1 else None)
        steps.append(ex)
        if it > 1 and ex.pairwise is not None and not ex.changed:
            break
        und = undisputed_step(ex.problem, settings, it, original, placed)
        steps.append(und)
        if not und.changed:
            break
        problem, placed = und.problem, und.placed
    return steps


def _placed(steps: list[Step]) -> Placed:
    """The PMs placed as reference data by the last undisputed step (``family -> {mp: pm}``)."""
    for s in reversed(steps):
        if isinstance(s, UndisputedStep):
            return s.placed
    return {}


def _conclusions(original: DVIProblem, settings: SolveSettings, steps: list[Step]) -> Conclusions:
    """The tables, first matrices, joint tables and log of a run, gathered from its steps."""
    first_ex = next(
        (s.pairwise for s in steps if isinstance(s, ExclusionStep) and s.pairwise is not None),
        None,
    )
    first_lr = next(
        (
            s.undisputed.lr_matrix_first
            for s in steps
            if isinstance(s, UndisputedStep) and s.undisputed.lr_matrix_first is not None
        ),
        None,
    )
    joint: dict[str, FamilyJoint] = {}
    for s in steps:
        if isinstance(s, ComplexFamiliesStep):
            joint.update(s.joint_tables)
    log = section("Checking dataset") + "Ok\n" + "".join(s.log for s in steps)
    return Conclusions(
        am=am_table((r for s in steps for r in s.am), original),
        pm=pm_table((r for s in steps for r in s.pm), original),
        lr0={k: x for s in steps for k, x in s.lr0.items()},
        lr_matrix_first=first_lr,
        exclusions_first=first_ex,
        joint_tables=joint,
        log=log + section("Analysis complete"),
        parameters=settings.as_dict(),
        steps=tuple(steps),
    )
