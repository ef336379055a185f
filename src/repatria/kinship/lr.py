"""Likelihood ratios between hypotheses about how people are related.

Convention: the LR is ``L(H1) / L(H2)``, H1 the numerator (e.g. "the sample is the missing person"),
H2 the denominator (e.g. "unrelated"). Values are kept per marker, in natural log; the total LR is
their product.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repatria import __version__
from repatria.kinship._numeric import safe_exp, safe_exp_array
from repatria.kinship.dropout import DropoutModel
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Profiles, Sex
from repatria.kinship.probability import METHOD, LikelihoodResult, likelihood

__all__ = ["LRResult", "kinship_lr", "missing_person_lr"]


@dataclass(frozen=True, eq=False)
class LRResult:
    """A likelihood ratio ``L(H1) / L(H2)`` per marker, with both likelihoods.

    Attributes
    ----------
    numerator, denominator : the likelihoods of H1 and H2 (:class:`LikelihoodResult`).
    hypotheses : short descriptions of H1 and H2.
    """

    numerator: LikelihoodResult
    denominator: LikelihoodResult
    hypotheses: tuple[str, str] = ("H1", "H2")
    method: str = METHOD
    version: str = __version__
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def markers(self) -> tuple[str, ...]:
        """Marker names, in order."""
        return self.numerator.markers

    @property
    def log_lr_per_marker(self) -> np.ndarray:
        """Natural-log LR per marker; ``nan`` where both hypotheses are impossible."""
        with np.errstate(invalid="ignore"):
            out: np.ndarray = self.numerator.loglik_per_marker - self.denominator.loglik_per_marker
        return out

    @property
    def lr_per_marker(self) -> np.ndarray:
        """LR per marker, shape ``(n_markers,)``; ``inf`` where it overflows a float."""
        return safe_exp_array(self.log_lr_per_marker)

    @property
    def log_lr(self) -> float:
        """Natural-log LR over all markers."""
        return float(np.sum(self.log_lr_per_marker))

    @property
    def lr(self) -> float:
        """The LR; ``inf`` beyond the float range, ``nan`` where a marker's is undefined."""
        return safe_exp(self.log_lr)

    @property
    def log10_lr(self) -> float:
        """log10 of the LR over all markers."""
        return self.log_lr / math.log(10)


def kinship_lr(
    h1: Pedigree,
    h2: Pedigree,
    markers: Sequence[Marker],
    profiles: Profiles,
    theta: float = 0.0,
    names: tuple[str, str] = ("H1", "H2"),
    dropout: Mapping[str, DropoutModel] | None = None,
) -> LRResult:
    """LR of two pedigree hypotheses for the same typed people.

    Each hypothesis is one :class:`Pedigree`, possibly of several components (unrelated people are
    singletons). Every typed person must be in both. ``dropout``: per typed person, the dropout
    model of their sample (:mod:`repatria.kinship.dropout`).
    """
    for pid, prof in profiles.items():
        if prof and (pid not in h1 or pid not in h2):
            where = names[0] if pid not in h1 else names[1]
            raise KinshipError(f"typed person '{pid}' is missing from hypothesis {where}")
    num = likelihood(h1, markers, profiles, theta, dropout=dropout)
    den = likelihood(h2, markers, profiles, theta, dropout=dropout)
    return LRResult(num, den, names)


def missing_person_lr(
    reference: Pedigree,
    missing: str,
    poi: str,
    markers: Sequence[Marker],
    profiles: Profiles,
    theta: float = 0.0,
    poi_sex: Sex | None = None,
    dropout: Mapping[str, DropoutModel] | None = None,
) -> LRResult:
    """LR that the person of interest ``poi`` is the missing person ``missing`` of ``reference``.

    H1: the POI's genotypes are those of ``missing`` in the reference pedigree.
    H2: the POI is unrelated to the reference family (a singleton beside it).
    ``profiles`` holds the reference family's typed members and the POI. ``poi_sex`` defaults to
    the missing person's sex. ``dropout``: per typed person (the POI included, by its own id), the
    dropout model of their sample; a burned PM's single peaks are then weighed under the model.

    Examples
    --------
    A father typed ``a/a`` and a PM showing one peak ``a`` with dropout 0.3: the PM may be
    ``a/a`` (seen unless both copies drop) or ``a/x`` (x dropped):

    >>> from repatria.kinship.dropout import DropoutModel
    >>> m = Marker("L", ("a", "b"), [0.2, 0.8])
    >>> ped = Pedigree([Individual("FA", sex=Sex.MALE), Individual("MO", sex=Sex.FEMALE),
    ...                 Individual("MP", "FA", "MO", Sex.MALE)])
    >>> prof = {"FA": {"L": ("a", "a")}, "PM": {"L": ("a", None)}}
    >>> r = missing_person_lr(ped, "MP", "PM", [m], prof, dropout={"PM": DropoutModel(0.3)})
    >>> d, p = 0.3, 0.2
    >>> want = (p * (1 - d * d) + (1 - p) * d * (1 - d)) / (
    ...     p * p * (1 - d * d) + 2 * p * (1 - p) * d * (1 - d))
    >>> abs(r.lr - want) < 1e-12
    True
    """
    if missing not in reference:
        raise KinshipError(f"missing person '{missing}' is not in the reference pedigree")
    if any(profiles.get(missing, {}).values()):
        raise KinshipError(
            f"missing person '{missing}' is typed in the reference; a missing person has no profile"
        )
    if poi in reference:
        raise KinshipError(f"person of interest '{poi}' is already in the reference pedigree")
    poi_profile: Mapping[str, Genotype] = profiles.get(poi, {})
    h1_profiles = {k: v for k, v in profiles.items() if k != poi}
    h1_profiles[missing] = poi_profile
    h1_dropout = None
    if dropout:
        h1_dropout = {k: v for k, v in dropout.items() if k != poi}
        if poi in dropout:
            h1_dropout[missing] = dropout[poi]
    num = likelihood(reference, markers, h1_profiles, theta, dropout=h1_dropout)
    h2 = reference.union(
        Pedigree([Individual(poi, sex=reference[missing].sex if poi_sex is None else poi_sex)])
    )
    den = likelihood(h2, markers, profiles, theta, dropout=dropout)
    return LRResult(
        num,
        den,
        (f"{poi} is {missing}", f"{poi} is unrelated"),
        details={"missing": missing, "poi": poi},
    )
