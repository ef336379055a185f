"""The power of each candidate: simulated LR power and exclusion power, as result records.

:func:`sampling_power` runs :func:`candidate_power` for each candidate of
:func:`~repatria.kinship.power.candidates.sampling_candidates`, drawing from its own
``numpy.random.default_rng(seed)``; the records :class:`CandidatePower` and
:class:`SamplingPower` are what the service and the CLI report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repatria import __version__
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Pedigree, Profiles
from repatria.kinship.power.candidates import SamplingCandidate, sampling_candidates
from repatria.kinship.power.draws import _check_nsims, simulate_mp_log_lr
from repatria.kinship.power.exclusion import (
    EXACT_LIMIT,
    ExclusionPower,
    missing_person_exclusion_power,
)

__all__ = ["QUANTILES", "CandidatePower", "SamplingPower", "candidate_power", "sampling_power"]

#: Quantiles of the log10 LR reported for each candidate.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

METHOD = (
    "conditional simulation by sequential genotype tables (exact variable elimination), "
    "missing-person LR per simulation; exclusion power as forrel's exclusionPower"
)


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
    """LR power and exclusion power of one candidate (see :mod:`repatria.kinship.power`)."""
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
