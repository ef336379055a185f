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
2. A sub-assignment whose factor is below ``prune`` times its family's sum ``S_f`` (or, when every
   family has one MP, below ``prune`` times its PM's sum ``R_v = 1 + Σ_f W_vf``) may be left out.
   The mass it could carry is bounded, provably: every assignment maps into the product of
   per-family sub-assignments, and (one MP per family) into the product of per-PM choices, so a
   left-out factor ``W_e`` carries at most ``W_e · min(∏_{g≠f} S_g, ∏_{u≠v} R_u)``. The sum of these,
   relative to the kept total, is reported as ``neglected_mass_bound``; it is 0 when nothing was
   left out. ``prune`` starts at 0 (exact) and is raised only when a component would otherwise be
   too large to sum exactly.
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

Prior: flat over all assignments (as dvir's ``dviJoint`` and ``Bmarginal``).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repatria import __version__
from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult, pairwise_lr
from repatria.kinship.errors import KinshipError
from repatria.kinship.probability import likelihood

__all__ = ["RankedAssignment", "JointResult", "joint_dvi", "count_assignments", "MAX_MASK_BITS"]

#: Largest bit mask a component's exact DP may use (2**bits states).
MAX_MASK_BITS = 20
#: Largest number of sub-assignments of one family evaluated by full pedigree likelihoods.
MAX_FAMILY_SUBASSIGNMENTS = 20_000
_PRUNE_LEVELS = (0.0, 1e-60, 1e-40, 1e-30, 1e-24, 1e-20, 1e-16, 1e-12, 1e-9, 1e-6, 1e-4)


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
    log_z : natural log of the sum of LRs of all assignments (the flat-prior normaliser).
    top : the best assignments, by likelihood.
    marginals : posterior pairing probabilities, shape ``(n_pm, n_missing + 1)``, last column ``*``.
    neglected_mass_bound : proven upper bound on the posterior mass of left-out sub-assignments.
    bound_proven : False only when a family had too many sub-assignments to evaluate them all.
    searched : how the space was searched (components, their sizes, pruning level).
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
    version: str = __version__


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
                for u, j in zip(reach, split):
                    free = group_list[u][1] - used[u]
                    mult *= math.perm(free, j)
                    nu[u] += j
                key = tuple(nu)
                new[key] = new.get(key, 0) + ways * mult
        states = new
        if len(states) > 2_000_000:
            raise KinshipError("the pairings are too irregular to count the assignment space")
    return sum(states.values())


def _splits(n: int, caps: list[int]):
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


@dataclass
class _Option:
    """One choice of a unit: the PMs/families it takes (as ids), its log factor."""

    takes: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]    # (pm, mp)
    logw: float


def _family_options(problem: DVIProblem, pw: PairwiseResult, famid: str) -> tuple[list[_Option], bool]:
    """All possible sub-assignments of a family with their log factors; False if capped."""
    mps = problem.family_missing[famid]
    row = {v: i for i, v in enumerate(problem.pm)}
    col = {m: j for j, m in enumerate(problem.missing)}
    opts = [_Option((), (), 0.0)]
    cands = {m: [v for v in problem.pm if problem.allowed(v, m) and pw.log_lr[row[v], col[m]] > -math.inf]
             for m in mps}
    for m in mps:
        for v in cands[m]:
            opts.append(_Option((v,), ((v, m),), float(pw.log_lr[row[v], col[m]])))
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
                    multi.append(tuple(zip(pms, chosen)))
    if len(multi) > MAX_FAMILY_SUBASSIGNMENTS:
        # Keep the placements built from each MP's strongest candidates; the rest is not evaluated.
        complete = False
        multi.sort(key=lambda s: -sum(pw.log_lr[row[v], col[m]] for v, m in s))
        multi = multi[:MAX_FAMILY_SUBASSIGNMENTS]
    for s in multi:
        prof = dict(base)
        for v, m in s:
            prof[m] = problem.pm_profiles.get(v, {})
        ll = likelihood(ped, problem.markers, prof).loglik
        logw = ll - fam_ll - sum(float(np.sum(problem.pm_logliks[v])) for v, _ in s)
        if logw > -math.inf:
            opts.append(_Option(tuple(v for v, _ in s), s, logw))
    return opts, complete


# --------------------------------------------------------------------------------------------
# exact sums over one component


def _logsumexp(a: np.ndarray) -> float:
    m = np.max(a) if a.size else -np.inf
    if not np.isfinite(m):
        return float(m)
    return float(m + np.log(np.sum(np.exp(a - m))))


