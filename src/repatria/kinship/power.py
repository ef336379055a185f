"""Which relative to sample next: simulated LR power and exclusion power of a reference family.

For a reference family (a pedigree with one missing person, MP, and the profiles of its typed
relatives) and a relative who could still give a sample, two questions:

1. **LR power.** If the relative were typed and the true MP were found, how large would the
   missing-person LR be? The genotypes of the relative and of the MP are drawn *conditionally on
   the typed references* (as forrel's ``profileSim``/``MPPsims`` do), marker by marker, from the
   joint table ``P(refs, R = r, MP = g)`` of the core's exact variable elimination (one
   contraction; when that table would be too large, by sequential conditioning: the relatives
   first, then the MP from one batched table per drawn genotype of theirs). The same table is the
   numerator of the LR, so each simulation's LR is a lookup:

   ``LR_m = P(refs, R = r, MP = g) / (P(refs, R = r) * P_unrelated(g))`` per marker ``m``,

   H1 "the sample is the MP", H2 "the sample is an unrelated person of the MP's sex", with the
   markers' mutation models as stored and no theta correction (this is
   :func:`repatria.kinship.lr.missing_person_lr` for every simulated profile). The total LR is the
   product over markers. Reported: ``P(LR >= threshold)``, the mean log10 LR, quantiles.

2. **Exclusion power** (forrel's ``exclusionPower`` with ``truePed`` the family beside an
   unrelated person of interest, ``claimPed`` the family with that person as the MP, Egeland,
   Pinto and Vigeland 2014): the probability that an *unrelated* person, placed as the MP, is
   inconsistent with the references and the new relative without mutation, where the relative's
   genotype is random given the references. Per marker it is computed exactly by enumerating the
   relatives' genotypes (up to ``exact_limit`` joint genotypes per marker; beyond, it is estimated
   from ``nsims`` draws and says so); the total is ``1 - prod(1 - EP_m)``. As forrel's
   default ``disableMutations = NA``, mutations are disabled at a marker when the references are
   consistent without them; where they are not, the mutation model is kept (and then an exclusion
   is rarely possible). A marker where the references are impossible even with mutation has
   ``nan`` (forrel's ``NA``) and is left out of the total.

Lineage markers: a relative on the MP's paternal line (a man, for a male MP) or maternal line would
also give a Y-STR or mtDNA comparison; :attr:`SamplingCandidate.lines` says which, but the figures
here are of the autosomal (and X) markers only.

Everything is driven by a seed: each candidate draws from ``numpy.random.default_rng(seed)``, so
adding or removing a candidate does not change the others' numbers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import opt_einsum as oe

from repatria import __version__
from repatria.kinship._numeric import BoundedCache
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Profiles, Sex
from repatria.kinship.probability import MarkerNetwork, genotype_table_and_loglik

__all__ = [
    "QUANTILES",
    "SamplingCandidate",
    "sampling_candidates",
    "relationship",
    "ExclusionPower",
    "exclusion_power",
    "missing_person_exclusion_power",
    "simulate_mp_log_lr",
    "CandidatePower",
    "SamplingPower",
    "candidate_power",
    "sampling_power",
]

#: Quantiles of the log10 LR reported for each candidate.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

#: Largest joint table of ordered allele variables built in one contraction (entries).
JOINT_LIMIT = 200_000

#: Largest joint table of the new relatives alone (entries), drawn or enumerated in one piece.
RELATIVES_LIMIT = 4_000_000

#: Largest ``chunk * n_alleles ** 3`` of a batched contraction (bounds its intermediate tables).
BATCH_LIMIT = 12_000_000

#: Greedy contraction orders with a larger intermediate (entries) are searched again (``auto-hq``).
SEARCH_ABOVE = 1_000_000

#: Most joint genotypes of the new relatives enumerated per marker for an exact exclusion power.
EXACT_LIMIT = 5000

METHOD = (
    "conditional simulation by sequential genotype tables (exact variable elimination), "
    "missing-person LR per simulation; exclusion power as forrel's exclusionPower"
)

M, F = Sex.MALE, Sex.FEMALE

# A relative's genotype at one marker, as allele indices (i <= j).
_GenoIdx = tuple[int, int]


# --------------------------------------------------------------------------------------------
# candidates


@dataclass(frozen=True, eq=False)
class SamplingCandidate:
    """A relative (or a set of relatives typed together) who could still give a sample.

    Attributes
    ----------
    relatives : ids of the people to type, in ``pedigree``; empty for "the current references".
    relationship : how they are related to the MP, e.g. ``"mother"``, ``"full sibling (added)"``.
    pedigree : the family's pedigree, with the relatives added where they were not in it.
    lines : ``"Y"`` when the (first) relative is a man of the MP's paternal line and the MP is male,
        ``"mt"`` when of the MP's maternal line: lineage markers would add to the figures.
    added : whether the relatives were added to the pedigree.
    """

    relatives: tuple[str, ...]
    relationship: str
    pedigree: Pedigree
    lines: tuple[str, ...] = ()
    added: bool = False


def _fresh(ped: Pedigree | list[Individual], base: str) -> str:
    ids = {i.id for i in ped}
    if base not in ids:
        return base
    k = 2
    while f"{base}-{k}" in ids:
        k += 1
    return f"{base}-{k}"


def _with_parents(
    inds: list[Individual], pid: str, prefix: str
) -> tuple[list[Individual], str, str]:
    """``inds`` where ``pid`` has parents (added as founders if it had none), and their ids."""
    ind = next(i for i in inds if i.id == pid)
    if ind.father is not None and ind.mother is not None:
        return inds, ind.father, ind.mother
    fa = _fresh(inds, f"{prefix}father")
    inds = inds + [Individual(fa, sex=M)]
    mo = _fresh(inds, f"{prefix}mother")
    inds = inds + [Individual(mo, sex=F)]
    inds = [Individual(i.id, fa, mo, i.sex) if i.id == pid else i for i in inds]
    return inds, fa, mo


def _added_candidates(ped: Pedigree, mp: str) -> list[SamplingCandidate]:
    """The relatives that can be added: parents, a full sibling, a child (with and without its
    other parent), a paternal uncle (Y line) and a maternal aunt (mt line)."""
    out: list[SamplingCandidate] = []
    base = list(ped)
    name = ped.name
    sex = ped[mp].sex
    if ped[mp].is_founder:
        inds, fa, mo = _with_parents(base, mp, "new-")
        p = Pedigree(inds, name=name)
        out.append(SamplingCandidate((fa,), "father (added)", p, added=True))
        out.append(SamplingCandidate((mo,), "mother (added)", p, added=True))
    inds, fa, mo = _with_parents(base, mp, "new-")
    sib = _fresh(inds, "new-sibling")
    p = Pedigree(inds + [Individual(sib, fa, mo, F)], name=name)
    out.append(SamplingCandidate((sib,), "full sibling (added)", p, added=True))
    if sex in (M, F):
        other = _fresh(base, "new-partner")
        child = _fresh(base + [Individual(other)], "new-child")
        fa_c, mo_c = (mp, other) if sex == M else (other, mp)
        inds = base + [
            Individual(other, sex=F if sex == M else M),
            Individual(child, fa_c, mo_c, F),
        ]
        p = Pedigree(inds, name=name)
        out.append(SamplingCandidate((child,), "child (added)", p, added=True))
        out.append(
            SamplingCandidate((child, other), "child and its other parent (added)", p, added=True)
        )
    for side, sex_rel, label in ((0, M, "paternal uncle (added)"), (1, F, "maternal aunt (added)")):
        inds, fa, mo = _with_parents(base, mp, "new-")
        parent = (fa, mo)[side]
        inds, gf, gm = _with_parents(inds, parent, f"new-{('paternal', 'maternal')[side]}-grand")
        rel = _fresh(inds, f"new-{label.split()[1]}")
        p = Pedigree(inds + [Individual(rel, gf, gm, sex_rel)], name=name)
        out.append(SamplingCandidate((rel,), label, p, added=True))
    return out


def _line_founder(ped: Pedigree, pid: str, side: int) -> str:
    """The founder at the top of ``pid``'s paternal (``side`` 0) or maternal (1) line."""
    while True:
        parents = ped.parents(pid)
        if parents is None:
            return pid
        pid = parents[side]


