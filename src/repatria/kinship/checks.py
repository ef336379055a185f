"""Checks routed to review: what the numbers alone should not settle.

Each check returns frozen records saying what was found and the numbers behind it; none of them
changes a result, excludes a pairing or accepts one. They are for a reviewer to weigh
(``routed_to = "review"`` on every record).

- **Misattributed relationship** (:func:`misattributed_relationship`,
  :func:`find_misattributed`): a pairing's exclusions (markers impossible without mutation)
  that concentrate on one typed reference (a "father" who is a stepfather: 9 exclusions all his,
  the mother fully consistent). Each typed reference of the family is left out in turn, and the
  pairing's LR and exclusion count recomputed without it (and with it alone).
- **LR0** (:func:`lr0_check`, :func:`lr0_checks`): the LR of ``v = m`` with the family's typed
  references left out, the other PMs placed in the family kept. dvir 3.4.0 added an ``LR0``
  column to ``jointDVI`` ("work in progress", NEWS.md); Repatria's definition is that of
  :mod:`repatria.kinship.conclusions` (computed by the same function). LR0 is exactly 1 when
  nothing else is placed in the family; LR0 > 1 means the match rests on other victims placed in
  the family rather than on the references.
- **Sex conflicts** (:func:`sex_conflicts`): a PM whose sex differs from the MP's (both known).
- **Uninformative families** (:func:`uninformative_families`, :func:`raisable`): a family with
  no typed reference gives every PM an LR of 1 (up to rounding): its candidates are never raised.
- **An LR of 1 within rounding is 1** (:func:`is_one`, :func:`snap_log_lr`,
  :func:`compare_with_one`): wherever an LR is compared with 1, ``|log LR| <`` :data:`LR_ONE_TOL`
  counts as exactly 1.

Conventions: log values are natural logs; an LR is ``L(v = m) / L(v unrelated)``.

The misattributed-relationship check is in :mod:`.checks_misattributed` and what every check
shares (an LR of 1 within rounding, :data:`REVIEW`, :func:`typed_references`) in
:mod:`.checks_base`; every name is importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from repatria import __version__
from repatria.kinship.checks_base import (
    LR_ONE_TOL,
    REVIEW,
    compare_with_one,
    is_one,
    snap_log_lr,
    typed_references,
)
from repatria.kinship.checks_misattributed import (
    MisattributedRelationship,
    ReferenceLeftOut,
    find_misattributed,
    misattributed_relationship,
)
from repatria.kinship.dvi import NOBODY, DVIProblem
from repatria.kinship.pedigree import Sex

__all__ = [
    "LR_ONE_TOL",
    "REVIEW",
    "is_one",
    "snap_log_lr",
    "compare_with_one",
    "ReferenceLeftOut",
    "MisattributedRelationship",
    "typed_references",
    "misattributed_relationship",
    "find_misattributed",
    "LR0Check",
    "lr0_check",
    "lr0_checks",
    "SexConflict",
    "sex_conflicts",
    "sex_conflicts_where",
    "UninformativeFamily",
    "uninformative_families",
    "raisable",
]


# --------------------------------------------------------------------------------------------
# LR0


@dataclass(frozen=True)
class LR0Check:
    """LR0 of one pairing: its LR with the family's typed references left out.

    Attributes
    ----------
    pm, mp, family : the pairing.
    placed : the other PMs placed in the family (``mp -> pm``), kept in the computation.
    lr0 : the LR; exactly 1 when nothing else is placed.
    flagged : LR0 > 1 beyond :data:`LR_ONE_TOL`: the match rests on other victims.
    message : what was found.
    """

    pm: str
    mp: str
    family: str
    placed: Mapping[str, str]
    lr0: float
    flagged: bool
    message: str
    check: str = "LR0"
    routed_to: str = REVIEW
    version: str = __version__


def lr0_check(
    problem: DVIProblem, pm: str, mp: str, placed: Mapping[str, str] | None = None
) -> LR0Check:
    """LR0 of ``pm = mp``, the PMs ``placed`` (``mp -> pm``) in the same family kept.

    >>> from repatria.kinship import Individual, Marker, Pedigree
    >>> ped = Pedigree([Individual("M1", sex=Sex.MALE)])
    >>> prob = DVIProblem(
    ...     pm=("V1",), missing=("M1",), families={"F1": ped}, missing_family={"M1": "F1"},
    ...     pm_profiles={"V1": {}}, am_profiles={}, markers=(Marker("L", ("a",), [1.0]),),
    ...     pm_sex={"V1": Sex.MALE})
    >>> lr0_check(prob, "V1", "M1").lr0
    1.0
    """
    from repatria.kinship.solve.problem import lr0  # one definition with the workflow's LR0

    fam = problem.missing_family[mp]
    ped = problem.families[fam]
    kept = {m: v for m, v in (placed or {}).items() if m != mp and m in ped and v != pm}
    x = lr0(problem, fam, pm, mp, kept)
    log_x = math.log(x) if x > 0 else -math.inf
    flagged = compare_with_one(log_x) > 0
    if not kept:
        msg = f"{pm} = {mp}: nothing else placed in family {fam}; LR0 = 1"
    elif flagged:
        others = ", ".join(f"{v} = {m}" for m, v in kept.items())
        msg = (
            f"{pm} = {mp}: LR0 = {x:.3g} without the references of {fam}: the match rests partly "
            f"on the other victims placed in the family ({others})"
        )
    else:
        msg = f"{pm} = {mp}: LR0 = {x:.3g}; the other victims placed add no support"
    return LR0Check(pm, mp, fam, kept, 1.0 if is_one(log_x) else x, flagged, msg)


def lr0_checks(problem: DVIProblem, assignment: Mapping[str, str]) -> tuple[LR0Check, ...]:
    """LR0 of every pairing of an assignment (``pm -> mp`` or ``"*"``), the assignment's other
    PMs in the same family placed alongside."""
    by_family: dict[str, dict[str, str]] = {}
    for v, m in assignment.items():
        if m != NOBODY:
            by_family.setdefault(problem.missing_family[m], {})[m] = v
    return tuple(
        lr0_check(problem, v, m, by_family[problem.missing_family[m]])
        for v, m in assignment.items()
        if m != NOBODY
    )


# --------------------------------------------------------------------------------------------
# sex, uninformative families


@dataclass(frozen=True)
class SexConflict:
    """A pairing of a PM and an MP whose known sexes differ."""

    pm: str
    mp: str
    pm_sex: Sex
    mp_sex: Sex
    message: str
    check: str = "sex conflict"
    routed_to: str = REVIEW


def sex_conflicts(
    problem: DVIProblem, pairs: Iterable[tuple[str, str]] | None = None
) -> tuple[SexConflict, ...]:
    """Pairings whose PM and MP have different known sexes (unknown fits all).

    ``pairs``: ``(pm, mp)`` to check (a solution, candidates); default every allowed pairing.
    """
    if pairs is None:
        pairs = [(v, m) for v in problem.pm for m in problem.pairings[v] if m != NOBODY]
    out = []
    for v, m in pairs:
        sv = problem.pm_sex[v]
        sm = problem.families[problem.missing_family[m]][m].sex
        if Sex.UNKNOWN not in (sv, sm) and sv != sm:
            out.append(
                SexConflict(
                    v,
                    m,
                    sv,
                    sm,
                    f"{v} is {sv.name.lower()} but {m} is recorded {sm.name.lower()}: "
                    "a sexing error (AMELY deletion, anthropology) or a wrong record?",
                )
            )
    return tuple(out)


def sex_conflicts_where(problem: DVIProblem, allowed: np.ndarray) -> tuple[SexConflict, ...]:
    """:func:`sex_conflicts` over the pairings where ``allowed`` (PM x MP, in the order of
    ``problem.pm`` and ``problem.missing``) is true, in the same order (PM by PM).

    A realistic exchange has millions of allowed pairings and a handful of conflicts: the sexes
    are compared as arrays and only the conflicting pairs are written up."""
    pm_sex = np.array([int(problem.pm_sex[v]) for v in problem.pm], dtype=np.int8)
    mp_sex = np.array(
        [int(problem.families[problem.missing_family[m]][m].sex) for m in problem.missing],
        dtype=np.int8,
    )
    unknown = int(Sex.UNKNOWN)
    clash = (
        np.asarray(allowed, dtype=bool)
        & (pm_sex != unknown)[:, None]
        & (mp_sex != unknown)[None, :]
        & (pm_sex[:, None] != mp_sex[None, :])
    )
    return sex_conflicts(
        problem, [(problem.pm[i], problem.missing[k]) for i, k in np.argwhere(clash)]
    )


@dataclass(frozen=True)
class UninformativeFamily:
    """A family with no typed reference: every LR of its MPs is 1, its candidates not raised."""

    family: str
    missing: tuple[str, ...]
    message: str
    check: str = "uninformative family"
    routed_to: str = REVIEW


def uninformative_families(problem: DVIProblem) -> tuple[UninformativeFamily, ...]:
    """Families with MPs and no reference typed at any of the problem's markers."""
    out = []
    for fam in problem.families:
        mps = problem.family_missing[fam]
        if mps and not typed_references(problem, fam):
            out.append(
                UninformativeFamily(
                    fam,
                    mps,
                    f"family {fam} has no typed reference: its {len(mps)} missing person(s) "
                    "cannot be identified by DNA from it; sample a relative",
                )
            )
    return tuple(out)


def raisable(problem: DVIProblem, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The ``(pm, mp)`` candidates to raise: those of uninformative families left out."""
    silent = {m for f in uninformative_families(problem) for m in f.missing}
    return [p for p in pairs if p[1] not in silent]
