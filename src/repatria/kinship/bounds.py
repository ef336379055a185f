"""Posterior pairing probabilities certified pair by pair: a proven interval for every PM × MP.

The joint search (:mod:`repatria.kinship.joint`) sums small components exactly and prunes weak
links in large ones, reporting one global ``neglected_mass_bound``; with weak families at
n ≥ 200 that bound reaches 1 and says nothing, even about pairings that are certain. This module
gives, for every PM ``v`` and every column ``y`` (an MP or ``"*"``, nobody), a lower and an upper
bound on ``P(v = y)`` that hold whatever was pruned, and that stay tight for clear pairings.

Model and conventions
---------------------
An assignment ``a`` gives each PM an MP or ``*``, no MP twice, only allowed pairings. Relative to
the null assignment its weight is ``W(a) = ∏_f W_f(a_f)``, the product of *family factors* of the
sub-assignments ``a_f`` (pairs placed in family ``f``; ``W_f(∅) = 1``; for a family with one MP,
``W_f({(v, m)}) = LR(v, m)``, the pairwise LR with "v is m" as numerator and "v unrelated" as
denominator). The prior is flat over assignments (dvir's), so ``P(a) = W(a) / Z``; a prior of
:mod:`repatria.kinship.priors` multiplies each factor by its pairings' prior odds, as the joint
does, and everything below holds for those factors unchanged. Factors are natural logs
throughout; only probabilities (in [0, 1]) are held as plain numbers.

Ratios of family factors. For a pair ``p = (v, m)`` of family ``f`` let

- ``ρ⁺(p) = max W_f(s) / W_f(s − p)`` over the sub-assignments ``s ∋ p`` (removing ``v`` from
  ``m`` gains at most this factor), and
- ``ρ⁻(p) = min W_f(s + p) / W_f(s)`` over the sub-assignments ``s`` with ``m`` free and ``v``
  absent (placing ``v`` on ``m`` gains at least this; 0 if some ``s + p`` is impossible).

For a family with one MP both are ``LR(v, m)``. For a family with several MPs they come from the
family's sub-assignments themselves (its factor is not a product of pairwise LRs). Removing a PM
from a possible sub-assignment leaves a possible one (it marginalises that PM's genotype), so
``ρ⁺`` is finite in a DVI problem; an impossible ``s − p`` would make it infinite and only
loosen the bounds.

The bounds (proofs)
-------------------
Each bound comes from a map between sets of assignments that is injective and changes the weight
by a bounded factor; ``Z(E)`` is the sum of ``W`` over the assignments of an event ``E``.

(U1) *v = m → v = \\*.* Removing ``v`` from ``m`` maps ``{v = m}`` injectively into
``{v = *, m free}`` and divides the weight by at most ``ρ⁺(v, m)``. Hence
``P(v = m) ≤ ρ⁺(v, m) · P(v = *, m free) ≤ ρ⁺ · min(P(v = *), P(m free))``, and, since
``P(v = *, m free) ≤ 1 − P(v = m)``, ``P(v = m) ≤ ρ⁺ / (1 + ρ⁺)``. (Needs ``*`` allowed for ``v``.)

(L1) *v ≠ m → v = m.* Take ``a`` with ``a(v) = x ≠ m`` (``x`` an MP or ``*``) and ``m`` held by
``u ≠ v`` or free (``u = ∅``). Map it to ``b``: ``v`` moved to ``m``, ``u`` set to ``*``, ``x``
freed. Given ``(x, u)``, ``a`` is recovered from ``b``, so the map is injective for each
``(x, u)``. Going from ``b`` back to ``a`` multiplies the weight by at most
``ρ⁺(v, x) ρ⁺(u, m) / ρ⁻(v, m)`` (``ρ⁺(v, *) = ρ⁺(∅, m) = 1``): in ``m``'s family, remove ``v``
from ``m`` (factor ``≤ 1/ρ⁻``), put ``u`` back (``≤ ρ⁺(u, m)``); in ``x``'s family put ``v``
back on ``x`` (``≤ ρ⁺(v, x)``), the same steps in one family when ``x`` and ``m`` share it.
Summing over ``(x, u)``:

    Z(v ≠ m) ≤ Z(v = m) · A · B / ρ⁻(v, m),
    A = [* allowed for v] + Σ_{x ≠ m} ρ⁺(v, x),   B = 1 + Σ_{u ≠ v} ρ⁺(u, m),

so ``P(v = m) ≥ ρ⁻ / (ρ⁻ + A B)`` (for families with one MP: ``LR / (LR + A B)``, the bound
with pairwise factors only). (Needs ``*`` allowed for every ``u`` counted in ``B``.)

(L2) *Splitting off what is surely elsewhere.* The alternatives of ``v`` and the rivals of ``m``
need not all go through the map: for any split of the ``x`` into ``G_A ∪ H_A`` and of the ``u``
into ``G_B ∪ H_B``, the event ``v ≠ m`` lies in ``{a(v) ∈ G_A} ∪ {m held by some u ∈ G_B} ∪ E``,
with ``E`` mapped as in (L1) with ``H_A``, ``H_B`` only. With upper bounds ``U`` already proven:

    P(v = m) ≥ (1 − Σ_{x∈G_A} U(v, x) − Σ_{u∈G_B} U(u, m)) / (1 + A_H B_H / ρ⁻(v, m)).

A rival ``u`` that is surely someone else (``U(u, m)`` tiny) then costs almost nothing even when
its LR with ``m`` is large, and a weak family of ``v``'s that is surely taken likewise. The split
is chosen per pair by comparing each term's two costs; any split gives a valid bound.

(L3) *v = x → v = \\*.* By (U1) for each ``x``, ``P(v = x) ≤ ρ⁺(v, x) P(v = *)``; splitting
the ``x`` as in (L2), ``P(v = *) ≥ (1 − Σ_{G} U(v, x)) / (1 + Σ_{H} ρ⁺(v, x))``.

(U2) *v = \\* → v = m.* Take ``a`` with ``a(v) = *`` and ``m`` held by ``u`` (or free). Put
``v`` on ``m`` and ``u`` on ``*``: injective for each ``u``, and the weight gains at least
``ρ⁻(v, m) / ρ⁺(u, m)``. The image has ``v = m`` and ``u = *``, and
``P(v = m, u = *) ≤ P(v = m) min(1, U(u, *) / L(v, m))`` for a proven ``L(v, m) > 0``. So

    P(v = *) ≤ Σ_{u: * not allowed} U(u, m) + U(v, m) B^w / ρ⁻(v, m),
    B^w = 1 + min(Σ_u ρ⁺(u, m), Σ_u ρ⁺(u, m) U(u, *) / L(v, m))

over the other ``u`` that may be ``*``, and the smallest of these over ``m``. One clear pairing
makes ``P(v = *)`` small, and with it every ``U(v, x)`` of (U1), which (L2) then subtracts: a
PM's weak pairings with the MPs of other families no longer hold its clear pairing's lower
bound down.

(R) *Rows and columns.* A PM has exactly one column, an MP at most one PM:
``L(v, y) ≥ 1 − Σ_{y' ≠ y} U(v, y')``, ``U(v, y) ≤ 1 − Σ_{y' ≠ y} L(v, y')`` and
``U(v, m) ≤ 1 − Σ_{u ≠ v} L(u, m)``; ``P(m free) ≤ 1 − Σ_u L(u, m)`` feeds (U1).

(J) *What the joint certifies.* If the kept model (a subset of the assignments, same weights)
has marginal ``p`` and ``1 − Z_kept / Z ≤ β`` (``neglected_mass_bound``), then for every event
``p (1 − β) ≤ P ≤ p + β (1 − p)``. A row whose component of the full model was summed with
nothing left out (``JointResult.exact_rows``) is exact, up to the float error of the joint's sums
(granted ``JOINT_REL_TOL · p + JOINT_ABS_TOL``). The same holds per component with the mass left
out around it only (``JointResult.row_bounds``, proof in
:func:`repatria.kinship.joint_options.row_neglected_bounds`).

All rules only use bounds already proven, so applying them in turn (each value kept only where it
improves on the last) converges to an interval that is proven at every step; the result is the
intersection of every interval found. Rounding: every "1 − sum" keeps a margin of
``1e-15 · (n_pm + n_mp + 2)`` (a sum's float error), and the final intervals are widened by
``1e-12`` relative (and ``1e-15`` absolute), so that float error cannot make them look tighter
than proven.

Cost: one sort per PM and per MP and a few passes over the ``n_pm × n_mp`` matrix per round
(rule L2's split is a threshold on a per-term score, so its sums are prefix and suffix sums);
about 0.5 s at n = 200 and 10 rounds or fewer in practice.

Size: one module on purpose: most of it is the proof (above) and the rules that implement it,
which a reviewer checks side by side.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from repatria import __version__
from repatria.kinship._numeric import DisjointSet
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.joint import JointResult, _family_options
from repatria.kinship.priors import FLAT_PRIOR_NAME, AssignmentPrior

__all__ = [
    "FactorModel",
    "factor_model",
    "PosteriorBounds",
    "posterior_bounds",
    "bound_marginals",
    "pair_ratios",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
#: A family's sub-assignment: a set of (PM index, MP index) pairs.
SubAssignment = frozenset[tuple[int, int]]

_WIDEN_REL = 1e-12
_WIDEN_ABS = 1e-15
#: The rounds stop when no bound moved by more than this: they converge geometrically, and the
#: last rounds before 1e-12 move bounds by less than anyone reads, at a second each at 2,000 ×
#: 1,500.
TOL = 1e-6
#: Float tolerance granted to the joint search's marginals (relative and absolute).
JOINT_REL_TOL = 1e-9
JOINT_ABS_TOL = 1e-11


# --------------------------------------------------------------------------------------------
# the model: family factors over integer ids


class SingleMPOptions(Mapping[SubAssignment, float]):
    """The sub-assignments of a family with one MP ``m``: nobody (factor 1) or one PM ``u`` on
    ``m`` (factor ``LR(u, m)``), held as two arrays; the frozensets are made only when asked."""

    def __init__(self, mp: int, pms: NDArray[np.int64], log_lr: FloatArray) -> None:
        self.mp = mp
        self.pms = pms
        self.log_lr = log_lr
        self._at = dict(zip(pms.tolist(), log_lr.tolist(), strict=True))

    def __getitem__(self, key: SubAssignment) -> float:
        if not key:
            return 0.0
        if len(key) == 1:
            ((u, m),) = tuple(key)
            if m == self.mp and u in self._at:
                return float(self._at[u])
        raise KeyError(key)

    def __iter__(self) -> Iterator[SubAssignment]:
        yield frozenset()
        for u in self.pms.tolist():
            yield frozenset({(u, self.mp)})

    def __len__(self) -> int:
        return 1 + len(self.pms)


@dataclass(frozen=True, eq=False)
class FactorModel:
    """A DVI assignment space with its family factors, over integer ids.

    Attributes
    ----------
    pm : PM ids, shape ``(n_pm,)`` (row order).
    missing : MP ids, shape ``(n_mp,)`` (column order; column ``n_mp`` is ``"*"``).
    family : family index of each MP, int, shape ``(n_mp,)``.
    families : family ids.
    nobody : bool, shape ``(n_pm,)``: whether ``"*"`` is allowed for each PM.
    options : per family, every possible sub-assignment → its natural-log factor ``log W_f``
        (the empty one → 0). Sub-assignments not listed are impossible (``W_f = 0``).
    complete : False when some family's sub-assignments were capped (not all evaluated).
    prior : the prior over assignments whose odds are in the factors (flat: none).
    prior_parameters : its numbers.
    """

    pm: tuple[str, ...]
    missing: tuple[str, ...]
    family: NDArray[np.int64]
    families: tuple[str, ...]
    nobody: BoolArray
    options: tuple[Mapping[SubAssignment, float], ...]
    complete: bool = True
    prior: str = FLAT_PRIOR_NAME
    prior_parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_pm(self) -> int:
        return len(self.pm)

    @property
    def n_mp(self) -> int:
        return len(self.missing)

    def log_lr(self) -> FloatArray:
        """Natural-log factor of each single placement, shape ``(n_pm, n_mp)``; ``-inf`` if none."""
        out = np.full((self.n_pm, self.n_mp), -np.inf)
        for opts in self.options:
            if isinstance(opts, SingleMPOptions):
                out[opts.pms, opts.mp] = opts.log_lr
                continue
            for s, logw in opts.items():
                if len(s) == 1:
                    ((v, m),) = tuple(s)
                    out[v, m] = logw
        return out

    def valid(self) -> BoolArray:
        """Pairs that occur in some possible sub-assignment, shape ``(n_pm, n_mp)``."""
        out = np.zeros((self.n_pm, self.n_mp), dtype=bool)
        for opts in self.options:
            if isinstance(opts, SingleMPOptions):
                out[opts.pms, opts.mp] = True
                continue
            for s in opts:
                for v, m in s:
                    out[v, m] = True
        return out

    def log_weight(self, assignment: NDArray[np.int64]) -> float:
        """Natural-log weight; ``assignment[v]`` is an MP index, or ``n_mp`` for ``*``."""
        subs: dict[int, set[tuple[int, int]]] = {}
        for v, m in enumerate(assignment.tolist()):
            if m == self.n_mp:
                if not self.nobody[v]:
                    return -math.inf
                continue
            subs.setdefault(int(self.family[m]), set()).add((v, m))
        total = 0.0
        for f, s in subs.items():
            logw = self.options[f].get(frozenset(s))
            if logw is None:
                return -math.inf
            total += logw
        return total

    def components(self) -> list[tuple[list[int], list[int]]]:
        """Independent parts: (PM indices, family indices) linked by possible sub-assignments."""
        ds = DisjointSet[tuple[str, int]]()
        for f, opts in enumerate(self.options):
            ds.add(("F", f))
            for s in opts:
                for v, _ in s:
                    ds.union(("F", f), ("P", v))
        out = []
        for g in ds.groups():
            pms = sorted(i for kind, i in g if kind == "P")
            fams = sorted(i for kind, i in g if kind == "F")
            if pms:
                out.append((pms, fams))
        return out

    def restrict(self, pms: list[int], fams: list[int]) -> tuple[FactorModel, list[int]]:
        """The sub-model of some PMs and families (a union of components), and its MP indices."""
        pm_new = {v: i for i, v in enumerate(pms)}
        mps = [m for m in range(self.n_mp) if int(self.family[m]) in set(fams)]
        mp_new = {m: j for j, m in enumerate(mps)}
        fam_new = {f: i for i, f in enumerate(fams)}
        opts = tuple(
            {
                frozenset((pm_new[v], mp_new[m]) for v, m in s): logw
                for s, logw in self.options[f].items()
                if all(v in pm_new for v, _ in s)
            }
            for f in fams
        )
        sub = FactorModel(
            tuple(self.pm[v] for v in pms),
            tuple(self.missing[m] for m in mps),
            np.array([fam_new[int(self.family[m])] for m in mps], dtype=np.int64),
            tuple(self.families[f] for f in fams),
            self.nobody[pms].copy(),
            opts,
            self.complete,
            self.prior,
            self.prior_parameters,
        )
        return sub, mps


def factor_model(
    problem: DVIProblem,
    pairwise: PairwiseResult | None = None,
    prior: AssignmentPrior | None = None,
) -> FactorModel:
    """The family factors of a DVI problem, as the joint search evaluates them.

    Families with one MP take their pairwise LRs; families with several MPs have every
    sub-assignment evaluated by a joint pedigree likelihood (up to the joint's cap). A ``prior``
    (:mod:`repatria.kinship.priors`) multiplies each factor by its pairings' prior odds, as
    :func:`~repatria.kinship.joint.joint_dvi` does; pairings it rules out are dropped.
    """
    pw = pairwise or pairwise_lr(problem)
    row = {v: i for i, v in enumerate(problem.pm)}
    col = {m: j for j, m in enumerate(problem.missing)}
    fams = [f for f in problem.families if problem.family_missing[f]]
    fam_idx = {f: i for i, f in enumerate(fams)}
    # Allowed and possible single placements, as the joint's family options have them.
    allowed = np.zeros((len(problem.pm), len(problem.missing)), dtype=bool)
    for i, v in enumerate(problem.pm):
        allowed[i, [col[m] for m in problem.pairings[v] if m != NOBODY]] = True
    log_lr = np.array(pw.log_lr, dtype=float)
    if prior is not None:
        for pm_id, odds in prior.log_odds.items():
            for mp_id, log_odds in odds.items():
                if pm_id in row and mp_id in col:
                    log_lr[row[pm_id], col[mp_id]] += log_odds
    possible = allowed & (log_lr > -np.inf)
    options: list[Mapping[SubAssignment, float]] = []
    complete = True
    possible_raw = allowed & (np.asarray(pw.log_lr) > -np.inf)  # before the prior, as the joint
    for f in fams:
        if len(problem.family_missing[f]) == 1:
            m = col[problem.family_missing[f][0]]
            us = np.flatnonzero(possible[:, m])
            options.append(SingleMPOptions(m, us, log_lr[us, m]))
            continue
        opts, done = _family_options(problem, pw, f, possible_raw)
        complete &= done
        weighted = (
            (o.pairs, o.logw + (prior.pairing_log_odds(o.pairs) if prior else 0.0)) for o in opts
        )
        options.append(
            {frozenset((row[v], col[m]) for v, m in p): w for p, w in weighted if w > -math.inf}
        )
    return FactorModel(
        tuple(problem.pm),
        tuple(problem.missing),
        np.array([fam_idx[problem.missing_family[m]] for m in problem.missing], dtype=np.int64),
        tuple(fams),
        np.array([NOBODY in problem.pairings[v] for v in problem.pm], dtype=bool),
        tuple(options),
        complete,
        FLAT_PRIOR_NAME if prior is None else prior.name,
        {} if prior is None else dict(prior.parameters),
    )


def pair_ratios(model: FactorModel) -> tuple[FloatArray, FloatArray]:
    """``log ρ⁺`` and ``log ρ⁻`` of every pair, shape ``(n_pm, n_mp)`` each (module docstring).

    ``-inf`` in both where the pair is impossible; equal to the log LR for families with one MP.
    """
    lp = model.log_lr()
    lm = lp.copy()
    for f, opts in enumerate(model.options):
        mps = np.flatnonzero(model.family == f)
        if len(mps) < 2:
            continue
        pairs = sorted({p for s in opts for p in s})
        lp[:, mps] = -np.inf
        lm[:, mps] = -np.inf
        for v, m in pairs:
            lp[v, m], lm[v, m] = _family_pair_ratio(opts, v, m)
    return lp, lm


def _family_pair_ratio(opts: Mapping[SubAssignment, float], v: int, m: int) -> tuple[float, float]:
    """(``log ρ⁺``, ``log ρ⁻``) of pair ``(v, m)`` over one family's sub-assignments."""
    p = (v, m)
    hi, lo = -math.inf, math.inf
    for s, logw in opts.items():
        if p in s:
            base = opts.get(s - {p})
            hi = max(hi, math.inf if base is None else logw - base)
        elif all(u != v and x != m for u, x in s):
            up = opts.get(s | {p})
            lo = min(lo, -math.inf if up is None else up - logw)
    return hi, (lo if lo < math.inf else -math.inf)


# --------------------------------------------------------------------------------------------
# the bounds


@dataclass(frozen=True, eq=False)
class PosteriorBounds:
    """Proven bounds on every posterior pairing probability (under ``prior``).

    Attributes
    ----------
    pm, missing : row and column ids; column ``len(missing)`` is ``"*"`` (nobody).
    lower, upper : float, shape ``(n_pm, n_mp + 1)``: ``lower <= P(pm = column) <= upper``.
    estimate : the joint search's marginals (the kept model), shape ``(n_pm, n_mp + 1)``, or
        the interval midpoints when no joint result was given.
    exact_rows : bool, shape ``(n_pm,)``: rows known exactly from the joint search.
    neglected_mass_bound : the joint search's global bound (``nan`` without a joint result).
    proven : False when a family's sub-assignments were capped (then the bounds are those of
        the evaluated sub-assignments).
    iterations : rounds of the rules (module docstring) until nothing improved by ``tol``.
    method : how the bounds were made.
    """

    pm: tuple[str, ...]
    missing: tuple[str, ...]
    lower: FloatArray
    upper: FloatArray
    estimate: FloatArray
    exact_rows: BoolArray
    neglected_mass_bound: float
    proven: bool
    iterations: int
    method: str = (
        "injective-map bounds (U1, L1-L3), row/column sums, joint kept-model bound and exact "
        "components, intersected"
    )
    prior: str = "flat over all assignments"
    version: str = __version__
    parameters: Mapping[str, float] = field(default_factory=dict)

    @property
    def width(self) -> FloatArray:
        """``upper - lower``, shape ``(n_pm, n_mp + 1)``."""
        return np.asarray(self.upper - self.lower, dtype=float)

    def interval(self, pm: str, mp: str) -> tuple[float, float]:
        """The interval of one pairing (``mp`` an MP id or ``"*"``)."""
        i = self.pm.index(pm)
        j = len(self.missing) if mp == NOBODY else self.missing.index(mp)
        return float(self.lower[i, j]), float(self.upper[i, j])


def posterior_bounds(
    problem: DVIProblem,
    joint: JointResult | None = None,
    pairwise: PairwiseResult | None = None,
    *,
    model: FactorModel | None = None,
    prior: AssignmentPrior | None = None,
    max_iter: int = 30,
    tol: float = TOL,
    min_lr: float = 1.0,
) -> PosteriorBounds:
    """Proven interval for every PM × MP and PM × ``*`` posterior (see the module docstring).

    Parameters
    ----------
    problem : the case.
    joint : its joint result, if computed: its exact rows and its global bound are intersected
        with the pairwise bounds.
    pairwise : its pairwise LRs, if computed.
    model : its :class:`FactorModel`, if built (saves evaluating multi-MP families again).
    prior : the prior over assignments (``None``: flat, dvir's); must be the joint's, and the
        model's when one is given.
    max_iter, tol : rounds of the rules, stopping when no bound moves by more than ``tol``
        (every round's bounds are proven: stopping early only leaves them a little wider).
    min_lr : the lower bound (L1-L2) is computed for pairs with ``ρ⁻ >= min_lr`` (others get
        0 from it; rows and columns still apply). A pair with ``ρ⁺ < 1`` is never clear: (U1)
        keeps it below 1/2.

    Returns
    -------
    PosteriorBounds
    """
    fm = model or factor_model(problem, pairwise, prior)
    _check_prior(fm, joint, prior)
    n, k = fm.n_pm, fm.n_mp
    lower = np.zeros((n, k + 1))
    upper = np.ones((n, k + 1))
    exact = np.zeros(n, dtype=bool)
    beta = math.nan
    if joint is not None:
        lower, upper, exact = _joint_intervals(joint)
        beta = joint.neglected_mass_bound
    lo, hi, it = bound_marginals(fm, lower, upper, max_iter=max_iter, tol=tol, min_lr=min_lr)
    est = joint.marginals.copy() if joint is not None else (lo + hi) / 2.0
    return PosteriorBounds(
        fm.pm,
        fm.missing,
        lo,
        hi,
        est,
        exact,
        beta,
        fm.complete and (joint is None or joint.bound_proven),
        it,
        prior=fm.prior,
        parameters={"max_iter": max_iter, "tol": tol, "min_lr": min_lr},
    )


def _check_prior(fm: FactorModel, joint: JointResult | None, prior: AssignmentPrior | None) -> None:
    """Refuse to mix the posteriors of two different priors."""
    name = FLAT_PRIOR_NAME if prior is None else prior.name
    params = {} if prior is None else dict(prior.parameters)
    seen = [("the model", fm.prior, dict(fm.prior_parameters))]
    if joint is not None:
        seen.append(("the joint result", joint.prior, dict(joint.prior_parameters)))
    for who, got, got_params in seen:
        if got != name or got_params != params:
            raise KinshipError(
                f"{who} was computed under the prior '{got}', the bounds were asked under "
                f"'{name}'; pass the same prior to joint_dvi, factor_model and posterior_bounds"
            )


def _joint_intervals(joint: JointResult) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Rule (J): the kept-model interval everywhere, the exact value on exact rows."""
    p = np.asarray(joint.marginals, dtype=float)
    beta = np.full(len(joint.pm), min(1.0, max(0.0, float(joint.neglected_mass_bound))))
    if joint.row_bounds is not None:
        # (J) per component: only what was left out around the PM's component counts.
        beta = np.minimum(beta, np.clip(np.asarray(joint.row_bounds, dtype=float), 0.0, 1.0))
    lower = p * (1.0 - beta[:, None])
    upper = p + beta[:, None] * (1.0 - p)
    exact = (
        np.asarray(joint.exact_rows, dtype=bool)
        if joint.exact_rows is not None
        else np.full(len(joint.pm), beta == 0.0)
    )
    # The joint's sums are exact up to float error: about 1e-13 relative in log space, and the
    # "*" column is 1 minus a row sum. This tolerance is far above both.
    tol = JOINT_REL_TOL * p + JOINT_ABS_TOL
    lower = np.where(exact[:, None], p, lower) - tol
    upper = np.where(exact[:, None], p, upper) + tol
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0), exact


def bound_marginals(
    model: FactorModel,
    lower: FloatArray | None = None,
    upper: FloatArray | None = None,
    *,
    max_iter: int = 30,
    tol: float = TOL,
    min_lr: float = 1.0,
) -> tuple[FloatArray, FloatArray, int]:
    """Apply the rules of the module docstring until they stop improving.

    Parameters
    ----------
    model : the assignment space and its factors.
    lower, upper : bounds already proven (e.g. from the joint search), shape
        ``(n_pm, n_mp + 1)``; default ``0`` and ``1``.
    max_iter, tol, min_lr : as in :func:`posterior_bounds`.

    Returns
    -------
    (lower, upper, iterations) : the bounds, widened for rounding, and the rounds used.

    Examples
    --------
    One PM, one family with one MP, LR 3: ``P(V=M) = 3/4`` exactly, and the rules find it.

    >>> fm = FactorModel(("V",), ("M",), np.array([0]), ("F",), np.array([True]),
    ...                  ({frozenset(): 0.0, frozenset({(0, 0)}): math.log(3.0)},))
    >>> lo, hi, _ = bound_marginals(fm)
    >>> [round(float(x), 9) for x in (lo[0, 0], hi[0, 0], lo[0, 1], hi[0, 1])]
    [0.75, 0.75, 0.25, 0.25]
    """
    n, k = model.n_pm, model.n_mp
    lp, lm = pair_ratios(model)
    valid = model.valid()
    star = model.nobody
    lo = np.zeros((n, k + 1)) if lower is None else np.array(lower, dtype=float)
    hi = np.ones((n, k + 1)) if upper is None else np.array(upper, dtype=float)
    lo[:, :k][~valid] = 0.0
    hi[:, :k][~valid] = 0.0
    lo[~star, k] = 0.0
    hi[~star, k] = 0.0
    # (U1), first form: P(v = m) <= rho+ / (1 + rho+).
    with np.errstate(over="ignore", invalid="ignore"):
        base = 1.0 / (1.0 + np.exp(-lp))
    hi[:, :k] = np.where(star[:, None], np.minimum(hi[:, :k], base), hi[:, :k])
    cand = valid & (lm >= math.log(min_lr))
    rounds = 0
    # Every "1 - sum" keeps this margin: float error of a sum of n + k terms of at most 1.
    eps = 1e-15 * (n + k + 2)
    while rounds < max_iter:
        rounds += 1
        before_lo, before_hi = lo.copy(), hi.copy()
        hi = _upper_round(lp, lm, star, lo, hi, eps)
        lo = _lower_round(lp, lm, star, cand, lo, hi, eps)
        lo[:, :k][~valid] = 0.0
        hi[:, :k][~valid] = 0.0
        change = max(float(np.max(np.abs(lo - before_lo))), float(np.max(np.abs(hi - before_hi))))
        if change <= tol:
            break
    lo = np.clip(lo * (1.0 - _WIDEN_REL) - _WIDEN_ABS, 0.0, 1.0)
    hi = np.clip(hi * (1.0 + _WIDEN_REL) + _WIDEN_ABS, 0.0, 1.0)
    lo[:, :k][~valid] = 0.0
    hi[:, :k][~valid] = 0.0
    lo[~star, k] = 0.0
    hi[~star, k] = 0.0
    return lo, hi, rounds


def _upper_round(
    lp: FloatArray,
    lm: FloatArray,
    star: BoolArray,
    lo: FloatArray,
    hi: FloatArray,
    eps: float,
) -> FloatArray:
    """Rules (U1), (U2) and (R) for the upper bounds; ``eps`` the rounding margin of a sum."""
    k = lp.shape[1]
    hi = hi.copy()
    u2 = _nobody_upper(lp, lm, star, lo, hi, eps)
    hi[:, k] = np.where(star, np.minimum(hi[:, k], u2), 0.0)
    col_lo = lo[:, :k].sum(axis=0) - eps
    row_lo = lo.sum(axis=1) - eps
    mp_hi = np.minimum(hi[:, :k], 1.0 - (row_lo[:, None] - lo[:, :k]))
    mp_hi = np.minimum(mp_hi, 1.0 - (col_lo[None, :] - lo[:, :k]))
    free_hi = np.clip(1.0 - col_lo, 0.0, 1.0)
    cap = np.minimum(hi[:, k : k + 1], free_hi[None, :])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        via = np.exp(lp + np.log(cap))
    via = np.where(np.isnan(via), 1.0, via)
    mp_hi = np.where(star[:, None], np.minimum(mp_hi, via), mp_hi)
    hi[:, :k] = np.clip(mp_hi, 0.0, 1.0)
    hi[:, k] = np.clip(np.minimum(hi[:, k], 1.0 + eps - lo[:, :k].sum(axis=1)), 0.0, 1.0)
    return hi


def _nobody_upper(
    lp: FloatArray, lm: FloatArray, star: BoolArray, lo: FloatArray, hi: FloatArray, eps: float
) -> FloatArray:
    """Rule (U2): an upper bound on each ``P(v = *)``, shape ``(n_pm,)`` (1 where none)."""
    n, k = lp.shape
    if not k:
        return np.ones(n)
    movable = np.where(star[:, None], lp, -np.inf)
    eu, cu = _shifted(movable, axis=0)
    wu = eu * hi[:, k : k + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_b = _log_sum_without(eu, cu, axis=0)
        log_bw = _log_sum_without(wu, cu, axis=0)
        log_l = np.log(lo[:, :k] * (1.0 - 1e-12))  # L shrunk by a rounding margin
        weighted = np.where(np.isfinite(log_l), log_bw - log_l, np.inf)
    log_b = np.logaddexp(0.0, np.minimum(log_b, weighted))
    fixed = np.where(star[:, None], 0.0, hi[:, :k])
    others = fixed.sum(axis=0)[None, :] - fixed + eps
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        via = np.exp(np.log(hi[:, :k]) + log_b - lm) + others
    via = np.where(np.isfinite(lm) & ~np.isnan(via), via, np.inf)
    return np.asarray(np.minimum(1.0, via.min(axis=1)))


def _masked_lse(a: FloatArray, mask: BoolArray, axis: int) -> FloatArray:
    """``log Σ exp(a)`` over ``mask`` along ``axis``; ``-inf`` where nothing is selected."""
    b = np.where(mask, a, -np.inf)
    top = np.max(b, axis=axis, keepdims=True)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = np.sum(np.exp(b - safe), axis=axis, keepdims=True)
        out = np.where(np.isfinite(top), safe + np.log(s), top)
    return np.asarray(np.squeeze(out, axis=axis), dtype=float)


def _expit_neg(t: FloatArray) -> FloatArray:
    """``1 / (1 + exp(t))``, stably, ``t`` in natural log."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-np.abs(t))
        return np.asarray(np.where(t > 0, e / (1.0 + e), 1.0 / (1.0 + e)))


def _lower_round(
    lp: FloatArray,
    lm: FloatArray,
    star: BoolArray,
    cand: BoolArray,
    lo: FloatArray,
    hi: FloatArray,
    eps: float,
) -> FloatArray:
    """Rules (R), (L3) and (L1-L2) for the lower bounds; ``eps`` the rounding margin of a sum."""
    n, k = lp.shape
    lo = lo.copy()
    row_hi = hi.sum(axis=1) + eps
    lo[:, :k] = np.maximum(lo[:, :k], 1.0 - (row_hi[:, None] - hi[:, :k]))
    lo[:, k] = np.maximum(lo[:, k], 1.0 - eps - hi[:, :k].sum(axis=1))
    # (L3): P(v = *) >= (1 - sum_G U) / (1 + sum_H rho+).
    with np.errstate(divide="ignore"):
        log_hi = np.log(hi[:, :k])
    s_all = _masked_lse(lp, np.isfinite(lp), axis=1)
    p_hat = np.maximum(lo[:, k], _expit_neg(s_all))
    with np.errstate(divide="ignore"):
        g = log_hi < lp + np.log(np.maximum(p_hat, 1e-300))[:, None]
    t = np.where(g, hi[:, :k], 0.0).sum(axis=1) + eps
    s_h = _masked_lse(lp, ~g & np.isfinite(lp), axis=1)
    l3 = (1.0 - t) * _expit_neg(s_h)
    lo[:, k] = np.where(star, np.maximum(lo[:, k], l3), 0.0)
    # (L1-L2) for the candidate pairs.
    lo[:, :k] = np.maximum(lo[:, :k], _pair_lower_all(lp, lm, star, cand, hi, eps))
    return np.clip(lo, 0.0, 1.0)


def _shifted(la: FloatArray, axis: int) -> tuple[FloatArray, FloatArray]:
    """``exp(la - shift)`` and the shift (the largest finite value along ``axis``, else 0)."""
    top = np.max(np.where(np.isfinite(la), la, -np.inf), axis=axis, keepdims=True)
    shift = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore"):
        return np.exp(la - shift), np.squeeze(shift, axis=axis)


def _log_sum_without(e: FloatArray, shift: FloatArray, axis: int) -> FloatArray:
    """``log Σ_{j ≠ i} exp(...)`` for every entry ``i`` along ``axis`` (for the split criteria).

    ``e`` are the shifted exponentials; the largest entry's sum is taken without it, not by a
    subtraction that would cancel.
    """
    top = np.expand_dims(np.argmax(e, axis=axis), axis)
    is_top = np.zeros(e.shape, dtype=bool)
    np.put_along_axis(is_top, top, True, axis=axis)
    no_top = np.where(is_top, 0.0, e).sum(axis=axis, keepdims=True)
    total = e.sum(axis=axis, keepdims=True)
    rest = np.where(is_top, no_top, np.maximum(total - e, 0.0))
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(rest) + np.expand_dims(shift, axis), dtype=float)


