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

Candidates
----------
Output is never the dense matrix: a pair is kept if its LR is at least ``min_lr`` and, when ``top``
is given, its LR is among the ``top`` largest of its PM or among the ``top`` largest of its family
(ties at the K-th value are all kept, which makes the result independent of the block size).

The tables are built in :mod:`repatria.kinship.screening_tables` (contractions in
:mod:`repatria.kinship.screening_contract`), the exclusion counts and pairing masks are in
:mod:`repatria.kinship.screening_exclusions`; their public names are re-exported here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np

from repatria import __version__
from repatria.kinship._numeric import safe_exp_array
from repatria.kinship.dvi import (
    NOBODY,
    DefaultPairings,
    DVIProblem,
    single_peak_as_homozygote,
)
from repatria.kinship.errors import KinshipError
from repatria.kinship.screening_contract import _onehot
from repatria.kinship.screening_dropout import needs_rows, peaks_key
from repatria.kinship.screening_exclusions import _allowed, allowed_pairs, count_exclusions
from repatria.kinship.screening_tables import (
    Progress,
    ScreeningTables,
    TableCache,
    build_tables,
)

__all__ = [
    "ScreeningTables",
    "EncodedPM",
    "ScreenResult",
    "TableCache",
    "allowed_pairs",
    "build_tables",
    "count_exclusions",
    "encode_pm",
    "score_block",
    "screen",
    "shard_columns",
]

METHOD = (
    "per-MP genotype tables from the kinship core's contraction (batched per pedigree shape), "
    "PM blocks scored by a sparse product; theta 0, mutation models as stored"
)

#: Entries (PM × MP) of one scored block.
BLOCK_ENTRIES = 1 << 22


# --------------------------------------------------------------------------------------------
# PM samples


@dataclass(frozen=True, eq=False)
class EncodedPM:
    """PM samples as flat table rows.

    Attributes
    ----------
    ids : PM ids, in order (rows).
    codes : ``(n_pm, n_markers)`` int32, the row of ``logt`` of each genotype; -1 where untyped.
    loglik : ``(n_pm,)``, each PM's own Hardy–Weinberg log-probability over all markers.
    sex : ``(n_pm,)`` int8.
    marker_loglik : ``(n_pm, n_markers)``, the same per marker (0 where untyped).
    """

    ids: tuple[str, ...]
    codes: np.ndarray
    loglik: np.ndarray
    sex: np.ndarray
    marker_loglik: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def encode_pm(problem: DVIProblem, tables: ScreeningTables) -> EncodedPM:
    """Encode the problem's PM samples against ``tables``; untyped markers are -1.

    A PM under a dropout model takes the row of its peaks (:mod:`.screening_dropout`); with
    dropout and drop-in 0 its single peak is the homozygote's code.
    """
    markers = problem.markers
    n_pm, n_mk = len(problem.pm), len(markers)
    codes = np.full((n_pm, n_mk), -1, dtype=np.int32)
    ll = np.zeros((n_pm, n_mk))
    offs = tables.offsets
    logliks = problem.pm_logliks  # computed once per problem, not once per table set
    for i, v in enumerate(problem.pm):
        prof = problem.pm_profiles.get(v, {})
        model = problem.pm_dropout.get(v)
        for k, m in enumerate(markers):
            g = prof.get(m.name)
            if g is None or (g[0] is None and g[1] is None):
                continue
            if needs_rows(model) and model is not None:
                key = peaks_key(m, g, model)
                row = tables.model_codes[k].get(key) if tables.model_codes else None
                if row is None:
                    raise KinshipError(
                        f"PM sample '{v}' is typed under a dropout model at {m.name}, for which "
                        f"the screening tables were not built; rebuild them with this sample"
                    )
                codes[i, k] = row
                continue
            if model is not None:
                g = single_peak_as_homozygote(g)
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
        ll[i] = logliks[v]
    sex = np.array([int(problem.pm_sex[v]) for v in problem.pm], dtype=np.int8)
    return EncodedPM(problem.pm, codes, ll.sum(axis=1), sex, ll)


def score_block(logt: np.ndarray, codes: np.ndarray, pm_loglik: np.ndarray) -> np.ndarray:
    """Natural-log LR of a block of PMs (rows) against every column of ``logt``."""
    out: np.ndarray = np.asarray(_onehot(codes, logt.shape[0]) @ logt)
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


def _dask_broadcast(
    client: Any,
    tables: ScreeningTables,
    enc: EncodedPM,
    starts: list[int],
    block_size: int,
    params_for: Any,
    progress: Progress | None,
) -> list[_BlockPart]:
    """Every worker holds the whole tables (scattered once); one task per PM block."""
    from dask.distributed import as_completed

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
    parts: list[_BlockPart] = []
    # distributed ships no types for as_completed.
    for b, fut in enumerate(as_completed(futures)):  # type: ignore[no-untyped-call]
        parts.append(fut.result())
        if progress is not None:
            progress("screen", b + 1, len(starts))
    parts.sort(key=lambda p: p["start"])
    client.cancel(remote)
    return parts


