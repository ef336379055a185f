"""Screening tables' contractions: the kinship core's factor network, batched over families.

Tables for many families are built in batches: families with the same pedigree shape, the same MP
and the same typed people at a marker share one contraction of the core's factor network, with
the references' observations stacked along an extra batch axis.

The genotype-code layout these helpers fill is described in :mod:`repatria.kinship.screening`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import opt_einsum as oe
import scipy.sparse as sp

from repatria.kinship._numeric import BoundedCache
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Sex
from repatria.kinship.probability import AlleleVar, Factor, MarkerNetwork

#: How batched contractions are ordered (opt_einsum's ``optimize``).
PATH = "greedy"


def _marker_genotypes(
    profiles: Mapping[str, Mapping[str, Genotype]], name: str
) -> dict[str, Genotype]:
    out = {}
    for pid, prof in profiles.items():
        g = prof.get(name)
        if g is not None and not (g[0] is None and g[1] is None):
            out[pid] = g
    return out


_PAIRS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _pairs(nk: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` allele codes of the genotype codes ``0 .. nk (nk + 1) / 2 - 1``: ``a <= b``,
    code ``b (b + 1) / 2 + a``."""
    hit = _PAIRS.get(nk)
    if hit is None:
        ai, bi = np.triu_indices(nk)
        order = np.lexsort((ai, bi))
        hit = _PAIRS[nk] = (ai[order], bi[order])
    return hit


#: The batch axis of a batched contraction (families of one group), a variable of its own.
_Z: tuple[Hashable, ...] = ("__batch__",)
#: Allele variables of each typed reference.
_VarsOf = Mapping[str, tuple[AlleleVar, ...]]