def _runs(keys: NDArray[np.int64]) -> list[tuple[int, int, int]]:
    """``(key, start, end)`` of each run of equal values in the sorted ``keys``."""
    if not keys.size:
        return []
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    return [(int(keys[a]), int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _without(total: FloatArray, own: FloatArray, n_terms: int) -> FloatArray:
    """An upper bound on a suffix sum of ``n_terms`` non-negative terms without one of them
    (``own``; 0 when it is not in the suffix): ``total - own`` plus the float error of the
    cumulative sum (at most ``n_terms`` roundings of ``total``). NaN where that error is not
    small against the difference, for the caller to sum directly."""
    slack = 2.3e-16 * n_terms * total
    diff = total - own
    return np.where(diff > 1e6 * slack, diff + slack, np.where(own > 0, np.nan, total))


def _split_sums(
    score: FloatArray, hi: FloatArray, e: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int64]]:
    """Terms sorted by ``score`` (axis 0): sorted scores, prefix sums of ``hi``, suffix sums of
    ``e`` (one longer than the axis), and each term's rank."""
    order = np.argsort(score, axis=0, kind="stable")
    s = np.take_along_axis(score, order, axis=0)
    pre = np.concatenate(
        [np.zeros((1, *hi.shape[1:])), np.cumsum(np.take_along_axis(hi, order, 0), 0)]
    )
    e_sorted = np.take_along_axis(e, order, axis=0)
    suf = np.concatenate([np.cumsum(e_sorted[::-1], 0)[::-1], np.zeros((1, *e.shape[1:]))])
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[0])[:, None], axis=0)
    return s, pre, suf, rank


