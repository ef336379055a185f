"""Lineage evidence of candidates: Y-STR and mtDNA factors beside the autosomal LR.

For each pairing identify raises (body x MP), and each lineage kind the body was typed for:

- the donors of the MP's family (at the version analysed, consent not withdrawn) with a
  lineage profile of that kind, who are on the MP's paternal line (Y-STR: both male, linked by
  fathers only) or maternal line (mtDNA: linked by mothers), as the pedigree shows
  (:func:`repatria.kinship.lineage_lines.line_meioses`);
- for each, the lineage LR of the body's haplotype against the donor's
  (:func:`repatria.kinship.lineage.lineage_lr`, :data:`MODEL`), weighed by the newest haplotype
  database of that kind in the registry;
- stored in the candidate's evidence ``lineage`` as ``{"kind", "donor", "relation", "lr",
  "log10_lr", "model", "database", "consistent", "note", "meioses", "combined"}``;
  ``consistent`` is True for LR > 1, False for LR < 1 (an exclusion is LR 0), None for LR 1 or
  no LR (no database, nothing compared);
- a consistent donor gets the method (``y_str`` / ``mtdna``) added to its reference's
  ``methods``, so one relative compared by two methods counts as the policy's references rule
  says; a donor typed for lineage only is added to the references with that method.

Relatives of one line carry one haplotype, so their lineage LRs are not independent: per kind
only the donor fewest meioses away (then by ref) enters the product (``"combined": True``);
the others are kept and shown, and an inconsistent one still fails the policy's lineage rule.
``combined_log10_lr`` = the autosomal log10 LR + the log10 LRs that enter the product. The
candidate's ``log10_lr`` column stays the autosomal one (the number dvir gives).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import KinshipError
from repatria.formats.lineage_tsv import LINEAGE_KINDS, haplotype_from_text
from repatria.kinship.lineage import Haplotype, lineage_lr
from repatria.kinship.lineage_lines import line_meioses
from repatria.registry.evidence import CandidateEvidence, stored_number
from repatria.registry.models import Donor, PedigreeMember, ReferenceFamily, Sample
from repatria.services.workflows.candidates import Row
from repatria.services.workflows.lineage_store import (
    DatabaseVersion,
    current_profiles,
    newest_database,
)
from repatria.services.workflows.problem import RegistryProblem
from repatria.services.workflows.relations import relation_to_mp

__all__ = [
    "Y_MUTATION_RATE",
    "MAX_MISMATCHES",
    "CONFIDENCE",
    "MODEL",
    "add_lineage_evidence",
    "lineage_factors",
    "lineage_finding",
    "combined_log10",
]

#: Per-locus Y-STR mutation rate per meiosis (stepwise, one step): the order of the published
#: average over the common Y-STR loci (about 2-3 per thousand).
Y_MUTATION_RATE = 0.0025
#: More differing loci than this exclude.
MAX_MISMATCHES = 2
#: Confidence of the frequency's upper bound (Clopper-Pearson), as SWGDAM's Y-STR guidance.
CONFIDENCE = 0.95
_RATES = {"y_str": Y_MUTATION_RATE, "mtdna": 0.0}
MODEL = {
    "y_str": f"Y-STR lineage LR: one-step mutations at {Y_MUTATION_RATE} per locus per meiosis, "
    f"more than {MAX_MISMATCHES} differing loci or a larger step exclude; haplotype frequency "
    f"at its {CONFIDENCE:.0%} upper bound (Clopper-Pearson)",
    "mtdna": f"mtDNA lineage LR: no mutation or heteroplasmy (any difference excludes); "
    f"haplotype frequency at its {CONFIDENCE:.0%} upper bound (Clopper-Pearson)",
}
_LINE = {"y_str": "paternal", "mtdna": "maternal"}
_NAME = {"y_str": "Y-STR", "mtdna": "mtDNA"}


def lineage_finding(
    kind: str,
    body: Haplotype,
    donor: Haplotype,
    database: Sequence[Haplotype],
    *,
    meioses: int,
    donor_ref: str,
    relation: str,
    db_label: str | None,
) -> dict[str, Any]:
    """One lineage finding (the dict stored in the evidence), from the haplotypes."""
    out: dict[str, Any] = {
        "kind": kind,
        "donor": donor_ref,
        "relation": relation,
        "meioses": meioses,
        "model": MODEL[kind],
        "database": db_label,
        "lr": None,
        "log10_lr": None,
        "consistent": None,
        "combined": False,
    }
    if db_label is None:
        return {**out, "note": f"no {_NAME[kind]} haplotype database in the registry; no LR"}
    try:
        r = lineage_lr(body, donor, database, meioses=meioses, mutation_rate=_RATES[kind],
                       max_mismatches=MAX_MISMATCHES, confidence=CONFIDENCE)  # fmt: skip
    except KinshipError as e:
        return {**out, "note": f"{_NAME[kind]} not compared: {e}"}
    lr = r.lr_conservative
    log10 = math.log10(lr) if lr > 0 else -math.inf
    same = abs(log10) <= 1e-9
    f = r.frequency
    words = (
        f"{len(r.comparison.compared)} loci compared, {len(r.comparison.differences)} differ"
        f"{' (excluded)' if r.excluded else ''}; haplotype seen {f.count} times in {f.n} of "
        f"{db_label}; {_LINE[kind]} line, {meioses} meioses"
    )
    return {
        **out,
        "lr": lr,
        "log10_lr": log10,
        "lr_augmented": r.lr_augmented,
        "consistent": None if same else lr > 1,
        "excluded": r.excluded,
        "note": words,
    }


def combined_log10(autosomal_log10: float | None, findings: Sequence[Mapping[str, Any]]) -> float:
    """Autosomal log10 LR plus the log10 LRs of the findings that enter the product."""
    total = 0.0 if autosomal_log10 is None else float(autosomal_log10)
    for f in findings:
        if f.get("combined") and f.get("log10_lr") is not None:
            total += float(f["log10_lr"])
    return total


def lineage_factors(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """The factors of a stored evidence as identify's JSON and the match view show them:
    ``{"autosomal_log10_lr", "lineage", "combined_log10_lr"}``, or ``{}`` without lineage."""
    e = CandidateEvidence.from_json(evidence or {})
    if not e.lineage:
        return {}
    return {
        "autosomal_log10_lr": None if e.log_lr is None else e.log_lr / math.log(10),
        "lineage": [dict(x) for x in e.lineage],
        "combined_log10_lr": e.combined_log10_lr,
    }


@dataclass(frozen=True)
class _Typed:
    individual: str
    donor: str
    haplotype: Haplotype


def _body_haplotypes(
    session: Session, rp: RegistryProblem, pms: set[str]
) -> dict[str, dict[str, tuple[Haplotype, bool]]]:
    """PM -> kind -> (the haplotype of its first typed sample, whether its samples disagree)."""
    refs = {v: rp.pm_samples.get(v) or [v] for v in pms}
    wanted = {r for rs in refs.values() for r in rs}
    ids = {
        str(ref): int(sid)
        for ref, sid in session.execute(
            select(Sample.ref, Sample.id).where(Sample.ref.in_(wanted))
        ).all()
    }
    prof = current_profiles(session, list(ids.values()))
    out: dict[str, dict[str, tuple[Haplotype, bool]]] = {}
    for v, rs in refs.items():
        for kind in LINEAGE_KINDS:
            texts = [prof[(ids[r], kind)].haplotype for r in rs if (ids.get(r), kind) in prof]
            if texts:
                h = haplotype_from_text(texts[0], kind)
                out.setdefault(v, {})[kind] = (h, len(set(texts)) > 1)
    return out


def _family_haplotypes(session: Session, rp: RegistryProblem, fam: str) -> dict[str, list[_Typed]]:
    """kind -> the family's consenting donors (at the version analysed) with that lineage."""
    version = rp.family_versions.get(fam)
    if version is None:
        return {}
    members = session.execute(
        select(PedigreeMember.individual, Donor.ref, Sample.id)
        .join(ReferenceFamily, ReferenceFamily.id == PedigreeMember.family_id)
        .join(Donor, Donor.id == PedigreeMember.donor_id)
        .join(Sample, Sample.donor_id == Donor.id)
        .where(
            ReferenceFamily.ref == fam,
            ReferenceFamily.version == version,
            Donor.consent_withdrawn_at.is_(None),
        )
        .order_by(PedigreeMember.id, Sample.id)
    ).all()
    prof = current_profiles(session, [sid for _i, _d, sid in members])
    out: dict[str, list[_Typed]] = {}
    taken: set[tuple[str, str]] = set()
    for ind, donor, sid in reversed(members):  # the newest sample of a donor first
        for kind in LINEAGE_KINDS:
            p = prof.get((sid, kind))
            if p is not None and (donor, kind) not in taken:
                taken.add((donor, kind))
                out.setdefault(kind, []).append(
                    _Typed(ind, donor, haplotype_from_text(p.haplotype, kind))
                )
    for typed in out.values():
        typed.sort(key=lambda t: t.donor)
    return out


