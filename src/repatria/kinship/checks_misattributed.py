"""Misattributed relationships: exclusions of a pairing that concentrate on one typed reference.

A "father" who is a stepfather: 9 exclusions all his, the mother fully consistent. Each typed
reference of the family is left out in turn, and the pairing's LR and exclusion count recomputed
without it (and with it alone): :func:`misattributed_relationship` for one pairing,
:func:`find_misattributed` for every pairing worth asking about.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from repatria import __version__
from repatria.kinship._numeric import safe_exp
from repatria.kinship.checks_base import REVIEW, compare_with_one, snap_log_lr, typed_references
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.pedigree import Genotype

__all__ = [
    "ReferenceLeftOut",
    "MisattributedRelationship",
    "misattributed_relationship",
    "find_misattributed",
]


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
        {v: problem.pm_dropout[v] for v in pms if v in problem.pm_dropout},
    )


@dataclass(frozen=True)
class _Run:
    log_lr: np.ndarray  # (n_pm, n_mp)
    exclusions: np.ndarray


def _run(
    family_problem: DVIProblem,
    family: str,
    refs: Mapping[str, Mapping[str, Genotype]],
    like: PairwiseResult | None = None,
) -> tuple[_Run, PairwiseResult | None]:
    if not refs:  # nothing typed: LR exactly 1, no exclusion
        shape = (len(family_problem.pm), len(family_problem.family_missing[family]))
        return _Run(np.zeros(shape), np.zeros(shape, dtype=int)), like
    pw = pairwise_lr(family_problem.with_am_profiles({family: refs}), like=like)
    return _Run(pw.log_lr, pw.exclusions), pw


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
    # One problem of the family and these PMs; its variants share what is known of the PMs.
    fp = _family_problem(problem, family, {r: prof[r] for r in refs}, pms)
    full, pw = _run(fp, family, {r: prof[r] for r in refs})
    out = {}
    for r in refs:
        without, _ = _run(fp, family, {x: prof[x] for x in refs if x != r}, pw)
        alone = _run(fp, family, {r: prof[r]}, pw)[0] if len(refs) > 1 else full
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