def _subset_transform(h: np.ndarray, bits: int, op) -> np.ndarray:
    """``out[U] = op over all subsets S of U of h[S]`` (zeta transform), vectorised per bit."""
    out = h.copy()
    for j in range(bits):
        v = out.reshape(-1, 2, 1 << j)
        v[:, 1, :] = op(v[:, 1, :], v[:, 0, :])
    return out


class _Component:
    """Units (each picks one option) and a mask over the items options take, summed exactly."""

    def __init__(self, units: list[list[tuple[int, float, tuple]]], bits: int) -> None:
        self.units = units      # per unit: list of (mask, logw, pairs)
        self.bits = bits
        size = 1 << bits
        n = len(units)
        neg = np.full(size, -np.inf)
        fwd = [neg.copy() for _ in range(n + 1)]
        fwd[0][0] = 0.0
        idx = np.arange(size)
        for i, opts in enumerate(units):
            cur, nxt = fwd[i], fwd[i + 1]
            live = np.flatnonzero(cur > -np.inf)
            for mask, logw, _ in opts:
                src = live[(live & mask) == 0]
                dst = src | mask
                nxt[dst] = np.logaddexp(nxt[dst], cur[src] + logw)
        self.fwd = fwd
        self.log_z = _logsumexp(fwd[n])
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
                row.append(logw + _logsumexp(cur[a] + hsum[rest]))
            out.append(row)
        return out

    def best(self, k: int) -> list[tuple[float, tuple]]:
        """The ``k`` best assignments of the component: (log weight, pairs), best first."""
        full = (1 << self.bits) - 1
        n = len(self.units)
        heap: list[tuple[float, int, int, int, tuple]] = [(-self.hmax[0][full], 0, 0, 0, ())]
        counter = itertools.count()
        out: list[tuple[float, tuple]] = []
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


def joint_dvi(problem: DVIProblem, pairwise: PairwiseResult | None = None, top: int = 20,
              max_bits: int = MAX_MASK_BITS) -> JointResult:
    """Joint identification over the full assignment space (see the module docstring).

    Parameters
    ----------
    problem : the case.
    pairwise : its pairwise LRs, if already computed.
    top : how many of the best assignments to return.
    max_bits : the largest exact DP mask (``2**max_bits`` states per unit).

    Returns
    -------
    JointResult
    """
    pw = pairwise or pairwise_lr(problem)
    pm, missing = problem.pm, problem.missing
    loglik_pm = {v: float(np.sum(problem.pm_logliks[v])) for v in pm}
    fams = [f for f in problem.families if problem.family_missing[f]]
    loglik0 = sum(float(np.sum(pw.family_loglik[f])) for f in fams) + sum(loglik_pm.values())
    n_assign = count_assignments(pm, problem.pairings)
    if loglik0 == -math.inf:
        bad = [f for f in fams if np.sum(pw.family_loglik[f]) == -math.inf]
        raise KinshipError(f"the reference data of famil{'y' if len(bad) == 1 else 'ies'} {', '.join(bad)} "
                           f"are impossible under the mutation model: no assignment has a likelihood")
    options: dict[str, list[_Option]] = {}
    proven = True
    for f in fams:
        options[f], complete = _family_options(problem, pw, f)
        proven &= complete
    log_s = {f: _logsumexp(np.array([o.logw for o in options[f]])) for f in fams}

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
        log_r = {v: _logsumexp(np.array(ws)) for v, ws in by_pm.items()}

    def prunable(f: str, o: _Option, log_level: float) -> bool:
        if not o.takes:
            return False
        if o.logw < log_s[f] + log_level:
            return True
        return single_mp and o.logw < log_r[o.takes[0]] + log_level

    for level in _PRUNE_LEVELS:
        log_level = math.log(level) if level else -math.inf
        kept = {f: [o for o in options[f] if not prunable(f, o, log_level)] for f in fams}
        comps = _components(kept, fams)
        if all(_bits_needed(c, kept) <= max_bits for c in comps):
            break
    else:
        raise KinshipError("the case is too entangled to sum exactly even after pruning; split it or raise max_bits")

    built = [_build_component(c, kept) for c in comps]
    log_z = sum(comp.log_z for comp, _ in built)
    # Proven bound on what pruning left out, relative to what was kept: each left-out option e of
    # family f (PM v) carries at most W_e times the largest possible sum over everything else,
    # which is below both prod_{g != f} S_g and (one MP per family) prod_{u != v} R_u.
    neglected = 0.0
    left = [(f, o) for f in fams for o in options[f] if o.takes and prunable(f, o, log_level)]
    if left:
        log_k_fam = sum(log_s.values()) - log_z
        log_k_pm = sum(log_r.values()) - log_z if single_mp else math.inf
        terms = [o.logw + min(log_k_fam - log_s[f], log_k_pm - log_r.get(o.takes[0], 0.0)) for f, o in left]
        neglected = min(1.0, math.exp(min(_logsumexp(np.array(terms)), 0.0)))

    marginals = np.zeros((len(pm), len(missing) + 1))
    row = {v: i for i, v in enumerate(pm)}
    col = {m: j for j, m in enumerate(missing)}
    for comp, _ in built:
        for opts, logs in zip(comp.units, comp.option_log_marginals()):
            for (_, _, pairs), lm in zip(opts, logs):
                p = math.exp(lm - comp.log_z)
                for v, m in pairs:
                    marginals[row[v], col[m]] += p
    marginals[:, -1] = np.clip(1.0 - marginals[:, :-1].sum(axis=1), 0.0, 1.0)

    ranked = _merge_best([comp.best(top) for comp, _ in built], top)
    top_list = []
    for logw, pairs in ranked:
        a = {v: NOBODY for v in pm}
        for v, m in pairs:
            a[v] = m
        loglik = loglik0 + logw
        top_list.append(RankedAssignment(a, loglik, math.exp(logw) if logw < 709 else math.inf,
                                         math.exp(logw - log_z)))
    searched = {
        "components": len(built),
        "largest_component": max((len(c) for c in comps), default=0),
        "largest_mask_bits": max((comp.bits for comp, _ in built), default=0),
        "pruning_level": level,
        "sub_assignments_evaluated": sum(len(o) for o in options.values()),
        "sub_assignments_kept": sum(len(o) for o in kept.values()),
    }
    return JointResult(pm, missing, n_assign, loglik0, log_z, top_list, marginals, neglected, proven, searched)


