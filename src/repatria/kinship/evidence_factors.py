"""The factor record of non-DNA evidence, and combining factors into one LR per pairing.

An :class:`EvidenceFactor` is one likelihood ratio with its model, parameters and observation;
:func:`combine_evidence` multiplies factors under the independence assumption it states
(:data:`INDEPENDENCE`), and :func:`pairing_lrs` gives the combined LR of each pairing for
:func:`repatria.kinship.priors.open_population_prior`. The models are in the other
``evidence_*`` modules (see :mod:`repatria.kinship.evidence`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from repatria import __version__
from repatria.kinship.errors import KinshipError
from repatria.kinship.pedigree import Sex

__all__ = ["INDEPENDENCE", "EvidenceFactor", "CombinedEvidence", "combine_evidence", "pairing_lrs"]

#: The assumption under which factors are multiplied (recorded in every combination).
INDEPENDENCE = (
    "the observations are independent given that the PM is the MP and given that he is someone "
    "else of the population (the product of the factors is then the joint LR)"
)


def _check_prob(name: str, x: float, lo_open: bool = False, hi_open: bool = False) -> None:
    bad = math.isnan(x) or x < 0 or x > 1 or (lo_open and x == 0) or (hi_open and x == 1)
    if bad:
        lo, hi = "(" if lo_open else "[", ")" if hi_open else "]"
        raise KinshipError(f"{name} must be in {lo}0, 1{hi}, got {x}")


@dataclass(frozen=True)
class EvidenceFactor:
    """One non-DNA likelihood ratio and how it was made.

    Attributes
    ----------
    kind : what it weighs: ``"sex"``, ``"property"``, ``"age"``, ``"place"``, ``"date"``,
        ``"document"``, ``"unit"``, ``"effects"`` or ``"direct"``.
    lr : the LR ``P(obs | PM is MP) / P(obs | PM is someone else)``, ``>= 0`` (``inf`` only for
        a direct match beyond the float range).
    model : the formula, in one line.
    parameters : the model's parameters (with the source or "assumption" where a default was
        used, under ``"sources"``).
    observation : what was observed and what the record says.
    enabled : ``False``: the factor is switched off and counts as 1.
    version : the Repatria version that computed it.

    Examples
    --------
    >>> from repatria.kinship.evidence import unit_lr
    >>> f = unit_lr(True, reliability=0.9, share=0.1)
    >>> round(f.lr, 12), f.value, f.switched(False).value
    (9.1, 9.1, 1.0)
    """

    kind: str
    lr: float
    model: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    observation: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    version: str = __version__

    def __post_init__(self) -> None:
        if math.isnan(self.lr) or self.lr < 0:
            raise KinshipError(f"{self.kind} evidence: an LR must be >= 0, got {self.lr}")

    @property
    def value(self) -> float:
        """The LR if enabled, else exactly 1."""
        return self.lr if self.enabled else 1.0

    @property
    def log10_lr(self) -> float:
        """log10 of :attr:`value` (``-inf`` for an impossible observation)."""
        v = self.value
        return math.log10(v) if v > 0 else -math.inf

    def switched(self, enabled: bool) -> EvidenceFactor:
        """The same factor, switched on or off."""
        return replace(self, enabled=enabled)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for the registry, the match page and the report)."""
        return {
            "kind": self.kind,
            "lr": self.lr,
            "enabled": self.enabled,
            "value": self.value,
            "model": self.model,
            "parameters": dict(self.parameters),
            "observation": {k: _jsonable(v) for k, v in self.observation.items()},
            "version": self.version,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Sex):
        return v.name.lower()
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


@dataclass(frozen=True)
class CombinedEvidence:
    """Several factors for one pairing, combined by product.

    Attributes
    ----------
    factors : the factors, in order (switched-off ones included, counting 1).
    assumption : why a product is the joint LR (:data:`INDEPENDENCE`).
    """

    factors: tuple[EvidenceFactor, ...]
    assumption: str = INDEPENDENCE

    @property
    def lr(self) -> float:
        """The product of the enabled factors (1 when none is enabled); 0 if any is 0."""
        vals = [f.value for f in self.factors]
        if any(v == 0 for v in vals):
            return 0.0
        return math.exp(sum(math.log(v) for v in vals)) if vals else 1.0

    @property
    def log10_lr(self) -> float:
        """log10 of :attr:`lr`."""
        x = self.lr
        return math.log10(x) if x > 0 else -math.inf

    def switched(self, kind: str, enabled: bool) -> CombinedEvidence:
        """The same combination with every factor of ``kind`` switched on or off."""
        return replace(
            self,
            factors=tuple(f.switched(enabled) if f.kind == kind else f for f in self.factors),
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the product, the assumption and each factor."""
        return {
            "lr": self.lr,
            "assumption": self.assumption,
            "factors": [f.as_dict() for f in self.factors],
        }


def combine_evidence(factors: Iterable[EvidenceFactor]) -> CombinedEvidence:
    """Combine factors by product, assuming independence (:data:`INDEPENDENCE`).

    >>> from repatria.kinship.evidence import effects_lr, unit_lr
    >>> c = combine_evidence([unit_lr(True, 0.9, 0.1), effects_lr(False)])
    >>> round(c.lr, 12)  # 9.1 * (1 - 0.2)
    7.28
    """
    return CombinedEvidence(tuple(factors))


def pairing_lrs(
    evidence: Mapping[tuple[str, str], CombinedEvidence | Sequence[EvidenceFactor]],
) -> dict[tuple[str, str], float]:
    """The ``pairing_lr`` of :func:`~repatria.kinship.priors.open_population_prior`.

    Parameters
    ----------
    evidence : per ``(pm, mp)``, its combined evidence or its factors.

    Returns
    -------
    dict
        ``(pm, mp) -> LR``, the product of the enabled factors of each pairing.
    """
    out = {}
    for key, ev in evidence.items():
        comb = ev if isinstance(ev, CombinedEvidence) else combine_evidence(ev)
        out[key] = comb.lr
    return out
