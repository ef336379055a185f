"""The joint search's family options on arrays: pruning, add-back and the bound on what is left out.

A realistic exchange has hundreds of thousands of weak options (every PM against every family it
is not excluded from), of which a few thousand are kept. Held as numpy arrays (family, log factor,
score, the PMs and MPs each option places), pruning levels, components
(:func:`scipy.sparse.csgraph.connected_components`), add-back and the bound's sums cost a few
vector passes; only the kept options of the components become DP units
(:mod:`repatria.kinship.joint`).

Nodes: family ``f`` is node ``f``, PM ``v`` node ``n_fam + v``. An option is non-empty: every
family's empty sub-assignment (factor 1) is implicit and never left out. The method and the proof
of the bound are in :mod:`repatria.kinship.joint`'s docstring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from repatria.kinship.errors import KinshipError

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: LR levels below which a sub-assignment of a too-large component may be left out, in turn.
#: A sub-assignment's weight relative to the larger of its family's sum and its PM's sum.
PRUNE_LEVELS = (1e-30, 1e-20, 1e-15, 1e-12, 1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.3)
#: How many add-back candidates are tried between two vectorised re-filterings.
_REFILTER_EVERY = 2048


@dataclass(eq=False)
class OptionTable:
    """The non-empty sub-assignments of every family, as arrays, in family order.

    Option ``o`` is of family ``fam[o]`` with natural-log factor ``logw[o]``; it places
    ``pair_pm[k]`` on ``pair_mp[k]`` for ``k`` in ``pair_start[o]:pair_start[o + 1]`` (its first
    PM first). The options of family ``f`` are ``fam_start[f]:fam_start[f + 1]``.
    """

    n_fam: int
    n_pm: int
    fam: IntArray
    logw: FloatArray
    pair_start: IntArray
    pair_pm: IntArray
    pair_mp: IntArray
    #: Families with several MPs in the case.
    several_mps: BoolArray

    def __post_init__(self) -> None:
        n = len(self.fam)
        self.fam_start = np.searchsorted(self.fam, np.arange(self.n_fam + 1)).astype(np.int64)
        self.pair_opt = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.pair_start))
        self.first_pm = self.pair_pm[self.pair_start[:-1]] if n else np.zeros(0, np.int64)
        self.single_pair = bool(np.all(np.diff(self.pair_start) == 1))
        # Families whose options place several distinct MPs (the DP then needs PM bits).
        fm = np.unique(self.fam[self.pair_opt] * (self.pair_mp.max(initial=0) + 1) + self.pair_mp)
        per_fam = np.bincount(fm // (self.pair_mp.max(initial=0) + 1), minlength=self.n_fam)
        self.multi = per_fam > 1

    @property
    def n_opt(self) -> int:
        return len(self.fam)

    def options_of(self, fams: IntArray) -> IntArray:
        """Indices of the options of these families, in order."""
        return ranges(self.fam_start[fams], self.fam_start[fams + 1])

    def pairs_of(self, opts: IntArray) -> IntArray:
        """Indices of the pairs of these options, in order."""
        if self.single_pair:
            return opts
        return ranges(self.pair_start[opts], self.pair_start[opts + 1])


def ranges(starts: IntArray, ends: IntArray) -> IntArray:
    """``concatenate([arange(s, e) for s, e in zip(starts, ends)])`` without the loop."""
    lens = np.maximum(ends - starts, 0)
    total = int(lens.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offs = np.cumsum(lens) - lens
    return np.repeat(starts - offs, lens) + np.arange(total, dtype=np.int64)


def segment_lse(values: FloatArray, seg: IntArray, n: int, with_zero: bool) -> FloatArray:
    """Per segment ``log Σ exp(values)`` (with a term ``exp(0)`` when ``with_zero``)."""
    top = np.full(n, 0.0 if with_zero else -np.inf)
    np.maximum.at(top, seg, values)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore"):
        # float even with no values (an empty bincount is int64, whatever its weights)
        s = np.bincount(seg, weights=np.exp(values - safe[seg]), minlength=n).astype(float)
        if with_zero:
            s += np.exp(-safe)
    with np.errstate(divide="ignore"):
        return np.asarray(np.where(np.isfinite(top), safe + np.log(s), top), dtype=float)


def lse(values: FloatArray) -> float:
    if not values.size:
        return -math.inf
    m = float(np.max(values))
    if not math.isfinite(m):
        return m
    return m + math.log(float(np.sum(np.exp(values - m))))


def scores(t: OptionTable, log_s: FloatArray) -> FloatArray:
    """Each option's log weight relative to the larger of its family's sum and its PMs' sums.

    Weak when small beside its family's other options or beside its PM's: the family is then
    surely someone else's, or the PM is.
    """
    if not t.n_opt:
        return np.zeros(0)
    log_r = segment_lse(t.logw[t.pair_opt], t.pair_pm, t.n_pm, with_zero=True)
    pm_top = np.maximum.reduceat(log_r[t.pair_pm], t.pair_start[:-1])
    return np.asarray(t.logw - np.maximum(log_s[t.fam], pm_top), dtype=float)


def components(t: OptionTable, keep: BoolArray, fams: IntArray) -> list[IntArray]:
    """Families of ``fams`` linked through the PMs of their kept options, each group sorted, in
    the order of their first family; families with no option kept are left out."""
    opt = t.options_of(fams)
    opt = opt[keep[opt]]
    if not opt.size:
        return []
    pr = t.pairs_of(opt)
    a = t.fam[t.pair_opt[pr]]
    b = t.n_fam + t.pair_pm[pr]
    size = t.n_fam + t.n_pm
    g = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(size, size))
    _, label = connected_components(g, directed=False)
    has = np.unique(t.fam[opt])
    labs = label[has]
    _, first, inv = np.unique(labs, return_index=True, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    groups = np.split(has[order], np.cumsum(np.bincount(inv))[:-1])
    return [groups[i] for i in np.argsort(first, kind="stable")]


def kept_pms(t: OptionTable, keep: BoolArray, c: IntArray) -> IntArray:
    """PM indices placed by the kept options of families ``c`` (sorted, unique)."""
    opt = t.options_of(c)
    return np.unique(t.pair_pm[t.pairs_of(opt[keep[opt]])])


def single_mp(t: OptionTable, keep: BoolArray, c: IntArray) -> bool:
    """Whether every family of ``c`` keeps options on one MP at most (then units may be PMs)."""
    many = c[t.several_mps[c]]
    if not many.size:
        return True
    opt = t.options_of(many)
    pr = t.pairs_of(opt[keep[opt]])
    key = np.unique(t.fam[t.pair_opt[pr]] * (int(t.pair_mp.max(initial=0)) + 1) + t.pair_mp[pr])
    return bool(np.all(np.bincount(key // (int(t.pair_mp.max(initial=0)) + 1)) <= 1))


def bits_needed(t: OptionTable, keep: BoolArray, c: IntArray) -> int:
    n_pm = len(kept_pms(t, keep, c))
    return min(n_pm, len(c)) if single_mp(t, keep, c) else n_pm


def prune(
    t: OptionTable,
    score: FloatArray,
    exact_bits: int,
    max_bits: int,
    add_back_bits: int,
) -> tuple[BoolArray, list[tuple[IntArray, float]]]:
    """Kept options, and the components (family indices) with the LR level each was pruned at.

    Only components too large to sum cheaply are pruned, each on its own: a small component keeps
    everything, whatever happens elsewhere in the case.
    """
    keep = np.ones(t.n_opt, dtype=bool)
    done: list[tuple[IntArray, float]] = []
    work = [(c, -1) for c in components(t, keep, np.arange(t.n_fam, dtype=np.int64))]
    while work:
        c, li = work.pop()
        bits = bits_needed(t, keep, c)
        if bits <= exact_bits:
            done.append((c, PRUNE_LEVELS[li] if li >= 0 else 0.0))
            continue
        opt_c = t.options_of(c)
        before = keep[opt_c].copy()
        for lj in range(li + 1, len(PRUNE_LEVELS)):
            keep[opt_c] &= score[opt_c] >= math.log(PRUNE_LEVELS[lj])
            subs = components(t, keep, c)
            if len(subs) != 1 or bits_needed(t, keep, subs[0]) <= exact_bits:
                work.extend((s, lj) for s in subs)
                break
        else:
            # Pruning does not split it: sum it whole, exactly, if that can be done at all.
            keep[opt_c] = before
            if bits > max_bits:
                raise KinshipError(
                    f"a part of the case links {bits} PMs or families so tightly that it cannot be "
                    f"summed (limit {max_bits}); split the case or raise max_bits"
                )
            done.append((c, PRUNE_LEVELS[li] if li >= 0 else 0.0))
    if any(lv > 0 for _, lv in done):
        done = add_back(t, keep, done, score, min(exact_bits, add_back_bits))
    return keep, done


def add_back(
    t: OptionTable,
    keep: BoolArray,
    done: list[tuple[IntArray, float]],
    score: FloatArray,
    exact_bits: int,
) -> list[tuple[IntArray, float]]:
    """Put left-out options back, strongest first, wherever the components they join stay small.

    Splitting a component raises its level for all of it; many of its weak links could stay.
    A group only grows, so the bits an option would need only grow: an option that is over the
    limit once stays over it, and most are dropped by vector passes before the sequential loop.
    """
    nf = t.n_fam
    size = nf + t.n_pm
    parent = np.arange(size, dtype=np.int64)
    fam_n = np.zeros(size, dtype=np.int64)
    fam_n[:nf] = 1
    pm_n = np.zeros(size, dtype=np.int64)
    pm_n[nf:] = 1
    multi = np.zeros(size, dtype=bool)
    multi[:nf] = t.multi
    level = np.zeros(size)
    for c, lv in done:
        root = int(c[0])
        pms = nf + kept_pms(t, keep, c)
        parent[c] = root
        parent[pms] = root
        fam_n[root], pm_n[root] = len(c), len(pms)
        multi[root] = bool(np.any(t.multi[c]))
        level[root] = lv
    left = np.flatnonzero(~keep)
    left = left[np.argsort(-score[left], kind="stable")]
    left = _still_fitting(t, left, parent, fam_n, pm_n, multi, exact_bits)
    par: list[int] = parent.tolist()
    fn: list[int] = fam_n.tolist()
    pn: list[int] = pm_n.tolist()
    mu: list[bool] = multi.tolist()
    lev: list[float] = level.tolist()

    def find(k: int) -> int:
        while par[k] != k:
            par[k] = par[par[k]]
            k = par[k]
        return k

    pair_start, pair_pm, fam = t.pair_start.tolist(), t.pair_pm.tolist(), t.fam.tolist()
    pos = 0
    while pos < len(left):
        chunk = left[pos : pos + _REFILTER_EVERY].tolist()
        pos += _REFILTER_EVERY
        for o in chunk:
            keys = [fam[o], *(nf + v for v in pair_pm[pair_start[o] : pair_start[o + 1]])]
            roots = {find(k) for k in keys}
            n_f = sum(fn[r] for r in roots)
            n_p = sum(pn[r] for r in roots)
            if (n_p if any(mu[r] for r in roots) else min(n_p, n_f)) > exact_bits:
                continue
            keep[o] = True
            ra = find(keys[0])
            for k in keys[1:]:
                rb = find(k)
                if rb != ra:
                    par[rb] = ra
                    fn[ra] += fn[rb]
                    pn[ra] += pn[rb]
                    mu[ra] = mu[ra] or mu[rb]
                    lev[ra] = max(lev[ra], lev[rb])
        if pos < len(left):
            rest = _still_fitting(
                t, left[pos:], _flatten(np.array(par)), np.array(fn), np.array(pn),
                np.array(mu), exact_bits,
            )  # fmt: skip
            left = np.concatenate([left[:pos], rest])
    final = _flatten(np.array(par))
    has = np.flatnonzero(np.bincount(t.fam[keep], minlength=nf) > 0)
    groups: dict[int, list[int]] = {}
    for f, r in zip(has.tolist(), final[has].tolist(), strict=True):
        groups.setdefault(r, []).append(f)
    return [(np.array(g, dtype=np.int64), lev[r]) for r, g in groups.items()]


def _flatten(parent: IntArray) -> IntArray:
    """Every node's root (full path compression, vectorised)."""
    while True:
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            return parent
        parent = nxt