def _lines(ped: Pedigree, mp: str, rel: str) -> tuple[str, ...]:
    out = []
    if (
        ped[mp].sex == M
        and ped[rel].sex == M
        and _line_founder(ped, mp, 0) == _line_founder(ped, rel, 0)
    ):
        out.append("Y")
    if _line_founder(ped, mp, 1) == _line_founder(ped, rel, 1):
        out.append("mt")
    return tuple(out)


_WORDS = {
    "parent": ("father", "mother"),
    "child": ("son", "daughter"),
    "full sibling": ("brother", "sister"),
    "half sibling": ("half brother", "half sister"),
    "grandparent": ("grandfather", "grandmother"),
    "grandchild": ("grandson", "granddaughter"),
    "avuncular": ("uncle", "aunt"),
    "nephew/niece": ("nephew", "niece"),
}


def relationship(ped: Pedigree, mp: str, rel: str) -> str:
    """A word for how ``rel`` is related to ``mp`` in ``ped`` (``"relative"`` when none fits).

    Examples
    --------
    >>> ped = Pedigree([Individual("FA", sex=M), Individual("MO", sex=F),
    ...                 Individual("MP", "FA", "MO", M), Individual("S", "FA", "MO", F)])
    >>> relationship(ped, "MP", "S"), relationship(ped, "MP", "MO")
    ('sister', 'mother')
    """
    kind = _relationship_kind(ped, mp, rel)
    words = _WORDS.get(kind)
    sex = ped[rel].sex
    if words is None or sex not in (M, F):
        return kind
    return words[0 if sex == M else 1]


