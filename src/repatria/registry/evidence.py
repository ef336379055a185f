"""The evidence a candidate match keeps: one frozen record, written by identify, read by the views.

The record is stored in ``candidate_matches.evidence`` (a JSON column) by
:meth:`CandidateEvidence.to_json` and read back by :meth:`CandidateEvidence.from_json`.
Non-finite numbers are stored as the strings "Inf", "-Inf" and "NaN"
(:func:`repatria.formats.jsonsafe.json_safe`).

>>> e = CandidateEvidence(log_lr=2.3, family="F-01", exclusions=0,
...                       per_marker_log10_lr={"vWA": 0.5, "TH01": float("-inf")})
>>> e.to_json()["per_marker_log10_lr"]
{'vWA': 0.5, 'TH01': '-Inf'}
>>> CandidateEvidence.from_json(e.to_json()) == e
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from repatria.errors import RegistryError
from repatria.formats.jsonsafe import json_safe

__all__ = ["CandidateEvidence", "stored_number"]

_OMIT_EMPTY = ("per_marker_log10_lr", "warnings", "references", "lineage", "non_dna", "direct")


@dataclass(frozen=True)
class CandidateEvidence:
    """What the run saw for one PM x MP pairing.

    Attributes
    ----------
    log_lr
        Natural-log pairwise LR (numerator: the PM sample is the MP; denominator: unrelated).
    family
        The reference family of the MP.
    exclusions
        Markers inconsistent with the pairing without mutation; -1 when not computed.
    profile_id
        The PM profile the run used.
    per_marker_log10_lr
        marker -> log10 LR at that marker (``-inf``: the data contradict the pairing there).
    rule
        The candidate rule the run applied (``identify.CANDIDATE_RULE``).
    lr0
        The LR of the pairing with the family's references left out (dvir's LR0).
    prior
        The prior of the posterior, in words, when not the flat prior.
    posterior_lower, posterior_upper
        The proven interval of the posterior pairing probability
        (:func:`repatria.kinship.bounds.posterior_bounds`); decisions use the lower end.
    warnings
        Sentences the run attached for the reviewer.
    conclusion, references, mp_sex, checks, lineage, non_dna
        What the identification policy reads (``docs/policy.md``): dvir's conclusion for the
        pairing; the typed references of the family (``{"donor", "relation", "methods",
        "consent_withdrawn", "log10_lr"}``); the MP's sex; the kinship checks that flagged the
        pairing (``None``: none ran); lineage and non-DNA findings (``{"kind", "consistent",
        "note"}``; lineage findings also ``"donor", "relation", "lr", "log10_lr", "model",
        "database"``, :mod:`repatria.services.workflows.lineage_evidence`).
    combined_log10_lr
        The autosomal log10 LR times the lineage LRs that enter the product, as a sum of log10
        (``None``: no lineage factor); ``log_lr`` stays the autosomal one.
        "note"}``; identify stores each non-DNA factor's ``as_dict()`` with them).
    non_dna_log10_lr
        The sum of the log10 LRs of the enabled non-DNA factors (never in ``log_lr``).
    prior_sensitivity
        The posterior of the pairing under the open-population prior at each ``p`` (keys
        ``"0.1"`` ... ``"1"``) and under the flat prior (``"flat"``), when the run was asked
        for it (:mod:`repatria.services.workflows.identify_sensitivity`).
    direct
        Direct-reference findings (the MP's own items, :mod:`repatria.services.workflows.
        direct_evidence`); the one that enters the product is in ``combined_log10_lr`` too.
    """

    log_lr: float | None = None
    family: str | None = None
    exclusions: int | None = None
    profile_id: int | None = None
    per_marker_log10_lr: Mapping[str, float] = field(default_factory=dict)
    rule: str | None = None
    lr0: float | None = None
    prior: str | None = None
    posterior_lower: float | None = None
    posterior_upper: float | None = None
    warnings: tuple[str, ...] = ()
    conclusion: str | None = None
    references: tuple[Mapping[str, Any], ...] = ()
    mp_sex: str | None = None
    checks: tuple[str, ...] | None = None
    lineage: tuple[Mapping[str, Any], ...] = ()
    non_dna: tuple[Mapping[str, Any], ...] = ()
    combined_log10_lr: float | None = None
    non_dna_log10_lr: float | None = None
    prior_sensitivity: Mapping[str, float] | None = None
    direct: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "per_marker_log10_lr", MappingProxyType(dict(self.per_marker_log10_lr))
        )
        object.__setattr__(self, "warnings", tuple(self.warnings))
        for name in ("references", "lineage", "non_dna", "direct"):
            object.__setattr__(self, name, tuple(dict(x) for x in getattr(self, name)))
        if self.checks is not None:
            object.__setattr__(self, "checks", tuple(self.checks))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CandidateEvidence):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored in the column: only the fields that are set."""
        doc: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name in _OMIT_EMPTY and not value):
                continue
            doc[f.name] = dict(value) if isinstance(value, Mapping) else value
        for name in ("warnings", "checks"):
            if name in doc:
                doc[name] = list(doc[name])
        for name in ("references", "lineage", "non_dna", "direct"):
            if name in doc:
                doc[name] = [dict(x) for x in doc[name]]
        out: dict[str, Any] = json_safe(doc)
        return out

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | None, *, strict: bool = False) -> CandidateEvidence:
        """The record from a stored JSON object (``None``: no evidence was stored).

        With ``strict`` (for writers), keys the record does not know are refused, so nothing
        is stored that no view reads; otherwise they are ignored.
        """
        doc = dict(doc or {})
        unknown = sorted(set(doc) - {f.name for f in fields(cls)})
        if strict and unknown:
            raise RegistryError(
                f"candidate evidence has no field {', '.join(unknown)}; it holds "
                f"{', '.join(f.name for f in fields(cls))}"
            )
        per_marker = doc.get("per_marker_log10_lr") or {}
        exclusions = stored_number(doc.get("exclusions"))
        profile = doc.get("profile_id")
        return cls(
            log_lr=stored_number(doc.get("log_lr")),
            family=None if doc.get("family") is None else str(doc["family"]),
            exclusions=None if exclusions is None else int(exclusions),
            profile_id=None if profile is None else int(profile),
            per_marker_log10_lr={str(m): _or_nan(stored_number(v)) for m, v in per_marker.items()},
            rule=doc.get("rule"),
            lr0=stored_number(doc.get("lr0")),
            prior=doc.get("prior"),
            posterior_lower=stored_number(doc.get("posterior_lower")),
            posterior_upper=stored_number(doc.get("posterior_upper")),
            warnings=tuple(str(w) for w in doc.get("warnings") or ()),
            conclusion=None if doc.get("conclusion") is None else str(doc["conclusion"]),
            references=tuple(dict(r) for r in doc.get("references") or ()),
            mp_sex=doc.get("mp_sex"),
            checks=None if doc.get("checks") is None else tuple(str(c) for c in doc["checks"]),
            lineage=tuple(dict(x) for x in doc.get("lineage") or ()),
            non_dna=tuple(dict(x) for x in doc.get("non_dna") or ()),
            combined_log10_lr=stored_number(doc.get("combined_log10_lr")),
            non_dna_log10_lr=stored_number(doc.get("non_dna_log10_lr")),
            prior_sensitivity=_by_p(doc.get("prior_sensitivity")),
            direct=tuple(dict(x) for x in doc.get("direct") or ()),
        )


def _by_p(doc: Any) -> dict[str, float] | None:
    if not isinstance(doc, Mapping):
        return None
    return {str(k): _or_nan(stored_number(v)) for k, v in doc.items()}


def _or_nan(x: float | None) -> float:
    return math.nan if x is None else x


def stored_number(v: Any) -> float | None:
    """A number as stored in JSON, where infinities and NaN are "Inf", "-Inf" and "NaN".

    >>> stored_number("-Inf"), stored_number(2), stored_number(None)
    (-inf, 2.0, None)
    """
    if v is None:
        return None
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}.get(v.strip().lower())
    return float(v)
