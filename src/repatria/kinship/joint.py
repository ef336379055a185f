"""Joint identification: every PM against every family at once, exactly.

An *assignment* gives each PM one of its pairings (an MP or ``"*"``), no MP twice. Its likelihood
is the product over families of the family's likelihood with the PMs assigned to it placed on its
MPs, times the likelihood of each unassigned PM alone. Relative to the null assignment (nobody
identified) that is a product of *family factors*: ``W_f(s) = L_f(s) / (L_f(∅) ∏_{v∈s} L_v)`` for
the sub-assignment ``s`` of family ``f`` (for a family with one MP this is the pairwise LR).
Families with several MPs are evaluated jointly: their factor is not a product of pairwise LRs.

Method
------
1. Family factors are computed for every sub-assignment (pairwise LRs for single placements,
   full pedigree likelihoods for several PMs in one family). Impossible ones (``W = 0``) are
   dropped: they carry no probability.
2. Families and PMs linked by sub-assignments form independent components. A component small
   enough (``exact_bits``) is summed with nothing left out. A larger one has its sub-assignments
   with factor below an LR level left out, the level raised step by step for that component
   alone until it splits into small ones. What is left out is bounded, provably, and reported as
   ``neglected_mass_bound`` (0 when nothing was left out): every assignment splits uniquely into
   its left-out options ``S`` and a rest of kept ones in which the families and PMs of ``S`` take
   nothing; relaxing that, ``Z`` is below the kept model with an empty family weighing
   ``1 + Σ`` (its left-out factors) instead of 1 (or the same with PMs), summed by the same DP
   (see :func:`repatria.kinship.joint_options.neglected_bound`). A weak link of a PM that is
   surely someone else, or of a family surely matched, costs next to nothing.
3. Families and PMs linked by kept sub-assignments form independent components. Each component
   is summed exactly by dynamic programming over its units (families, or PMs when every family
   has one MP and that side is smaller) with a bit mask of what the other side has used, in log
   space. Posterior pairing probabilities come from forward and backward passes (the backward one
   subset-summed), and the best assignments from A* search with the exact max-product DP as its
   heuristic, so they come out in order with no enumeration of the space.
4. Components combine by products: the total is the product of component sums, and the best
   assignments of the case are merged from each component's best.

The number of assignments is counted exactly over the full space (all pairings, impossible ones
too, as dvir counts them), grouping PMs with equal pairings.

Prior: flat over all assignments (as dvir's ``dviJoint`` and ``Bmarginal``) unless a prior of
:mod:`repatria.kinship.priors` is given, whose odds multiply each option's factor.

Options at scale: a realistic exchange has hundreds of thousands of weak options (every PM
against every family it is not excluded from). They are held as numpy arrays
(:mod:`repatria.kinship.joint_options`: pruning levels, components, add-back and the bound's sums
are vector passes); only the kept options of each component become DP units here. Besides the
global bound, each PM gets the bound on the mass left out around its own component
(``JointResult.row_bounds``), which :mod:`repatria.kinship.bounds` uses per row.

Size: the component DP (forward, backward, A*) and the answer it builds are read as one method;
the option arrays, pruning and the proof of the bound are in :mod:`repatria.kinship.joint_options`.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from repatria import __version__
from repatria.kinship._numeric import logsumexp, safe_exp
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.joint_options import (
    OptionTable,
    exact_rows,
    kept_pms,
    neglected_bound,
    prune,
    row_neglected_bounds,
    scores,
    segment_lse,
    single_mp,
)
from repatria.kinship.priors import FLAT_PRIOR_NAME, AssignmentPrior
from repatria.kinship.probability import likelihood

__all__ = ["RankedAssignment", "JointResult", "joint_dvi", "count_assignments", "MAX_MASK_BITS"]

#: Largest bit mask a component's exact DP may use (2**bits states).
MAX_MASK_BITS = 20
#: Largest number of sub-assignments of one family evaluated by full pedigree likelihoods.
MAX_FAMILY_SUBASSIGNMENTS = 20_000
#: Components up to this many mask bits are summed exactly, with nothing left out.
EXACT_MASK_BITS = 16
#: Left-out options are put back while the components they join stay within this many bits.
ADD_BACK_BITS = 12


@dataclass(frozen=True)
class RankedAssignment:
    """One assignment with its natural-log likelihood, LR against the null, and posterior."""

    assignment: dict[str, str]
    loglik: float
    lr: float
    posterior: float


@dataclass(frozen=True, eq=False)
class JointResult:
    """The joint analysis of a DVI case.

    Attributes
    ----------
    pm, missing : row and column ids.
    n_assignments : size of the full assignment space (exact).
    loglik0 : natural-log likelihood of the null assignment (nobody identified).
    log_z : natural log of the sum over all assignments of LR times prior odds (under the flat
        prior, the sum of LRs).
    top : the best assignments, by posterior (by likelihood under the flat prior).
    marginals : posterior pairing probabilities, shape ``(n_pm, n_missing + 1)``, last column ``*``.
    neglected_mass_bound : proven upper bound on the posterior mass of left-out sub-assignments.
    bound_proven : False only when a family had too many sub-assignments to evaluate them all.
    searched : how the space was searched (components, their sizes, pruning level).
    prior, prior_parameters : the prior over assignments, in words, and its numbers.
    exact_rows : bool, shape ``(n_pm,)``: True where the PM's row of ``marginals`` is exact (its
        component of the full model was summed with nothing left out anywhere in it); ``None``
        when not recorded.
    row_bounds : float, shape ``(n_pm,)``: per PM, a proven bound on the mass left out that
        touches its component (:func:`repatria.kinship.joint_options.row_neglected_bounds`);
        the row's true posteriors are within ``p (1 - b)`` and ``p + b (1 - p)`` of its kept
        marginals ``p``. ``None`` when not recorded.
    """

    pm: tuple[str, ...]
    missing: tuple[str, ...]
    n_assignments: int
    loglik0: float
    log_z: float
    top: list[RankedAssignment]
    marginals: np.ndarray
    neglected_mass_bound: float
    bound_proven: bool = True
    searched: Mapping[str, Any] = field(default_factory=dict)
    prior: str = "flat over all assignments"
    prior_parameters: Mapping[str, Any] = field(default_factory=dict)
    version: str = __version__
    exact_rows: np.ndarray | None = None
    row_bounds: np.ndarray | None = None


# --------------------------------------------------------------------------------------------
# counting the space


def count_assignments(pm: Sequence[str], pairings: Mapping[str, Sequence[str]]) -> int:
    """Number of assignments: each PM takes one of its pairings, no MP used twice.

    PMs with the same pairings are grouped, and MPs reached by the same groups are grouped, so the
    count is a small dynamic programme over group sizes (sex-based pairings give 2–3 groups).

    >>> count_assignments(["V1", "V2"], {"V1": ["*", "M1"], "V2": ["*", "M1"]})
    3
    """
    pm_types: dict[tuple[frozenset[str], bool], int] = {}
    for v in pm:
        key = (frozenset(x for x in pairings[v] if x != NOBODY), NOBODY in pairings[v])
        pm_types[key] = pm_types.get(key, 0) + 1
    types = list(pm_types.items())
    # Which PM types reach each MP; MPs with the same signature form a group.
    sig: dict[str, tuple[int, ...]] = {}
    for t, ((mps, _), _) in enumerate(types):
        for m in mps:
            sig[m] = sig.get(m, ()) + (t,)
    groups: dict[tuple[int, ...], int] = {}
    for s in sig.values():
        groups[s] = groups.get(s, 0) + 1
    group_list = list(groups.items())
    states: dict[tuple[int, ...], int] = {tuple(0 for _ in group_list): 1}
    for t, ((_mps, has_star), n_t) in enumerate(types):
        reach = [u for u, (s, _) in enumerate(group_list) if t in s]
        new: dict[tuple[int, ...], int] = {}
        for used, ways in states.items():
            for split in _splits(n_t, [group_list[u][1] - used[u] for u in reach]):
                k = sum(split)
                if not has_star and k != n_t:
                    continue
                mult = math.factorial(n_t) // math.factorial(n_t - k)
                for j in split:
                    mult //= math.factorial(j)
                nu = list(used)
                for u, j in zip(reach, split, strict=False):
                    free = group_list[u][1] - used[u]
                    mult *= math.perm(free, j)
                    nu[u] += j
                state = tuple(nu)
                new[state] = new.get(state, 0) + ways * mult
        states = new
        if len(states) > 2_000_000:
            raise KinshipError("the pairings are too irregular to count the assignment space")
    return sum(states.values())


def _splits(n: int, caps: list[int]) -> Iterator[tuple[int, ...]]:
    """All ways to send ``j_u <= caps[u]`` of ``n`` items to each group, ``sum j_u <= n``."""
    if not caps:
        yield ()
        return
    first, rest = caps[0], caps[1:]
    for j in range(min(n, first) + 1):
        for tail in _splits(n - j, rest):
            yield (j, *tail)


# --------------------------------------------------------------------------------------------
# family factors

#: Placements ``(pm, mp)`` of one option, or of an assignment.
_Pairs = tuple[tuple[str, str], ...]
#: An option of a DP unit: ``(mask of the items it takes, log weight, placements)``.
_UnitOption = tuple[int, float, _Pairs]


@dataclass
class _Option:
    """One choice of a unit: the PMs/families it takes (as ids), its log factor."""

    takes: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]  # (pm, mp)
    logw: float


def _family_options(
    problem: DVIProblem,
    pw: PairwiseResult,
    famid: str,
    possible: np.ndarray | None = None,
) -> tuple[list[_Option], bool]:
    """All possible sub-assignments of a family with their log factors; False if capped.

    ``possible``: bool ``(n_pm, n_missing)``, the allowed pairings whose LR is not 0 (made here
    when not given; :func:`_joint_dvi` makes it once for every family)."""
    mps = problem.family_missing[famid]
    row = {v: i for i, v in enumerate(problem.pm)}
    col = {m: j for j, m in enumerate(problem.missing)}
    if possible is None:
        possible = _possible(problem, pw)
    opts = [_Option((), (), 0.0)]
    cands: dict[str, list[str]] = {}
    for m in mps:
        j = col[m]
        rows = np.flatnonzero(possible[:, j])
        cands[m] = [problem.pm[i] for i in rows]
        for i, w in zip(rows.tolist(), pw.log_lr[rows, j].tolist(), strict=True):
            opts.append(_Option((problem.pm[i],), ((problem.pm[i], m),), w))
    if len(mps) == 1:
        return opts, True
    complete = True
    ped = problem.families[famid]
    base = problem.am_profiles.get(famid, {})
    fam_ll = float(np.sum(pw.family_loglik[famid]))
    multi: list[tuple[tuple[str, str], ...]] = []
    for k in range(2, len(mps) + 1):
        for chosen in itertools.combinations(mps, k):
            for pms in itertools.product(*(cands[m] for m in chosen)):
                if len(set(pms)) == len(pms):
                    multi.append(tuple(zip(pms, chosen, strict=False)))
    if len(multi) > MAX_FAMILY_SUBASSIGNMENTS:
        # Keep the placements built from each MP's strongest candidates; the rest is not evaluated.
        complete = False
        multi.sort(key=lambda s: -sum(pw.log_lr[row[v], col[m]] for v, m in s))
        multi = multi[:MAX_FAMILY_SUBASSIGNMENTS]
    for s in multi:
        prof = dict(base)
        for v, m in s:
            prof[m] = problem.pm_profiles.get(v, {})
        ll = likelihood(ped, problem.markers, prof, dropout=problem.placed_dropout(s)).loglik
        logw = ll - fam_ll - sum(float(np.sum(problem.pm_logliks[v])) for v, _ in s)
        if logw > -math.inf:
            opts.append(_Option(tuple(v for v, _ in s), s, logw))
    return opts, complete


def _possible(problem: DVIProblem, pw: PairwiseResult) -> np.ndarray:
    """Allowed pairings (PM x MP) whose LR is not 0, as one bool array (``nan`` is not > -inf)."""
    from repatria.kinship.screening_exclusions import pairing_mask

    return pairing_mask(problem) & (np.asarray(pw.log_lr) > -np.inf)


# --------------------------------------------------------------------------------------------
# exact sums over one component


def _subset_transform(
    h: np.ndarray, bits: int, op: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """``out[U] = op over all subsets S of U of h[S]`` (zeta transform), vectorised per bit."""
    out = h.copy()
    for j in range(bits):
        v = out.reshape(-1, 2, 1 << j)
        v[:, 1, :] = op(v[:, 1, :], v[:, 0, :])
    return out


def _step(
    cur: np.ndarray,
    nxt: np.ndarray,
    opts: list[_UnitOption],
    op: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> None:
    """``nxt[U | mask] op= cur[U] + logw`` for each option, ``U`` disjoint from ``mask``.

    An option taking one item (most of them) is a strided view: the states without its bit
    against those with it, no index arrays. States at ``-inf`` add nothing either way."""
    live: np.ndarray | None = None
    for mask, logw, _ in opts:
        if mask == 0:
            nxt[:] = op(nxt, cur + logw)
        elif mask & (mask - 1) == 0:
            half = mask
            cv = cur.reshape(-1, 2, half)
            nv = nxt.reshape(-1, 2, half)
            nv[:, 1, :] = op(nv[:, 1, :], cv[:, 0, :] + logw)
        else:
            if live is None:
                live = np.flatnonzero(cur > -np.inf)
            src = live[(live & mask) == 0]
            dst = src | mask
            nxt[dst] = op(nxt[dst], cur[src] + logw)


def _forward(units: list[list[_UnitOption]], bits: int) -> list[np.ndarray]:
    """``fwd[i][U]``: log of the summed weight of the choices of units ``< i`` using exactly ``U``.

    Returns ``len(units) + 1`` arrays of shape ``(2**bits,)``.
    """
    fwd = [np.full(1 << bits, -np.inf) for _ in range(len(units) + 1)]
    fwd[0][0] = 0.0
    for i, opts in enumerate(units):
        _step(fwd[i], fwd[i + 1], opts, np.logaddexp)
    return fwd


class _Component:
    """Units (each picks one option) and a mask over the items options take, summed exactly."""

    def __init__(
        self,
        units: list[list[_UnitOption]],
        bits: int,
        unit_nodes: Sequence[int] = (),
        bit_nodes: Sequence[int] = (),
    ) -> None:
        self.units = units  # per unit: list of (mask, logw, pairs)
        self.bits = bits
        # Family or PM node of each unit and of each mask bit (see joint_options).
        self.unit_nodes = np.asarray(unit_nodes, dtype=np.int64)
        self.bit_nodes = np.asarray(bit_nodes, dtype=np.int64)
        size = 1 << bits
        n = len(units)
        neg = np.full(size, -np.inf)
        idx = np.arange(size)
        fwd = _forward(units, bits)
        self.fwd = fwd
        self.log_z = logsumexp(fwd[n])
        # Backward passes: sum and max over the units i.. using exactly mask.
        bwd = [neg.copy() for _ in range(n + 1)]
        bmax = [neg.copy() for _ in range(n + 1)]
        bwd[n][0] = bmax[n][0] = 0.0
        for i in range(n - 1, -1, -1):
            _step(bwd[i + 1], bwd[i], units[i], np.logaddexp)
            _step(bmax[i + 1], bmax[i], units[i], np.maximum)
        self.bwd = bwd
        # hmax[i][U]: best completion from unit i using only items in U (A* heuristic).
        self.hmax = [_subset_transform(b, bits, np.maximum) for b in bmax]
        self._relaxed_fwd: dict[bytes, np.ndarray] = {}
        self._idx = idx

    def relaxed_log_z(self, free_logw: np.ndarray) -> float:
        """Log of the sum with a node left unassigned weighing ``exp(free_logw[node])``, not 1.

        An entity is a unit (its empty option) or a mask bit (left unset at the end).
        """
        size = 1 << self.bits
        unit_free = free_logw[self.unit_nodes]
        key = unit_free.tobytes()
        hit = self._relaxed_fwd.get(key)
        if hit is not None:
            cur = hit  # the same units relaxed the same way (another charging of the bound)
        elif np.any(unit_free != 0.0):
            units = [
                [
                    (mask, logw + (float(free_logw[u]) if mask == 0 and not p else 0.0), p)
                    for mask, logw, p in opts
                ]
                for u, opts in zip(self.unit_nodes.tolist(), self.units, strict=False)
            ]
            cur = self._relaxed_fwd[key] = _forward(units, self.bits)[-1]
        else:
            cur = self.fwd[-1]  # only bits are relaxed: the kept forward pass serves
        free = np.zeros(size)
        idx = np.arange(size)
        for j, bid in enumerate(self.bit_nodes.tolist()):
            w = float(free_logw[bid])
            if w:
                free += np.where(idx & (1 << j), 0.0, w)
        return logsumexp(cur + free)

    def option_log_marginals(self) -> list[list[float]]:
        """Log of the summed weight of all assignments choosing each option."""
        full = (1 << self.bits) - 1
        out = []
        for i, opts in enumerate(self.units):
            hsum = _subset_transform(self.bwd[i + 1], self.bits, np.logaddexp)
            cur = self.fwd[i]
            live: np.ndarray | None = None
            rev = hsum[::-1]  # rev[U] = hsum[full ^ U]
            row = []
            for mask, logw, _ in opts:
                if mask & (mask - 1) == 0:
                    # U without mask's bit against the complement of U | mask (mask 0: of U).
                    h = max(mask, 1)
                    cv = cur.reshape(-1, 2, h)[:, 0, :] if mask else cur
                    rv = rev.reshape(-1, 2, h)[:, 1, :] if mask else rev
                    row.append(logw + logsumexp(cv + rv))
                    continue
                if live is None:
                    live = np.flatnonzero(cur > -np.inf)
                a = live[(live & mask) == 0]
                rest = full & ~(a | mask)
                row.append(logw + logsumexp(cur[a] + hsum[rest]))
            out.append(row)
        return out

    def best(self, k: int) -> list[tuple[float, _Pairs]]:
        """The ``k`` best assignments of the component: (log weight, pairs), best first."""
        full = (1 << self.bits) - 1
        n = len(self.units)
        heap: list[tuple[float, int, int, int, _Pairs]] = [(-self.hmax[0][full], 0, 0, 0, ())]
        counter = itertools.count()
        out: list[tuple[float, _Pairs]] = []
        while heap and len(out) < k:
            negf, _, i, used, pairs = heapq.heappop(heap)
            if i == n:
                out.append((-negf, pairs))
                continue
            g = -negf - self.hmax[i][full & ~used]
            for mask, logw, p in self.units[i]:
                if mask & used:
                    continue
                nu = used | mask
                h = self.hmax[i + 1][full & ~nu]
                if h == -np.inf:
                    continue
                heapq.heappush(heap, (-(g + logw + h), next(counter), i + 1, nu, pairs + p))
        return out


# --------------------------------------------------------------------------------------------
# the analysis


def joint_dvi(
    problem: DVIProblem,
    pairwise: PairwiseResult | None = None,
    top: int = 20,
    max_bits: int = MAX_MASK_BITS,
    exact_bits: int = EXACT_MASK_BITS,
    prior: AssignmentPrior | None = None,
) -> JointResult:
    """Joint identification over the full assignment space (see the module docstring).

    Parameters
    ----------
    problem : the case.
    pairwise : its pairwise LRs, if already computed.
    top : how many of the best assignments to return.
    max_bits : the largest DP mask (``2**max_bits`` states per unit) allowed at all.
    exact_bits : components up to this mask size are summed with nothing left out; larger ones
        have their weakest sub-assignments left out until they split (see the module docstring).
    prior : a prior over assignments (:mod:`repatria.kinship.priors`); ``None`` is dvir's flat
        prior. Each option's factor is multiplied by its pairings' prior odds, so posteriors,
        marginals, the ranking and the bound on the left-out mass are under that prior; the
        ``loglik`` and ``lr`` of an assignment stay its likelihood and likelihood ratio.

    Returns
    -------
    JointResult
    """
    pw = pairwise or pairwise_lr(problem)
    with threadpool_limits(limits=1, user_api="blas"):
        return _joint_dvi(problem, pw, top, max_bits, exact_bits, prior)


def _joint_dvi(
    problem: DVIProblem,
    pw: PairwiseResult,
    top: int,
    max_bits: int,
    exact_bits: int,
    prior: AssignmentPrior | None = None,
) -> JointResult:
    pm, missing = problem.pm, problem.missing
    loglik_pm = {v: float(np.sum(problem.pm_logliks[v])) for v in pm}
    fams = [f for f in problem.families if problem.family_missing[f]]
    loglik0 = sum(float(np.sum(pw.family_loglik[f])) for f in fams) + sum(loglik_pm.values())
    n_assign = count_assignments(pm, problem.pairings)
    if loglik0 == -math.inf:
        bad = [f for f in fams if np.sum(pw.family_loglik[f]) == -math.inf]
        raise KinshipError(
            f"the reference data of famil{'y' if len(bad) == 1 else 'ies'} {', '.join(bad)} "
            f"are impossible under the mutation model: no assignment has a likelihood"
        )
    table, proven = _option_table(problem, pw, fams, prior)
    log_s = segment_lse(table.logw, table.fam, len(fams), with_zero=True)
    # Per-PM sums, for the second bound (valid when every family has one MP: then each option of a
    # family names one PM, and Z <= prod_v (1 + sum_f W_vf)).
    single_mp = all(len(problem.family_missing[f]) == 1 for f in fams)
    log_r = segment_lse(table.logw, table.first_pm, len(pm), with_zero=True) if single_mp else None
    keep, levels = prune(table, scores(table, log_s), exact_bits, max_bits, ADD_BACK_BITS)
    comps = [c for c, _ in levels]
    built = [_build_component(c, table, keep, problem, fams) for c in comps]
    log_z = sum(comp.log_z for comp, _ in built)
    marginals = np.zeros((len(pm), len(missing) + 1))
    row = {v: i for i, v in enumerate(pm)}
    col = {m: j for j, m in enumerate(missing)}
    for comp, _ in built:
        for opts, logs in zip(comp.units, comp.option_log_marginals(), strict=False):
            for (_, _, pairs), lm in zip(opts, logs, strict=False):
                p = math.exp(lm - comp.log_z)
                for v, m in pairs:
                    marginals[row[v], col[m]] += p
    # Sums of exponentials can land a few ulps above 1; a probability shown to people may not.
    np.clip(marginals, 0.0, 1.0, out=marginals)
    marginals[:, -1] = np.clip(1.0 - marginals[:, :-1].sum(axis=1), 0.0, 1.0)

    n_pruned = int(np.sum(~keep))
    assigned = marginals[:, :-1].sum(axis=0)
    p_empty = np.array(
        [min((1 - assigned[col[m]] for m in problem.family_missing[f]), default=1.0) for f in fams]
    )
    p_free = marginals[:, -1].copy()
    comp_list = [comp for comp, _ in built]
    neglected = neglected_bound(table, keep, log_s, log_r, log_z, comp_list, p_empty, p_free)
    ranked = _merge_best([comp.best(top) for comp in comp_list], top)
    top_list = []
    for logw, pairs in ranked:
        a = {v: NOBODY for v in pm}
        for v, m in pairs:
            a[v] = m
        log_lr = logw - (prior.pairing_log_odds(pairs) if prior is not None else 0.0)
        top_list.append(
            RankedAssignment(
                a,
                loglik0 + log_lr,
                safe_exp(log_lr),
                min(1.0, math.exp(logw - log_z)),
            )
        )
    searched = {
        "components": len(built),
        "largest_component": max((len(c) for c in comps), default=0),
        "largest_mask_bits": max((comp.bits for comp in comp_list), default=0),
        "pruning_level": max((lv for _, lv in levels), default=0.0),
        "pruned_sub_assignments": n_pruned,
        "sub_assignments_evaluated": table.n_opt + len(fams),
        "sub_assignments_kept": int(np.sum(keep)) + len(fams),
    }
    comp_rows = [np.array([row[v] for v in pms], dtype=np.int64) for _, pms in built]
    rows = exact_rows(table, keep, comp_list, comp_rows)
    return JointResult(
        pm,
        missing,
        n_assign,
        loglik0,
        log_z,
        top_list,
        marginals,
        neglected,
        proven,
        searched,
        prior=FLAT_PRIOR_NAME if prior is None else prior.name,
        prior_parameters={} if prior is None else dict(prior.parameters),
        exact_rows=rows,
        row_bounds=row_neglected_bounds(table, keep, comp_list, comp_rows, p_empty, p_free),
    )


def _option_table(
    problem: DVIProblem,
    pw: PairwiseResult,
    fams: list[str],
    prior: AssignmentPrior | None,
) -> tuple[OptionTable, bool]:
    """Every family's possible non-empty sub-assignments as arrays; False if some were capped.

    Families with one MP take their column of pairwise LRs whole; families with several MPs have
    their sub-assignments evaluated by :func:`_family_options`. A prior's odds multiply each
    factor; a pairing it rules out carries no mass and is dropped like an impossible one."""
    possible = _possible(problem, pw)
    col = {m: j for j, m in enumerate(problem.missing)}
    row = {v: i for i, v in enumerate(problem.pm)}
    odds = np.zeros(possible.shape)
    if prior is not None:
        for v, by_mp in prior.log_odds.items():
            for m, lo in by_mp.items():
                if v in row and m in col:
                    odds[row[v], col[m]] = lo
    log_lr = np.asarray(pw.log_lr, dtype=float)
    fam_l: list[np.ndarray] = []
    logw_l: list[np.ndarray] = []
    npair_l: list[np.ndarray] = []
    pm_l: list[np.ndarray] = []
    mp_l: list[np.ndarray] = []
    complete = True
    for fi, f in enumerate(fams):
        mps = problem.family_missing[f]
        if len(mps) == 1:
            j = col[mps[0]]
            rows = np.flatnonzero(possible[:, j])
            w = log_lr[rows, j] + odds[rows, j] if prior is not None else log_lr[rows, j]
            ok = w > -np.inf
            rows, w = rows[ok], w[ok]
            fam_l.append(np.full(len(rows), fi, dtype=np.int64))
            logw_l.append(w)
            npair_l.append(np.ones(len(rows), dtype=np.int64))
            pm_l.append(rows.astype(np.int64))
            mp_l.append(np.full(len(rows), j, dtype=np.int64))
            continue
        opts, done = _family_options(problem, pw, f, possible)
        complete &= done
        ws: list[float] = []
        ns: list[int] = []
        ps: list[int] = []
        ms: list[int] = []
        for o in opts:
            if not o.takes:
                continue
            w = o.logw + (prior.pairing_log_odds(o.pairs) if prior is not None else 0.0)
            if w > -math.inf:
                ws.append(w)
                ns.append(len(o.pairs))
                ps.extend(row[v] for v, _ in o.pairs)
                ms.extend(col[m] for _, m in o.pairs)
        fam_l.append(np.full(len(ws), fi, dtype=np.int64))
        logw_l.append(np.array(ws, dtype=float))
        npair_l.append(np.array(ns, dtype=np.int64))
        pm_l.append(np.array(ps, dtype=np.int64))
        mp_l.append(np.array(ms, dtype=np.int64))

    def cat(xs: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype=dtype)

    npair = cat(npair_l, np.int64)
    table = OptionTable(
        len(fams),
        len(problem.pm),
        cat(fam_l, np.int64),
        cat(logw_l, np.float64),
        np.concatenate([[0], np.cumsum(npair)]).astype(np.int64),
        cat(pm_l, np.int64),
        cat(mp_l, np.int64),
        np.array([len(problem.family_missing[f]) > 1 for f in fams], dtype=bool),
    )
    return table, complete


def _build_component(
    c: np.ndarray, t: OptionTable, keep: np.ndarray, problem: DVIProblem, fams: list[str]
) -> tuple[_Component, list[str]]:
    """The DP of one component from its kept options (PMs and families as ids for the answer)."""
    pm_ids, mp_ids = problem.pm, problem.missing
    opts = t.options_of(c)
    opts = opts[keep[opts]]
    pair_of: dict[int, _Pairs] = {}
    starts, ends = t.pair_start[opts].tolist(), t.pair_start[opts + 1].tolist()
    for o, a, b in zip(opts.tolist(), starts, ends, strict=True):
        pair_of[o] = tuple(
            (pm_ids[v], mp_ids[m])
            for v, m in zip(t.pair_pm[a:b].tolist(), t.pair_mp[a:b].tolist(), strict=True)
        )
    by_fam: dict[int, list[int]] = {int(f): [] for f in c}
    for o, f in zip(opts.tolist(), t.fam[opts].tolist(), strict=True):
        by_fam[f].append(o)
    pm_idx = sorted(kept_pms(t, keep, c).tolist(), key=lambda i: pm_ids[i])
    pms = [pm_ids[i] for i in pm_idx]
    logw = t.logw
    nf = t.n_fam
    if single_mp(t, keep, c) and len(c) < len(pms):
        # Units are PMs; the mask tracks which families (one MP each) are taken.
        fbit = {int(f): 1 << k for k, f in enumerate(c)}
        per_pm: dict[str, list[_UnitOption]] = {v: [(0, 0.0, ())] for v in pms}
        for f in c.tolist():
            for o in by_fam[f]:
                pairs = pair_of[o]
                per_pm[pairs[0][0]].append((fbit[f], float(logw[o]), pairs))
        return _Component(
            [per_pm[v] for v in pms], len(c), [nf + i for i in pm_idx], c.tolist()
        ), pms
    pbit = {v: 1 << k for k, v in enumerate(pms)}
    units = [
        [(0, 0.0, ())]
        + [(sum(pbit[v] for v, _ in pair_of[o]), float(logw[o]), pair_of[o]) for o in by_fam[f]]
        for f in c.tolist()
    ]
    return _Component(units, len(pms), c.tolist(), [nf + i for i in pm_idx]), pms


def _merge_best(lists: list[list[tuple[float, _Pairs]]], k: int) -> list[tuple[float, _Pairs]]:
    """The ``k`` best sums picking one entry of each list (each sorted best first)."""
    acc: list[tuple[float, _Pairs]] = [(0.0, ())]
    for lst in lists:
        if not lst:
            continue
        seen = {(0, 0)}
        heap = [(-(acc[0][0] + lst[0][0]), 0, 0)]
        out: list[tuple[float, _Pairs]] = []
        while heap and len(out) < k:
            negs, i, j = heapq.heappop(heap)
            out.append((-negs, acc[i][1] + lst[j][1]))
            for ni, nj in ((i + 1, j), (i, j + 1)):
                if ni < len(acc) and nj < len(lst) and (ni, nj) not in seen:
                    seen.add((ni, nj))
                    heapq.heappush(heap, (-(acc[ni][0] + lst[nj][0]), ni, nj))
        acc = out
    return acc
