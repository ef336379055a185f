"""Screening at scale: the LR of every PM sample against every missing person, streamed in blocks.

The pairwise LR of PM ``v`` placed on MP ``m`` (see :mod:`repatria.kinship.dvi`) is, marker by
marker, ``P(references, m has v's genotype) / (P(references) P(v's genotype))``. The first factor
depends on ``v`` only through its genotype, so for each MP and marker the likelihood of every
genotype the MP could have is computed once (the kinship core's genotype tables); a PM's log LR is
then a sum over markers of table lookups, minus the PM's own Hardy–Weinberg log-probability.

Layout for vectorised lookup
----------------------------
For each marker, the alleles that any PM or reference carries get integer codes ``0..k-1`` (the
others are lumped by the core where the mutation model allows it exactly; no PM can ask for them).
A genotype ``{a, b}`` with ``a <= b`` has pair code ``b (b + 1) / 2 + a``; a partly typed genotype
``a/-`` has code ``k (k + 1) / 2 + a`` and its value is the table's row sum (every genotype that
contains ``a``). Codes of all markers are laid end to end, so one MP is one column of a flat table
``logt[code, mp] = log P(references, MP = genotype) - log P(references)``. A block of PMs is a
sparse 0/1 matrix (one non-zero per typed marker); ``block @ logt`` is then every PM × MP log LR of
the block at once, untyped markers contributing 0 (LR 1).

Tables for many families are built in batches: families with the same pedigree shape, the same MP
and the same typed people at a marker share one contraction of the core's factor network, with
the references' observations stacked along an extra batch axis.

Candidates
----------
Output is never the dense matrix: a pair is kept if its LR is at least ``min_lr`` and, when ``top``
is given, its LR is among the ``top`` largest of its PM or among the ``top`` largest of its family
(ties at the K-th value are all kept, which makes the result independent of the block size).

Differences from :func:`repatria.kinship.dvi.pairwise_lr`: none in the LRs of fully typed PM
genotypes (tested to 1e-9 relative). For a partly typed PM genotype ``a/-`` this module sums the
table over every genotype containing ``a``, including alleles lumped away; the core's ``nansum``
over the unlumped columns leaves the lumped ones out.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import opt_einsum as oe
import scipy.sparse as sp

from repatria import __version__
from repatria.kinship._numeric import safe_exp_array
from repatria.kinship.dvi import NOBODY, DefaultPairings, DVIProblem, pm_loglik
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Pedigree, Sex
from repatria.kinship.probability import AlleleVar, Factor, MarkerNetwork, contract

__all__ = [
    "ScreeningTables",
    "EncodedPM",
    "ScreenResult",
    "build_tables",
    "encode_pm",
    "score_block",
    "screen",
]

#: Entries of the largest intermediate tensor a batched table contraction may build.
BATCH_ENTRIES = 1 << 22
METHOD = (
    "per-MP genotype tables from the kinship core's contraction (batched per pedigree shape), "
    "PM blocks scored by a sparse product; theta 0, mutation models as stored"
)

#: Entries (PM × MP) of one scored block.
BLOCK_ENTRIES = 1 << 22

Progress = Callable[[str, int, int], None]


# --------------------------------------------------------------------------------------------
# tables


@dataclass(frozen=True, eq=False)
class ScreeningTables:
    """Per-MP log genotype tables of a case, laid out for lookup (see the module docstring).

    Attributes
    ----------
    markers : marker names, in order.
    missing, family, mp_sex : one entry per column (MP), in the problem's ``missing`` order.
    codes : per marker, allele label -> code.
    offsets : start of each marker's codes in the flat table; ``offsets[-1]`` is its length.
    logt : ``(offsets[-1], n_missing)`` float64, ``log P(refs, MP = g) - log P(refs)``.
    family_loglik : ``(n_missing, n_markers)``, the references' own log-likelihood per marker.
    """

    markers: tuple[str, ...]
    missing: tuple[str, ...]
    family: tuple[str, ...]
    mp_sex: np.ndarray
    codes: tuple[dict[str, int], ...]
    offsets: np.ndarray
    logt: np.ndarray
    family_loglik: np.ndarray
    seconds: float = 0.0

    @property
    def n_codes(self) -> int:
        """Rows of the flat table: codes of all markers."""
        return int(self.offsets[-1])

    def n_alleles(self, k: int) -> int:
        """Alleles with a code at marker ``k`` (the lump excluded)."""
        return len(self.codes[k])


def _marker_genotypes(
    profiles: Mapping[str, Mapping[str, Genotype]], name: str
) -> dict[str, Genotype]:
    out = {}
    for pid, prof in profiles.items():
        g = prof.get(name)
        if g is not None and not (g[0] is None and g[1] is None):
            out[pid] = g
    return out


#: Pedigree structure up to labels: ``(father pos, mother pos, sex)`` per person, -1 for none.
_ShapeSig = tuple[tuple[int, int, int], ...]
#: Families whose tables are built in one batch: (shape, MP position, positions of the typed).
_GroupKey = tuple[_ShapeSig, int, tuple[int, ...]]


def _shape(ped: Pedigree) -> tuple[tuple[str, ...], _ShapeSig]:
    """Pedigree structure up to labels: (ids in order, (father pos, mother pos, sex) per person)."""
    pos: dict[str | None, int] = {pid: i for i, pid in enumerate(ped.ids)}
    sig = tuple(
        (pos.get(ped[i].father, -1), pos.get(ped[i].mother, -1), int(ped[i].sex)) for i in ped.ids
    )
    return ped.ids, sig


def build_tables(
    problem: DVIProblem,
    alleles: Mapping[str, set[str]] | None = None,
    progress: Progress | None = None,
    batch_entries: int = BATCH_ENTRIES,
) -> ScreeningTables:
    """Every MP's log genotype table at every marker (pure; the heavy part of a screen).

    ``alleles``: per marker, the PM alleles the tables must answer for (default: those of the
    problem's PMs). Alleles carried by references are always kept.
    """
    t0 = time.perf_counter()
    markers = problem.markers
    missing = problem.missing
    n_mp = len(missing)
    alleles = problem.pm_alleles if alleles is None else alleles
    shapes = {f: _shape(ped) for f, ped in problem.families.items()}
    codes: list[dict[str, int]] = []
    blocks: list[np.ndarray] = []
    fam_ll = np.zeros((n_mp, len(markers)))
    offsets = np.zeros(len(markers) + 1, dtype=np.int64)
    col_family = tuple(problem.missing_family[mp] for mp in missing)
    refs: dict[str, tuple[dict[str, int], list[tuple[int, str, Mapping[str, Genotype], Sex]]]] = {}
    for famid, ped in problem.families.items():
        pos = {pid: i for i, pid in enumerate(ped.ids)}
        order = sorted((pos[pid], pid) for pid in problem.am_profiles.get(famid, {}) if pid in pos)
        refs[famid] = (
            pos,
            [(i, pid, problem.am_profiles[famid][pid], ped[pid].sex) for i, pid in order],
        )
    for k, m in enumerate(markers):
        seen_set = {m.allele_index(a, who="PM sample") for a in alleles.get(m.name, ())}
        idx = m.allele_indices
        name = m.name
        groups: dict[_GroupKey, list[int]] = {}
        group_obs: dict[_GroupKey, list[list[tuple[int, int]]]] = {}
        for j, mp in enumerate(missing):
            famid = col_family[j]
            _, sig = shapes[famid]
            pos, typed_refs = refs[famid]
            typed: list[int] = []
            obs: list[tuple[int, int]] = []
            for i, pid, prof, sex in typed_refs:
                g = prof.get(name)
                if g is None or (g[0] is None and g[1] is None):
                    continue
                try:
                    a = -1 if g[0] is None else idx[g[0]]
                    b = -1 if g[1] is None else idx[g[1]]
                except KeyError:
                    _obs_indices(m, g, pid, sex, None)  # raises the core's error naming the person
                    raise
                if m.is_x:
                    _obs_indices(m, g, pid, sex, None)
                typed.append(i)
                obs.append((a, b))
                seen_set.update(x for x in (a, b) if x >= 0)
            key = (sig, pos[mp], tuple(typed))
            groups.setdefault(key, []).append(j)
            group_obs.setdefault(key, []).append(obs)
        seen = tuple(sorted(seen_set))
        # Every group of a marker shares the allele space: the same marker, the same seen set, so
        # the core lumps the same alleles away. Without lumping, every allele keeps its code.
        labels: list[str] | None = None
        block: np.ndarray | None = None
        for key, cols in groups.items():
            vals, ll, keep = _group_tables(
                problem,
                m,
                seen,
                cols,
                key[2],
                np.array(group_obs[key], dtype=np.int64).reshape(len(cols), len(key[2]), 2),
                batch_entries,
            )
            if block is None:
                labels = [m.alleles[i] for i in (keep if keep is not None else range(m.n_alleles))]
                block = np.empty((vals.shape[1], n_mp))
            block[:, cols] = vals.T
            fam_ll[cols, k] = ll
        if labels is None or block is None:  # a case without MPs (both are set together)
            labels = [m.alleles[i] for i in seen]
            block = np.empty((len(labels) * (len(labels) + 3) // 2, n_mp))
        codes.append({a: c for c, a in enumerate(labels)})
        blocks.append(block)
        offsets[k + 1] = offsets[k] + block.shape[0]
        if progress is not None:
            progress("tables", k + 1, len(markers))
    logt = np.ascontiguousarray(np.concatenate(blocks) if blocks else np.empty((0, n_mp)))
    del blocks
    mp_sex = np.array(
        [int(problem.families[col_family[j]][mp].sex) for j, mp in enumerate(missing)],
        dtype=np.int8,
    )
    return ScreeningTables(
        tuple(m.name for m in markers),
        missing,
        col_family,
        mp_sex,
        tuple(codes),
        offsets,
        logt,
        fam_ll,
        time.perf_counter() - t0,
    )


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
    ai, bi = np.triu_indices(nk)
    # pair code b(b+1)/2 + a, a <= b: order the triangle by (b, a)
    order = np.lexsort((ai, bi))
    ai, bi = ai[order], bi[order]
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
        info = oe.contract_path(eq, *[a.shape for a in arrays], shapes=True)[1]
        chunk = int(
            max(1, min(len(cols), batch_entries // max(1.0, info.largest_intermediate / probe)))
        )
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
    info = oe.contract_path(eq, *[a.shape for a in arrays], shapes=True)[1]
    per = max(1.0, float(info.largest_intermediate) / probe)
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
    return contract(eq, arrays)


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
        t = contract(eq, arrays)
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


# --------------------------------------------------------------------------------------------
# PM samples


@dataclass(frozen=True, eq=False)
class EncodedPM:
    """PM samples as flat table rows: ``codes[i, k]`` (int32, -1 where untyped)."""

    ids: tuple[str, ...]
    codes: np.ndarray
    loglik: np.ndarray
    sex: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def encode_pm(problem: DVIProblem, tables: ScreeningTables) -> EncodedPM:
    """Encode the problem's PM samples against ``tables``; untyped markers are -1."""
    markers = problem.markers
    n_pm, n_mk = len(problem.pm), len(markers)
    codes = np.full((n_pm, n_mk), -1, dtype=np.int32)
    ll = np.zeros(n_pm)
    offs = tables.offsets
    for i, v in enumerate(problem.pm):
        prof = problem.pm_profiles.get(v, {})
        for k, m in enumerate(markers):
            g = prof.get(m.name)
            if g is None or (g[0] is None and g[1] is None):
                continue
            cmap = tables.codes[k]
            got = []
            for x in g:
                if x is None:
                    continue
                c = cmap.get(x)
                if c is None:
                    m.allele_index(x)  # an allele outside the frequency table: the core's error
                    raise KinshipError(
                        f"PM sample '{v}' carries allele '{x}' at {m.name}, for which the "
                        f"screening tables were not built; rebuild them with this sample"
                    )
                got.append(c)
            if len(got) == 2:
                lo, hi = min(got), max(got)
                codes[i, k] = offs[k] + hi * (hi + 1) // 2 + lo
            else:
                kk = len(cmap)
                codes[i, k] = offs[k] + kk * (kk + 1) // 2 + got[0]
        ll[i] = float(np.sum(pm_loglik(markers, prof, problem.pm_sex[v])))
    sex = np.array([int(problem.pm_sex[v]) for v in problem.pm], dtype=np.int8)
    return EncodedPM(problem.pm, codes, ll, sex)


def score_block(logt: np.ndarray, codes: np.ndarray, pm_loglik: np.ndarray) -> np.ndarray:
    """Natural-log LR of a block of PMs (rows) against every column of ``logt``."""
    typed = codes >= 0
    indptr = np.concatenate([[0], np.cumsum(typed.sum(axis=1))])
    onehot = sp.csr_matrix(
        (np.ones(int(indptr[-1])), codes[typed].astype(np.int64), indptr),
        shape=(codes.shape[0], logt.shape[0]),
    )
    out: np.ndarray = np.asarray(onehot @ logt)
    out -= pm_loglik[:, None]
    return out


# --------------------------------------------------------------------------------------------
# the screen


@dataclass(frozen=True, eq=False)
class ScreenResult:
    """Candidate pairings of a screen, sorted by PM (problem order), then by decreasing LR.

    Attributes
    ----------
    pm, missing : ids; ``pm_index``, ``mp_index`` index them per candidate.
    family : the family of each MP column.
    log_lr : natural-log LR per candidate.
    pairs_screened : allowed PM × MP pairs evaluated.
    """

    pm: tuple[str, ...]
    missing: tuple[str, ...]
    family: tuple[str, ...]
    pm_index: np.ndarray
    mp_index: np.ndarray
    log_lr: np.ndarray
    pairs_screened: int
    min_lr: float
    top: int | None
    seconds: float
    table_seconds: float
    blocks: int
    engine: str
    version: str = __version__
    notes: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.log_lr)

    @property
    def lr(self) -> np.ndarray:
        """LR per candidate, shape ``(n_candidates,)``; ``inf`` beyond the float range."""
        return safe_exp_array(self.log_lr)

    @property
    def log10_lr(self) -> np.ndarray:
        """log10 LR per candidate, shape ``(n_candidates,)``."""
        return self.log_lr / math.log(10)

    def rows(self) -> Iterator[tuple[str, str, str, float, float]]:
        """``(pm, family, missing, lr, log10_lr)`` per candidate."""
        lr, l10 = self.lr, self.log10_lr
        for k in range(len(self)):
            j = int(self.mp_index[k])
            yield (
                self.pm[int(self.pm_index[k])],
                self.family[j],
                self.missing[j],
                float(lr[k]),
                float(l10[k]),
            )


