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
   (see :func:`_neglected_bound`). A weak link of a PM that is surely someone else, or of a
   family surely matched, costs next to nothing.
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

Size: one module on purpose: the family options, the component DP (forward, backward, A*), the
pruning and the proof of its bound share their data structures and must be read as one method.
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
from repatria.kinship._numeric import DisjointSet, logsumexp, safe_exp
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, pairwise_lr
from repatria.kinship.errors import KinshipError
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
#: LR levels below which a sub-assignment of a too-large component may be left out, in turn.
#: A sub-assignment's weight relative to the larger of its family's sum and its PM's sum.
_PRUNE_LEVELS = (1e-30, 1e-20, 1e-15, 1e-12, 1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.3)


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


def _forward(units: list[list[_UnitOption]], bits: int) -> list[np.ndarray]:
    """``fwd[i][U]``: log of the summed weight of the choices of units ``< i`` using exactly ``U``.

    Returns ``len(units) + 1`` arrays of shape ``(2**bits,)``.
    """
    fwd = [np.full(1 << bits, -np.inf) for _ in range(len(units) + 1)]
    fwd[0][0] = 0.0
    for i, opts in enumerate(units):
        cur, nxt = fwd[i], fwd[i + 1]
        live = np.flatnonzero(cur > -np.inf)
        for mask, logw, _ in opts:
            src = live[(live & mask) == 0]
            dst = src | mask
            nxt[dst] = np.logaddexp(nxt[dst], cur[src] + logw)
    return fwd


class _Component:
    """Units (each picks one option) and a mask over the items options take, summed exactly."""

    def __init__(
        self,
        units: list[list[_UnitOption]],
        bits: int,
        unit_ids: Sequence[str] = (),
        bit_ids: Sequence[str] = (),
    ) -> None:
        self.units = units  # per unit: list of (mask, logw, pairs)
        self.bits = bits
        self.unit_ids = tuple(unit_ids)  # "F:fam" or "P:pm", one per unit
        self.bit_ids = tuple(bit_ids)  # "F:fam" or "P:pm", one per mask bit
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
            nb, nm = bwd[i], bmax[i]
            live = np.flatnonzero(bwd[i + 1] > -np.inf)
            for mask, logw, _ in units[i]:
                src = live[(live & mask) == 0]
                dst = src | mask
                nb[dst] = np.logaddexp(nb[dst], bwd[i + 1][src] + logw)
                nm[dst] = np.maximum(nm[dst], bmax[i + 1][src] + logw)
        self.bwd = bwd
        # hmax[i][U]: best completion from unit i using only items in U (A* heuristic).
        self.hmax = [_subset_transform(b, bits, np.maximum) for b in bmax]
        self._idx = idx

    def relaxed_log_z(self, free_logw: Mapping[str, float]) -> float:
        """Log of the sum with an entity left unassigned weighing ``exp(free_logw[id])``, not 1.

        An entity is a unit (its empty option) or a mask bit (left unset at the end).
        """
        size = 1 << self.bits
        units = [
            [
                (mask, logw + (free_logw.get(uid, 0.0) if mask == 0 and not pairs else 0.0), pairs)
                for mask, logw, pairs in opts
            ]
            for uid, opts in zip(self.unit_ids, self.units, strict=False)
        ]
        cur = _forward(units, self.bits)[-1]
        free = np.zeros(size)
        idx = np.arange(size)
        for j, bid in enumerate(self.bit_ids):
            w = free_logw.get(bid, 0.0)
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
            live = np.flatnonzero(cur > -np.inf)
            row = []
            for mask, logw, _ in opts:
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
    options: dict[str, list[_Option]] = {}
    proven = True
    possible = _possible(problem, pw)
    for f in fams:
        options[f], complete = _family_options(problem, pw, f, possible)
        proven &= complete
        if prior is not None:
            # A pairing the prior rules out carries no mass: drop it like an impossible one.
            for o in options[f]:
                o.logw += prior.pairing_log_odds(o.pairs)
            options[f] = [o for o in options[f] if o.logw > -math.inf]
    log_s = {f: logsumexp(np.array([o.logw for o in options[f]])) for f in fams}

    # Per-PM sums, for the second bound (valid when every family has one MP: then each option of a
    # family names one PM, and Z <= prod_v (1 + sum_f W_vf)).
    single_mp = all(len(problem.family_missing[f]) == 1 for f in fams)
    log_r: dict[str, float] = {}
    if single_mp:
        by_pm: dict[str, list[float]] = {v: [0.0] for v in pm}
        for f in fams:
            for o in options[f]:
                if o.takes:
                    by_pm[o.takes[0]].append(o.logw)
        log_r = {v: logsumexp(np.array(ws)) for v, ws in by_pm.items()}

    kept, levels = _prune(options, fams, exact_bits, max_bits, log_s)
    comps = [c for c, _ in levels]
    built = [_build_component(c, kept) for c in comps]
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

    kept_ids = {id(o) for f in fams for o in kept[f]}
    pruned = [(f, o) for f in fams for o in options[f] if o.takes and id(o) not in kept_ids]
    assigned = marginals[:, :-1].sum(axis=0)
    p_empty = {
        f: min((1.0 - assigned[col[m]] for m in problem.family_missing[f]), default=1.0)
        for f in fams
    }
    p_free = {v: float(marginals[row[v], -1]) for v in pm}
    neglected = _neglected_bound(
        pruned, log_s, log_r if single_mp else None, log_z, built, p_empty, p_free
    )
    ranked = _merge_best([comp.best(top) for comp, _ in built], top)
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
        "largest_mask_bits": max((comp.bits for comp, _ in built), default=0),
        "pruning_level": max((lv for _, lv in levels), default=0.0),
        "pruned_sub_assignments": len(pruned),
        "sub_assignments_evaluated": sum(len(o) for o in options.values()),
        "sub_assignments_kept": sum(len(o) for o in kept.values()),
    }
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
        exact_rows=_exact_rows(pm, pruned, built),
    )