def _add_method(
    refs: list[dict[str, Any]], by_donor: dict[str, dict[str, Any]], f: Mapping[str, Any]
) -> None:
    """The finding's method on its donor's reference (a donor typed for lineage only becomes a
    reference by that method alone)."""
    ref = by_donor.get(f["donor"])
    if ref is None:
        ref = {"donor": f["donor"], "relation": f["relation"], "methods": []}
        ref["consent_withdrawn"] = False
        by_donor[f["donor"]] = ref
        refs.append(ref)
    methods = list(ref["methods"] if "methods" in ref else ["autosomal_str"])
    if f["kind"] not in methods:
        ref["methods"] = [*methods, f["kind"]]


def add_lineage_evidence(session: Session, rp: RegistryProblem, rows: Sequence[Row]) -> int:
    """Add the lineage findings (module notes) to the evidence of ``rows``, in place; returns how
    many findings were added."""
    bodies = _body_haplotypes(session, rp, {r.pm for r in rows})
    if not bodies:
        return 0
    databases: dict[str, tuple[DatabaseVersion, list[Haplotype]] | None] = {
        kind: newest_database(session, kind) for kind in LINEAGE_KINDS
    }
    families: dict[str, dict[str, list[_Typed]]] = {}
    added = 0
    for row in rows:
        typed_body = bodies.get(row.pm)
        fam = row.evidence.get("family")
        if not typed_body or fam is None:
            continue
        if fam not in families:
            families[fam] = _family_haplotypes(session, rp, fam)
        ped = rp.problem.families[fam]
        refs = [dict(r) for r in row.evidence.get("references") or ()]
        by_donor = {str(r["donor"]): r for r in refs}
        findings: list[dict[str, Any]] = []
        for kind, (h_body, disagree) in typed_body.items():
            db = databases[kind]
            mine = []
            for t in families[fam].get(kind, []):
                m = line_meioses(ped, row.mp, t.individual, kind)
                if m is None:
                    continue
                rec = by_donor.get(t.donor)
                # A donor typed for lineage only has no reference record: the pedigree's words.
                said = (
                    str(rec.get("relation") or "")
                    if rec
                    else relation_to_mp(ped, t.individual, row.mp)
                )
                relation = said if said and said != "relative" else f"{_LINE[kind]}-line relative"
                f = lineage_finding(kind, h_body, t.haplotype, db[1] if db else (), meioses=m,
                                    donor_ref=t.donor, relation=relation,
                                    db_label=db[0].label if db else None)  # fmt: skip
                if disagree:
                    f["note"] += f"; the body's samples carry different {_NAME[kind]} haplotypes"
                mine.append(f)
            scored = [f for f in mine if f["log10_lr"] is not None]
            if scored:
                min(scored, key=lambda f: (f["meioses"], f["donor"]))["combined"] = True
            for f in mine:
                if f["consistent"] is True:
                    _add_method(refs, by_donor, f)
            findings.extend(mine)
        if not findings:
            continue
        log_lr = stored_number(row.evidence.get("log_lr"))
        autosomal = None if log_lr is None else log_lr / math.log(10)
        row.evidence.update(
            CandidateEvidence.from_json(
                {
                    **row.evidence,
                    "lineage": findings,
                    "references": refs,
                    "combined_log10_lr": combined_log10(autosomal, findings),
                }
            ).to_json()
        )
        added += len(findings)
    return added