def _group_tables(
    problem: DVIProblem,
    m: Marker,
    seen: tuple[int, ...],
    cols: list[int],
    typed_pos: tuple[int, ...],
    raw_obs: np.ndarray,
    batch_entries: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Tables of MPs that share a pedigree shape, a position and a typing pattern at marker ``m``.

    ``raw_obs[z, r]``: allele indices (-1: unknown) of typed reference ``r`` of member ``z``.
    Returns ``(values (len(cols), n_codes), loglik (len(cols),), keep)``.
    """
    if m.silent_index is not None:
        return _core_tables(problem, m, seen, cols)
    rep = cols[0]
    mp0 = problem.missing[rep]
    fam0 = problem.missing_family[mp0]
    ped0 = problem.families[fam0]
    geno0 = _marker_genotypes(problem.am_profiles.get(fam0, {}), m.name)
    net = MarkerNetwork(ped0, m, geno0, 0.0, targets=(mp0,), lumping="exact", extra_seen=seen)
    keep = net.keep
    n = net.n
    obs_pids0 = [ped0.ids[i] for i in typed_pos]
    # The references' observations are supplied below, stacked along the batch axis.
    base = net.factors(observations=False)
    out_vars = net.allele_vars(mp0)
    nk = len(keep) if keep is not None else n
    values = np.empty((len(cols), nk * (nk + 1) // 2 + nk))
    loglik = np.empty(len(cols))
    ai, bi = _pairs(nk)
    if not obs_pids0:
        table = net.contract(base, out_vars)
        if len(out_vars) == 1:
            sym = np.diag(table)[None]
        else:
            sym = _symmetric(table[None])
        values[:], loglik[:] = _values(sym, ai, bi, nk)
        return values, loglik, keep
    var_of = {pid: net.allele_vars(pid) for pid in obs_pids0}
    if keep is not None:
        # The network's codes of the marker's alleles (the references' are all kept).
        lut = np.append(net.allele_codes(), -1)
        raw_obs = lut[raw_obs]  # -1 indexes the last entry, which stays -1
    obs_idx = [np.ascontiguousarray(raw_obs[:, r, :]) for r in range(len(obs_pids0))]
    partial = any((arr < 0).any() for arr in obs_idx)
    if partial:
        chunk = _chunk(base, var_of, obs_pids0, out_vars, n, len(cols), batch_entries)
    else:
        probe = min(len(cols), 8)
        eq, arrays = _sliced_eq(base, var_of, obs_pids0, [o[:probe] for o in obs_idx], out_vars, 0)
        largest = _largest_intermediate(eq, tuple(a.shape for a in arrays))
        chunk = int(max(1, min(len(cols), batch_entries // max(1.0, largest / probe))))
    for s in range(0, len(cols), chunk):
        sl = slice(s, min(len(cols), s + chunk))
        if partial:
            table = _dense_obs_table(base, var_of, obs_pids0, [o[sl] for o in obs_idx], out_vars, n)
        else:
            table = _sliced_table(base, var_of, obs_pids0, [o[sl] for o in obs_idx], out_vars)
        if len(out_vars) == 1:
            sym = np.zeros((table.shape[0], n, n))
            idx = np.arange(n)
            sym[:, idx, idx] = table
        else:
            sym = _symmetric(table)
        values[sl], loglik[sl] = _values(sym, ai, bi, nk)
    return values, loglik, keep


#: Largest intermediates of planned probe contractions: (equation, shapes) -> entries.
_LARGEST: BoundedCache[tuple[str, tuple[tuple[int, ...], ...]], float] = BoundedCache(4096)


def _largest_intermediate(eq: str, shapes: tuple[tuple[int, ...], ...]) -> float:
    """Entries of the largest intermediate of ``eq`` on arrays of ``shapes``, along a greedy
    path: only the batch size is chosen from it, so a quick plan is enough."""
    hit = _LARGEST.get((eq, shapes))
    if hit is None:
        info = oe.contract_path(eq, *shapes, shapes=True, optimize="greedy")[1]
        hit = float(info.largest_intermediate)
        _LARGEST.put((eq, shapes), hit)
    return hit


#: Planned batched contractions: (equation, shapes) -> opt_einsum expression.
_EXPRESSIONS: BoundedCache[tuple[str, tuple[tuple[int, ...], ...]], Any] = BoundedCache(1024)


def _contract(eq: str, arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``np.einsum(eq, *arrays)`` along a greedy path, planned once per shape.

    The batched networks are small (a pedigree's allele variables and a batch axis), where the
    greedy order is as good as an exhaustive search and costs a fraction of its planning.
    """
    key = (eq, tuple(a.shape for a in arrays))
    expr = _EXPRESSIONS.get(key)
    if expr is None:
        expr = oe.contract_expression(eq, *key[1], optimize=PATH)
        _EXPRESSIONS.put(key, expr)
    return np.asarray(expr(*arrays))


def _core_tables(
    problem: DVIProblem, m: Marker, seen: tuple[int, ...], cols: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`_group_tables` one family at a time with the core's own observation factors: at a
    marker with a silent allele, where a single peak ``a`` of a reference is ``a/a`` or
    ``a/silent`` (the batched observations above know only ``a/a``)."""
    values: np.ndarray | None = None
    loglik = np.empty(len(cols))
    keep: np.ndarray | None = None
    for z, j in enumerate(cols):
        mp = problem.missing[j]
        fam = problem.missing_family[mp]
        geno = _marker_genotypes(problem.am_profiles.get(fam, {}), m.name)
        net = MarkerNetwork(
            problem.families[fam], m, geno, 0.0, targets=(mp,), lumping="exact", extra_seen=seen
        )
        out_vars = net.allele_vars(mp)
        table = net.contract(net.factors(), out_vars)
        sym = np.diag(table)[None] if len(out_vars) == 1 else _symmetric(table[None])
        keep = net.keep
        nk = len(keep) if keep is not None else net.n
        ai, bi = _pairs(nk)
        vals, ll = _values(sym, ai, bi, nk)
        if values is None:
            values = np.empty((len(cols), vals.shape[1]))
        values[z], loglik[z] = vals[0], ll[0]
    if values is None:  # not reached: a group has at least one column
        raise KinshipError("a table group had no MP")
    return values, loglik, keep


def _chunk(
    base: list[Factor],
    var_of: _VarsOf,
    pids: list[str],
    out_vars: tuple[AlleleVar, ...],
    n: int,
    n_cols: int,
    batch_entries: int,
) -> int:
    """Families per contraction so that the largest intermediate stays near ``batch_entries``."""
    probe = min(n_cols, 8)
    eq, arrays = _batched_eq(
        base, [(var_of[p], np.zeros((probe,) + (n,) * len(var_of[p]))) for p in pids], out_vars
    )
    per = max(1.0, _largest_intermediate(eq, tuple(a.shape for a in arrays)) / probe)
    return int(max(1, min(n_cols, batch_entries // per)))


def _dense_obs_table(
    base: list[Factor],
    var_of: _VarsOf,
    pids: list[str],
    obs_idx: list[np.ndarray],
    out_vars: tuple[AlleleVar, ...],
    n: int,
) -> np.ndarray:
    """The core's observation factors, stacked along the batch axis (any genotype, also ``a/-``)."""
    z = len(obs_idx[0])
    obs = []
    rz = np.arange(z)
    for pid, arr in zip(pids, obs_idx, strict=False):
        nv = len(var_of[pid])
        o = np.zeros((z,) + (n,) * nv)
        a, b = arr[:, 0], arr[:, 1]
        full = (a >= 0) & (b >= 0)
        if nv == 1:
            o[rz, np.where(a >= 0, a, b)] = 1.0
        else:
            o[rz[full], a[full], b[full]] = 1.0
            o[rz[full], b[full], a[full]] = 1.0
            x = np.where(a >= 0, a, b)
            for r in np.flatnonzero(~full):
                o[r, x[r], :] = 1.0
                o[r, :, x[r]] = 1.0
        obs.append((var_of[pid], o))
    eq, arrays = _batched_eq(base, obs, out_vars)
    return _contract(eq, arrays)


def _sliced_table(
    base: list[Factor],
    var_of: _VarsOf,
    pids: list[str],
    obs_idx: list[np.ndarray],
    out_vars: tuple[AlleleVar, ...],
) -> np.ndarray:
    """Fully typed references: their allele variables are fixed, not summed against a one-hot.

    A heterozygote ``{a, b}`` is the sum of its two phases; each phase gathers the factors that
    touch the reference's allele variables at the observed alleles, per family of the batch. This
    is the same sum as the core's, ordered so that the work is ``families × k^3`` per phase for the
    usual shapes instead of ``k^5``.
    """
    z = len(obs_idx[0])
    two = [i for i, p in enumerate(pids) if len(var_of[p]) == 2]
    total = None
    for phase in range(1 << len(two)):
        fixed: dict[Hashable, np.ndarray] = {}
        weight = np.ones(z)
        for i, pid in enumerate(pids):
            a, b = obs_idx[i][:, 0], obs_idx[i][:, 1]
            vs = var_of[pid]
            if len(vs) == 1:
                fixed[vs[0]] = a
                continue
            flip = (phase >> two.index(i)) & 1
            fixed[vs[0]], fixed[vs[1]] = (b, a) if flip else (a, b)
            if flip:
                weight = weight * (a != b)  # a homozygote has one phase only
        if not weight.any():
            continue
        eq, arrays = _sliced_eq(base, var_of, pids, obs_idx, out_vars, phase, fixed, weight)
        t = _contract(eq, arrays)
        total = t if total is None else total + t
    if total is None:  # not reached: phase 0 has every weight 1 and the batch is not empty
        raise KinshipError("a batched table contraction had no family in its batch")
    return total


def _sliced_eq(
    base: list[Factor],
    var_of: _VarsOf,
    pids: list[str],
    obs_idx: list[np.ndarray],
    out_vars: tuple[AlleleVar, ...],
    phase: int,
    fixed: dict[Hashable, np.ndarray] | None = None,
    weight: np.ndarray | None = None,
) -> tuple[str, list[np.ndarray]]:
    """The einsum of one phase: factors gathered at the fixed alleles, a batch axis in front."""
    if fixed is None:  # for path planning: phase 0 of the given rows
        fixed = {}
        for i, pid in enumerate(pids):
            for v, col in zip(var_of[pid], (0, 1), strict=False):
                fixed[v] = obs_idx[i][:, col]
    if weight is None:
        weight = np.ones(len(obs_idx[0]))
    factors: list[Factor] = []
    for vs, arr in base:
        fx = [k for k, v in enumerate(vs) if v in fixed]
        if not fx:
            factors.append((vs, arr))
            continue
        free = [k for k, v in enumerate(vs) if v not in fixed]
        moved = np.transpose(arr, fx + free)
        gathered = moved[tuple(fixed[vs[k]] for k in fx)]
        factors.append((_Z + tuple(vs[k] for k in free), gathered))
    factors.append((_Z, weight))
    return _batched_eq(factors, [], out_vars)


def _batched_eq(
    base: Sequence[Factor], obs: Sequence[Factor], out_vars: Sequence[Hashable]
) -> tuple[str, list[np.ndarray]]:
    """The einsum of ``base`` and the batched ``obs`` (a batch axis in front of each), whose
    output has the batch axis, then ``out_vars``: ``(equation, arrays)``."""
    symbols: dict[Hashable, str] = {}

    def sym(vs: Iterable[Hashable]) -> str:
        return "".join(symbols.setdefault(v, oe.get_symbol(len(symbols))) for v in vs)

    terms = [sym(v) for v, _ in base] + [sym(_Z + tuple(v)) for v, _ in obs]
    return ",".join(terms) + "->" + sym(_Z + tuple(out_vars)), [a for _, a in base] + [
        a for _, a in obs
    ]


def _symmetric(table: np.ndarray) -> np.ndarray:
    """Ordered (paternal, maternal) tables → unordered genotype tables, as the core does."""
    sym: np.ndarray = table + np.swapaxes(table, 1, 2)
    idx = np.arange(table.shape[1])
    sym[:, idx, idx] = table[:, idx, idx]
    return sym


def _values(
    sym: np.ndarray, ai: np.ndarray, bi: np.ndarray, nk: int
) -> tuple[np.ndarray, np.ndarray]:
    total = np.triu(sym).sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.where(total > 0, np.log(np.where(total > 0, total, 1.0)), -np.inf)
        # Rows include the lump column: a PM "a/-" may carry any second allele.
        raw = np.concatenate([sym[:, ai, bi], sym[:, :nk, :].sum(axis=2)], axis=1)
        raw = np.maximum(raw, 0.0)  # rounding below zero on impossible configurations
        vals = np.log(raw) - ll[:, None]
    return vals, ll


def _obs_indices(
    m: Marker, g: Genotype, pid: str, sex: Sex, remap: Mapping[int, int] | None
) -> tuple[int | None, int | None]:
    """Allele indices of ``pid``'s genotype (``None`` for an unknown allele), validated."""
    a = None if g[0] is None else m.allele_index(g[0], who=pid)
    b = None if g[1] is None else m.allele_index(g[1], who=pid)
    if m.is_x and sex == Sex.MALE and a is not None and b is not None and a != b:
        raise KinshipError(
            f"'{pid}' is male but heterozygous ({g[0]}/{g[1]}) at X-linked marker {m.name}; "
            f"males carry one X allele"
        )
    if remap is not None:
        a = None if a is None else remap[a]
        b = None if b is None else remap[b]
    return a, b


def _onehot(codes: np.ndarray, n_rows: int, dtype: type = np.float64) -> sp.csr_matrix:
    """The PMs of ``codes`` as a sparse 0/1 matrix ``(n_pm, n_rows)``, one 1 per typed marker."""
    typed = codes >= 0
    indptr = np.concatenate([[0], np.cumsum(typed.sum(axis=1))])
    return sp.csr_matrix(
        (np.ones(int(indptr[-1]), dtype=dtype), codes[typed].astype(np.int64), indptr),
        shape=(codes.shape[0], n_rows),
    )