def _pair_lower_all(
    lp: FloatArray,
    lm: FloatArray,
    star: BoolArray,
    cand: BoolArray,
    hi: FloatArray,
    eps: float,
) -> FloatArray:
    """Rule (L2) for every candidate pair at once, shape ``(n_pm, n_mp)`` (0 elsewhere).

    A term goes to ``G`` when its proven upper bound costs less than its mapped weight would:
    ``log U − log ρ⁺ < θ``, a threshold per pair, so with the terms of each PM (and of each MP)
    sorted by that score once, ``G`` is a prefix and the sums are prefix and suffix sums.
    """
    n, k = lp.shape
    out = np.zeros((n, k))
    # v's side: the MPs and "*" (rho+ = 1 when allowed).
    lx = np.concatenate([lp, np.where(star, 0.0, -np.inf)[:, None]], axis=1)  # (n, k + 1)
    hx = np.concatenate([hi[:, :k], np.where(star, hi[:, k], 0.0)[:, None]], axis=1)
    ex, cx = _shifted(lx, axis=1)
    # m's side: the PMs that may hold it; those that may not be "*" always go to G.
    eu, cu = _shifted(lp, axis=0)
    a_full = _log_sum_without(ex, cx, axis=1)[:, :k]  # log A with all x != m
    b_full = np.logaddexp(0.0, _log_sum_without(eu, cu, axis=0))  # log B with all u != v
    with np.errstate(divide="ignore", invalid="ignore"):
        score_x = np.where(np.isfinite(lx), np.log(hx) - lx, np.inf)
        score_u = np.where(np.isfinite(lp), np.log(hi[:, :k]) - lp, np.inf)
    score_u = np.where(np.isfinite(lp) & ~star[:, None], -np.inf, score_u)
    sx, pre_x, suf_x, rank_x = _split_sums(score_x.T, hx.T, ex.T)  # along x, per PM column
    su, pre_u, suf_u, rank_u = _split_sums(score_u, hi[:, :k], eu)  # along u, per MP column
    vs, ms = np.nonzero(cand & np.isfinite(lm))
    if not vs.size:
        return out
    r = lm[vs, ms]
    # The pairs of each PM are consecutive (np.nonzero's row order); those of each MP, in m_order.
    by_v = _runs(vs)
    m_order = np.argsort(ms, kind="stable")
    by_m = _runs(ms[m_order])

    def split(
        theta_x: FloatArray, theta_u: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(L2) with the split at these thresholds: (bound, log A_H, log B_H)."""
        cut_x = np.empty(vs.size, dtype=np.int64)
        cut_u = np.empty(vs.size, dtype=np.int64)
        for v, a, b in by_v:
            cut_x[a:b] = np.searchsorted(sx[:, v], theta_x[a:b], side="left")
        for m, a, b in by_m:
            sel = m_order[a:b]
            cut_u[sel] = np.searchsorted(su[:, m], theta_u[sel], side="left")
        # x = m itself and u = v itself are left out of their sums.
        m_in_g = rank_x[ms, vs] < cut_x
        v_in_g = rank_u[vs, ms] < cut_u
        t = pre_x[cut_x, vs] - np.where(m_in_g, hx[vs, ms], 0.0)
        t += pre_u[cut_u, ms] - np.where(v_in_g, hi[vs, ms], 0.0)
        a_h = _without(suf_x[cut_x, vs], np.where(m_in_g, 0.0, ex[vs, ms]), k + 1)
        b_h = _without(suf_u[cut_u, ms], np.where(v_in_g, 0.0, eu[vs, ms]), n)
        # Where the pair's own term was nearly all of its suffix, the difference is lost to
        # rounding (NaN above): sum again directly.
        for i in np.flatnonzero(np.isnan(a_h)):
            v, m = vs[i], ms[i]
            keep = rank_x[:, v] >= cut_x[i]
            keep[m] = False
            a_h[i] = float(np.sum(ex[v][keep]))
        for i in np.flatnonzero(np.isnan(b_h)):
            v, m = vs[i], ms[i]
            keep = rank_u[:, m] >= cut_u[i]
            keep[v] = False
            b_h[i] = float(np.sum(eu[:, m][keep]))
        with np.errstate(divide="ignore"):
            log_a = np.log(np.maximum(a_h, 0.0)) + cx[vs]
            log_b = np.logaddexp(0.0, np.log(np.maximum(b_h, 0.0)) + cu[ms])
        val = np.clip(1.0 - t - eps, 0.0, 1.0) * _expit_neg(log_a + log_b - r)
        return np.nan_to_num(val, nan=0.0), log_a, log_b

    # The first split prices each term against the whole other side; the second against the
    # part of the other side that the first left to the map; no split at all is (L1). Each
    # bound holds: the largest is kept (a split is not monotone in the bounds it is given).
    val, log_a, log_b = split(b_full[vs, ms] - r, a_full[vs, ms] - r)
    with np.errstate(invalid="ignore"):
        again, _, _ = split(np.nan_to_num(log_b - r), np.nan_to_num(log_a - r))
        val = np.maximum(val, again)
        if star.all():  # (L1) needs every rival u free to go to "*"
            plain = (1.0 - eps) * _expit_neg(a_full[vs, ms] + b_full[vs, ms] - r)
            val = np.maximum(val, np.nan_to_num(plain))
    out[vs, ms] = np.nan_to_num(val, nan=0.0)
    return out