def shard_columns(tables: ScreeningTables, n_shards: int) -> list[np.ndarray]:
    """MP columns cut into at most ``n_shards`` groups of whole families, about equal in size.

    A family never spans two shards, so each family's top K (see the module notes) is found
    within one shard, and a PM's top K is the top K of its shards' top Ks.
    """
    if n_shards < 1:
        raise KinshipError(f"shards must be >= 1, got {n_shards}")
    families: dict[str, list[int]] = {}
    for j, f in enumerate(tables.family):
        families.setdefault(f, []).append(j)
    n = len(tables.family)
    target = max(1, -(-n // n_shards))
    shards: list[list[int]] = [[]]
    for cols in families.values():
        if len(shards[-1]) >= target and len(shards) < n_shards:
            shards.append([])
        shards[-1].extend(cols)
    return [np.asarray(c, dtype=np.int64) for c in shards if c]


def _shard(tables: ScreeningTables, cols: np.ndarray) -> ScreeningTables:
    """The tables of the MP columns ``cols`` only (the same genotype rows, so PM codes hold)."""
    return dataclasses.replace(
        tables,
        missing=tuple(tables.missing[j] for j in cols),
        family=tuple(tables.family[j] for j in cols),
        mp_sex=tables.mp_sex[cols],
        logt=np.ascontiguousarray(tables.logt[:, cols]),
        family_loglik=tables.family_loglik[cols],
        impossible=None,
        refs_impossible=None,
    )


def _dask_sharded(
    client: Any,
    tables: ScreeningTables,
    enc: EncodedPM,
    starts: list[int],
    block_size: int,
    params_for: Any,
    progress: Progress | None,
    n_shards: int | None,
    top: int | None,
) -> list[_BlockPart]:
    """Each worker holds only its shards of the tables; every (shard, PM block) is one task,
    run where its shard lives; the candidates come back with the shard's columns made global."""
    from dask.distributed import as_completed

    workers = sorted(client.scheduler_info()["workers"])
    cuts = shard_columns(tables, n_shards or max(1, len(workers)))
    remote = []
    for k, cols in enumerate(cuts):
        # Scattered to one worker, not broadcast: no worker ever holds the whole tables.
        where = [workers[k % len(workers)]] if workers else None
        remote.append(client.scatter(_shard(tables, cols), workers=where, broadcast=False))
    futures = {}
    for k, cols in enumerate(cuts):
        for s in starts:
            params = params_for(s)
            if params.explicit is not None:
                params = dataclasses.replace(params, explicit=params.explicit[:, cols])
            fut = client.submit(
                _screen_block,
                remote[k],
                s,
                enc.codes[s : s + block_size],
                enc.loglik[s : s + block_size],
                enc.sex[s : s + block_size],
                params,
                pure=False,
            )
            futures[fut] = cols
    parts: list[_BlockPart] = []
    # distributed ships no types for as_completed.
    for b, fut in enumerate(as_completed(list(futures))):  # type: ignore[no-untyped-call]
        part, cols = fut.result(), futures[fut]
        r, c, v = part["rows"]
        cr, cc, cv = part["cols"]
        parts.append(
            _BlockPart(
                start=part["start"],
                pairs=part["pairs"],
                rows=(r, cols[c], v),
                cols=(cr, cols[cc], cv),
            )
        )
        if progress is not None:
            progress("screen", b + 1, len(futures))
    client.cancel(remote)
    if top is None or not parts:
        return sorted(parts, key=lambda p: p["start"])
    # A block's rows are final per PM within one shard; across shards, keep each PM's top K.
    pi = np.concatenate([p["rows"][0] for p in parts]).astype(np.int64)
    ci = np.concatenate([p["rows"][1] for p in parts]).astype(np.int64)
    vv = np.concatenate([p["rows"][2] for p in parts])
    keep = _top_per_group(pi, vv, top)
    none = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    merged = [_BlockPart(start=0, pairs=0, rows=(pi[keep], ci[keep], vv[keep]), cols=none)]
    return merged + [
        _BlockPart(start=p["start"], pairs=p["pairs"], rows=none, cols=p["cols"]) for p in parts
    ]


def screen(
    problem: DVIProblem,
    min_lr: float = 1.0,
    top: int | None = 10,
    block_size: int | None = None,
    client: Any = None,  # a dask.distributed.Client; distributed is not fully typed
    tables: ScreeningTables | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
    shards: int | None = None,
) -> ScreenResult:
    """Screen every PM against every allowed MP; return the candidates (never the dense matrix).

    Parameters
    ----------
    min_lr : keep pairs with LR >= ``min_lr`` (0 keeps every allowed pair, even LR 0).
    top : also require the pair to be among the ``top`` largest LRs of its PM or of its family
        (``None`` or 0: no such limit).
    block_size : PMs per block (default: about 4 million PM × MP entries per block).
    client : a ``dask.distributed.Client``: blocks run as tasks on its cluster. The result is
        the same as without.
    shards : with a client, the tables are cut into this many shards of whole families
        (default: one per worker), each held by one worker only, and every PM block is scored
        against every shard where the shard lives; 0 sends the whole tables to every worker.
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
    elif shards == 0:
        engine = f"dask:{client.scheduler.address}"
        parts = _dask_broadcast(client, tables, enc, starts, block_size, params_for, progress)
    else:
        engine = f"dask:{client.scheduler.address}, sharded"
        parts = _dask_sharded(
            client, tables, enc, starts, block_size, params_for, progress, shards, top
        )
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