@dataclass(frozen=True)
class _BlockParams:
    min_log_lr: float
    top: int | None
    explicit: np.ndarray | None  # allowed mask of the block when pairings are not the default


class _BlockPart(TypedDict):
    """What one scored PM block hands to the merge."""

    start: int  # first PM row of the block
    pairs: int  # allowed pairs scored
    rows: tuple[np.ndarray, np.ndarray, np.ndarray]  # (PM row, MP column, log LR), final per PM
    cols: tuple[np.ndarray, np.ndarray, np.ndarray]  # the same, the block's top K per MP


def _allowed(pm_sex: np.ndarray, mp_sex: np.ndarray) -> np.ndarray:
    """Sex rule of the default pairings, shape ``(n_pm, n_mp)``: unknown fits all."""
    a, b = pm_sex[:, None], mp_sex[None, :]
    ok: np.ndarray = (a == 0) | (b == 0) | (a == b)
    return ok


def _screen_block(
    tables: ScreeningTables,
    start: int,
    codes: np.ndarray,
    pm_ll: np.ndarray,
    pm_sex: np.ndarray,
    params: _BlockParams,
) -> _BlockPart:
    """Score one PM block; return its final per-PM candidates and its per-MP top-K candidates."""
    llr = score_block(tables.logt, codes, pm_ll)
    ok = params.explicit if params.explicit is not None else _allowed(pm_sex, tables.mp_sex)
    n_allowed = int(ok.sum())
    passing = ok & (llr >= params.min_log_lr)  # nan fails
    key = np.where(passing, llr, -np.inf)
    if params.top is None:
        r, c = np.nonzero(passing)
        none = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        return _BlockPart(start=start, pairs=n_allowed, rows=(r + start, c, llr[r, c]), cols=none)
    K = params.top
    nr, nc = key.shape
    # Rows are complete in every block: their K-th value is final.
    if nc > K:
        kth_r = -np.partition(-key, K - 1, axis=1)[:, K - 1]
        sel_r = passing & (key >= kth_r[:, None])
    else:
        sel_r = passing
    r, c = np.nonzero(sel_r)
    rows = (r + start, c, llr[r, c])
    if nr > K:
        kth_c = -np.partition(-key, K - 1, axis=0)[K - 1, :]
        sel_c = passing & (key >= kth_c[None, :])
    else:
        sel_c = passing
    r, c = np.nonzero(sel_c)
    return _BlockPart(start=start, pairs=n_allowed, rows=rows, cols=(r + start, c, llr[r, c]))


