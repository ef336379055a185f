"""Exclusion power: how likely an unrelated person placed as the MP is excluded without mutation.

Point 2 of :mod:`repatria.kinship.power` (forrel's ``exclusionPower``): :func:`exclusion_power`
for a true and a claimed pedigree, :func:`missing_person_exclusion_power` for a reference family
and a new relative, exact by enumeration up to ``exact_limit`` joint genotypes per marker and
estimated from draws beyond.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from repatria import __version__
from repatria.kinship import power as _power
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Profiles, Sex  # noqa: F401 (Individual: the examples)
from repatria.kinship.power.draws import (
    _batched_table,
    _check_family,
    _hemizygous,
    _joint_size,
    _joint_table,
    _label,
    _marker_typed,
    _simulate_relatives,
    _table,
    _triu,
    _unrelated_probs,
)

__all__ = ["ExclusionPower", "exclusion_power", "missing_person_exclusion_power"]

#: Most joint genotypes of the new relatives enumerated per marker for an exact exclusion power.
EXACT_LIMIT = 5000

M, F = Sex.MALE, Sex.FEMALE


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
    if _joint_size(ped, marker, ids) > _power.RELATIVES_LIMIT:
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