def _still_fitting(
    t: OptionTable,
    opts: IntArray,
    roots: IntArray,
    fam_n: IntArray,
    pm_n: IntArray,
    multi: BoolArray,
    exact_bits: int,
) -> IntArray:
    """The options (order kept) that joining their groups, as ``roots`` has them now, leaves
    within ``exact_bits``; options of several PMs are always kept for the exact check."""
    if not opts.size:
        return opts
    several = np.diff(t.pair_start)[opts] > 1
    rf = roots[t.fam[opts]]
    rp = roots[t.n_fam + t.first_pm[opts]]
    same = rf == rp
    n_f = fam_n[rf] + np.where(same, 0, fam_n[rp])
    n_p = pm_n[rf] + np.where(same, 0, pm_n[rp])
    bits = np.where(multi[rf] | multi[rp], n_p, np.minimum(n_p, n_f))
    return opts[several | (bits <= exact_bits)]


class _Summed(Protocol):
    """A component summed by the DP, as the bound needs it."""

    log_z: float
    unit_nodes: IntArray
    bit_nodes: IntArray

    def relaxed_log_z(self, free_logw: FloatArray) -> float: ...


def neglected_bound(
    t: OptionTable,
    keep: BoolArray,
    log_s: FloatArray,
    log_r: FloatArray | None,
    log_z: float,
    built: Sequence[_Summed],
    p_empty: FloatArray,
    p_free: FloatArray,
) -> float:
    """A proven upper bound on the share of the total left out with the options not kept.

    The proof (relaxed kept model, product bound) is :func:`repatria.kinship.joint`'s module
    docstring, step 2: the smallest of the product bound and the three relaxed kept models
    (left-out options counted on their family, on their first PM, or on whichever of the two the
    kept model leaves unassigned less often) is returned.
    """
    pr = np.flatnonzero(~keep)
    if not pr.size:
        return 0.0
    fam, first, logw = t.fam[pr], t.first_pm[pr], t.logw[pr]
    nf = t.n_fam
    terms = logw + (float(np.sum(log_s)) - log_z - log_s[fam])
    if log_r is not None:
        terms = np.minimum(terms, logw + (float(np.sum(log_r)) - log_z - log_r[first]))
    best = min(0.0, lse(terms))  # log of a bound on the left-out share
    in_comp = np.zeros(nf + t.n_pm, dtype=bool)
    for comp in built:
        in_comp[comp.unit_nodes] = True
        in_comp[comp.bit_nodes] = True
    mixed = np.where(p_empty[fam] <= p_free[first], fam, nf + first)
    for node in (fam, nf + first, mixed):
        has = np.zeros(nf + t.n_pm, dtype=bool)
        has[node] = True
        free = np.where(has, np.logaddexp(0.0, segment_lse(logw, node, nf + t.n_pm, False)), 0.0)
        log_z1 = sum(
            comp.relaxed_log_z(free)
            if np.any(has[comp.unit_nodes]) or np.any(has[comp.bit_nodes])
            else comp.log_z
            for comp in built
        )
        log_z1 += float(np.sum(free[has & ~in_comp]))
        # share left out <= (Z' - Z_kept) / Z' = 1 - exp(log_z - log_z1)
        gap = log_z - log_z1
        share = -math.expm1(gap) if gap < 0 else 0.0
        best = min(best, math.log(share) if share > 0 else -math.inf)
    # Rounding in the sums must not make the bound look smaller than it is.
    slack = 1e-15 * len(pr)
    return min(1.0, math.exp(best) + slack) if best > -math.inf else slack


