"""Screening exclusions: genotypes impossible without mutation, counted per PM × MP; pairings.

Exclusions
----------
With ``exclusions=True`` a second flat table in the same layout says, per code and MP, whether the
MP can have that genotype without mutation (see :func:`_group_impossible`), and a small
``(n_markers, n_missing)`` one whether the references alone are consistent without mutation;
:func:`count_exclusions` is then two products as well. :func:`repatria.kinship.dvi.pairwise_lr`
is these tables, scored densely, with the pairings applied as a mask (:func:`allowed_pairs`);
a :class:`TableCache` lets later problems with the same families skip their contractions.
A partly typed PM genotype ``a/-`` is the table's row sum over every genotype containing ``a``,
lumped alleles included, as in the missing-person LR.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import numpy as np

from repatria.kinship._numeric import BoundedCache
from repatria.kinship.dvi import DefaultPairings, DVIProblem
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Pedigree
from repatria.kinship.probability import genotype_likelihoods
from repatria.kinship.screening_contract import _onehot, _pairs

if TYPE_CHECKING:  # screening_tables imports this module
    from repatria.kinship.screening_tables import ScreeningTables, _GroupKey

__all__ = ["allowed_pairs", "count_exclusions", "pairing_mask"]


#: Possibility tables without mutation by (group key, canonical genotypes, X-linked).
_NOMUT_CACHE: BoundedCache[Hashable, np.ndarray] = BoundedCache(50_000)


def _group_impossible(
    problem: DVIProblem,
    m: Marker,
    labels: tuple[int, ...],
    cols: list[int],
    key: _GroupKey,
    obs_rows: list[tuple[tuple[int, int], ...]],
) -> tuple[np.ndarray, np.ndarray]:
    """Which genotype codes the MPs of one group cannot have without mutation.

    Without mutation, possibility is a matter of allele identity alone, not of frequencies or
    labels: alleles no reference carries are exchangeable (a genotype made of them is decided by
    whether its two alleles are equal), and the references' alleles can be renamed in order of
    first appearance. So the question is asked once on a tiny marker (the references' alleles
    plus two stand-ins, ``x`` and ``y``) and shared by every family and marker with the same
    pedigree shape and the same pattern of alleles. A genotype ``a/-`` is possible when some
    genotype with ``a`` is: the row of ``a``'s code covers every partner (the second stand-in
    being "another allele no reference carries").

    Returns ``(impossible (len(cols), n_codes) bool, refs_impossible (len(cols),) bool)``, the
    latter true where no genotype at all is possible (the references alone are inconsistent).
    """
    sig, mp_pos, typed_pos = key
    mp0 = problem.missing[cols[0]]
    ped0 = problem.families[problem.missing_family[mp0]]
    nk = len(labels)
    lut = np.full(m.n_alleles, -1, dtype=np.intp)
    lut[list(labels)] = np.arange(nk)
    z = len(cols)
    pat_of: dict[tuple[tuple[int, int], ...], int] = {}
    tabs: list[np.ndarray] = []
    pat = np.empty(z, dtype=np.intp)
    kz = np.empty(z, dtype=np.intp)
    rr: list[int] = []
    aa: list[int] = []
    cc: list[int] = []
    for r, obs in enumerate(obs_rows):
        code: dict[int, int] = {}
        canon = tuple(
            (
                -1 if a < 0 else code.setdefault(a, len(code)),
                -1 if b < 0 else code.setdefault(b, len(code)),
            )
            for a, b in obs
        )
        p = pat_of.get(canon)
        if p is None:
            p = pat_of[canon] = len(tabs)
            tabs.append(_nomut_table(ped0, m, mp0, key, canon, len(code)))
        pat[r], kz[r] = p, len(code)
        rr.extend([r] * len(code))
        aa.extend(code)
        cc.extend(range(len(code)))
    kmax = int(kz.max())
    table = np.zeros((len(tabs), kmax + 2, kmax + 2), dtype=bool)
    for p, t in enumerate(tabs):
        table[p, : t.shape[0], : t.shape[1]] = t
    cmap = np.full((z, nk), -1, dtype=np.intp)
    if rr:
        cmap[rr, lut[aa]] = cc
    ai, bi = _pairs(nk)
    x = kz[:, None]
    ca, cb = cmap[:, ai], cmap[:, bi]
    ua, ub = ca < 0, cb < 0
    a2 = np.where(ua, x, ca)
    b2 = np.where(ub, np.where(ua & (ai != bi)[None, :], x + 1, x), cb)
    pp = pat[:, None]
    row_any: np.ndarray = np.any(table, axis=2)  # (n_patterns, kmax + 2): some partner fits
    possible = np.concatenate([table[pp, a2, b2], row_any[pp, np.where(cmap < 0, x, cmap)]], axis=1)
    return ~possible, ~np.any(row_any, axis=1)[pat]


def _nomut_table(
    ped: Pedigree,
    m: Marker,
    mp: str,
    key: _GroupKey,
    canon: tuple[tuple[int, int], ...],
    k: int,
) -> np.ndarray:
    """``(k + 2, k + 2)`` bool: MP genotypes possible without mutation, alleles renamed."""
    ckey = (key, canon, m.is_x)
    hit = _NOMUT_CACHE.get(ckey)
    if hit is None:
        labels = tuple(str(i) for i in range(k + 2))
        tiny = Marker(m.name, labels, np.full(k + 2, 1.0 / (k + 2)), None, None, m.is_x)
        cgeno: dict[str, Genotype] = {
            ped.ids[i]: (None if a < 0 else labels[a], None if b < 0 else labels[b])
            for i, (a, b) in zip(key[2], canon, strict=True)
        }
        hit = genotype_likelihoods(ped, tiny, cgeno, mp) > 0
        _NOMUT_CACHE.put(ckey, hit)
    return hit


def count_exclusions(tables: ScreeningTables, codes: np.ndarray) -> np.ndarray:
    """Markers inconsistent without mutation, for every PM of ``codes`` × every MP column.

    A typed marker counts where the MP cannot have the PM's genotype without mutation; an untyped
    one where the references alone are inconsistent without mutation (forrel's
    ``findExclusions``: the likelihood of the family with the PM placed on the MP is 0). Needs
    tables built with ``exclusions=True``.

    Returns
    -------
    ndarray of int64, shape ``(n_pm, n_missing)``.
    """
    if tables.impossible is None or tables.refs_impossible is None:
        raise KinshipError("exclusion counts need tables built with exclusions=True")
    onehot = _onehot(codes, tables.impossible.shape[0], np.float32)
    typed_bad = np.asarray(onehot @ tables.impossible)
    untyped_bad = (codes < 0).astype(np.float32) @ tables.refs_impossible.astype(np.float32)
    out: np.ndarray = np.rint(typed_bad + untyped_bad).astype(np.int64)
    return out


def allowed_pairs(problem: DVIProblem, tables: ScreeningTables) -> np.ndarray:
    """``problem.allowed(v, m)`` for every PM × MP column, bool ``(n_pm, n_missing)``.

    The default pairings (:class:`~repatria.kinship.dvi.DefaultPairings`) are the sex rule on
    whole arrays; explicit pairings are read once per PM.
    """
    return _pairing_mask(problem, tables.missing, tables.mp_sex)


def pairing_mask(problem: DVIProblem) -> np.ndarray:
    """``problem.allowed(v, m)`` for every PM (rows) × MP of ``problem.missing`` (columns).

    What :func:`allowed_pairs` gives, without the tables: asking ``problem.allowed`` pair by pair
    scans each PM's pairings, which on 2,000 × 1,500 is 10^9 comparisons."""
    mp_sex = np.array(
        [int(problem.families[problem.missing_family[m]][m].sex) for m in problem.missing],
        dtype=np.int8,
    )
    return _pairing_mask(problem, problem.missing, mp_sex)


def _pairing_mask(problem: DVIProblem, missing: tuple[str, ...], mp_sex: np.ndarray) -> np.ndarray:
    pm_sex = np.array([int(problem.pm_sex[v]) for v in problem.pm], dtype=np.int8)
    pairings = problem.pairings
    if isinstance(pairings, DefaultPairings) and pairings.problem is problem:
        return _allowed(pm_sex, mp_sex)
    col = {m: j for j, m in enumerate(missing)}
    mask = np.zeros((len(problem.pm), len(missing)), dtype=bool)
    rows: list[int] = []
    cols: list[int] = []
    for i, v in enumerate(problem.pm):
        for x in pairings[v]:
            j = col.get(x)
            if j is not None:
                rows.append(i)
                cols.append(j)
    mask[rows, cols] = True
    return mask


def _allowed(pm_sex: np.ndarray, mp_sex: np.ndarray) -> np.ndarray:
    """Sex rule of the default pairings, shape ``(n_pm, n_mp)``: unknown fits all."""
    a, b = pm_sex[:, None], mp_sex[None, :]
    ok: np.ndarray = (a == 0) | (b == 0) | (a == b)
    return ok
