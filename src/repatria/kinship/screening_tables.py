"""Screening tables: every MP's log genotype table at every marker, and a cache of them.

The layout of the flat tables is described in :mod:`repatria.kinship.screening`; the batched
contractions that fill them are in :mod:`repatria.kinship.screening_contract`, the exclusion
tables (``exclusions=True``) in :mod:`repatria.kinship.screening_exclusions`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from repatria.kinship._numeric import BoundedCache
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Pedigree, Sex
from repatria.kinship.probability import _setup
from repatria.kinship.screening_contract import _group_tables, _obs_indices, _pairs
from repatria.kinship.screening_dropout import ModelledPeaks, model_rows, modelled_peaks
from repatria.kinship.screening_exclusions import _group_impossible

__all__ = ["ScreeningTables", "TableCache", "build_tables"]

#: Entries of the largest intermediate tensor a batched table contraction may build.
BATCH_ENTRIES = 1 << 22

Progress = Callable[[str, int, int], None]


# --------------------------------------------------------------------------------------------
# tables


@dataclass(frozen=True, eq=False)
class ScreeningTables:
    """Per-MP log genotype tables of a case, laid out for lookup (see :mod:`.screening`).

    Attributes
    ----------
    markers : marker names, in order.
    missing, family, mp_sex : one entry per column (MP), in the problem's ``missing`` order.
    codes : per marker, allele label -> code.
    offsets : start of each marker's codes in the flat table; ``offsets[-1]`` is its length.
    logt : ``(offsets[-1], n_missing)`` float64, ``log P(refs, MP = g) - log P(refs)``.
    family_loglik : ``(n_missing, n_markers)``, the references' own log-likelihood per marker.
    seconds : time spent building.
    impossible : ``(offsets[-1], n_missing)`` float32 in the layout of ``logt``: 1 where the MP
        cannot have that genotype without mutation, else 0 (only when built with
        ``exclusions=True``, else ``None``).
    refs_impossible : ``(n_markers, n_missing)`` bool: the references alone are inconsistent
        without mutation (an untyped PM marker then counts as an exclusion); ``None`` likewise.
    reused : (marker, MP) tables taken from a :class:`TableCache` instead of being computed.
    model_codes : per marker, the rows of PM peaks under a dropout model
        (:mod:`repatria.kinship.screening_dropout`), appended after the marker's genotype rows.
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
    impossible: np.ndarray | None = None
    refs_impossible: np.ndarray | None = None
    reused: int = 0
    model_codes: tuple[dict[ModelledPeaks, int], ...] = ()

    @property
    def n_codes(self) -> int:
        """Rows of the flat table: codes of all markers."""
        return int(self.offsets[-1])

    def n_alleles(self, k: int) -> int:
        """Alleles with a code at marker ``k`` (the lump excluded)."""
        return len(self.codes[k])


#: Pedigree structure up to labels: ``(father pos, mother pos, sex)`` per person, -1 for none.
_ShapeSig = tuple[tuple[int, int, int], ...]
#: Families whose tables are built in one batch: (shape, MP position, positions of the typed).
_GroupKey = tuple[_ShapeSig, int, tuple[int, ...]]
#: What one MP's table at one marker depends on: the marker (by id; the entry holds it), the
#: group key and the typed references' allele indices (-1: unknown), in position order.
_ColumnKey = tuple[int, _GroupKey, tuple[tuple[int, int], ...]]


@dataclass(frozen=True, eq=False)
class _ColumnTable:
    """One MP's table at one marker, as a :class:`TableCache` keeps it."""

    marker: Marker  # held, so that its id is not reused while the entry lives
    labels: tuple[int, ...]  # marker allele indices with a code, in code order
    values: np.ndarray  # (n_codes,) float64: the column of ``logt``
    loglik: float
    impossible: np.ndarray | None  # (n_codes,) bool, or None when not asked for
    refs_impossible: bool


