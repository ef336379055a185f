"""Evaluate likelihood / kinship-LR / missing-person-LR cases (the likelihood-vectors file)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repatria.errors import ServiceError
from repatria.formats.vectors import VectorCase, read_vectors
from repatria.kinship import kinship_lr, likelihood, missing_person_lr, safe_exp

__all__ = ["Evaluation", "evaluate_case", "evaluate_file"]


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
