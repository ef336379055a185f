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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from repatria import __version__
from repatria.kinship._numeric import safe_exp
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.pedigree import Genotype, Sex

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
    "UninformativeFamily",
    "uninformative_families",
    "raisable",
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


# --------------------------------------------------------------------------------------------
# misattributed relationships


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


@dataclass(frozen=True)
class ReferenceLeftOut:
    """A pairing recomputed with one typed reference left out, and with it alone.

    Attributes
    ----------
    reference : the reference left out.
    exclusions_without, log_lr_without : exclusion count and natural-log LR of the pairing with
        every other typed reference and not this one (no reference left: 0 and exactly 0).
    exclusions_alone, log_lr_alone : the same with this reference the only one typed.
    """

    reference: str
    exclusions_without: int
    log_lr_without: float
    exclusions_alone: int
    log_lr_alone: float

    @property
    def lr_without(self) -> float:
        """The LR without this reference."""
        return safe_exp(self.log_lr_without)

    @property
    def lr_alone(self) -> float:
        """The LR with this reference alone."""
        return safe_exp(self.log_lr_alone)


@dataclass(frozen=True)
class MisattributedRelationship:
    """Leave-one-reference-out for one pairing, and the reference its exclusions concentrate on.

    Attributes
    ----------
    pm, mp, family : the pairing and the MP's family.
    exclusions, log_lr : with every typed reference.
    references : one :class:`ReferenceLeftOut` per typed reference, in pedigree order.
    suspects : references on which the exclusions concentrate (see :func:`find_misattributed`),
        most supportive first; empty if none.
    max_incomp, min_share, min_lr_without : the rule's parameters.
    message : what was found, in words.
    """

    pm: str
    mp: str
    family: str
    exclusions: int
    log_lr: float
    references: tuple[ReferenceLeftOut, ...]
    suspects: tuple[str, ...]
    max_incomp: int
    min_share: float
    min_lr_without: float
    message: str
    check: str = "misattributed relationship"
    routed_to: str = REVIEW
    version: str = __version__

    @property
    def flagged(self) -> bool:
        """Does some reference carry the exclusions?"""
        return bool(self.suspects)

    @property
    def lr(self) -> float:
        """The LR with every typed reference."""
        return safe_exp(self.log_lr)

    def left_out(self, reference: str) -> ReferenceLeftOut:
        """The record of ``reference``."""
        for r in self.references:
            if r.reference == reference:
                return r
        raise KinshipError(f"'{reference}' is not a typed reference of family '{self.family}'")


def _family_problem(
    problem: DVIProblem,
    family: str,
    refs: Mapping[str, Mapping[str, Genotype]],
    pms: Sequence[str],
) -> DVIProblem:
    """One family with the given typed references, and the PMs ``pms``."""
    mps = problem.family_missing[family]
    return DVIProblem(
        problem.markers,
        tuple(pms),
        {v: problem.pm_sex[v] for v in pms},
        {v: problem.pm_profiles.get(v, {}) for v in pms},
        {family: problem.families[family]},
        {family: refs},
        mps,
        {m: family for m in mps},
        {v: (NOBODY, *[m for m in problem.pairings[v] if m in mps]) for v in pms},
    )


@dataclass(frozen=True)
class _Run:
    log_lr: np.ndarray  # (n_pm, n_mp)
    exclusions: np.ndarray


def _run(
    problem: DVIProblem,
    family: str,
    refs: Mapping[str, Mapping[str, Genotype]],
    pms: Sequence[str],
) -> _Run:
    if not refs:  # nothing typed: LR exactly 1, no exclusion
        shape = (len(pms), len(problem.family_missing[family]))
        return _Run(np.zeros(shape), np.zeros(shape, dtype=int))
    pw = pairwise_lr(_family_problem(problem, family, refs, pms))
    return _Run(pw.log_lr, pw.exclusions)


def _suspects(
    exclusions: int,
    left: Sequence[ReferenceLeftOut],
    max_incomp: int,
    min_share: float,
    min_lr_without: float,
) -> tuple[str, ...]:
    """References whose removal leaves the pairing consistent and supported (the rule)."""
    if exclusions <= max_incomp or len(left) < 2:
        return ()
    floor = math.log(min_lr_without)
    hits = [
        r
        for r in left
        if r.exclusions_without <= max_incomp
        and (exclusions - r.exclusions_without) / exclusions >= min_share
        and compare_with_one(r.log_lr_without - floor) > 0
    ]
    hits.sort(key=lambda r: -r.log_lr_without)
    return tuple(r.reference for r in hits)


def _message(
    pm: str, mp: str, exclusions: int, suspects: Sequence[str], r: ReferenceLeftOut | None
) -> str:
    if r is None:
        return (
            f"{pm} = {mp}: {exclusions} exclusions; no single reference carries them"
            if exclusions
            else f"{pm} = {mp}: no exclusion"
        )
    return (
        f"{pm} = {mp}: {exclusions} exclusions, {exclusions - r.exclusions_without} of them "
        f"resolved without reference {r.reference} ({r.exclusions_alone} with him alone); "
        f"without him {r.exclusions_without} exclusions and LR {r.lr_without:.3g}: is "
        f"{r.reference} related as recorded?"
        + (f" (also: {', '.join(suspects[1:])})" if len(suspects) > 1 else "")
    )