def _full_sibs(ped: Pedigree, pid: str) -> set[str]:
    par = ped.parents(pid)
    if par is None:
        return set()
    return {c for c in ped.children(par[0]) if ped.parents(c) == par and c != pid}


def _relationship_kind(ped: Pedigree, mp: str, rel: str) -> str:
    parents = set(ped.parents(mp) or ())
    children = set(ped.children(mp))
    grandparents = {g for p in parents for g in (ped.parents(p) or ())}
    sibs = _full_sibs(ped, mp)
    avuncular = {s for p in parents for s in _full_sibs(ped, p)}
    kinds: list[tuple[str, set[str]]] = [
        ("parent", parents),
        ("child", children),
        ("full sibling", sibs),
        ("half sibling", {c for p in parents for c in ped.children(p)} - sibs - {mp}),
        ("grandparent", grandparents),
        ("grandchild", {g for c in children for g in ped.children(c)}),
        ("avuncular", avuncular),
        ("nephew/niece", {c for s in sibs for c in ped.children(s)}),
        ("first cousin", {c for a in avuncular for c in ped.children(a)}),
        ("partner", {p for c in children for p in (ped.parents(c) or ())} - {mp}),
    ]
    return next((k for k, group in kinds if rel in group), "relative")


def sampling_candidates(
    pedigree: Pedigree, missing: str, profiles: Profiles, exclude: Iterable[str] = ()
) -> tuple[SamplingCandidate, ...]:
    """The relatives of ``missing`` who could still be sampled.

    First "the current references" (no new relative), then every untyped member of ``pedigree``
    other than the MP, then relatives added to the pedigree: the MP's parents (if it has none in the
    pedigree), a full sibling, a child (with and without its other parent; an MP of known sex
    only), a paternal uncle (a man of the MP's paternal line, for Y-STRs) and a maternal aunt (of
    its maternal line, for mtDNA). ``exclude``: members not to offer (e.g. the family's other
    missing persons).
    """
    if missing not in pedigree:
        raise KinshipError(f"missing person '{missing}' is not in the pedigree")
    typed = {pid for pid, prof in profiles.items() if pid in pedigree and _has_genotype(prof)}
    typed |= set(exclude)
    out = [SamplingCandidate((), "current references", pedigree)]
    for pid in pedigree.ids:
        if pid == missing or pid in typed:
            continue
        out.append(
            SamplingCandidate(
                (pid,),
                relationship(pedigree, missing, pid),
                pedigree,
                _lines(pedigree, missing, pid),
            )
        )
    for c in _added_candidates(pedigree, missing):
        lines = _lines(c.pedigree, missing, c.relatives[0])
        out.append(SamplingCandidate(c.relatives, c.relationship, c.pedigree, lines, True))
    return tuple(out)