def _top_per_group(group: np.ndarray, values: np.ndarray, K: int) -> np.ndarray:
    """Mask of entries whose value is at least the K-th largest of their group (ties kept)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((-values, group))
    g, v = group[order], values[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    counts = np.diff(np.r_[starts, len(g)])
    kth_pos = starts + np.minimum(K, counts) - 1
    kth = np.repeat(v[kth_pos], counts)
    keep_sorted = (rank < K) | (v >= kth)
    keep = np.empty(len(values), dtype=bool)
    keep[order] = keep_sorted
    return keep


def _merge(
    tables: ScreeningTables, parts: list[_BlockPart], top: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidates of all blocks, deduplicated, sorted by PM, then by decreasing LR, then MP.

    Returns ``(pm_index, mp_index, log_lr)``, each of shape ``(n_candidates,)``.
    """
    rows = [p["rows"] for p in parts]
    pi = np.concatenate([r[0] for r in rows]).astype(np.int64) if rows else np.empty(0, np.int64)
    ci = np.concatenate([r[1] for r in rows]).astype(np.int64) if rows else np.empty(0, np.int64)
    vv = np.concatenate([r[2] for r in rows]) if rows else np.empty(0)
    if top is not None and parts:
        cp = np.concatenate([p["cols"][0] for p in parts]).astype(np.int64)
        cc = np.concatenate([p["cols"][1] for p in parts]).astype(np.int64)
        cv = np.concatenate([p["cols"][2] for p in parts])
        fam_codes = {f: i for i, f in enumerate(dict.fromkeys(tables.family))}
        col_fam = np.array([fam_codes[f] for f in tables.family], dtype=np.int64)
        keep = _top_per_group(col_fam[cc], cv, top) if len(cv) else np.zeros(0, dtype=bool)
        pi = np.concatenate([pi, cp[keep]])
        ci = np.concatenate([ci, cc[keep]])
        vv = np.concatenate([vv, cv[keep]])
    n_mp = max(1, len(tables.missing))
    flat = pi * n_mp + ci
    flat, first = np.unique(flat, return_index=True)
    pi, ci, vv = pi[first], ci[first], vv[first]
    order = np.lexsort((ci, -vv, pi))
    return pi[order], ci[order], vv[order]