def exact_rows(
    t: OptionTable, keep: BoolArray, built: Sequence[_Summed], comp_pms: Sequence[IntArray]
) -> BoolArray:
    """PMs whose rows are exact: no left-out option touches their component, which is then a
    component of the full model, summed whole."""
    touched = np.zeros(t.n_fam + t.n_pm, dtype=bool)
    pr = np.flatnonzero(~keep)
    touched[t.fam[pr]] = True
    touched[t.n_fam + t.pair_pm[t.pairs_of(pr)]] = True
    exact = ~touched[t.n_fam :].copy()
    for comp, pms in zip(built, comp_pms, strict=True):
        if np.any(touched[comp.unit_nodes]) or np.any(touched[comp.bit_nodes]):
            exact[pms] = False
    return exact


def row_neglected_bounds(
    t: OptionTable,
    keep: BoolArray,
    built: Sequence[_Summed],
    comp_pms: Sequence[IntArray],
    p_empty: FloatArray,
    p_free: FloatArray,
) -> FloatArray:
    """Per PM, a proven bound ``β_C`` on the share of assignments that use a left-out option
    touching the PM's component ``C`` (a PM in no component is a component of its own).

    *Proof.* Let ``A0`` be the assignments using no left-out option that touches ``C`` (a family
    of ``C`` or a PM of ``C``). Each of them is a kept configuration of ``C`` times an assignment
    of everything outside ``C`` by options that touch nothing of ``C``, so
    ``Z(A0) = Z_C · Z_out`` and, for an event ``E`` on a PM of ``C``,
    ``Z(A0 ∩ E) = Z_C(E) · Z_out``. Any assignment splits into its left-out options ``S``
    touching ``C`` and a rest; charge each option of ``S`` to one of its ends in ``C`` (options
    of one assignment share no family and no PM, so charges are distinct). Dropping the rest's
    constraints outside ``C`` gives ``Z ≤ Z_out · Σ_X ∏_{x∈X} w_x · Z_C(−X) = Z_out · Z'_C``:
    the kept model of ``C`` in which an entity left free weighs ``1 + w_x`` (``w_x`` the summed
    factors of the options charged to it; charging an option to several ends only makes ``w``
    larger). Hence ``P(not A0) ≤ β_C = 1 − Z_C / Z'_C`` and, with ``p`` the kept marginal,
    ``p (1 − β_C) ≤ P(E) ≤ p + β_C (1 − p)``. An option with both ends in ``C`` is charged to
    whichever of its family and PM the kept model leaves free less often (any choice is valid);
    a left-out option with one end in ``C`` is charged to that end.
    """
    nf, size = t.n_fam, t.n_fam + t.n_pm
    beta = np.zeros(t.n_pm)
    pr = np.flatnonzero(~keep)
    if not pr.size:
        return beta
    comp_of = np.full(size, -1, dtype=np.int64)
    for i, comp in enumerate(built):
        comp_of[comp.unit_nodes] = i
        comp_of[comp.bit_nodes] = i
    fam, first, logw = t.fam[pr], t.first_pm[pr], t.logw[pr]
    one = np.diff(t.pair_start)[pr] == 1
    internal = one & (comp_of[fam] >= 0) & (comp_of[fam] == comp_of[nf + first])
    pairs = t.pairs_of(pr)
    pair_w = t.logw[t.pair_opt[pairs]]
    pair_node = nf + t.pair_pm[pairs]
    pair_internal = np.repeat(internal, np.diff(t.pair_start)[pr])
    in_comp_pm = comp_of[nf:] >= 0
    best = np.ones(len(built))
    lone = np.zeros(t.n_pm)  # PMs in no component: every option touching them is charged there
    for charge_fam in (p_empty[fam] <= p_free[first],):
        on_fam = ~internal | charge_fam
        on_pm = np.repeat(~internal | ~charge_fam, np.diff(t.pair_start)[pr]) | ~pair_internal
        nodes = np.concatenate([fam[on_fam], pair_node[on_pm]])
        ws = np.concatenate([logw[on_fam], pair_w[on_pm]])
        has = np.zeros(size, dtype=bool)
        has[nodes] = True
        free = np.where(has, np.logaddexp(0.0, segment_lse(ws, nodes, size, False)), 0.0)
        for i, comp in enumerate(built):
            if np.any(has[comp.unit_nodes]) or np.any(has[comp.bit_nodes]):
                gap = comp.log_z - comp.relaxed_log_z(free)
                best[i] = min(best[i], -math.expm1(gap) if gap < 0 else 0.0)
            else:
                best[i] = 0.0
        lone = -np.expm1(-free[nf:])
    for i, pms in enumerate(comp_pms):
        beta[pms] = best[i]
    beta[~in_comp_pm] = lone[~in_comp_pm]
    # Rounding in the sums must not make a bound look smaller than it is.
    return np.asarray(np.minimum(1.0, beta + 1e-12 * (beta > 0)), dtype=float)