def _has_genotype(prof: Mapping[str, Genotype]) -> bool:
    return any(g is not None and (g[0] is not None or g[1] is not None) for g in prof.values())


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
    if _joint_size(ped, marker, relatives) <= RELATIVES_LIMIT:
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
    if _joint_size(ped, marker, tail) > JOINT_LIMIT:
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


# --------------------------------------------------------------------------------------------
# exclusion power


@dataclass(frozen=True, eq=False)
class ExclusionPower:
    """Exclusion power per marker and in total (forrel's ``EPresult``).

    Attributes
    ----------
    markers : marker names, in order.
    per_marker : shape ``(n_markers,)``, the probability that a marker excludes; ``nan`` where the
        known genotypes are impossible (left out of the total).
    total : ``1 - prod(1 - per_marker)`` over the markers that are not ``nan``.
    expected_mismatches : ``sum(per_marker)``.
    mutation_disabled : markers whose mutation model was switched off (known genotypes consistent
        without it).
    exact : every genotype enumerated; ``False``: some marker estimated from ``nsims`` draws.
    estimated : the markers estimated from draws.
    nsims, seed : the draws used where not exact.
    """

    markers: tuple[str, ...]
    per_marker: np.ndarray
    total: float
    expected_mismatches: float
    mutation_disabled: tuple[str, ...]
    exact: bool
    estimated: tuple[str, ...] = ()
    nsims: int = 0
    seed: int | None = None
    version: str = __version__


def _exclusion_result(
    names: list[str],
    ep: list[float],
    disabled: list[str],
    estimated: list[str],
    nsims: int,
    seed: int | None,
) -> ExclusionPower:
    per = np.clip(np.array(ep, dtype=float), 0.0, 1.0)  # rounding never leaves [0, 1]
    ok = per[~np.isnan(per)]
    per.setflags(write=False)
    return ExclusionPower(
        tuple(names),
        per,
        float(1.0 - np.prod(1.0 - ok)),
        float(np.sum(ok)),
        tuple(disabled),
        not estimated,
        tuple(estimated),
        nsims,
        seed,
    )


def _consistent_without_mutation(
    peds: Sequence[Pedigree], marker: Marker, typed: Mapping[str, Genotype]
) -> bool:
    """Whether the known genotypes are possible on every pedigree with mutation switched off."""
    from repatria.kinship.probability import marker_likelihood

    plain = marker.without_mutation()
    for ped in peds:
        known = {k: v for k, v in typed.items() if k in ped}
        comps = [ped.subset(c) for c in ped.components()]
        if any(marker_likelihood(c, plain, _in(known, c)) == -math.inf for c in comps):
            return False
    return True


def _in(typed: Mapping[str, Genotype], ped: Pedigree) -> dict[str, Genotype]:
    return {k: v for k, v in typed.items() if k in ped}


def _enumerate(
    ped: Pedigree,
    marker: Marker,
    typed: Mapping[str, Genotype],
    ids: Sequence[str],
    limit: int,
) -> list[tuple[float, dict[str, Genotype]]] | None:
    """Every joint genotype of ``ids`` with its probability given ``typed`` on ``ped``, from one
    joint table; ``None`` when there are more than ``limit`` (or the table would be too large)."""
    if not ids:
        return [(1.0, dict(typed))]
    if _joint_size(ped, marker, ids) > RELATIVES_LIMIT:
        return None
    joint = _joint_table(ped, marker, typed, ids)
    cells = np.flatnonzero(joint > 0)
    if len(cells) > limit:
        return None
    total = float(joint.sum())
    leaves = []
    for c in cells:
        key = np.unravel_index(int(c), joint.shape)
        known = {**typed, **{pid: _label(marker, int(k)) for pid, k in zip(ids, key, strict=True)}}
        leaves.append((float(joint.flat[c]) / total, known))
    return leaves