def _leave_one_out(
    problem: DVIProblem, family: str, pms: Sequence[str]
) -> tuple[_Run, dict[str, tuple[_Run, _Run]]]:
    """The full run and, per typed reference, the runs without it and with it alone."""
    prof = problem.am_profiles.get(family, {})
    refs = typed_references(problem, family)
    full = _run(problem, family, {r: prof[r] for r in refs}, pms)
    out = {}
    for r in refs:
        without = _run(problem, family, {x: prof[x] for x in refs if x != r}, pms)
        alone = _run(problem, family, {r: prof[r]}, pms) if len(refs) > 1 else full
        out[r] = (without, alone)
    return full, out


def _records(
    problem: DVIProblem,
    family: str,
    pms: Sequence[str],
    full: _Run,
    runs: Mapping[str, tuple[_Run, _Run]],
    rule: tuple[int, float, float],
) -> list[MisattributedRelationship]:
    max_incomp, min_share, min_lr_without = rule
    out = []
    mps = problem.family_missing[family]
    for i, v in enumerate(pms):
        for j, m in enumerate(mps):
            e = int(full.exclusions[i, j])
            if e < 0:  # not an allowed pairing
                continue
            left = [
                ReferenceLeftOut(
                    r,
                    int(w.exclusions[i, j]),
                    float(snap_log_lr(float(w.log_lr[i, j]))),
                    int(a.exclusions[i, j]),
                    float(a.log_lr[i, j]),
                )
                for r, (w, a) in runs.items()
            ]
            sus = _suspects(e, left, max_incomp, min_share, min_lr_without)
            top = next((r for r in left if sus and r.reference == sus[0]), None)
            out.append(
                MisattributedRelationship(
                    v,
                    m,
                    family,
                    e,
                    float(full.log_lr[i, j]),
                    tuple(left),
                    sus,
                    max_incomp,
                    min_share,
                    min_lr_without,
                    _message(v, m, e, sus, top),
                )
            )
    return out


def misattributed_relationship(
    problem: DVIProblem,
    pm: str,
    mp: str,
    max_incomp: int = 2,
    min_share: float = 0.8,
    min_lr_without: float = 1.0,
) -> MisattributedRelationship:
    """Leave each typed reference of ``mp``'s family out of the pairing ``pm = mp``.

    The pairing is flagged on reference ``r`` when (the rule):

    - it has more than ``max_incomp`` exclusions with every reference, and the family has at
      least two typed references (with one, an exclusion is just an exclusion);
    - without ``r`` at most ``max_incomp`` remain, and removing ``r`` resolves at least
      ``min_share`` of them;
    - the LR without ``r`` is above ``min_lr_without`` (beyond :data:`LR_ONE_TOL`): the rest of
      the family supports the pairing (a wife alone, unrelated to the MP, gives LR 1 and does
      not).

    Parameters
    ----------
    problem : the case.
    pm, mp : the pairing (it must be allowed).
    max_incomp : as :func:`~repatria.kinship.find_excluded`.
    min_share, min_lr_without : see the rule.

    Returns
    -------
    MisattributedRelationship
        The numbers for every typed reference, the suspects and a message; for review.
    """
    if mp not in problem.missing_family:
        raise KinshipError(f"'{mp}' is not a missing person of the case")
    if pm not in problem.pm_sex:
        raise KinshipError(f"'{pm}' is not a PM sample of the case")
    if not problem.allowed(pm, mp):
        raise KinshipError(f"the pairing {pm} = {mp} is not allowed in this case")
    fam = problem.missing_family[mp]
    full, runs = _leave_one_out(problem, fam, [pm])
    recs = _records(problem, fam, [pm], full, runs, (max_incomp, min_share, min_lr_without))
    return next(r for r in recs if r.mp == mp)


def find_misattributed(
    problem: DVIProblem,
    pairwise: PairwiseResult | None = None,
    max_incomp: int = 2,
    min_share: float = 0.8,
    min_lr_without: float = 1.0,
) -> tuple[MisattributedRelationship, ...]:
    """Every pairing of the case flagged by the rule of :func:`misattributed_relationship`.

    Only pairings with more than ``max_incomp`` exclusions in families with two or more typed
    references are looked at; each such family costs ``2 k`` pairwise runs (``k`` references),
    over its excluded PMs only.

    Returns
    -------
    tuple of MisattributedRelationship
        The flagged pairings, in family then PM order.
    """
    pw = pairwise if pairwise is not None else pairwise_lr(problem)
    col = {m: j for j, m in enumerate(pw.missing)}
    found: list[MisattributedRelationship] = []
    rule = (max_incomp, min_share, min_lr_without)
    for fam in problem.families:
        mps = problem.family_missing[fam]
        if not mps or len(typed_references(problem, fam)) < 2:
            continue
        cols = [col[m] for m in mps]
        rows = [i for i in range(len(pw.pm)) if (pw.exclusions[i, cols] > max_incomp).any()]
        if not rows:
            continue
        pms = [pw.pm[i] for i in rows]
        full, runs = _leave_one_out(problem, fam, pms)
        found += [r for r in _records(problem, fam, pms, full, runs, rule) if r.flagged]
    return tuple(found)


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
