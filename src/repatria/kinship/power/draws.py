"""Simulated draws: the genotype tables of a reference family and the LR of each simulated pair.

The genotypes of a new relative and of the MP are drawn conditionally on the typed references,
marker by marker, from the joint table of the core's exact variable elimination; the same table
gives each simulation's missing-person LR by lookup (point 1 of :mod:`repatria.kinship.power`).
The table helpers here are shared with :mod:`.exclusion`.

The size limits :data:`repatria.kinship.power.JOINT_LIMIT` and
:data:`~repatria.kinship.power.RELATIVES_LIMIT` choose between one joint table and sequential
conditioning; they are read from the package at call time, so lowering them there (as the
tests do) takes the other path.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import opt_einsum as oe

from repatria.kinship import power as _power
from repatria.kinship._numeric import BoundedCache
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Profiles, Sex  # noqa: F401 (Individual: the examples)
from repatria.kinship.power.candidates import _has_genotype
from repatria.kinship.probability import MarkerNetwork, genotype_table_and_loglik

__all__ = ["simulate_mp_log_lr"]

#: Largest ``chunk * n_alleles ** 3`` of a batched contraction (bounds its intermediate tables).
BATCH_LIMIT = 12_000_000

#: Greedy contraction orders with a larger intermediate (entries) are searched again (``auto-hq``).
SEARCH_ABOVE = 1_000_000

M, F = Sex.MALE, Sex.FEMALE

# A relative's genotype at one marker, as allele indices (i <= j).
_GenoIdx = tuple[int, int]


# --------------------------------------------------------------------------------------------
# genotype tables


def _marker_typed(profiles: Profiles, ped: Pedigree, marker: str) -> dict[str, Genotype]:
    out: dict[str, Genotype] = {}
    for pid, prof in profiles.items():
        g = prof.get(marker)
        if pid in ped and g is not None and (g[0] is not None or g[1] is not None):
            out[pid] = g
    return out


def _hemizygous(ped: Pedigree, marker: Marker, pid: str) -> bool:
    return marker.is_x and ped[pid].sex == M


@functools.lru_cache(maxsize=256)
def _triu(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(n)``, read-only and cached: the order of unordered genotypes here."""
    iu, ju = np.triu_indices(n)
    iu.setflags(write=False)
    ju.setflags(write=False)
    return iu, ju


def _unrelated_probs(marker: Marker, hemizygous: bool) -> np.ndarray:
    """``P_unrelated`` of every unordered genotype ``(i <= j)``, in ``np.triu_indices`` order."""
    p = marker.afreq
    iu, ju = _triu(marker.n_alleles)
    if hemizygous:
        return np.asarray(np.where(iu == ju, p[iu], 0.0), dtype=float)
    return np.asarray(np.where(iu == ju, 1.0, 2.0) * p[iu] * p[ju], dtype=float)


def _table(
    ped: Pedigree, marker: Marker, typed: Mapping[str, Genotype], target: str
) -> tuple[np.ndarray, float]:
    """``P(data, target = g)`` for every unordered ``g`` (triu order) and ``log P(data)``."""
    table, loglik, _ = genotype_table_and_loglik(ped, marker, typed, target)
    iu, ju = _triu(marker.n_alleles)
    flat = np.clip(table[iu, ju], 0.0, None)
    return flat, loglik


def _label(marker: Marker, k: int) -> Genotype:
    i, j = _geno_of(marker.n_alleles, k)
    return (marker.alleles[i], marker.alleles[j])


def _geno_of(n: int, k: int) -> _GenoIdx:
    iu, ju = _triu(n)
    return int(iu[k]), int(ju[k])