def _sampled(
    ped: Pedigree,
    marker: Marker,
    typed: Mapping[str, Genotype],
    ids: Sequence[str],
    nsims: int,
    rng: np.random.Generator,
) -> list[tuple[float, dict[str, Genotype]]]:
    """``nsims`` joint draws of ``ids`` given ``typed``, as leaves of equal weight."""
    groups = _simulate_relatives(ped, marker, typed, ids, nsims, rng, ped.name or "?")
    return [
        (
            len(idx) / nsims,
            {**typed, **{ids[z]: _label(marker, g) for z, g in enumerate(key)}},
        )
        for key, idx in groups.items()
    ]


def exclusion_power(
    claim: Pedigree,
    true: Pedigree,
    ids: Sequence[str],
    markers: Sequence[Marker],
    profiles: Profiles | None = None,
    exact_limit: int = EXACT_LIMIT,
    nsims: int = 1000,
    seed: int | None = 1,
) -> ExclusionPower:
    """Power of excluding the ``claim`` pedigree when ``true`` is the truth (forrel's
    ``exclusionPower``, Egeland, Pinto and Vigeland 2014).

    The genotypes of ``ids`` (untyped in ``profiles``) are random under ``true`` given the known
    genotypes; a marker excludes when they and the known genotypes are impossible on ``claim``
    without mutation. Mutations are disabled at a marker whose known genotypes are consistent
    without them on both pedigrees (forrel's ``disableMutations = NA``). Exact: the joint
    genotypes of ``ids[:-1]`` are enumerated (at most ``exact_limit`` per marker, else ``nsims``
    draws with ``seed``) and the last one summed over.

    Parameters
    ----------
    claim, true : pedigrees holding every id of ``ids`` and every typed person.
    ids : the people to be genotyped.
    markers : the markers.
    profiles : known genotypes, ``profiles[person][marker]``.

    Returns
    -------
    ExclusionPower

    Examples
    --------
    Paternity, nobody typed, two equally frequent alleles: the alleged father and the child are
    opposite homozygotes with probability ``2 * (1/4)**2``.

    >>> claim = Pedigree([Individual("AF", sex=M), Individual("MO", sex=F),
    ...                   Individual("CH", "AF", "MO", F)])
    >>> true = Pedigree([Individual("AF", sex=M), Individual("CH", sex=F)])
    >>> m = Marker("L1", ("1", "2"), [0.5, 0.5])
    >>> exclusion_power(claim, true, ["AF", "CH"], [m]).total
    0.125
    """
    if not ids:
        raise KinshipError("exclusion power needs at least one person to genotype")
    profiles = profiles or {}
    for pid in ids:
        for ped, which in ((claim, "claim"), (true, "true")):
            if pid not in ped:
                raise KinshipError(f"'{pid}' is not in the {which} pedigree")
    rng = np.random.default_rng(seed)
    names, ep, disabled, estimated = [], [], [], []
    for marker in markers:
        names.append(marker.name)
        typed = {
            **_marker_typed(profiles, true, marker.name),
            **_marker_typed(profiles, claim, marker.name),
        }
        if marker.has_mutation and _consistent_without_mutation((claim, true), marker, typed):
            disabled.append(marker.name)
            marker = marker.without_mutation()
        leaves = _enumerate(true, marker, _in(typed, true), ids[:-1], exact_limit)
        if leaves is None:
            estimated.append(marker.name)
            leaves = _sampled(true, marker, _in(typed, true), ids[:-1], nsims, rng)
        value, total = 0.0, 0.0
        last = ids[-1]
        for w0, known in leaves:
            t, _ = _table(true, marker, _in(known, true), last)
            s = float(t.sum())
            if s <= 0:
                continue
            c, _ = _table(claim, marker, _in(known, claim), last)
            value += w0 * float(t[c <= 0].sum()) / s
            total += w0
        ep.append(value / total if total > 0 else math.nan)
    return _exclusion_result(names, ep, disabled, estimated, nsims if estimated else 0, seed)