def _components(kept: Mapping[str, list[_Option]], fams: list[str]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for f in fams:
        find("F:" + f)
        for o in kept[f]:
            for v in o.takes:
                parent[find("P:" + v)] = find("F:" + f)
    groups: dict[str, list[str]] = {}
    for f in fams:
        groups.setdefault(find("F:" + f), []).append(f)
    return [g for g in groups.values() if any(o.takes for f in g for o in kept[f])]


def _pms_of(c: list[str], kept: Mapping[str, list[_Option]]) -> list[str]:
    return sorted({v for f in c for o in kept[f] for v in o.takes})


def _bits_needed(c: list[str], kept: Mapping[str, list[_Option]]) -> int:
    n_pm = len(_pms_of(c, kept))
    single = all(len({m for o in kept[f] for _, m in o.pairs}) <= 1 for f in c)
    return min(n_pm, len(c)) if single else n_pm


def _build_component(c: list[str], kept: Mapping[str, list[_Option]]) -> tuple[_Component, list[str]]:
    pms = _pms_of(c, kept)
    single = all(len({m for o in kept[f] for _, m in o.pairs}) <= 1 for f in c)
    if single and len(c) < len(pms):
        # Units are PMs; the mask tracks which families (one MP each) are taken.
        fbit = {f: 1 << k for k, f in enumerate(c)}
        per_pm: dict[str, list[tuple[int, float, tuple]]] = {v: [(0, 0.0, ())] for v in pms}
        for f in c:
            for o in kept[f]:
                if o.takes:
                    per_pm[o.takes[0]].append((fbit[f], o.logw, o.pairs))
        return _Component([per_pm[v] for v in pms], len(c)), pms
    pbit = {v: 1 << k for k, v in enumerate(pms)}
    units = [[(sum(pbit[v] for v in o.takes), o.logw, o.pairs) for o in kept[f]] for f in c]
    return _Component(units, len(pms)), pms


def _merge_best(lists: list[list[tuple[float, tuple]]], k: int) -> list[tuple[float, tuple]]:
    """The ``k`` best sums picking one entry of each list (each sorted best first)."""
    acc: list[tuple[float, tuple]] = [(0.0, ())]
    for lst in lists:
        if not lst:
            continue
        seen = {(0, 0)}
        heap = [(-(acc[0][0] + lst[0][0]), 0, 0)]
        out = []
        while heap and len(out) < k:
            negs, i, j = heapq.heappop(heap)
            out.append((-negs, acc[i][1] + lst[j][1]))
            for ni, nj in ((i + 1, j), (i, j + 1)):
                if ni < len(acc) and nj < len(lst) and (ni, nj) not in seen:
                    seen.add((ni, nj))
                    heapq.heappush(heap, (-(acc[ni][0] + lst[nj][0]), ni, nj))
        acc = out
    return acc
