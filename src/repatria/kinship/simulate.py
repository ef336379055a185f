"""Simulated profiles and DVI cases with known truth, for tests, power studies and benchmarks.

Genotypes are dropped down a pedigree: founders draw alleles from the frequencies, each child gets
one allele from each parent (chosen with probability 1/2) passed through that parent's mutation
matrix. Everything is driven by a :class:`numpy.random.Generator`, so a seed reproduces a case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from repatria.kinship.dvi import NOBODY, DVIProblem
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker, MutationModel
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex

__all__ = [
    "simulate_profiles",
    "simulate_dvi",
    "SimulatedDVI",
    "FAMILY_SHAPES",
    "simulate_population",
    "SimulatedPopulation",
]

M, F = Sex.MALE, Sex.FEMALE


def simulate_profiles(
    pedigree: Pedigree, markers: Sequence[Marker], rng: np.random.Generator
) -> dict[str, dict[str, Genotype]]:
    """Genotypes of everyone in ``pedigree`` at every marker (X-linked: males hemizygous).

    Founders draw from the frequencies; children inherit one allele of each parent at random,
    through the parent's mutation model. Returns ``profiles[person][marker] -> Genotype``.
    """
    out: dict[str, dict[str, Genotype]] = {i: {} for i in pedigree.ids}
    for m in markers:
        n = m.n_alleles
        alleles: dict[str, tuple[int, int]] = {}
        for pid in pedigree.ids:
            ind = pedigree[pid]
            male_x = m.is_x and ind.sex == M
            if ind.father is None or ind.mother is None:  # a founder
                a, b = rng.choice(n, size=2, p=m.afreq)
            else:
                fa, mo = alleles[ind.father], alleles[ind.mother]
                b = _transmit(mo, m.female, rng)
                a = b if male_x else (_transmit(fa, m.male, rng, hemizygous=m.is_x))
            if male_x:
                a = b
            alleles[pid] = (int(a), int(b))
            out[pid][m.name] = (m.alleles[int(a)], m.alleles[int(b)])
    return out


def _transmit(
    parent: tuple[int, int],
    model: MutationModel | None,
    rng: np.random.Generator,
    hemizygous: bool = False,
) -> int:
    """The allele a parent with alleles ``parent`` passes on, through its mutation model."""
    allele = parent[0] if hemizygous else parent[int(rng.integers(2))]
    if model is None:
        return allele
    row = model.matrix[allele]
    return int(rng.choice(len(row), p=row / row.sum()))


#: Reference family shapes: name -> (individuals, the typed references); "MP" is the missing person.
FAMILY_SHAPES: dict[str, tuple[list[Individual], list[str]]] = {
    "parents": (
        [Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)],
        ["FA", "MO"],
    ),
    "mother": (
        [Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)],
        ["MO"],
    ),
    "father": (
        [Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)],
        ["FA"],
    ),
    "two_siblings": (
        [
            Individual("FA", sex=M),
            Individual("MO", sex=F),
            Individual("MP", "FA", "MO", M),
            Individual("S1", "FA", "MO", M),
            Individual("S2", "FA", "MO", F),
        ],
        ["S1", "S2"],
    ),
    "child": (
        [Individual("MP", sex=M), Individual("WI", sex=F), Individual("CH", "MP", "WI", F)],
        ["CH"],
    ),
    "child_and_wife": (
        [Individual("MP", sex=M), Individual("WI", sex=F), Individual("CH", "MP", "WI", F)],
        ["CH", "WI"],
    ),
    "half_sibling": (
        [
            Individual("FA", sex=M),
            Individual("MO", sex=F),
            Individual("M2", sex=F),
            Individual("MP", "FA", "MO", M),
            Individual("HS", "FA", "M2", M),
        ],
        ["HS"],
    ),
    "cousin": (
        [
            Individual("GF", sex=M),
            Individual("GM", sex=F),
            Individual("FA", "GF", "GM", M),
            Individual("UN", "GF", "GM", M),
            Individual("MO", sex=F),
            Individual("AU", sex=F),
            Individual("MP", "FA", "MO", M),
            Individual("CO", "UN", "AU", M),
        ],
        ["CO"],
    ),
}

#: How often each shape occurs by default: most families give a parent, a child or two siblings.
DEFAULT_SHAPE_WEIGHTS = {
    "parents": 0.2,
    "mother": 0.2,
    "father": 0.1,
    "two_siblings": 0.2,
    "child": 0.1,
    "child_and_wife": 0.1,
    "half_sibling": 0.06,
    "cousin": 0.04,
}


@dataclass(frozen=True, eq=False)
class SimulatedDVI:
    """A simulated case and its truth: ``truth[pm] -> MP or "*"``."""

    problem: DVIProblem
    truth: dict[str, str]


def _simulate_families(
    markers: Sequence[Marker], n_families: int, rng: np.random.Generator, weights: dict[str, float]
) -> tuple[
    dict[str, Pedigree],
    dict[str, dict[str, dict[str, Genotype]]],
    list[str],
    dict[str, str],
    dict[str, dict[str, Genotype]],
]:
    """Reference families of random shapes, one MP each, with everyone's simulated profile.

    Returns ``(families, am_profiles, missing, missing_family, mp_profiles)``, as the fields of
    :class:`DVIProblem` of those names; ``mp_profiles[mp]`` is the MP's own simulated profile.
    """
    shapes = list(weights)
    probs = np.array([weights[s] for s in shapes], dtype=float)
    probs /= probs.sum()
    families: dict[str, Pedigree] = {}
    am_profiles: dict[str, dict[str, dict[str, Genotype]]] = {}
    missing: list[str] = []
    missing_family: dict[str, str] = {}
    mp_profiles: dict[str, dict[str, Genotype]] = {}
    width = len(str(n_families))
    for k in range(n_families):
        famid = f"F{k + 1:0{width}d}"
        shape = shapes[int(rng.choice(len(shapes), p=probs))]
        inds, refs = FAMILY_SHAPES[shape]
        label = {i.id: f"{famid}-{i.id}" for i in inds}
        label["MP"] = f"M{k + 1:0{width}d}"
        ped = Pedigree(inds, name=famid).relabel(label)
        ped = Pedigree(list(ped), name=famid)
        prof = simulate_profiles(ped, markers, rng)
        families[famid] = ped
        am_profiles[famid] = {label[r]: prof[label[r]] for r in refs}
        mp = label["MP"]
        missing.append(mp)
        missing_family[mp] = famid
        mp_profiles[mp] = prof[mp]
    return families, am_profiles, missing, missing_family, mp_profiles


def simulate_dvi(
    markers: Sequence[Marker],
    n_victims: int,
    n_families: int,
    rng: np.random.Generator,
    shape_weights: dict[str, float] | None = None,
    unrelated_victims: float = 0.1,
) -> SimulatedDVI:
    """A DVI case: ``n_families`` reference families with one MP each, ``n_victims`` PM samples.

    About ``unrelated_victims`` of the PMs belong to no family (``*`` in the truth); the others are
    the MPs of distinct families. All PMs and MPs are male (soldiers), so every PM may be every MP.
    """
    weights = shape_weights or DEFAULT_SHAPE_WEIGHTS
    n_true = min(n_families, int(round(n_victims * (1 - unrelated_victims))))
    families, am_profiles, missing, missing_family, mp_profiles = _simulate_families(
        markers, n_families, rng, weights
    )
    order = rng.permutation(n_families)[:n_true]
    pm, pm_prof, truth = [], {}, {}
    sources = [missing[i] for i in order] + [None] * (n_victims - n_true)
    rng.shuffle(sources)
    wv = len(str(n_victims))
    for k, src in enumerate(sources):
        v = f"V{k + 1:0{wv}d}"
        pm.append(v)
        if src is None:
            lone = Pedigree([Individual("X", sex=M)])
            pm_prof[v] = simulate_profiles(lone, markers, rng)["X"]
            truth[v] = NOBODY
        else:
            pm_prof[v] = mp_profiles[src]
            truth[v] = src
    problem = DVIProblem(
        tuple(markers),
        tuple(pm),
        {v: M for v in pm},
        pm_prof,
        families,
        am_profiles,
        tuple(missing),
        missing_family,
        {},
    )
    return SimulatedDVI(problem, truth)


# --------------------------------------------------------------------------------------------
# populations: many families and many PM samples, with fragments


def _draw(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws: ``cum`` is a cumulative distribution (last entry 1)."""
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