def _exact_rows(
    pm: Sequence[str],
    pruned: list[tuple[str, _Option]],
    built: list[tuple[_Component, list[str]]],
) -> np.ndarray:
    """PMs whose rows are exact: no left-out option touches their component, which is then a
    component of the full model, summed whole."""
    row = {v: i for i, v in enumerate(pm)}
    touched = {"F:" + f for f, _ in pruned} | {"P:" + v for _, o in pruned for v in o.takes}
    exact = np.array(["P:" + v not in touched for v in pm], dtype=bool)
    for comp, comp_pms in built:
        if touched.intersection(comp.unit_ids, comp.bit_ids):
            exact[[row[v] for v in comp_pms]] = False
    return exact


def _prune(
    options: Mapping[str, list[_Option]],
    fams: list[str],
    exact_bits: int,
    max_bits: int,
    log_s: Mapping[str, float],
) -> tuple[dict[str, list[_Option]], list[tuple[list[str], float]]]:
    """Kept options per family, and the components with the LR level each was pruned at.

    Only components too large to sum cheaply are pruned, each on its own: a small component keeps
    everything, whatever happens elsewhere in the case.
    """
    kept = {f: list(options[f]) for f in fams}
    # An option is weak when it is small beside its family's other options or beside its PM's:
    # the family is then surely someone else's, or the PM is.
    by_pm: dict[str, list[float]] = {}
    for f in fams:
        for o in options[f]:
            for v in o.takes:
                by_pm.setdefault(v, [0.0]).append(o.logw)
    log_r = {v: logsumexp(np.array(ws)) for v, ws in by_pm.items()}
    score = {
        id(o): o.logw - max(log_s[f], max(log_r[v] for v in o.takes))
        for f in fams
        for o in options[f]
        if o.takes
    }
    done: list[tuple[list[str], float]] = []
    work = [(c, -1) for c in _components(kept, fams)]
    while work:
        c, li = work.pop()
        bits = _bits_needed(c, kept)
        if bits <= exact_bits:
            done.append((c, _PRUNE_LEVELS[li] if li >= 0 else 0.0))
            continue
        before = {f: kept[f] for f in c}
        for lj in range(li + 1, len(_PRUNE_LEVELS)):
            cut = math.log(_PRUNE_LEVELS[lj])
            for f in c:
                kept[f] = [o for o in kept[f] if not o.takes or score[id(o)] >= cut]
            subs = _components(kept, c)
            if len(subs) != 1 or _bits_needed(subs[0], kept) <= exact_bits:
                work.extend((s, lj) for s in subs)
                break
        else:
            # Pruning does not split it: sum it whole, exactly, if that can be done at all.
            kept.update(before)
            if bits > max_bits:
                raise KinshipError(
                    f"a part of the case links {bits} PMs or families so tightly that it cannot be "
                    f"summed (limit {max_bits}); split the case or raise max_bits"
                )
            done.append((c, _PRUNE_LEVELS[li] if li >= 0 else 0.0))
    if any(lv > 0 for _, lv in done):
        done = _add_back(options, fams, kept, done, score, min(exact_bits, ADD_BACK_BITS))
    return kept, done


