"""Evaluate likelihood / kinship-LR / missing-person-LR cases (the likelihood-vectors file)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repatria.errors import ServiceError
from repatria.formats.vectors import VectorCase, read_vectors
from repatria.kinship import kinship_lr, likelihood, missing_person_lr, safe_exp

__all__ = ["Evaluation", "FamKinshipResult", "evaluate_case", "evaluate_file", "evaluate_fam"]


@dataclass(frozen=True)
class Evaluation:
    """Result of one case: the total (likelihood or LR) and its per-marker values.

    ``expected`` and ``per_marker_expected`` hold the file's expected values when present;
    ``max_rel_error`` compares both (``None`` without expected values).
    """

    index: int
    id: str
    kind: str
    value: float
    per_marker: list[float]
    expected: float | None = None
    per_marker_expected: list[float] | None = None

    @property
    def max_rel_error(self) -> float | None:
        if self.expected is None:
            return None
        pairs = [(self.value, self.expected)] + list(
            zip(self.per_marker, self.per_marker_expected or [], strict=False)
        )
        return max(_rel(a, b) for a, b in pairs)


def _rel(a: float, b: float) -> float:
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def evaluate_case(case: VectorCase) -> Evaluation:
    if case.kind == "likelihood":
        res = likelihood(case.pedigrees["pedigree"], case.markers, case.profiles, case.theta)
        per = np.exp(res.loglik_per_marker)
        value = safe_exp(res.loglik)
        exp_total = exp_per = None
        if case.expected:
            exp_total = case.expected.get("likelihoodTotal")
            exp_per = case.expected.get("likelihoodPerMarker")
    else:
        if case.kind == "kinshipLR":
            lr = kinship_lr(
                case.pedigrees["H1"], case.pedigrees["H2"], case.markers, case.profiles, case.theta
            )
        else:
            if case.missing is None or case.poi is None:
                raise ServiceError(
                    f"vector case {case.id} ({case.kind}) names no missing person or no "
                    "person of interest; add `missing` and `poi` to it"
                )
            lr = missing_person_lr(
                case.pedigrees["reference"],
                case.missing,
                case.poi,
                case.markers,
                case.profiles,
                case.theta,
                poi_sex=case.poi_sex,
            )
        per = lr.lr_per_marker
        value = lr.lr
        exp_total = exp_per = None
        if case.expected:
            exp_total = case.expected.get("LRtotal")
            exp_per = case.expected.get("LRperMarker")
    return Evaluation(
        case.index,
        case.id,
        case.kind,
        float(value),
        [float(x) for x in per],
        None if exp_total is None else float(exp_total),
        None if exp_per is None else [float(x) for x in exp_per],
    )


def evaluate_file(path: str | Path) -> list[Evaluation]:
    """Evaluate every case of a likelihood-vectors file, in file order."""
    return [evaluate_case(c) for c in read_vectors(path)]


@dataclass(frozen=True)
class FamKinshipResult:
    """The likelihood of each pedigree of a Familias kinship file.

    ``logliks`` are natural logs of each pedigree's total likelihood (all markers), in file order;
    ``lr`` gives each pedigree's LR against the last one (Familias lists the "unrelated"
    hypothesis last, and pedsuite's ``kinshipLR`` compares against the last by default).
    """

    file: str
    names: tuple[str, ...]
    logliks: tuple[float, ...]
    markers: tuple[str, ...]
    theta: float

    @property
    def lr(self) -> dict[str, float]:
        ref = self.logliks[-1]
        return {n: safe_exp(ll - ref) for n, ll in zip(self.names, self.logliks, strict=True)}

    def to_dict(self) -> dict[str, object]:
        """The JSON contract of ``repatria kinship fam --json``."""
        return {
            "pedigrees": [
                {"name": n, "loglik": ll} for n, ll in zip(self.names, self.logliks, strict=True)
            ],
            "markers": list(self.markers),
        }


def evaluate_fam(path: str | Path) -> FamKinshipResult:
    """Each pedigree's likelihood for a Familias file without a DVI section (paternity, kinship).

    A theta (kinship correction) in the file is not applied, as the pedsuite reads such files
    (the reader warns); the result records the file's theta.
    """
    from repatria.formats.fam_kinship import read_fam_kinship

    case = read_fam_kinship(path)
    names = tuple(case.pedigrees)
    logliks = tuple(
        likelihood(ped, case.markers, case.profiles).loglik for ped in case.pedigrees.values()
    )
    return FamKinshipResult(
        case.file, names, logliks, tuple(m.name for m in case.markers), case.theta
    )
