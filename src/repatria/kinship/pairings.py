"""Fixing and excluding pairings before a search (dvir's ``setPairing``, and restrictions).

Identifications known by other means (fingerprints, dental records, a confirmed earlier run) or
pairings ruled out by them enter a DVI analysis in one of two ways:

- :func:`restrict_pairings` keeps every PM and MP and only narrows ``pairings``: a PM fixed to an
  MP may be nobody else (and no other PM may be that MP); a PM fixed to ``"*"`` is nobody; an
  excluded pairing is removed. The pairwise LRs, exclusions and the ``dvi_solve`` steps follow
  ``pairings``. :func:`~repatria.kinship.joint.joint_dvi` follows the MPs a PM may be, but always
  lets a PM be nobody (``"*"``) whatever its pairings say, so for the joint search use
  :func:`joint_dvi_fixed`.
- :func:`joint_dvi_fixed`: the joint search over the assignments that contain the fixed pairings
  and none of the excluded ones. Likelihoods and LRs against the null (nobody identified) are
  those of the unrestricted problem; posteriors are renormalised over the assignments left (a flat
  prior on them).
- :func:`set_pairing` is dvir's ``setPairing``: each fixed PM's profile is placed on its MP as
  reference data, and both are removed from the problem, with a summary row per identification
  (``Conclusion`` ``"Provided"`` by default). The likelihood of any assignment of what is left is
  then the likelihood of that assignment together with the fixed ones.

Both return new problems; the one given is not changed. Neither module edits
:mod:`repatria.kinship.dvi`: they build a new :class:`~repatria.kinship.dvi.DVIProblem` with
:func:`repatria.kinship.solve.problem.rebuild`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from repatria.kinship.dvi import NOBODY, DVIProblem
from repatria.kinship.errors import KinshipError
from repatria.kinship.joint import JointResult, RankedAssignment, joint_dvi
from repatria.kinship.probability import likelihood
from repatria.kinship.solve.problem import rebuild

__all__ = ["restrict_pairings", "set_pairing", "joint_dvi_fixed", "SetPairing", "ProvidedRow"]


def _check_ids(problem: DVIProblem, pms: Iterable[str], mps: Iterable[str]) -> None:
    pm_set, mp_set = set(problem.pm), set(problem.missing)
    bad_pm = [v for v in pms if v not in pm_set]
    bad_mp = [m for m in mps if m != NOBODY and m not in mp_set]
    problems = []
    if bad_pm:
        problems.append(f"unknown PM sample(s): {', '.join(bad_pm)}")
    if bad_mp:
        problems.append(f"unknown missing person(s): {', '.join(bad_mp)}")
    if problems:
        raise KinshipError("; ".join(problems))


def restrict_pairings(
    problem: DVIProblem,
    fixed: Mapping[str, str] | None = None,
    excluded: Iterable[tuple[str, str]] = (),
) -> DVIProblem:
    """The problem with pairings fixed or excluded; PMs, MPs and reference data unchanged.

    Parameters
    ----------
    problem : the case.
    fixed : ``pm -> mp``: PM ``pm`` is MP ``mp`` (its pairings become ``(mp,)``, and ``mp`` is
        removed from every other PM's pairings), or ``pm -> "*"``: ``pm`` is nobody in the case
        (its pairings become ``("*",)``). The pairing must be allowed by ``problem.pairings``
        (a sex-inconsistent pairing is an error, not silently added).
    excluded : ``(pm, mp)`` pairs removed from ``pm``'s pairings; ``(pm, "*")`` says ``pm`` is
        certainly one of the MPs. Excluding a pairing that is not there is allowed (no effect).

    Returns
    -------
    DVIProblem
        A new problem whose ``pairings`` are restricted as asked.

    Raises
    ------
    KinshipError
        For unknown ids, an MP fixed to two PMs, a PM both fixed and excluded from its MP, a fixed
        pairing not allowed, or a PM left with no pairing at all.

    Examples
    --------
    On dvir's ``example2`` (V1, V2 may be M1, M2 or nobody; V3 may be M3 or nobody), fixing
    V1 = M1 leaves V2 with M2 or nobody:

    ``restrict_pairings(example2, {"V1": "M1"}).pairings`` is
    ``{"V1": ("M1",), "V2": ("*", "M2"), "V3": ("*", "M3")}``.
    """
    fixed = dict(fixed or {})
    excluded = list(excluded)
    _check_ids(problem, [*fixed, *(v for v, _ in excluded)], [*fixed.values()])
    _check_ids(problem, (), (m for _, m in excluded))
    taken = [m for m in fixed.values() if m != NOBODY]
    dup = sorted({m for m in taken if taken.count(m) > 1})
    if dup:
        raise KinshipError(f"missing person(s) fixed to more than one PM: {', '.join(dup)}")
    problems = []
    for v, m in fixed.items():
        if m not in problem.pairings[v]:
            problems.append(
                f"{v} = {m} is not among {v}'s allowed pairings ({', '.join(problem.pairings[v])})"
            )
        if (v, m) in excluded:
            problems.append(f"{v} = {m} is both fixed and excluded")
    if problems:
        raise KinshipError("; ".join(problems))
    out_pairs = {(v, m) for v, m in excluded}
    new: dict[str, tuple[str, ...]] = {}
    taken_set = set(taken)
    for v in problem.pm:
        if v in fixed:
            new[v] = (fixed[v],)
            continue
        new[v] = tuple(
            x for x in problem.pairings[v] if x not in taken_set and (v, x) not in out_pairs
        )
    empty = [v for v in problem.pm if not new[v]]
    if empty:
        raise KinshipError(
            f"no pairing left for {', '.join(empty)} (not even '*'); undo an exclusion"
        )
    reduced, _ = rebuild(problem, problem.pm, problem.missing, new, drop_unpaired=False)
    return reduced


@dataclass(frozen=True)
class ProvidedRow:
    """One identification set by :func:`set_pairing` (a row of dvir's ``setPairing`` summary)."""

    family: str
    missing: str
    sample: str
    conclusion: str = "Provided"
    comment: str = ""


@dataclass(frozen=True, eq=False)
class SetPairing:
    """What :func:`set_pairing` did (dvir's ``setPairing`` output).

    Attributes
    ----------
    reduced : the problem without the fixed PMs and MPs, their profiles placed on the MPs as
        reference data (dvir's ``dviReduced``).
    summary : one row per identification, in the order given (dvir's ``summary``).
    """

    reduced: DVIProblem
    summary: tuple[ProvidedRow, ...]


def set_pairing(
    problem: DVIProblem,
    match: Mapping[str, str] | None = None,
    victim: Sequence[str] | None = None,
    missing: Sequence[str] | None = None,
    conclusion: str | Sequence[str] = "Provided",
    comment: str | Sequence[str] = "",
) -> SetPairing:
    """Set identifications known by other means (dvir's ``setPairing``).

    ``set_pairing(problem, {"V": "M"})`` places V's profile on M in M's family, and removes M from
    the missing persons and V from the PM samples (their pairings with others go too).

    Parameters
    ----------
    problem : the case.
    match : ``pm -> mp``; or give ``victim`` and ``missing`` (lists of the same length) instead.
    conclusion, comment : the summary's ``Conclusion`` and ``Comment``, one for all or one per
        identification.

    Returns
    -------
    SetPairing
        The reduced problem and the summary. No identification: the problem unchanged, no rows.

    Examples
    --------
    dvir's example: ``setPairing(example2, match = c("V3" = "M2"))`` is
    ``set_pairing(example2, {"V3": "M2"})``: PMs V1, V2 and MPs M1, M3 are left, and M2 is typed
    with V3's profile in family F1.
    """
    if match is not None:
        if victim is not None or missing is not None:
            raise KinshipError("give either `match` or `victim` and `missing`, not both")
        victim, missing = list(match), list(match.values())
    victim, missing = list(victim or ()), list(missing or ())
    n = len(victim)
    if n != len(missing):
        raise KinshipError(
            f"number of victims ({n}) differs from the number of missing persons ({len(missing)})"
        )
    if not n:
        return SetPairing(problem, ())
    _check_ids(problem, victim, missing)
    if NOBODY in missing:
        raise KinshipError("'*' is not a missing person: use restrict_pairings to say nobody")
    for what, ids in (("victim", victim), ("missing person", missing)):
        dup = sorted({x for x in ids if ids.count(x) > 1})
        if dup:
            raise KinshipError(f"{what}(s) given twice: {', '.join(dup)}")

    def per_row(x: str | Sequence[str], name: str) -> list[str]:
        if isinstance(x, str):
            return [x] * n
        if len(x) != n:
            raise KinshipError(f"`{name}` must have length 1 or {n}, not {len(x)}")
        return list(x)

    conclusions, comments = per_row(conclusion, "conclusion"), per_row(comment, "comment")
    reduced, _ = rebuild(
        problem,
        [v for v in problem.pm if v not in victim],
        [m for m in problem.missing if m not in missing],
        problem.pairings,
        dict(zip(missing, victim, strict=True)),
        drop_unpaired=False,
    )
    rows = tuple(
        ProvidedRow(problem.missing_family[m], m, v, c, k)
        for v, m, c, k in zip(victim, missing, conclusions, comments, strict=True)
    )
    return SetPairing(reduced, rows)


def _family_loglik(problem: DVIProblem, famid: str, placed: Mapping[str, str]) -> float:
    """Log-likelihood of family ``famid``'s references with the PMs ``placed`` (``mp -> pm``)."""
    prof = {p: dict(g) for p, g in problem.am_profiles.get(famid, {}).items()}
    for m, v in placed.items():
        prof[m] = dict(problem.pm_profiles.get(v, {}))
    dropout = problem.placed_dropout((v, m) for m, v in placed.items())
    return likelihood(problem.families[famid], problem.markers, prof, dropout=dropout).loglik


def joint_dvi_fixed(
    problem: DVIProblem,
    fixed: Mapping[str, str] | None = None,
    excluded: Iterable[tuple[str, str]] = (),
    top: int = 20,
) -> JointResult:
    """The joint search (:func:`~repatria.kinship.joint.joint_dvi`) with pairings fixed or excluded.

    Parameters
    ----------
    problem : the case.
    fixed : ``pm -> mp`` (PM ``pm`` is MP ``mp``) or ``pm -> "*"`` (``pm`` is nobody).
    excluded : ``(pm, mp)`` pairings ruled out (``(pm, "*")`` is not supported: the joint search
        always lets a PM be nobody).
    top : how many of the best assignments to return.

    Returns
    -------
    JointResult
        Over the PMs and MPs of ``problem`` (in its order): every assignment contains the fixed
        pairings; ``loglik`` is the natural-log likelihood of the whole case under the assignment
        and ``lr`` its LR against ``problem``'s null (nobody identified), both as in the
        unrestricted analysis; posteriors and marginals are renormalised over the assignments
        left (flat prior); ``n_assignments`` counts them.

    Notes
    -----
    PMs fixed to MPs are placed on their MPs first (:func:`set_pairing`); the families they leave
    without an MP contribute their likelihood with the placed PMs, so ``loglik`` stays the
    likelihood of the whole case.
    """
    fixed = dict(fixed or {})
    excluded = list(excluded)
    if any(m == NOBODY for _, m in excluded):
        raise KinshipError("excluding '*' is not supported by the joint search")
    restricted = restrict_pairings(problem, fixed, excluded)  # validates everything
    to_mp = {v: m for v, m in fixed.items() if m != NOBODY}
    nobody = {v: m for v, m in fixed.items() if m == NOBODY}
    placed = set_pairing(restricted, to_mp).reduced if to_mp else restricted
    # Families left with no MP drop out of the reduced problem: add their likelihood back.
    kept = set(placed.families)
    by_family: dict[str, dict[str, str]] = {}
    for v, m in to_mp.items():
        by_family.setdefault(problem.missing_family[m], {})[m] = v
    offset = sum(_family_loglik(problem, f, d) for f, d in by_family.items() if f not in kept)
    if not placed.pm or not placed.missing:
        raise KinshipError("nothing left to search once the fixed pairings are placed")
    res = joint_dvi(placed, top=top)
    fams = [f for f in problem.families if problem.family_missing.get(f)]
    loglik0 = sum(_family_loglik(problem, f, {}) for f in fams) + sum(
        float(np.sum(problem.pm_logliks[v])) for v in problem.pm
    )
    shift = res.loglik0 + offset - loglik0  # log LR (vs problem's null) of the reduced null
    rows = []
    for t in res.top:
        assignment = {v: to_mp.get(v, t.assignment.get(v, NOBODY)) for v in problem.pm}
        ll = float(t.loglik) + offset
        rows.append(RankedAssignment(assignment, ll, math.exp(ll - loglik0), t.posterior))
    marg = np.zeros((len(problem.pm), len(problem.missing) + 1))
    col = {m: j for j, m in enumerate(problem.missing)}
    for i, v in enumerate(problem.pm):
        if v in to_mp:
            marg[i, col[to_mp[v]]] = 1.0
        elif v in nobody:
            marg[i, -1] = 1.0
        else:
            r = res.pm.index(v)
            for j2, m in enumerate(res.missing):
                marg[i, col[m]] = res.marginals[r, j2]
            marg[i, -1] = res.marginals[r, -1]
    searched = {
        **dict(res.searched),
        "fixed": dict(fixed),
        "excluded": [list(x) for x in excluded],
    }
    return replace(
        res,
        pm=problem.pm,
        missing=problem.missing,
        loglik0=loglik0,
        log_z=res.log_z + shift,
        top=rows,
        marginals=marg,
        searched=searched,
        prior="flat over the assignments with the fixed pairings and none of the excluded ones",
    )