def _add_back(
    options: Mapping[str, list[_Option]],
    fams: list[str],
    kept: dict[str, list[_Option]],
    done: list[tuple[list[str], float]],
    score: Mapping[int, float],
    exact_bits: int,
) -> list[tuple[list[str], float]]:
    """Put left-out options back, strongest first, wherever the components they join stay small.

    Splitting a component raises its level for all of it; many of its weak links could stay.
    """
    linked = _Linked({f for f in fams if len({m for o in options[f] for _, m in o.pairs}) > 1})
    for c, lv in done:
        root = "F:" + c[0]
        linked.add(root, lv)
        for f in c:
            linked.add("F:" + f, lv)
            for o in kept[f]:
                for v in o.takes:
                    linked.add("P:" + v, lv)
        for f in c:
            for o in kept[f]:
                for key in ("F:" + f, *("P:" + v for v in o.takes)):
                    linked.join(root, key)
    kept_ids = {id(o) for f in fams for o in kept[f]}
    left = sorted(
        ((f, o) for f in fams for o in options[f] if o.takes and id(o) not in kept_ids),
        key=lambda fo: -score[id(fo[1])],
    )
    for f, o in left:
        keys = ["F:" + f, *("P:" + v for v in o.takes)]
        for k in keys:
            linked.add(k, 0.0)
        if linked.bits_if_joined(keys) > exact_bits:
            continue
        kept[f].append(o)
        for k in keys[1:]:
            linked.join(keys[0], k)
    groups: dict[str, list[str]] = {}
    for f in fams:
        if any(o.takes for o in kept[f]):
            groups.setdefault(linked.find("F:" + f), []).append(f)
    return [(g, linked.level[linked.find("F:" + g[0])]) for g in groups.values()]


class _Linked:
    """Families (``"F:id"``) and PMs (``"P:id"``) joined into groups, with each group's size.

    Per group root: its families, its PMs, whether a family of several MPs is in it, and the
    largest pruning level of its parts.
    """

    def __init__(self, multi: set[str]) -> None:
        self.multi = multi  # families with several MPs
        self.sets = DisjointSet[str]()
        self.fam_n: dict[str, int] = {}
        self.pm_n: dict[str, int] = {}
        self.has_multi: dict[str, bool] = {}
        self.level: dict[str, float] = {}

    def add(self, key: str, lv: float) -> None:
        if key in self.sets:
            return
        self.sets.add(key)
        is_fam = key.startswith("F:")
        self.fam_n[key] = int(is_fam)
        self.pm_n[key] = int(key.startswith("P:"))
        self.has_multi[key] = key[2:] in self.multi if is_fam else False
        self.level[key] = lv

    def find(self, key: str) -> str:
        return self.sets.find(key)

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        self.sets.union(ra, rb)  # ``ra`` stays the root
        self.fam_n[ra] += self.fam_n[rb]
        self.pm_n[ra] += self.pm_n[rb]
        self.has_multi[ra] = self.has_multi[ra] or self.has_multi[rb]
        self.level[ra] = max(self.level[ra], self.level[rb])

    def bits_if_joined(self, keys: Sequence[str]) -> int:
        """Mask bits the DP would need for the groups of ``keys`` joined into one."""
        roots = {self.find(k) for k in keys}
        n_f = sum(self.fam_n[r] for r in roots)
        n_p = sum(self.pm_n[r] for r in roots)
        return n_p if any(self.has_multi[r] for r in roots) else min(n_p, n_f)