def _explicit_mask(
    problem: DVIProblem, rows: range, col: Mapping[str, int], n_mp: int
) -> np.ndarray | None:
    if isinstance(problem.pairings, DefaultPairings):
        return None
    mask = np.zeros((len(rows), n_mp), dtype=bool)
    for r, i in enumerate(rows):
        for x in problem.pairings[problem.pm[i]]:
            if x != NOBODY:
                mask[r, col[x]] = True
    return mask


def screen(
    problem: DVIProblem,
    min_lr: float = 1.0,
    top: int | None = 10,
    block_size: int | None = None,
    client: Any = None,  # a dask.distributed.Client; distributed is not fully typed
    tables: ScreeningTables | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> ScreenResult:
    """Screen every PM against every allowed MP; return the candidates (never the dense matrix).

    Parameters
    ----------
    min_lr : keep pairs with LR >= ``min_lr`` (0 keeps every allowed pair, even LR 0).
    top : also require the pair to be among the ``top`` largest LRs of its PM or of its family
        (``None`` or 0: no such limit).
    block_size : PMs per block (default: about 4 million PM × MP entries per block).
    client : a ``dask.distributed.Client``: blocks run as tasks on its cluster (the tables are
        scattered to every worker once). The result is the same as without.
    tables : tables from :func:`build_tables`, when already built.
    threads : blocks scored at once without a client (default: the CPUs, at most 4).
    progress : ``progress(stage, done, total)``, called as tables and blocks complete.
    """
    t0 = time.perf_counter()
    if min_lr < 0 or not math.isfinite(min_lr) and min_lr != math.inf:
        raise KinshipError(f"min_lr must be >= 0, got {min_lr}")
    top = top or None
    if top is not None and top < 0:
        raise KinshipError(f"top must be positive, got {top}")
    tables = tables or build_tables(problem, progress=progress)
    enc = encode_pm(problem, tables)
    n_pm, n_mp = len(enc), len(tables.missing)
    if block_size is None:
        block_size = max(1, BLOCK_ENTRIES // max(1, n_mp))
    if block_size < 1:
        raise KinshipError(f"block_size must be >= 1, got {block_size}")
    min_log = math.log(min_lr) if min_lr > 0 else -math.inf
    col = {m: j for j, m in enumerate(tables.missing)}
    starts = list(range(0, n_pm, block_size))
    parts: list[_BlockPart] = []
    engine = "local"

    def params_for(s: int) -> _BlockParams:
        rows = range(s, min(n_pm, s + block_size))
        return _BlockParams(min_log, top, _explicit_mask(problem, rows, col, n_mp))

    if client is None:

        def run(s: int) -> _BlockPart:
            e = s + block_size
            return _screen_block(
                tables, s, enc.codes[s:e], enc.loglik[s:e], enc.sex[s:e], params_for(s)
            )

        n_threads = min(
            len(starts), threads if threads is not None else min(4, os.cpu_count() or 1)
        )
        if n_threads > 1:
            # The sparse product and the partitions release the GIL for most of their time.
            engine = f"local:{n_threads} threads"
            with ThreadPoolExecutor(n_threads) as pool:
                for b, part in enumerate(pool.map(run, starts)):
                    parts.append(part)
                    if progress is not None:
                        progress("screen", b + 1, len(starts))
        else:
            for b, s in enumerate(starts):
                parts.append(run(s))
                if progress is not None:
                    progress("screen", b + 1, len(starts))
    else:
        from dask.distributed import as_completed

        engine = f"dask:{client.scheduler.address}"
        remote = client.scatter(tables, broadcast=True)
        futures = [
            client.submit(
                _screen_block,
                remote,
                s,
                enc.codes[s : s + block_size],
                enc.loglik[s : s + block_size],
                enc.sex[s : s + block_size],
                params_for(s),
                pure=False,
            )
            for s in starts
        ]
        # distributed ships as_completed without annotations: the ignore is for that call only.
        # distributed ships no types for as_completed.
        for b, fut in enumerate(as_completed(futures)):  # type: ignore[no-untyped-call]
            parts.append(fut.result())
            if progress is not None:
                progress("screen", b + 1, len(starts))
        parts.sort(key=lambda p: p["start"])
        client.cancel(remote)
    pi, ci, vv = _merge(tables, parts, top)
    return ScreenResult(
        enc.ids,
        tables.missing,
        tables.family,
        pi,
        ci,
        vv,
        sum(p["pairs"] for p in parts),
        min_lr,
        top,
        time.perf_counter() - t0,
        tables.seconds,
        len(starts),
        engine,
        notes={
            "markers": tables.markers,
            "hypotheses": "PM is the MP vs. PM unrelated to the family",
            "method": METHOD,
            "pairings": "default (by sex)"
            if isinstance(problem.pairings, DefaultPairings)
            else "as given",
        },
    )
