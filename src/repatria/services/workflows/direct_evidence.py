"""Direct-reference evidence of candidates: the MP's own items as a factor beside the kinship LR.

For each pairing identify considers (body x MP) where the MP has direct references
(:mod:`.direct_store`: a toothbrush, a razor, a stored blood card):

- the direct-match LR of the body's profile against the item's
  (:func:`repatria.kinship.evidence_direct.direct_match_lr`): H1 the body and the item are one
  person, the MP; H2 two unrelated people; each sample seen through its own dropout model (the
  body's as the run uses it, the item's as its profile stores it); per marker, so it factorises
  over markers;
- weighed by the item's stated reliability ``r`` that it carries his DNA alone: under H1 the
  item is his with probability ``r``, else an unrelated person's, so the factor is
  ``r * LR + (1 - r)`` (``r`` = 1: the match LR itself; a mismatch then gives ``1 - r``, not an
  exclusion, unless ``r`` is 1);
- stored in the candidate's evidence ``direct`` as ``{"kind": "direct", "reference", "item",
  "reliability", "lr_match", "lr", "log10_lr", "per_marker_log10_lr", "markers", "model",
  "consistent", "combined", "note"}``.

The items of one MP are samples of one person, not independent: only the most reliable one
(then most markers compared, then by ref) enters the product (``"combined": True``); the others
are shown. ``combined_log10_lr`` = the autosomal log10 LR + the lineage factors that enter the
product (:mod:`.lineage_evidence`) + the direct factor. The candidate's ``log10_lr`` column and
the joint posterior stay the autosomal ones (dvir's numbers); the policy's ``lr`` rule reads
that column (``docs/policy.md``: a direct reference is an independent method, never a relative).

A direct factor above 1 raises a candidate on its own (:meth:`DirectEvidence.raises`), so an MP
with a direct reference and no typed relative still gets candidates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import KinshipError
from repatria.formats.marker_names import canonical_marker, marker_key
from repatria.kinship.checks_base import is_one
from repatria.kinship.dropout import DropoutModel
from repatria.kinship.evidence_direct import direct_match_lr
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Sex
from repatria.registry.evidence import CandidateEvidence, stored_number
from repatria.registry.models import Genotype as GenotypeRow
from repatria.registry.models import Profile
from repatria.services.workflows.candidates import Row
from repatria.services.workflows.direct_store import DirectItem, direct_references_of
from repatria.services.workflows.problem import RegistryProblem

__all__ = ["MODEL", "DirectEvidence", "direct_finding", "direct_factors", "reliable_lr"]

MODEL = (
    "direct match: the body and the item are one person (the MP) vs two unrelated people; "
    "Hardy-Weinberg, no theta, each sample under its own dropout model; weighed by the item's "
    "reliability r as r * LR + (1 - r)"
)


def reliable_lr(lr_match: float, reliability: float) -> float:
    """The factor of an item that is the MP's alone with probability ``reliability``.

    >>> reliable_lr(1000.0, 0.9), reliable_lr(0.0, 0.9)
    (900.1, 0.09999999999999998)
    """
    return reliability * lr_match + (1.0 - reliability)


@dataclass(frozen=True)
class _Typed:
    item: DirectItem
    genotypes: dict[str, Genotype]
    dropout: float | None
    profile_id: int


def direct_finding(
    item: DirectItem,
    reference: Mapping[str, Genotype],
    pm: Mapping[str, Genotype],
    markers: Sequence[Marker],
    *,
    sex: Sex,
    reference_dropout: float | None,
    pm_dropout: DropoutModel | None,
) -> dict[str, Any]:
    """One direct finding (the dict stored in the evidence), from the two profiles."""
    out: dict[str, Any] = {
        "kind": "direct",
        "reference": item.ref,
        "item": item.item,
        "reliability": item.reliability,
        "model": MODEL,
        "lr_match": None,
        "lr": None,
        "log10_lr": None,
        "consistent": None,
        "combined": False,
    }
    # X markers need the MP's sex; without it only the autosomal markers are compared.
    usable = [m for m in markers if not m.is_x or sex != Sex.UNKNOWN]
    both = [m for m in usable if m.name in reference and m.name in pm]
    if not both:
        return {**out, "markers": 0, "note": "no marker typed in both the body and the item"}
    try:
        r = direct_match_lr(
            reference,
            pm,
            both,
            sex if sex != Sex.UNKNOWN else Sex.MALE,
            reference_dropout=None
            if reference_dropout is None
            else DropoutModel(reference_dropout),
            pm_dropout=pm_dropout,
            names=(item.ref, "PM"),
        )
    except KinshipError as e:
        return {**out, "markers": 0, "note": f"not compared: {e}"}
    per = {m.name: float(x) / math.log(10) for m, x in zip(both, r.log_lr_per_marker, strict=True)}
    lr_match = r.lr
    rel = item.reliability
    # in logs: a match of 1e30 neither overflows nor rounds the 1 - r away
    with np.errstate(divide="ignore"):
        ln = (
            r.log_lr
            if rel >= 1
            else float(np.logaddexp(math.log(rel) + r.log_lr, math.log1p(-rel)))
        )
    log10 = ln / math.log(10)
    lr = reliable_lr(lr_match, rel)
    excluded = [n for n, x in per.items() if x == -math.inf]
    drop = "" if reference_dropout is None else f", item dropout {reference_dropout:g}"
    words = (
        f"{item.item.replace('_', ' ')} {item.ref}: {len(both)} markers compared"
        f"{f', {len(excluded)} inconsistent' if excluded else ''}{drop}; "
        f"reliability {item.reliability:g}"
    )
    return {
        **out,
        "lr_match": lr_match,
        "lr": lr,
        "log10_lr": log10,
        "per_marker_log10_lr": per,
        "markers": len(both),
        "consistent": None if is_one(log10 * math.log(10)) else lr > 1,
        "note": words,
    }


def direct_factors(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """The direct factors of a stored evidence as identify's JSON and the match view show
    them: ``{"autosomal_log10_lr", "direct", "direct_log10_lr", "combined_log10_lr"}``, or
    ``{}`` without a direct reference."""
    e = CandidateEvidence.from_json(evidence or {})
    if not e.direct:
        return {}
    used = [f for f in e.direct if f.get("combined")]
    return {
        "autosomal_log10_lr": None if e.log_lr is None else e.log_lr / math.log(10),
        "direct": [dict(x) for x in e.direct],
        "direct_log10_lr": stored_number(used[0].get("log10_lr")) if used else None,
        "combined_log10_lr": e.combined_log10_lr,
    }


class DirectEvidence:
    """The direct references of the run's MPs, read once; findings per pairing, cached."""

    def __init__(self, session: Session, rp: RegistryProblem, *, on: bool = True) -> None:
        """``on=False``: the run leaves direct references out (``identify --no-direct``)."""
        self.rp = rp
        self.on = on
        self._cache: dict[tuple[str, str], list[dict[str, Any]]] = {}
        items = direct_references_of(session, list(rp.mp_person.values())) if on else {}
        mp_of = {pid: m for m, pid in rp.mp_person.items()}
        self.items: dict[str, list[_Typed]] = {}
        if not items:
            return
        markers = rp.problem.markers
        by_name = {m.name: m for m in markers}
        by_key = {marker_key(canonical_marker(m.name)): m for m in markers}
        wanted = [d.sample_id for ds in items.values() for d in ds]
        newer = select(Profile.supersedes_id).where(Profile.supersedes_id.is_not(None))
        newest: dict[int, Profile] = {}
        for p in session.execute(
            select(Profile)
            .where(Profile.sample_id.in_(wanted), Profile.id.not_in(newer))
            .order_by(Profile.id)
        ).scalars():
            newest[p.sample_id] = p  # id order: the newest usable profile wins
        genos: dict[int, dict[str, Genotype]] = {}
        if newest:
            for g in session.execute(
                select(GenotypeRow).where(
                    GenotypeRow.profile_id.in_([p.id for p in newest.values()])
                )
            ).scalars():
                m = by_name.get(g.marker) or by_key.get(marker_key(canonical_marker(g.marker)))
                # an allele the run's table lacks: that marker is left out, never guessed
                if m is not None and all(
                    a is None or a in m._index for a in (g.allele1, g.allele2)
                ):
                    genos.setdefault(g.profile_id, {})[m.name] = (g.allele1, g.allele2)
        for person, ds in items.items():
            mp = mp_of[person]
            for d in ds:
                prof = newest.get(d.sample_id)
                if prof is not None:
                    self.items.setdefault(mp, []).append(
                        _Typed(d, genos.get(prof.id, {}), prof.dropout, prof.id)
                    )

    @property
    def profile_ids(self) -> list[int]:
        """The items' profiles the run read."""
        return sorted(t.profile_id for ts in self.items.values() for t in ts)

    def of(self, pm: str, mp: str) -> list[dict[str, Any]]:
        """The findings of body ``pm`` x MP ``mp`` (empty: the MP has no typed item)."""
        if mp not in self.items:  # most MPs: no item, and nothing kept per pairing
            return []
        key = (pm, mp)
        if key in self._cache:
            return self._cache[key]
        problem = self.rp.problem
        fam = problem.missing_family.get(mp)
        ped = problem.families.get(fam) if fam is not None else None
        sex = ped[mp].sex if ped is not None and mp in ped else Sex.UNKNOWN
        found = [
            direct_finding(
                t.item,
                t.genotypes,
                problem.pm_profiles.get(pm, {}),
                problem.markers,
                sex=sex,
                reference_dropout=t.dropout,
                pm_dropout=problem.pm_dropout.get(pm),
            )
            for t in self.items.get(mp, [])
        ]
        scored = [f for f in found if f["log10_lr"] is not None]
        if scored:
            best = max(scored, key=lambda f: (f["reliability"], f["markers"], _neg(f["reference"])))
            best["combined"] = True
        self._cache[key] = found
        return found

    def log10_lr(self, pm: str, mp: str) -> float | None:
        """The direct factor that enters the product (``None``: none)."""
        for f in self.of(pm, mp):
            if f["combined"]:
                return float(f["log10_lr"])
        return None

    def raises(self, pm: str, mp: str) -> bool:
        """Whether the direct factor alone raises the pairing as a candidate (above 1, not 1
        within rounding)."""
        x = self.log10_lr(pm, mp)
        return x is not None and x > 0 and not is_one(x * math.log(10))

    def add(self, rows: Sequence[Row]) -> int:
        """Add the direct findings to the evidence of ``rows``, in place, after the lineage
        factors; returns how many findings were added."""
        added = 0
        for row in rows:
            found = self.of(row.pm, row.mp)
            if not found:
                continue
            ev = row.evidence
            base = stored_number(ev.get("combined_log10_lr"))
            if base is None:
                log_lr = stored_number(ev.get("log_lr"))
                base = 0.0 if log_lr is None else log_lr / math.log(10)
            x = self.log10_lr(row.pm, row.mp)
            combined = base + (0.0 if x is None else x)
            ev.update(
                CandidateEvidence.from_json(
                    {**ev, "direct": found, "combined_log10_lr": combined}
                ).to_json()
            )
            added += len(found)
        return added


def _neg(ref: str) -> tuple[int, ...]:
    """A key that sorts refs in reverse, so ``max`` picks the first ref among equals."""
    return tuple(-ord(c) for c in ref)
