"""A candidate match as the match page and the identification report show it.

The numbers come from the candidate's :class:`~repatria.registry.evidence.CandidateEvidence`
(what the run saw); the pedigree, the alternatives and the decisions from the registry. Reading a
match is audited (who, what, when), never with the genotypes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import (
    CandidateMatch,
    Decision,
    Donor,
    FrequencyTable,
    IdentificationRun,
    PedigreeMember,
    Person,
    ReferenceFamily,
    Remains,
    Sample,
    User,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import candidate_status, decision_kinds
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import roles_for
from repatria.services.views._read import name_dict, primary_name, reader
from repatria.services.views.match_evidence import (
    EvidenceFactor,
    GenotypeRow,
    SensitivityRow,
    TypedData,
    combined_log10_lr,
    evidence_factors,
    genotype_rows,
    marker_note,
    sensitivity_rows,
    sensitivity_summary,
    typed_data,
)
from repatria.services.views.wording import (
    describe_lr,
    describe_posterior,
    interval_words,
    lr_words,
    percent,
)
from repatria.services.workflows.policy import verdict_of

__all__ = ["MarkerRow", "Alternative", "PedigreeNode", "MatchDetail", "match_detail", "GENOTYPES"]

#: The read that shows a match's genotypes (its roles in ``access.permissions``).
GENOTYPES = "genotypes.read"


@dataclass(frozen=True)
class MarkerRow:
    """One marker of a match: its LR (numerator: the PM is the MP; denominator: unrelated)."""

    marker: str
    lr: float | None
    pm: str | None = None  # the PM genotype as the run stored it for display, e.g. "12/14"
    note: str | None = None
    log10_lr: float | None = None
    lr_in_words: str = ""


@dataclass(frozen=True)
class Alternative:
    candidate_id: int
    person_ref: str
    remains_ref: str
    log10_lr: float | None
    posterior: float | None
    status: str
    relation: str  # "same remains" or "same person"


@dataclass(frozen=True)
class PedigreeNode:
    individual: str
    father: str | None
    mother: str | None
    sex: str
    role: str  # "mp" (this MP), "other_mp", "donor" (typed reference), "untyped"
    label: str


@dataclass(frozen=True)
class MatchDetail:
    """Everything the match page and the identification report show about one candidate."""

    candidate_id: int
    status: str
    person_ref: str
    person_name: str
    person_names: list[dict[str, str | None]]
    person_status: str
    remains_ref: str
    remains_site: str | None
    remains_condition: str
    remains_status: str
    recovered_on: str | None
    sample_ref: str | None
    log10_lr: float | None
    posterior: float | None
    lr_in_words: str
    posterior_in_words: str
    markers: list[MarkerRow]
    zero_markers: list[str]
    lr0: float | None
    warnings: list[str]
    exclusions: list[dict[str, Any]]
    alternatives: list[Alternative]
    family_ref: str | None
    pedigree: list[PedigreeNode]
    references: list[dict[str, str | None]]
    decisions: list[dict[str, Any]]
    run: dict[str, Any]
    evidence_keys: list[str] = field(default_factory=list)
    #: The person as the identification report introduces him or her (None: not recorded).
    person_sex: str | None = None
    person_born: str | None = None
    person_unit: str | None = None
    person_service_number: str | None = None
    person_missing_since: str | None = None
    person_last_seen: str | None = None
    #: The proven interval (low, high) of the posterior, where the run stored one.
    posterior_interval: tuple[float, float] | None = None
    #: What the candidate meets and fails under the current identification policy.
    verdict: dict[str, Any] | None = None
    verdict_lines: list[str] = field(default_factory=list)
    #: The lineage factors (Y-STR, mtDNA; ``lineage_evidence``); empty without lineage.
    lineage: list[dict[str, Any]] = field(default_factory=list)
    #: The geneticist's view (:mod:`repatria.services.views.match_evidence`): genotypes per
    #: marker (None: not asked for, or not for this role), every factor, the combined LR.
    genotype_columns: list[str] = field(default_factory=list)
    genotypes: list[GenotypeRow] | None = None
    genotypes_found: bool = False  # the registry holds the PM's or a reference's genotypes
    factors: list[EvidenceFactor] = field(default_factory=list)
    combined_log10_lr: float | None = None
    combined_in_words: str = ""
    interval_in_words: str = ""
    posterior_estimate: str = ""
    #: The non-DNA factors the run stored (each factor's ``as_dict()`` with ``consistent`` and
    #: ``note``) and the sum of their log10 LRs; never part of ``log10_lr``.
    non_dna: list[dict[str, Any]] = field(default_factory=list)
    non_dna_log10_lr: float | None = None
    #: The posterior under each prior of the run's ``--prior-sensitivity`` (empty without it).
    prior_sensitivity: list[SensitivityRow] = field(default_factory=list)
    prior_sensitivity_summary: str = ""
    #: The direct-reference findings (the MP's own items; ``direct_evidence``).
    direct: list[dict[str, Any]] = field(default_factory=list)
    #: The DNA factors' product as the run stored it (autosomal, lineage, direct reference).
    dna_combined_log10_lr: float | None = None


def _markers(evidence: CandidateEvidence) -> list[MarkerRow]:
    """Per-marker rows from the candidate's evidence (the run's log10 LR, as an LR)."""
    return [
        MarkerRow(name, None if math.isnan(x) else 10**x)
        for name, x in evidence.per_marker_log10_lr.items()
    ]


def _exclusions(evidence: CandidateEvidence, markers: list[MarkerRow]) -> list[dict[str, Any]]:
    """Exclusions as rows: the stored count with the LR-0 markers, or why there is none."""
    if evidence.exclusions is None:
        return []
    if evidence.exclusions < 0:
        return [{"detail": "exclusions were not computed for this pairing"}]
    zero = [m.marker for m in markers if m.lr == 0]
    row: dict[str, Any] = {"markers inconsistent without mutation": evidence.exclusions}
    if zero:
        row["which"] = ", ".join(zero)
    return [row]


def _mp_member(session: Session, person: Person, c: CandidateMatch) -> PedigreeMember | None:
    """The person's place in the family version the candidate was computed on: the newest
    version of the candidate's family made before the candidate, else the newest there is.

    A family corrected after the run keeps its old version (and members) as they were; the
    match page must show the pedigree the LR was computed on, not the first ever recorded.
    """
    family = CandidateEvidence.from_json(c.evidence).family
    stmt = (
        select(PedigreeMember)
        .join(ReferenceFamily, ReferenceFamily.id == PedigreeMember.family_id)
        .where(PedigreeMember.person_id == person.id)
    )
    if family is not None:
        stmt = stmt.where(ReferenceFamily.ref == family)
    newest_first = stmt.order_by(ReferenceFamily.version.desc(), PedigreeMember.id.desc())
    if c.created_at is not None:
        before = session.execute(
            newest_first.where(ReferenceFamily.created_at <= c.created_at).limit(1)
        ).scalar()
        if before is not None:
            return before
    return session.execute(newest_first.limit(1)).scalar()


def _pedigree(
    session: Session, person: Person, c: CandidateMatch
) -> tuple[str | None, list[PedigreeNode], list[dict[str, str | None]]]:
    member = _mp_member(session, person, c)
    if member is None:
        return None, [], []
    fam = member.family
    donors = {
        d.id: d for d in session.execute(select(Donor).where(Donor.family_id == fam.id)).scalars()
    }
    nodes, refs = [], []
    for m in fam.members:
        if m.person_id == person.id:
            role, label = "mp", f"{m.individual} (MP {person.ref})"
        elif m.person_id is not None:
            other = existing(session, Person, m.person_id)
            role, label = "other_mp", f"{m.individual} (MP {other.ref if other else m.person_id})"
        elif m.donor_id is not None:
            d = donors.get(m.donor_id) or existing(session, Donor, m.donor_id)
            role, label = "donor", f"{m.individual} (reference {d.ref})"
            withdrawn = d.consent_withdrawn_at is not None
            refs.append(
                {
                    "donor": d.ref,
                    "individual": m.individual,
                    "relationship": d.relationship_to_mp,
                    "consent": d.consent_scope,
                    "consent_withdrawn": "yes" if withdrawn else "no",
                }
            )
        else:
            role, label = "untyped", m.individual
        nodes.append(PedigreeNode(m.individual, m.father, m.mother, m.sex, role, label))
    return fam.ref, nodes, refs


def match_detail(
    db: str | None,
    candidate_id: int,
    *,
    actor: str,
    action: str = "match.read",
    genotypes: bool = False,
) -> MatchDetail:
    """A candidate with its evidence, pedigree, alternatives and review; the read is audited.

    With ``genotypes``, the PM's and the references' genotypes come too if the reader's role
    may see them (``genotypes.read``); that read is audited on its own (``match.genotypes``,
    naming the candidate, never a genotype)."""
    with session_scope(db, read=True) as session:
        user = reader(session, actor, action)
        c = session.get(CandidateMatch, candidate_id)
        if c is None:
            raise NotFoundError(f"there is no candidate {candidate_id}")
        person, remains = (
            existing(session, Person, c.person_id),
            existing(session, Remains, c.remains_id),
        )
        sample = session.get(Sample, c.sample_id) if c.sample_id else None
        stored = dict(c.evidence or {})
        evidence = CandidateEvidence.from_json(stored)
        kinds = decision_kinds(session)
        markers = _markers(evidence)
        zero = [m.marker for m in markers if m.lr == 0]
        lr0 = evidence.lr0
        warnings = []
        if zero:
            warnings.append(
                f"LR is 0 at {', '.join(zero)}: the data contradict this pairing there "
                "unless a mutation or a typing error explains it."
            )
        if lr0 is not None and lr0 > 1:
            warnings.append(
                f"LR0 = {lr0:.3g}: without the family's references this pairing still "
                "has LR above 1, so it rests partly on other victims placed in the same "
                "family, not only on the references."
            )
        warnings.extend(evidence.warnings)
        exclusions = _exclusions(evidence, markers)
        alts = []
        same = select(CandidateMatch).where(
            CandidateMatch.id != c.id,
            (CandidateMatch.remains_id == c.remains_id) | (CandidateMatch.person_id == c.person_id),
        )
        for a in session.execute(same.order_by(CandidateMatch.log10_lr.desc())).scalars():
            ap, ar = (
                existing(session, Person, a.person_id),
                existing(session, Remains, a.remains_id),
            )
            alts.append(
                Alternative(
                    a.id,
                    ap.ref,
                    ar.ref,
                    a.log10_lr,
                    a.posterior,
                    candidate_status(kinds.get(a.id, set())),
                    "same remains" if a.remains_id == c.remains_id else "same person",
                )
            )
        fam_ref, nodes, refs = _pedigree(session, person, c)
        decisions = [
            {
                "id": d.id,
                "kind": d.kind,
                "by": name,
                "role": role,
                "at": d.decided_at.isoformat(),
                "reason": d.reason,
                "digest": d.row_hash,  # the decision's link in the hash chain (SHA-256)
                "policy_version": d.policy_version,
                "override_reason": d.override_reason,
            }
            for d, name, role in session.execute(
                select(Decision, User.name, User.role)
                .join(User, User.id == Decision.actor_id)
                .where(Decision.candidate_id == c.id)
                .order_by(Decision.seq)
            ).all()
        ]
        run: dict[str, Any] = {}
        if c.run_id is not None:
            r = existing(session, IdentificationRun, c.run_id)
            table = (
                session.get(FrequencyTable, r.frequency_table_id) if r.frequency_table_id else None
            )
            run = {
                "id": r.id,
                "started_at": r.started_at.isoformat(),
                "run_by": existing(session, User, r.run_by_id).name,
                "software_version": r.software_version,
                "parameters": dict(r.parameters or {}),
                "frequency_table": table.name if table else None,
                "frequency_version": table.version if table else None,
                "input_sha256": r.input_sha256,
            }
        verdict = verdict_of(session, c)
        log_event(
            session, user.name, action, "candidate", c.id, person=person.ref, remains=remains.ref
        )
        extra = _geneticist_view(session, c, person, evidence, stored, run, genotypes, user.role)
        markers = _with_notes(markers, evidence, extra.pop("data"))
        if extra["genotypes"] is not None:
            log_event(
                session,
                user.name,
                "match.genotypes",
                "candidate",
                c.id,
                person=person.ref,
                remains=remains.ref,
                references=len(extra["genotype_columns"]),
            )
        return MatchDetail(
            c.id,
            candidate_status(kinds.get(c.id, set())),
            person.ref,
            primary_name(person),
            [name_dict(n) for n in person.names],
            person.status,
            remains.ref,
            remains.site,
            remains.condition,
            remains.status,
            remains.recovered_on,
            sample.ref if sample else None,
            c.log10_lr,
            c.posterior,
            describe_lr(c.log10_lr),
            describe_posterior(c.posterior, evidence.prior),
            markers,
            zero,
            lr0,
            warnings,
            exclusions,
            alts,
            fam_ref,
            nodes,
            refs,
            decisions,
            run,
            sorted(stored),
            person.sex,
            person.birth_date,
            person.unit,
            person.service_number,
            person.date_missing,
            person.last_known_place,
            (
                (evidence.posterior_lower, evidence.posterior_upper)
                if evidence.posterior_lower is not None and evidence.posterior_upper is not None
                else None
            ),
            verdict.to_json(),
            verdict.lines(),
            [dict(x) for x in evidence.lineage],
            **extra,
            non_dna=[dict(x) for x in evidence.non_dna],
            non_dna_log10_lr=evidence.non_dna_log10_lr,
            prior_sensitivity=sensitivity_rows(evidence.prior_sensitivity),
            prior_sensitivity_summary=sensitivity_summary(evidence.prior_sensitivity),
            direct=[dict(x) for x in evidence.direct],
            dna_combined_log10_lr=evidence.combined_log10_lr,
        )


# --------------------------------------------------------------------------- the geneticist's view


def _with_notes(
    markers: list[MarkerRow], evidence: CandidateEvidence, data: TypedData | None
) -> list[MarkerRow]:
    """The marker rows with their log10 LR in words and why (never an empty note at LR 1)."""
    out = []
    for m in markers:
        x = evidence.per_marker_log10_lr[m.marker]
        value = None if math.isnan(x) else x
        out.append(
            replace(
                m,
                log10_lr=value,
                lr_in_words=lr_words(value),
                note=m.note or marker_note(m.marker, value, data),
            )
        )
    return out


def _autosomal_model(run: dict[str, Any]) -> str:
    if not run:
        return "pedigree likelihood; the run's parameters were not recorded"
    params = ", ".join(f"{k} = {v}" for k, v in (run.get("parameters") or {}).items())
    table = run.get("frequency_table") or "not recorded"
    return f"pedigree likelihood ({params or 'default parameters'}); frequency table {table}"


def _geneticist_view(
    session: Session,
    c: CandidateMatch,
    person: Person,
    evidence: CandidateEvidence,
    stored: dict[str, Any],
    run: dict[str, Any],
    want_genotypes: bool,
    role: str,
) -> dict[str, Any]:
    """The genotypes (if asked for and allowed), every factor, the combined LR, the interval."""
    member = _mp_member(session, person, c)
    members = list(member.family.members) if member is not None else []
    data = typed_data(
        session,
        evidence.profile_id,
        c.sample_id,
        members,
        member.individual if member is not None else None,
    )
    shown = want_genotypes and role in roles_for(GENOTYPES)
    rows = genotype_rows(dict(evidence.per_marker_log10_lr), data) if shown else None
    if evidence.log_lr is not None and not math.isnan(evidence.log_lr):
        autosomal: float | None = evidence.log_lr / math.log(10)
    else:
        autosomal = c.log10_lr
    factors = evidence_factors(
        autosomal, _autosomal_model(run), evidence.lineage, evidence.non_dna, evidence.direct
    )
    combined = combined_log10_lr(stored, factors)
    return {
        "data": data,
        "genotype_columns": [heading for _, heading, _, _ in data.references] if shown else [],
        "genotypes": rows,
        "genotypes_found": bool(data.pm) or any(g for _, _, _, g in data.references),
        "factors": factors,
        "combined_log10_lr": combined,
        "combined_in_words": lr_words(combined),
        "interval_in_words": interval_words(evidence.posterior_lower, evidence.posterior_upper),
        "posterior_estimate": percent(c.posterior),
    }