def _neglected_bound(
    pruned: list[tuple[str, _Option]],
    log_s: Mapping[str, float],
    log_r: Mapping[str, float] | None,
    log_z: float,
    built: list[tuple[_Component, list[str]]],
    p_empty: Mapping[str, float],
    p_free: Mapping[str, float],
) -> float:
    """A proven upper bound on the share of the total left out with the ``pruned`` options.

    *Relaxed kept model.* Every assignment splits uniquely into its set ``S`` of left-out options
    and a rest made of kept options in which the families and PMs of ``S`` take nothing, so
    ``Z = Σ_S ∏_{e∈S} W_e · Z_kept(−S)``. Letting the families of ``S`` take kept options again
    only adds terms, and ``S`` holds at most one option per family, so
    ``Z ≤ Σ_F ∏_{f∈F} w_f · Z_kept(−F) = Z'``, the kept model in which a family left empty weighs
    ``1 + w_f`` (``w_f`` the sum of its left-out factors) instead of 1. The same holds with PMs
    (weights ``1 + w_v``, each left-out option counted on its first PM), and with each option
    counted on whichever of its family and first PM the kept model leaves unassigned less often
    (each assignment still maps to distinct families and distinct PMs). ``Z'`` is summed by the
    same DP as the kept model, so the bound is ``(Z' − Z_kept) / Z'``: a left-out link of a PM that
    is surely someone else, or of a family surely matched, adds next to nothing.

    *Product bound.* A left-out option ``e`` of family ``f`` carries at most ``W_e`` times the
    largest sum over everything else, below ``∏_{g≠f} S_g`` and, when every family has one MP,
    below ``∏_{u≠v} R_u``.

    The smallest of the three is returned.
    """
    if not pruned:
        return 0.0
    log_k_fam = sum(log_s.values()) - log_z
    log_k_pm = sum(log_r.values()) - log_z if log_r is not None else math.inf
    terms = [
        o.logw + min(log_k_fam - log_s[f], log_k_pm - (log_r or {}).get(o.takes[0], 0.0))
        for f, o in pruned
    ]
    best = min(0.0, logsumexp(np.array(terms)))  # log of a bound on the left-out share

    def mixed(f: str, o: _Option) -> str:
        v = o.takes[0]
        return "F:" + f if p_empty.get(f, 1.0) <= p_free.get(v, 1.0) else "P:" + v

    for key in (lambda f, o: "F:" + f, lambda f, o: "P:" + o.takes[0], mixed):
        sums: dict[str, list[float]] = {}
        for f, o in pruned:
            sums.setdefault(key(f, o), []).append(o.logw)
        free_logw = {k: float(np.logaddexp(0.0, logsumexp(np.array(ws)))) for k, ws in sums.items()}
        in_comp = {i for comp, _ in built for i in (*comp.unit_ids, *comp.bit_ids)}
        log_z1 = sum(comp.relaxed_log_z(free_logw) for comp, _ in built)
        log_z1 += sum(w for k, w in free_logw.items() if k not in in_comp)
        # share left out <= (Z' - Z_kept) / Z' = 1 - exp(log_z - log_z1)
        gap = log_z - log_z1
        share = -math.expm1(gap) if gap < 0 else 0.0
        best = min(best, math.log(share) if share > 0 else -math.inf)
    # Rounding in the sums must not make the bound look smaller than it is.
    return (
        min(1.0, math.exp(best) + 1e-15 * len(pruned)) if best > -math.inf else 1e-15 * len(pruned)
    )


def _components(kept: Mapping[str, list[_Option]], fams: list[str]) -> list[list[str]]:
    """Families linked through the PMs of their kept options; families with no option left out."""
    linked = DisjointSet[str]()
    for f in fams:
        linked.add("F:" + f)
        for o in kept[f]:
            for v in o.takes:
                linked.union("F:" + f, "P:" + v)
    groups: dict[str, list[str]] = {}
    for f in fams:
        groups.setdefault(linked.find("F:" + f), []).append(f)
    return [g for g in groups.values() if any(o.takes for f in g for o in kept[f])]


def _pms_of(c: list[str], kept: Mapping[str, list[_Option]]) -> list[str]:
    return sorted({v for f in c for o in kept[f] for v in o.takes})


def _bits_needed(c: list[str], kept: Mapping[str, list[_Option]]) -> int:
    n_pm = len(_pms_of(c, kept))
    single = all(len({m for o in kept[f] for _, m in o.pairs}) <= 1 for f in c)
    return min(n_pm, len(c)) if single else n_pm


def _build_component(
    c: list[str], kept: Mapping[str, list[_Option]]
) -> tuple[_Component, list[str]]:
    pms = _pms_of(c, kept)
    single = all(len({m for o in kept[f] for _, m in o.pairs}) <= 1 for f in c)
    if single and len(c) < len(pms):
        # Units are PMs; the mask tracks which families (one MP each) are taken.
        fbit = {f: 1 << k for k, f in enumerate(c)}
        per_pm: dict[str, list[_UnitOption]] = {v: [(0, 0.0, ())] for v in pms}
        for f in c:
            for o in kept[f]:
                if o.takes:
                    per_pm[o.takes[0]].append((fbit[f], o.logw, o.pairs))
        return _Component(
            [per_pm[v] for v in pms], len(c), ["P:" + v for v in pms], ["F:" + f for f in c]
        ), pms
    pbit = {v: 1 << k for k, v in enumerate(pms)}
    units = [[(sum(pbit[v] for v in o.takes), o.logw, o.pairs) for o in kept[f]] for f in c]
    return _Component(units, len(pms), ["F:" + f for f in c], ["P:" + v for v in pms]), pms


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