def _simulate_shape(
    inds: Sequence[Individual], markers: Sequence[Marker], n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Allele indices, shape ``(n, n_markers, 2)``, of everyone in ``n`` copies of one pedigree
    shape (autosomal), dropped down the pedigree as :func:`simulate_profiles` does, vectorised
    over the copies."""
    ped = Pedigree(list(inds))
    out: dict[str, np.ndarray] = {}
    for pid in ped.ids:
        out[pid] = np.empty((n, len(markers), 2), dtype=np.int64)
    for k, m in enumerate(markers):
        if m.is_x:
            raise KinshipError("population simulation supports autosomal markers only")
        cum = np.cumsum(m.afreq) / m.afreq.sum()
        for pid in ped.ids:
            ind = ped[pid]
            if ind.father is None or ind.mother is None:  # a founder
                out[pid][:, k, :] = _draw(cum, rng.random((n, 2)))
                continue
            for side, par, model in ((0, ind.father, m.male), (1, ind.mother, m.female)):
                pick = rng.integers(2, size=n)
                allele = out[par][np.arange(n), k, pick]
                if model is not None and not model.is_trivial:
                    rows = np.cumsum(model.matrix, axis=1)
                    rows /= rows[:, -1:]
                    u = rng.random(n)
                    allele = np.minimum((rows[allele] <= u[:, None]).sum(axis=1), m.n_alleles - 1)
                out[pid][:, k, side] = allele
    return out


def _degrade(alleles: np.ndarray, dropout: float, rng: np.random.Generator) -> np.ndarray:
    """Each allele copy lost with probability ``dropout``; -1 marks a lost copy."""
    lost = rng.random(alleles.shape) < dropout
    return np.where(lost, -1, alleles)


def _genotype(m: Marker, x: int, y: int) -> Genotype | None:
    if x < 0 and y < 0:
        return None
    if x < 0 or y < 0:
        z = max(x, y)
        return (m.alleles[z], None)
    return (m.alleles[x], m.alleles[y])


@dataclass(frozen=True, eq=False)
class SimulatedPopulation:
    """A screening-scale case: ``truth[pm] -> MP or "*"``, ``fragments``: PMs of one body (2+)."""

    problem: DVIProblem
    truth: dict[str, str]
    fragments: list[list[str]]


def simulate_population(
    markers: Sequence[Marker],
    n_pm: int,
    n_families: int,
    rng: np.random.Generator,
    shape_weights: dict[str, float] | None = None,
    identified: float = 0.5,
    fragmented: float = 0.1,
    max_fragments: int = 4,
    max_dropout: float = 0.1,
) -> SimulatedPopulation:
    """``n_families`` reference families (one male MP each) and ``n_pm`` PM samples.

    Bodies are drawn until there are ``n_pm`` samples: about ``identified`` of them are MPs of
    distinct families (while families last), the rest unrelated men. A body is ``fragmented`` with
    that probability into 2..``max_fragments`` samples. Each sample is degraded: every allele copy
    is lost with a probability drawn uniformly in ``[0, max_dropout]`` for that sample; a
    heterozygote that loses one copy is written ``a/-`` (the lab saw one peak in a degraded
    sample), a genotype that loses both is untyped. Simulation is vectorised over families of the
    same shape.
    """
    if n_pm < 0 or n_families < 0:
        raise KinshipError("sizes must not be negative")
    weights = shape_weights or DEFAULT_SHAPE_WEIGHTS
    shapes = list(weights)
    probs = np.array([weights[s] for s in shapes], dtype=float)
    probs /= probs.sum()
    shape_of = rng.choice(len(shapes), size=n_families, p=probs) if n_families else np.empty(0, int)
    width = len(str(max(n_families, 1)))
    families: dict[str, Pedigree] = {}
    am_profiles: dict[str, dict[str, dict[str, Genotype]]] = {}
    missing: list[str] = [f"M{k + 1:0{width}d}" for k in range(n_families)]
    missing_family = {missing[k]: f"F{k + 1:0{width}d}" for k in range(n_families)}
    mp_alleles = np.empty((n_families, len(markers), 2), dtype=np.int64)
    for s_idx, shape in enumerate(shapes):
        ks = np.flatnonzero(shape_of == s_idx)
        if not len(ks):
            continue
        inds, refs = FAMILY_SHAPES[shape]
        sim = _simulate_shape(inds, markers, len(ks), rng)
        mp_alleles[ks] = sim["MP"]
        for z, k in enumerate(int(x) for x in ks):
            famid = f"F{k + 1:0{width}d}"
            label = {i.id: f"{famid}-{i.id}" for i in inds}
            label["MP"] = missing[k]
            families[famid] = Pedigree(inds, name=famid).relabel(label)
            am_profiles[famid] = {
                label[r]: {
                    m.name: (m.alleles[sim[r][z, j, 0]], m.alleles[sim[r][z, j, 1]])
                    for j, m in enumerate(markers)
                }
                for r in refs
            }
    families = {f"F{k + 1:0{width}d}": families[f"F{k + 1:0{width}d}"] for k in range(n_families)}
    # Bodies and their samples.
    free = list(rng.permutation(n_families))
    bodies: list[tuple[str, int]] = []  # (source: MP id or "*", number of samples)
    total = 0
    while total < n_pm:
        src = NOBODY
        if free and rng.random() < identified:
            src = missing[free.pop()]
        k = (
            int(rng.integers(2, max_fragments + 1))
            if rng.random() < fragmented and max_fragments >= 2
            else 1
        )
        k = min(k, n_pm - total)
        bodies.append((src, k))
        total += k
    n_lone = sum(1 for s, _ in bodies if s == NOBODY)
    lone = (
        _simulate_shape([Individual("X", sex=M)], markers, n_lone, rng)["X"]
        if n_lone
        else np.empty((0, len(markers), 2), dtype=np.int64)
    )
    wv = len(str(max(n_pm, 1)))
    ids = [f"V{i + 1:0{wv}d}" for i in range(n_pm)]
    slot = rng.permutation(n_pm)
    pm_prof: dict[str, dict[str, Genotype]] = {}
    truth: dict[str, str] = {}
    fragments: list[list[str]] = []
    at, li = 0, 0
    col = {mp: k for k, mp in enumerate(missing)}
    for src, k in bodies:
        if src == NOBODY:
            base = lone[li]
            li += 1
        else:
            base = mp_alleles[col[src]]
        names = []
        for _ in range(k):
            v = ids[slot[at]]
            at += 1
            g = _degrade(base, rng.uniform(0, max_dropout), rng)
            pm_prof[v] = {}
            for j, m in enumerate(markers):
                x, y = int(g[j, 0]), int(g[j, 1])
                if x >= 0 and y >= 0 or (x < 0) != (y < 0) and base[j, 0] != base[j, 1]:
                    gt = _genotype(m, x, y)
                elif x >= 0 or y >= 0:  # a homozygote that lost one copy still reads a/a
                    z = max(x, y)
                    gt = (m.alleles[z], m.alleles[z])
                else:
                    gt = None
                if gt is not None:
                    pm_prof[v][m.name] = gt
            truth[v] = src
            names.append(v)
        if k >= 2:
            fragments.append(sorted(names))
    pm = tuple(ids)
    fragments.sort()
    problem = DVIProblem(
        tuple(markers),
        pm,
        {v: M for v in pm},
        pm_prof,
        families,
        am_profiles,
        tuple(missing),
        missing_family,
        {},
    )
    return SimulatedPopulation(problem, {v: truth[v] for v in pm}, fragments)