class _Reduced:
    """Alleles of one marker reduced to those the typed carry, one placeholder for each allele a
    new relative may bring, and one lump, for consistency checks without mutation: which genotypes
    are possible does not depend on the frequencies or on the labels of alleles that nobody typed
    carries, so one reduced marker serves every genotype of the relatives, and all of them are
    checked in one batched contraction. Placeholders a genotype does not use weigh 0."""

    OTHER = "\x00other"

    def __init__(
        self,
        ped: Pedigree,
        marker: Marker,
        typed: Mapping[str, Genotype],
        mp: str,
        relatives: Sequence[str],
    ) -> None:
        self.ped, self.marker, self.typed, self.mp = ped, marker, dict(typed), mp
        self.relatives = tuple(relatives)
        self.seen = sorted({marker.allele_index(a) for g in typed.values() for a in g if a})
        n_new = 2 * len(relatives)
        labels = tuple(marker.alleles[i] for i in self.seen)
        labels += tuple(f"\x00new{k}" for k in range(n_new)) + (self.OTHER,)
        self.small = Marker(
            marker.name, labels, np.full(len(labels), 1.0 / len(labels)), is_x=marker.is_x
        )
        self.hemizygous = _hemizygous(ped, marker, mp)

    def _encode(self, leaf: Mapping[str, Genotype]) -> tuple[list[int], np.ndarray]:
        """The relatives' genotypes as reduced triu indices, and the reduced frequencies."""
        m, n_red = self.marker, self.small.n_alleles
        pos = {a: k for k, a in enumerate(self.seen)}
        p = np.zeros(n_red)
        p[: len(self.seen)] = m.afreq[self.seen]
        keys = []
        for r in self.relatives:
            ij = []
            for a in leaf[r]:
                i = m.allele_index(str(a))
                if i not in pos:
                    pos[i] = len(pos)
                    p[pos[i]] = m.afreq[i]
                ij.append(pos[i])
            x, y = sorted(ij)
            keys.append(x * n_red - x * (x - 1) // 2 + (y - x))  # triu index of (x, y)
        p[-1] = max(0.0, 1.0 - float(p[:-1].sum()))
        return keys, p

    def consistent_masses(self, leaves: Sequence[Mapping[str, Genotype]]) -> np.ndarray:
        """``P_unrelated`` of the MP genotypes consistent with the typed and each leaf, ``(B,)``."""
        encoded = [self._encode(leaf) for leaf in leaves]
        p = np.array([e[1] for e in encoded])
        iu, ju = _triu(self.small.n_alleles)
        if self.relatives:
            keys = np.array([e[0] for e in encoded], dtype=np.int64)
            tables = _batched_table(self.ped, self.small, self.typed, self.relatives, keys, self.mp)
        else:
            tables = _table(self.ped, self.small, self.typed, self.mp)[0][None, :]
        if self.hemizygous:
            pu = np.where(iu == ju, p[:, iu], 0.0)
        else:
            pu = np.where(iu == ju, 1.0, 2.0) * p[:, iu] * p[:, ju]
        return np.asarray((pu * (tables > 0)).sum(axis=1), dtype=float)


def _always_possible(marker: Marker) -> bool:
    """Whether every transmission has positive probability: then nothing is ever excluded."""
    return all(
        mm is not None and bool((mm.matrix > 0).all()) for mm in (marker.female, marker.male)
    )


def missing_person_exclusion_power(
    pedigree: Pedigree,
    missing: str,
    markers: Sequence[Marker],
    profiles: Profiles,
    relatives: Sequence[str] = (),
    exact_limit: int = EXACT_LIMIT,
    nsims: int = 1000,
    seed: int | None = 1,
) -> ExclusionPower:
    """Probability that an unrelated person placed as ``missing`` is excluded, per marker.

    :func:`exclusion_power` with ``claim`` the family with the person of interest as the MP and
    ``true`` the family beside an unrelated person of the MP's sex (forrel's ``missingPersonEP``
    when ``relatives`` is empty); ``relatives`` are untyped members typed as well, random given the
    references. The same numbers as :func:`exclusion_power`, faster: a consistency check without
    mutation is done once per pattern of alleles (see :class:`_Reduced`).
    """
    _check_family(pedigree, missing, relatives, profiles)
    rng = np.random.default_rng(seed)
    names, ep, disabled, estimated = [], [], [], []
    for marker in markers:
        names.append(marker.name)
        typed = _marker_typed(profiles, pedigree, marker.name)
        plain = not marker.has_mutation
        if not plain and _consistent_without_mutation((pedigree,), marker, typed):
            disabled.append(marker.name)
            marker, plain = marker.without_mutation(), True
        leaves = _enumerate(pedigree, marker, typed, relatives, exact_limit)
        if leaves is None:
            estimated.append(marker.name)
            leaves = _sampled(pedigree, marker, typed, relatives, nsims, rng)
        if not relatives and not _refs_possible(pedigree, marker, typed):
            leaves = []
        if not leaves:
            ep.append(math.nan)
            continue
        ep.append(_marker_ep(pedigree, missing, marker, typed, relatives, leaves, plain))
    return _exclusion_result(names, ep, disabled, estimated, nsims if estimated else 0, seed)


def _refs_possible(ped: Pedigree, marker: Marker, typed: Mapping[str, Genotype]) -> bool:
    from repatria.kinship.probability import marker_likelihood

    comps = [ped.subset(c) for c in ped.components()]
    return all(marker_likelihood(c, marker, _in(typed, c)) > -math.inf for c in comps)


def _marker_ep(
    ped: Pedigree,
    missing: str,
    marker: Marker,
    typed: Mapping[str, Genotype],
    relatives: Sequence[str],
    leaves: list[tuple[float, dict[str, Genotype]]],
    plain: bool,
) -> float:
    if not plain and _always_possible(marker):
        return 0.0
    w = np.array([w0 for w0, _ in leaves])
    if plain:
        reduced = _Reduced(ped, marker, typed, missing, relatives)
        mass = reduced.consistent_masses([known for _, known in leaves])
    else:
        pu = _unrelated_probs(marker, _hemizygous(ped, marker, missing))
        mass = np.array(
            [float(pu[_table(ped, marker, known, missing)[0] > 0].sum()) for _, known in leaves]
        )
    return float(np.sum(w * (1.0 - mass)) / np.sum(w))


# --------------------------------------------------------------------------------------------
# the power of each candidate


@dataclass(frozen=True, eq=False)
class CandidatePower:
    """Simulated LR power and exclusion power of one candidate.

    Attributes
    ----------
    candidate : the relatives to type, their relationship and the pedigree used.
    log10_lr_per_marker : shape ``(nsims, n_markers)``, log10 LR of each simulated true MP.
    log10_lr : shape ``(nsims,)``, their sums (log10 of the total LR).
    threshold : the LR threshold.
    p_lr_above : share of simulations with ``LR >= threshold``.
    expected_log10_lr : mean of ``log10_lr`` (``-inf`` if a simulation gave LR 0).
    quantiles : ``((q, log10 LR at q), ...)`` for :data:`QUANTILES`.
    exclusion : exclusion power of an unrelated person with the references and the candidate.
    """

    candidate: SamplingCandidate
    log10_lr_per_marker: np.ndarray
    log10_lr: np.ndarray
    threshold: float
    p_lr_above: float
    expected_log10_lr: float
    quantiles: tuple[tuple[float, float], ...]
    exclusion: ExclusionPower

    @property
    def relatives(self) -> tuple[str, ...]:
        return self.candidate.relatives

    @property
    def relationship(self) -> str:
        return self.candidate.relationship


@dataclass(frozen=True, eq=False)
class SamplingPower:
    """The power of every candidate of one family, with how it was computed.

    Attributes
    ----------
    family, missing : the family and its MP.
    markers : the markers used.
    threshold : the LR threshold (``P(LR >= threshold)``).
    nsims, seed : simulations per candidate; each candidate starts from ``default_rng(seed)``.
    candidates : one :class:`CandidatePower` each, the current references first.
    method, version, parameters : how, by which Repatria, with which options.
    """

    family: str | None
    missing: str
    markers: tuple[str, ...]
    threshold: float
    nsims: int
    seed: int
    candidates: tuple[CandidatePower, ...]
    method: str = METHOD
    version: str = __version__
    parameters: Mapping[str, Any] = field(default_factory=dict)


def candidate_power(
    candidate: SamplingCandidate,
    missing: str,
    markers: Sequence[Marker],
    profiles: Profiles,
    threshold: float = 1e4,
    nsims: int = 200,
    seed: int = 1,
    exact_limit: int = EXACT_LIMIT,
) -> CandidatePower:
    """LR power and exclusion power of one candidate (see the module docstring)."""
    _check_nsims(nsims)
    if not threshold > 0:
        raise KinshipError(f"the LR threshold must be positive, not {threshold}")
    rng = np.random.default_rng(seed)
    ped, rel = candidate.pedigree, candidate.relatives
    ln = simulate_mp_log_lr(ped, missing, markers, profiles, rel, nsims, rng)
    per = ln / math.log(10)
    total = per.sum(axis=1)
    per.setflags(write=False)
    total.setflags(write=False)
    with np.errstate(invalid="ignore"):
        qs = np.quantile(total, QUANTILES) if np.isfinite(total).all() else None
    quantiles = tuple(
        (q, float(qs[k]) if qs is not None else float(np.sort(total)[_rank(q, nsims)]))
        for k, q in enumerate(QUANTILES)
    )
    ep = missing_person_exclusion_power(
        ped, missing, markers, profiles, rel, exact_limit, max(nsims, 1), seed
    )
    return CandidatePower(
        candidate,
        per,
        total,
        float(threshold),
        float(np.mean(total >= math.log10(threshold))),
        float(np.mean(total)),
        quantiles,
        ep,
    )


def _rank(q: float, n: int) -> int:
    return min(n - 1, max(0, int(math.floor(q * (n - 1)))))


def sampling_power(
    pedigree: Pedigree,
    missing: str,
    markers: Sequence[Marker],
    profiles: Profiles,
    threshold: float = 1e4,
    nsims: int = 200,
    seed: int = 1,
    candidates: Iterable[SamplingCandidate] | None = None,
    exact_limit: int = EXACT_LIMIT,
    progress: Callable[[int, int, SamplingCandidate], None] | None = None,
) -> SamplingPower:
    """Which relative to sample next: the power of each candidate of one family.

    Parameters
    ----------
    pedigree : the reference family with its MP ``missing``.
    markers : the markers.
    profiles : the typed references, ``profiles[person][marker] -> Genotype``.
    threshold : the LR an identification needs (e.g. the policy's 10 000).
    nsims : simulations per candidate (at least 1); ``seed`` makes them reproducible.
    candidates : default :func:`sampling_candidates`.
    exact_limit : most joint genotypes enumerated per marker for the exclusion power.
    progress : called as ``progress(k, n, candidate)`` before candidate ``k`` of ``n``.

    Returns
    -------
    SamplingPower
    """
    _check_nsims(nsims)
    cands = (
        tuple(candidates)
        if candidates is not None
        else sampling_candidates(pedigree, missing, profiles)
    )
    out = []
    for k, c in enumerate(cands):
        if progress is not None:
            progress(k, len(cands), c)
        out.append(
            candidate_power(c, missing, markers, profiles, threshold, nsims, seed, exact_limit)
        )
    return SamplingPower(
        pedigree.name,
        missing,
        tuple(m.name for m in markers),
        float(threshold),
        int(nsims),
        int(seed),
        tuple(out),
        parameters={"exact_limit": exact_limit, "quantiles": QUANTILES, "theta": 0.0},
    )