def _draw(weights: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` draws of indices with probability proportional to ``weights``."""
    cum = np.cumsum(weights)
    total = cum[-1]
    u = rng.random(size) * total
    out: np.ndarray = np.minimum(np.searchsorted(cum, u, side="right"), len(weights) - 1)
    return out


# --------------------------------------------------------------------------------------------
# LR simulation


def _check_family(
    pedigree: Pedigree, missing: str, relatives: Sequence[str], profiles: Profiles
) -> None:
    if missing not in pedigree:
        raise KinshipError(f"missing person '{missing}' is not in the pedigree")
    if _has_genotype(profiles.get(missing, {})):
        raise KinshipError(f"missing person '{missing}' is typed; a missing person has no profile")
    for r in relatives:
        if r not in pedigree:
            raise KinshipError(f"relative '{r}' is not in the pedigree")
        if r == missing:
            raise KinshipError(f"'{r}' is the missing person, not a relative to sample")
        if _has_genotype(profiles.get(r, {})):
            raise KinshipError(f"relative '{r}' is already typed")
    if len(set(relatives)) != len(relatives):
        raise KinshipError("a relative is listed twice")


def _check_nsims(nsims: int) -> None:
    if int(nsims) != nsims or nsims < 1:
        raise KinshipError(f"the number of simulations must be a positive integer, not {nsims}")


def _simulate_relatives(
    ped: Pedigree,
    marker: Marker,
    typed: Mapping[str, Genotype],
    relatives: Sequence[str],
    nsims: int,
    rng: np.random.Generator,
    family: str,
) -> dict[tuple[int, ...], np.ndarray]:
    """Groups of simulations by the relatives' drawn genotypes (triu indices): drawn jointly from
    one table when it is small enough, else one after the other, each given those before."""
    groups: dict[tuple[int, ...], np.ndarray] = {(): np.arange(nsims)}
    if not relatives:
        return groups
    if _joint_size(ped, marker, relatives) <= _power.RELATIVES_LIMIT:
        joint = _joint_table(ped, marker, typed, relatives)
        if not joint.sum() > 0:
            raise _impossible(family, marker)
        draws = _draw(joint.ravel(), rng, nsims)
        out: dict[tuple[int, ...], np.ndarray] = {}
        for d in np.unique(draws):
            key = tuple(int(x) for x in np.unravel_index(int(d), joint.shape))
            out[key] = np.flatnonzero(draws == d)
        return out
    for rel in relatives:
        new: dict[tuple[int, ...], np.ndarray] = {}
        for key, idx in groups.items():
            known = dict(typed)
            known.update({relatives[z]: _label(marker, g) for z, g in enumerate(key)})
            w, loglik = _table(ped, marker, known, rel)
            if loglik == -math.inf:
                raise _impossible(family, marker)
            draws = _draw(w, rng, len(idx))
            for g in np.unique(draws):
                new[key + (int(g),)] = idx[draws == g]
        groups = new
    return groups


def _impossible(family: str, marker: Marker) -> KinshipError:
    return KinshipError(
        f"the references of family {family} are impossible at marker {marker.name}, even with "
        f"its mutation model; correct the genotypes or leave the marker out"
    )


_EXPRESSIONS: BoundedCache[tuple[str, tuple[tuple[int, ...], ...]], Any] = BoundedCache(256)


def _contract(
    factors: Sequence[tuple[tuple[Any, ...], np.ndarray]], out_vars: Sequence[Any], n: int
) -> np.ndarray:
    """Sum the product of ``factors`` (each ``(variables, array)``) onto ``out_vars``.

    The greedy contraction order is kept unless its largest intermediate exceeds
    :data:`SEARCH_ABOVE` entries; then opt_einsum's ``auto-hq`` (dynamic programming for small
    networks) searches a better one: for joint tables of several people greedy can build
    intermediates ``n`` times larger (an added paternal uncle at a 39-allele marker: 9e7 entries
    instead of 2e6, and 10 to 30 times slower). Expressions are cached by equation and shapes.
    """
    symbols: dict[Any, str] = {}
    terms = [
        "".join(symbols.setdefault(v, oe.get_symbol(len(symbols))) for v in vs) for vs, _ in factors
    ]
    out = "".join(symbols.setdefault(v, oe.get_symbol(len(symbols))) for v in out_vars)
    if not factors:
        return np.ones((n,) * len(out_vars))
    eq = ",".join(terms) + "->" + out
    shapes = tuple(a.shape for _, a in factors)
    key = (eq, shapes)
    expr = _EXPRESSIONS.get(key)
    if expr is None:
        path, info = oe.contract_path(eq, *shapes, shapes=True, optimize="greedy")
        if info.largest_intermediate > SEARCH_ABOVE:
            path, _ = oe.contract_path(eq, *shapes, shapes=True, optimize="auto-hq")
        expr = oe.contract_expression(eq, *shapes, optimize=path)
        _EXPRESSIONS.put(key, expr)
    return np.asarray(expr(*[a for _, a in factors]), dtype=float)


def _joint_table(
    ped: Pedigree, marker: Marker, typed: Mapping[str, Genotype], persons: Sequence[str]
) -> np.ndarray:
    """``P(data, persons have genotypes g_1, ..., g_k)`` for every unordered genotype of each.

    One contraction (exact variable elimination, no lumping) over the ordered allele variables
    of ``persons``, folded into unordered genotypes. Shape ``(K,) * k``, ``K = n (n + 1) / 2`` in
    ``np.triu_indices`` order; a hemizygous person (X, male) has 0 off the homozygotes.
    """
    problem = MarkerNetwork(ped, marker, typed, 0.0, targets=tuple(persons), lumping="none")
    out_vars = tuple(v for p in persons for v in problem.allele_vars(p))
    n = marker.n_alleles
    t = _contract(problem.factors(), out_vars, n)
    iu, ju = _triu(n)
    off = iu != ju
    for p in persons:
        if len(problem.allele_vars(p)) == 1:
            u = np.where(off.reshape((-1,) + (1,) * (t.ndim - 1)), 0.0, t[iu])
        else:
            u = t[iu, ju] + np.where(off.reshape((-1,) + (1,) * (t.ndim - 2)), t[ju, iu], 0.0)
        t = np.moveaxis(u, 0, -1)
    clipped: np.ndarray = np.clip(t, 0.0, None)
    return clipped


def _batched_table(
    ped: Pedigree,
    marker: Marker,
    typed: Mapping[str, Genotype],
    relatives: Sequence[str],
    keys: np.ndarray,
    target: str,
) -> np.ndarray:
    """``P(data, relatives = keys[b], target = g)`` for each row ``b`` of ``keys`` (shape
    ``(B, k)``, triu genotype indices of ``relatives``): shape ``(B, K)``. The relatives' genotypes
    enter as one-hot observation factors with a batch axis, so a chunk of rows is one contraction.
    """
    problem = MarkerNetwork(ped, marker, typed, 0.0, targets=(*relatives, target), lumping="none")
    n = marker.n_alleles
    iu, ju = _triu(n)
    batch = ("\x00batch", "b")
    chunk = max(1, BATCH_LIMIT // n**3)
    out = np.empty((len(keys), len(iu)))
    for start in range(0, len(keys), chunk):
        rows = keys[start : start + chunk]
        b = np.arange(len(rows))
        factors = problem.factors()
        for z, rel in enumerate(relatives):
            own = problem.allele_vars(rel)
            i, j = iu[rows[:, z]], ju[rows[:, z]]
            if len(own) == 1:
                obs = np.zeros((len(rows), n))
                obs[b, i] = 1.0
            else:
                obs = np.zeros((len(rows), n, n))
                obs[b, i, j] = obs[b, j, i] = 1.0
            factors.append(((batch, *own), obs))
        t = _contract(factors, (batch, *problem.allele_vars(target)), n)
        if t.ndim == 2:
            u = np.where(iu == ju, t[:, iu], 0.0)
        else:
            u = t[:, iu, ju] + np.where(iu != ju, t[:, ju, iu], 0.0)
        out[start : start + len(rows)] = np.clip(u, 0.0, None)
    return out


def _joint_size(ped: Pedigree, marker: Marker, persons: Sequence[str]) -> int:
    return int(marker.n_alleles ** sum(1 if _hemizygous(ped, marker, p) else 2 for p in persons))


def _mp_log_lr_marker(
    ped: Pedigree,
    missing: str,
    marker: Marker,
    typed: Mapping[str, Genotype],
    relatives: Sequence[str],
    nsims: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Log LRs ``(nsims,)`` of one marker: the relatives and the MP drawn jointly from one table,
    whose entries give the LR; when that table would be too large, the relatives first (grouped by
    their genotypes), then the MP from one table per group."""
    family = ped.name or "?"
    head: tuple[str, ...] = ()
    tail: tuple[str, ...] = (*relatives, missing)
    if _joint_size(ped, marker, tail) > _power.JOINT_LIMIT:
        head, tail = tuple(relatives), (missing,)
    with np.errstate(divide="ignore"):  # hemizygous heterozygotes: never drawn
        log_pu = np.log(_unrelated_probs(marker, _hemizygous(ped, marker, missing)))
    out = np.empty(nsims)
    groups = _simulate_relatives(ped, marker, typed, head, nsims, rng, family)
    if head:
        keys = np.array(list(groups), dtype=np.int64)
        tables = _batched_table(ped, marker, typed, head, keys, missing)
        for w, idx in zip(tables, groups.values(), strict=True):
            total = float(w.sum())
            if not total > 0:
                raise _impossible(family, marker)
            g = _draw(w, rng, len(idx))
            with np.errstate(divide="ignore"):
                out[idx] = np.log(w[g]) - math.log(total) - log_pu[g]
        return out
    joint = _joint_table(ped, marker, typed, tail)
    flat = joint.ravel()
    if not flat.sum() > 0:
        raise _impossible(family, marker)
    draws = _draw(flat, rng, nsims)
    cells = np.unravel_index(draws, joint.shape)
    rel_margin = joint.sum(axis=-1)[cells[:-1]]
    with np.errstate(divide="ignore"):
        out[:] = np.log(flat[draws]) - np.log(rel_margin) - log_pu[cells[-1]]
    return out


def simulate_mp_log_lr(
    pedigree: Pedigree,
    missing: str,
    markers: Sequence[Marker],
    profiles: Profiles,
    relatives: Sequence[str] = (),
    nsims: int = 200,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Natural-log missing-person LRs of the true MP, simulated given the references.

    Parameters
    ----------
    pedigree : the reference family, with the MP and (untyped) ``relatives`` in it.
    missing : the MP's id.
    markers : the markers, in order.
    profiles : ``profiles[person][marker] -> Genotype`` of the typed references.
    relatives : untyped members to type as well, drawn with the MP (jointly).
    nsims : number of simulations (at least 1).
    rng : the random generator (default ``numpy.random.default_rng()``).

    Returns
    -------
    ndarray, float, shape ``(nsims, n_markers)``: the natural-log LR of each simulated MP profile
    per marker, H1 "the sample is the MP" against H2 "an unrelated person of the MP's sex" (as
    :func:`repatria.kinship.lr.missing_person_lr` gives it for that profile and the relatives').

    Examples
    --------
    The mother typed ``a/a`` (``p_a = 0.2``): her son is ``a/a`` (LR ``1 / p_a``) or ``a/b``
    (LR ``1 / (2 p_a)``).

    >>> ped = Pedigree([Individual("FA", sex=M), Individual("MO", sex=F),
    ...                 Individual("MP", "FA", "MO", M)])
    >>> m = Marker("L", ("a", "b"), [0.2, 0.8])
    >>> ln = simulate_mp_log_lr(ped, "MP", [m], {"MO": {"L": ("a", "a")}}, nsims=50,
    ...                         rng=np.random.default_rng(1))
    >>> ln.shape, np.unique(np.round(np.exp(ln[:, 0]), 6)).tolist()
    ((50, 1), [2.5, 5.0])
    """
    _check_nsims(nsims)
    _check_family(pedigree, missing, relatives, profiles)
    rng = np.random.default_rng() if rng is None else rng
    out = np.empty((nsims, len(markers)))
    for j, m in enumerate(markers):
        typed = _marker_typed(profiles, pedigree, m.name)
        out[:, j] = _mp_log_lr_marker(pedigree, missing, m, typed, relatives, nsims, rng)
    return out
