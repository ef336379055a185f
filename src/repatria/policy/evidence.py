"""What the policy reads about one candidate pairing: its references, findings and numbers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from repatria.policy.record import METHODS, PolicyError

__all__ = ["ReferenceUse", "Finding", "PolicyEvidence"]


@dataclass(frozen=True)
class ReferenceUse:
    """One reference (a donor) a pairing rests on.

    Attributes
    ----------
    donor : the donor's ref.
    relation : the donor's relation to the missing person ("mother", "half-brother", ...).
    methods : the methods (:data:`METHODS`) by which this donor was compared with the remains
        and was consistent with the pairing.
    consent_withdrawn : the donor withdrew consent.
    log10_lr : the pairing's log10 LR with this reference alone, where computed
        (:attr:`repatria.kinship.checks.ReferenceLeftOut.log_lr_alone` / ln 10).
    """

    donor: str
    relation: str
    methods: tuple[str, ...] = ("autosomal_str",)
    consent_withdrawn: bool = False
    log10_lr: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "methods", tuple(self.methods))
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise PolicyError(
                f"reference {self.donor}: {unknown[0]!r} is not a method; methods are "
                f"{', '.join(METHODS)}"
            )


@dataclass(frozen=True)
class Finding:
    """A lineage comparison or a non-DNA finding about a pairing.

    ``kind``: "y_str", "mtdna" (lineage) or "anthropology", "dental", "effects", "documents",
    "circumstances" (non-DNA); ``consistent``: ``True``, ``False`` (contradicts the pairing) or
    ``None`` (inconclusive); ``note``: what was seen.
    """

    kind: str
    consistent: bool | None
    note: str = ""


@dataclass(frozen=True)
class PolicyEvidence:
    """What the policy reads about one candidate pairing (every field optional).

    Attributes
    ----------
    log10_lr : pairwise log10 LR (``CandidateMatch.log10_lr``).
    posterior : posterior pairing probability (``CandidateMatch.posterior``).
    posterior_lower : its certified lower bound, where the joint gives one.
    exclusions : markers inconsistent without mutation (``None`` or -1: not computed).
    lr0 : LR0 (``CandidateEvidence.lr0``).
    conclusion : dvir's conclusion for the pairing ("Undisputed", "Disputed", ...).
    references : the references the pairing rests on.
    mp_sex : "male", "female" or "unknown" (for mtDNA through children).
    checks : names of the kinship checks that flagged the pairing; ``None``: none was run.
    lineage, non_dna : findings.
    """

    log10_lr: float | None = None
    posterior: float | None = None
    posterior_lower: float | None = None
    exclusions: int | None = None
    lr0: float | None = None
    conclusion: str | None = None
    references: tuple[ReferenceUse, ...] = ()
    mp_sex: str = "unknown"
    checks: tuple[str, ...] | None = None
    lineage: tuple[Finding, ...] = ()
    non_dna: tuple[Finding, ...] = ()

    def __post_init__(self) -> None:
        for name in ("references", "lineage", "non_dna"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.checks is not None:
            object.__setattr__(self, "checks", tuple(self.checks))

    @classmethod
    def from_candidate(
        cls,
        log10_lr: float | None,
        posterior: float | None,
        evidence: Mapping[str, Any] | None = None,
        **more: Any,
    ) -> PolicyEvidence:
        """The policy's evidence from a stored candidate: its ``log10_lr`` and ``posterior``
        columns and its ``evidence`` JSON (``CandidateEvidence.to_json``).

        Read from the JSON when present: ``exclusions``, ``lr0``, and the keys the registry is
        to add: ``posterior_lower``, ``conclusion``, ``references`` (objects with ``donor``,
        ``relation``, ``methods``, ``consent_withdrawn``, ``log10_lr``), ``mp_sex``, ``checks``,
        ``lineage`` and ``non_dna`` (objects with ``kind``, ``consistent``, ``note``). ``more``
        (the same names) wins over the JSON, e.g. consent read fresh from the donors table.

        >>> e = PolicyEvidence.from_candidate(4.5, 0.9999, {"log_lr": 10.36, "lr0": 1.0,
        ...     "exclusions": 0, "references": [{"donor": "D1", "relation": "mother"}]})
        >>> e.references[0].methods, e.lr0
        (('autosomal_str',), 1.0)
        """
        doc = dict(evidence or {})
        doc.update(more)
        refs = tuple(
            r
            if isinstance(r, ReferenceUse)
            else ReferenceUse(
                str(r["donor"]),
                str(r.get("relation") or ""),
                tuple(r.get("methods") or ("autosomal_str",)),
                bool(r.get("consent_withdrawn", False)),
                _num(r.get("log10_lr")),
            )
            for r in doc.get("references") or ()
        )
        excl = _num(doc.get("exclusions"))
        checks = doc.get("checks")
        return cls(
            log10_lr=_num(log10_lr),
            posterior=_num(posterior),
            posterior_lower=_num(doc.get("posterior_lower")),
            exclusions=None if excl is None or excl < 0 else int(excl),
            lr0=_num(doc.get("lr0")),
            conclusion=None if doc.get("conclusion") is None else str(doc["conclusion"]),
            references=refs,
            mp_sex=str(doc.get("mp_sex") or "unknown"),
            checks=None if checks is None else tuple(str(c) for c in checks),
            lineage=_findings(doc.get("lineage")),
            non_dna=_findings(doc.get("non_dna")),
        )


def _num(v: Any) -> float | None:
    """A stored number ("Inf", "-Inf", "NaN" as JSON writes them); ``None`` and NaN: none."""
    if v is None:
        return None
    if isinstance(v, str):
        x = {"inf": math.inf, "-inf": -math.inf}.get(v.strip().lower(), math.nan)
    else:
        x = float(v)
    return None if math.isnan(x) else x


def _findings(items: Any) -> tuple[Finding, ...]:
    out = []
    for f in items or ():
        if isinstance(f, Finding):
            out.append(f)
        else:
            c = f.get("consistent")
            out.append(
                Finding(str(f["kind"]), None if c is None else bool(c), str(f.get("note", "")))
            )
    return tuple(out)