class TableCache:
    """(marker, MP) tables of earlier builds, for problems that share families.

    dviSolve-style workflows ask for the pairwise LRs again and again on problems that differ in a
    few families and have fewer PMs each time. An MP's table depends only on its family's shape,
    its position in it, the marker and the references' genotypes there, so the key is that
    content, not the family's name or the pedigree object. A table built for a larger set of PM
    alleles (fewer alleles lumped) is still exact for a smaller one: its rows are picked out.
    Bounded by the bytes of its tables, least recently used first out.
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self._items: BoundedCache[_ColumnKey, _ColumnTable] = BoundedCache(
            max_items=sys.maxsize,
            max_weight=max_bytes,
            weight=lambda e: e.values.nbytes + (0 if e.impossible is None else e.impossible.nbytes),
        )

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: _ColumnKey, marker: Marker) -> _ColumnTable | None:
        """The entry of ``key``, if it was built for this very ``marker``."""
        hit = self._items.get(key)
        return hit if hit is not None and hit.marker is marker else None

    def put(self, key: _ColumnKey, entry: _ColumnTable) -> None:
        """Keep ``entry`` under ``key``."""
        self._items.put(key, entry)

    def clear(self) -> None:
        """Drop every entry."""
        self._items.clear()


def _shape(ped: Pedigree) -> tuple[tuple[str, ...], _ShapeSig]:
    """Pedigree structure up to labels: (ids in order, (father pos, mother pos, sex) per person)."""
    pos: dict[str | None, int] = {pid: i for i, pid in enumerate(ped.ids)}
    sig = tuple(
        (pos.get(ped[i].father, -1), pos.get(ped[i].mother, -1), int(ped[i].sex)) for i in ped.ids
    )
    return ped.ids, sig


def _sublayout(cached: tuple[int, ...], labels: tuple[int, ...]) -> np.ndarray | None:
    """Rows of a column built for the alleles ``cached`` that answer for ``labels`` (codes in the
    order of this module's layout), or ``None`` when ``labels`` is not a subset of ``cached``."""
    c, lab = np.asarray(cached, dtype=np.int64), np.asarray(labels, dtype=np.int64)
    pos = np.searchsorted(c, lab)
    if (pos >= len(c)).any() or (c[np.minimum(pos, len(c) - 1)] != lab).any():
        return None
    ai, bi = _pairs(len(lab))
    pa, pb = pos[ai], pos[bi]
    nc = len(c)
    return np.concatenate([pb * (pb + 1) // 2 + pa, nc * (nc + 1) // 2 + pos])


def build_tables(
    problem: DVIProblem,
    alleles: Mapping[str, set[str]] | None = None,
    progress: Progress | None = None,
    batch_entries: int = BATCH_ENTRIES,
    exclusions: bool = False,
    cache: TableCache | None = None,
) -> ScreeningTables:
    """Every MP's log genotype table at every marker (pure; the heavy part of a screen).

    Parameters
    ----------
    alleles : per marker, the PM alleles the tables must answer for (default: those of the
        problem's PMs). Alleles carried by references are always kept.
    exclusions : also build ``impossible`` and ``refs_impossible`` (what
        :func:`count_exclusions` needs).
    cache : take (marker, MP) tables from it where they were built before for the same family
        content, and keep the new ones in it.
    """
    t0 = time.perf_counter()
    markers = problem.markers
    missing = problem.missing
    n_mp = len(missing)
    alleles = problem.pm_alleles if alleles is None else alleles
    codes: list[dict[str, int]] = []
    blocks: list[np.ndarray] = []
    imp_blocks: list[np.ndarray] = []
    refs_bad = np.zeros((len(markers), n_mp), dtype=bool)
    fam_ll = np.zeros((n_mp, len(markers)))
    offsets = np.zeros(len(markers) + 1, dtype=np.int64)
    col_family = tuple(problem.missing_family[mp] for mp in missing)
    refs = _typed_references(problem)
    reused = 0
    mp_sex = np.array(
        [int(problem.families[col_family[j]][mp].sex) for j, mp in enumerate(missing)],
        dtype=np.int8,
    )
    peaks = modelled_peaks(markers, problem.pm_profiles, problem.pm_dropout)
    model_codes: list[dict[ModelledPeaks, int]] = []
    for k, m in enumerate(markers):
        out = _MarkerOut(k, fam_ll, refs_bad)
        labels = _marker_tables(
            problem, m, alleles.get(m.name, ()), refs, batch_entries, exclusions, cache, out
        )
        reused += out.reused
        codes.append({m.alleles[a]: c for c, a in enumerate(labels)})
        here = peaks.get(m.name, [])
        if here:
            hemi = np.full(n_mp, m.is_x) & (mp_sex == int(Sex.MALE))
            vals, bad = model_rows(m, labels, out.block, out.impossible, refs_bad[k], hemi, here)
            base = offsets[k] + out.block.shape[0]
            model_codes.append({key: int(base) + r for r, key in enumerate(here)})
            out.block = np.concatenate([out.block, vals])
            if out.impossible is not None and bad is not None:
                out.impossible = np.concatenate([out.impossible, bad])
        else:
            model_codes.append({})
        blocks.append(out.block)
        if out.impossible is not None:
            imp_blocks.append(out.impossible)
        offsets[k + 1] = offsets[k] + out.block.shape[0]
        if progress is not None:
            progress("tables", k + 1, len(markers))
    logt = np.ascontiguousarray(np.concatenate(blocks) if blocks else np.empty((0, n_mp)))
    del blocks
    impossible = None
    if exclusions:
        impossible = np.ascontiguousarray(
            np.concatenate(imp_blocks) if imp_blocks else np.empty((0, n_mp), dtype=np.float32)
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
        impossible,
        refs_bad if exclusions else None,
        reused,
        tuple(model_codes) if any(model_codes) else (),
    )


#: Per family: (shape, position of each person, typed references as (pos, id, profile, sex)).
_Refs = dict[
    str, tuple[_ShapeSig, dict[str, int], list[tuple[int, str, Mapping[str, Genotype], Sex]]]
]


def _typed_references(problem: DVIProblem) -> _Refs:
    out: _Refs = {}
    for famid, ped in problem.families.items():
        pos = {pid: i for i, pid in enumerate(ped.ids)}
        order = sorted((pos[pid], pid) for pid in problem.am_profiles.get(famid, {}) if pid in pos)
        out[famid] = (
            _shape(ped)[1],
            pos,
            [(i, pid, problem.am_profiles[famid][pid], ped[pid].sex) for i, pid in order],
        )
    return out


class _MarkerOut:
    """Where one marker's tables go: its block of rows, and its column of the shared arrays."""

    def __init__(self, k: int, fam_ll: np.ndarray, refs_bad: np.ndarray) -> None:
        self.k = k
        self.fam_ll = fam_ll  # (n_missing, n_markers)
        self.refs_bad = refs_bad  # (n_markers, n_missing)
        self.block = np.empty((0, 0))
        self.impossible: np.ndarray | None = None
        self.reused = 0


def _column_keys(
    problem: DVIProblem, m: Marker, refs: _Refs, seen_set: set[int]
) -> list[tuple[_GroupKey, tuple[tuple[int, int], ...]]]:
    """Per MP column: its group key and its typed references' allele indices at ``m``
    (validated); the references' alleles are added to ``seen_set``."""
    idx = m.allele_indices
    name = m.name
    out = []
    for mp in problem.missing:
        sig, pos, typed_refs = refs[problem.missing_family[mp]]
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
        out.append(((sig, pos[mp], tuple(typed)), tuple(obs)))
    return out


def _marker_tables(
    problem: DVIProblem,
    m: Marker,
    pm_alleles: Iterable[str],
    refs: _Refs,
    batch_entries: int,
    exclusions: bool,
    cache: TableCache | None,
    out: _MarkerOut,
) -> tuple[int, ...]:
    """One marker's rows of every MP column, into ``out``; returns the coded allele indices."""
    seen_set = {m.allele_index(a, who="PM sample") for a in pm_alleles}
    if m.silent_index is not None:
        seen_set.add(m.silent_index)  # as the core: the silent allele is never lumped away
    col_keys = _column_keys(problem, m, refs, seen_set)
    seen = tuple(sorted(seen_set))
    # Every MP of a marker shares the allele space: the same marker, the same seen set, so the
    # core lumps the same alleles away. Without lumping, every allele keeps its code.
    keep = _setup(m, "exact", seen).keep
    labels = tuple(int(x) for x in keep) if keep is not None else tuple(range(m.n_alleles))
    nk = len(labels)
    k = out.k
    out.block = block = np.empty((nk * (nk + 1) // 2 + nk, len(col_keys)))
    imp = out.impossible = np.empty(block.shape, dtype=np.float32) if exclusions else None
    groups: dict[_GroupKey, list[int]] = {}
    hits: dict[tuple[int, ...], list[tuple[int, _ColumnTable]]] = {}
    for j, (gkey, obs_t) in enumerate(col_keys):
        e = None if cache is None else cache.get((id(m), gkey, obs_t), m)
        if e is not None and (e.impossible is not None or not exclusions):
            hits.setdefault(e.labels, []).append((j, e))
        else:
            groups.setdefault(gkey, []).append(j)
    for layout, found in hits.items():
        rows = None if layout == labels else _sublayout(layout, labels)
        if rows is None and layout != labels:  # built for other alleles: build anew
            for j, _ in found:
                groups.setdefault(col_keys[j][0], []).append(j)
            continue
        cols = [j for j, _ in found]
        vals = np.stack([e.values for _, e in found])
        block[:, cols] = (vals if rows is None else vals[:, rows]).T
        out.fam_ll[cols, k] = [e.loglik for _, e in found]
        if imp is not None:
            bad = np.stack([e.impossible for _, e in found if e.impossible is not None])
            imp[:, cols] = (bad if rows is None else bad[:, rows]).T
            out.refs_bad[k, cols] = [e.refs_impossible for _, e in found]
        out.reused += len(cols)
    for key, cols in groups.items():
        obs_rows = [col_keys[j][1] for j in cols]
        vals, ll, got = _group_tables(
            problem,
            m,
            seen,
            cols,
            key[2],
            np.array(obs_rows, dtype=np.int64).reshape(len(cols), len(key[2]), 2),
            batch_entries,
        )
        if (got is None) != (keep is None) or (
            got is not None and keep is not None and not np.array_equal(got, keep)
        ):  # not reached: the network lumps as _setup says
            raise KinshipError(f"screening tables at {m.name}: allele layouts disagree")
        block[:, cols] = vals.T
        out.fam_ll[cols, k] = ll
        bad_rows: np.ndarray | None = None
        bad_refs: np.ndarray | None = None
        if imp is not None:
            bad_rows, bad_refs = _group_impossible(problem, m, labels, cols, key, obs_rows)
            imp[:, cols] = bad_rows.T
            out.refs_bad[k, cols] = bad_refs
        if cache is not None:
            for z, j in enumerate(cols):
                cache.put(
                    (id(m), key, col_keys[j][1]),
                    _ColumnTable(
                        m,
                        labels,
                        vals[z],
                        float(ll[z]),
                        None if bad_rows is None else bad_rows[z],
                        False if bad_refs is None else bool(bad_refs[z]),
                    ),
                )
    return labels
