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
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex

__all__ = ["simulate_profiles", "simulate_dvi", "SimulatedDVI", "FAMILY_SHAPES"]

M, F = Sex.MALE, Sex.FEMALE


def simulate_profiles(pedigree: Pedigree, markers: Sequence[Marker], rng: np.random.Generator
                      ) -> dict[str, dict[str, Genotype]]:
    """Genotypes of everyone in ``pedigree`` at every marker (autosomal; X-linked males hemizygous)."""
    out: dict[str, dict[str, Genotype]] = {i: {} for i in pedigree.ids}
    for m in markers:
        n = m.n_alleles
        alleles: dict[str, tuple[int, int]] = {}
        for pid in pedigree.ids:
            ind = pedigree[pid]
            male_x = m.is_x and ind.sex == M
            if ind.is_founder:
                a, b = rng.choice(n, size=2, p=m.afreq)
            else:
                fa, mo = alleles[ind.father], alleles[ind.mother]  # type: ignore[index]
                b = _transmit(mo, m.female, rng)
                a = b if male_x else (_transmit(fa, m.male, rng, hemizygous=m.is_x))
            if male_x:
                a = b
            alleles[pid] = (int(a), int(b))
            out[pid][m.name] = (m.alleles[int(a)], m.alleles[int(b)])
    return out


def _transmit(parent: tuple[int, int], model, rng: np.random.Generator, hemizygous: bool = False) -> int:
    allele = parent[0] if hemizygous else parent[int(rng.integers(2))]
    if model is None:
        return allele
    row = model.matrix[allele]
    return int(rng.choice(len(row), p=row / row.sum()))


#: Reference family shapes: (description, individuals, the typed references). "MP" is the missing person.
FAMILY_SHAPES: dict[str, tuple[list[Individual], list[str]]] = {
    "parents": ([Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)], ["FA", "MO"]),
    "mother": ([Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)], ["MO"]),
    "father": ([Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M)], ["FA"]),
    "two_siblings": ([Individual("FA", sex=M), Individual("MO", sex=F), Individual("MP", "FA", "MO", M),
                      Individual("S1", "FA", "MO", M), Individual("S2", "FA", "MO", F)], ["S1", "S2"]),
    "child": ([Individual("MP", sex=M), Individual("WI", sex=F), Individual("CH", "MP", "WI", F)], ["CH"]),
    "child_and_wife": ([Individual("MP", sex=M), Individual("WI", sex=F), Individual("CH", "MP", "WI", F)],
                       ["CH", "WI"]),
    "half_sibling": ([Individual("FA", sex=M), Individual("MO", sex=F), Individual("M2", sex=F),
                      Individual("MP", "FA", "MO", M), Individual("HS", "FA", "M2", M)], ["HS"]),
    "cousin": ([Individual("GF", sex=M), Individual("GM", sex=F), Individual("FA", "GF", "GM", M),
                Individual("UN", "GF", "GM", M), Individual("MO", sex=F), Individual("AU", sex=F),
                Individual("MP", "FA", "MO", M), Individual("CO", "UN", "AU", M)], ["CO"]),
}

#: How often each shape occurs by default: most families give a parent, a child or two siblings.
DEFAULT_SHAPE_WEIGHTS = {"parents": 0.2, "mother": 0.2, "father": 0.1, "two_siblings": 0.2, "child": 0.1,
                         "child_and_wife": 0.1, "half_sibling": 0.06, "cousin": 0.04}


@dataclass(frozen=True, eq=False)
class SimulatedDVI:
    """A simulated case and its truth: ``truth[pm] -> MP or "*"``."""

    problem: DVIProblem
    truth: dict[str, str]


def simulate_dvi(markers: Sequence[Marker], n_victims: int, n_families: int, rng: np.random.Generator,
                 shape_weights: dict[str, float] | None = None, unrelated_victims: float = 0.1) -> SimulatedDVI:
    """A DVI case: ``n_families`` reference families with one MP each, ``n_victims`` PM samples.

    About ``unrelated_victims`` of the PMs belong to no family (``*`` in the truth); the others are
    the MPs of distinct families. All PMs and MPs are male (soldiers), so every PM may be every MP.
    """
    weights = shape_weights or DEFAULT_SHAPE_WEIGHTS
    shapes = list(weights)
    probs = np.array([weights[s] for s in shapes], dtype=float)
    probs /= probs.sum()
    n_true = min(n_families, int(round(n_victims * (1 - unrelated_victims))))
    families: dict[str, Pedigree] = {}
    am_profiles: dict[str, dict[str, dict[str, Genotype]]] = {}
    missing, missing_family = [], {}
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
    problem = DVIProblem(tuple(markers), tuple(pm), {v: M for v in pm}, pm_prof, families, am_profiles,
                         tuple(missing), missing_family, {})
    return SimulatedDVI(problem, truth)
