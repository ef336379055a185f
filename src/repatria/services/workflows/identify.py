"""Identify: build the DVI problem from the registry, analyse it, store the run and its candidates.

The problem (:func:`registry_problem`) holds:

- markers: one frequency table (by name, else the newest), rebuilt exactly as imported;
- PM samples: every post mortem sample with a usable profile (the newest one not replaced by a
  correction), as its sample reference, with the sex the lab typed;
- reference families: every family with at least one missing person; each missing person
  appears under his person reference; a relative is typed only while his donor's consent
  stands (a withdrawn donor is an untyped member of the pedigree, never dropped from it);
- pairings: dvir's default, every missing person of compatible sex (or unknown sex), or nobody,
  less the pairing exclusions recorded (a case's pairings.json is imported as exclusions).

Genotypes at markers the frequency table does not have are left out and counted in the run's
parameters (``genotypes_outside_table``); an allele the table does not have stops the run with
the sample and marker named, since guessing its frequency would change every LR.

The analysis is :func:`repatria.services.pipelines.dvi_analysis.analyse_problem` (pairwise LRs with
mutation models as stored, exclusions, the joint posterior under a flat prior, dvir's
conclusions). It runs outside any transaction; the registry is then read again in the
writing transaction and the run is stored only if its input hash is unchanged.

Candidate rule (:data:`POSTERIOR_THRESHOLD`): a PM x MP pairing becomes a candidate match when
its pairwise LR is above 1, or its posterior pairing probability (the joint marginal) is at
least 0.01. Each candidate keeps its natural-log LR, per-marker log10 LRs, exclusion count
and family as evidence, so review sees the numbers the run saw.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria import __version__
from repatria.errors import KinshipError, NotFoundError, ServiceError
from repatria.formats.jsonsafe import json_safe
from repatria.formats.markers_json import marker_from_dict, marker_to_dict
from repatria.kinship.dvi import DVIProblem, generate_pairings
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import (
    CandidateMatch,
    Donor,
    FrequencyTable,
    IdentificationRun,
    MarkerDefinition,
    PairingExclusion,
    PedigreeMember,
    Person,
    Profile,
    ReferenceFamily,
    Remains,
    RunProfile,
    Sample,
)
from repatria.registry.models import Genotype as GenotypeRow
from repatria.registry.queries import usable_profiles
from repatria.registry.review_state import identified_ids
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require

__all__ = [
    "POSTERIOR_THRESHOLD",
    "CANDIDATE_RULE",
    "RegistryProblem",
    "IdentifyCandidate",
    "IdentifyResult",
    "registry_problem",
    "problem_from_registry",
    "identify",
    "markers_from_rows",
    "problem_sha256",
]

#: A pairing with LR <= 1 is still a candidate when its posterior pairing probability is this high.
POSTERIOR_THRESHOLD = 0.01
CANDIDATE_RULE = (
    f"pairwise LR > 1, or posterior pairing probability >= {POSTERIOR_THRESHOLD}; "
    "not for a person or remains already identified (confirmed, not revoked)"
)

_SEX = {"male": Sex.MALE, "female": Sex.FEMALE, "unknown": Sex.UNKNOWN, None: Sex.UNKNOWN}


@dataclass(frozen=True, eq=False)
class RegistryProblem:
    """A DVI problem built from the registry, with the records behind each id."""

    problem: DVIProblem
    frequency_table: FrequencyTable
    pm_sample: dict[str, int]  # PM id -> sample id
    pm_remains: dict[str, int]  # PM id -> remains id
    pm_profile: dict[str, int]  # PM id -> profile id
    mp_person: dict[str, int]  # MP id -> person id
    reference_profiles: list[int]  # profile ids of the typed relatives used
    withdrawn_donors: list[str]  # donors left untyped because consent was withdrawn
    outside_table: int  # genotypes at markers the table does not have
    sha256: str = ""


@dataclass(frozen=True)
class IdentifyCandidate:
    """One stored candidate: ``pm`` (sample ref) may be ``missing`` (person ref)."""

    id: int
    pm: str
    missing: str
    lr: float
    posterior: float
    remains: str
    log10_lr: float
    exclusions: int | None


@dataclass(frozen=True, eq=False)
class IdentifyResult:
    """A stored run: its id, candidates, what went in, and the analysis itself (not serialised)."""

    run: int
    candidates: list[IdentifyCandidate]
    input_sha256: str
    frequency_table: str
    n_pm: int
    n_missing: int
    n_families: int
    n_markers: int
    withdrawn_donors: list[str]
    analysis: Any = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The ``repatria identify --json`` contract."""
        return {
            "run": self.run,
            "candidates": [
                {"id": c.id, "pm": c.pm, "missing": c.missing, "lr": c.lr, "posterior": c.posterior}
                for c in self.candidates
            ],
        }


# ----------------------------------------------------------------------------- markers


def markers_from_rows(rows: list[MarkerDefinition]) -> tuple[Marker, ...]:
    """Markers rebuilt exactly from ``marker_definitions`` rows (see ``case_import.markers_to_rows``)."""
    out = []
    for r in rows:
        extra = r.mutation or {}
        alleles = extra.get("alleles") or list(r.frequencies)
        out.append(
            marker_from_dict(
                {
                    "name": r.name,
                    "chrom": extra.get("chrom"),
                    "posMb": extra.get("posMb"),
                    "isX": extra.get("isX", r.chromosome == "X"),
                    "alleles": alleles,
                    "afreq": [r.frequencies[a] for a in alleles],
                    "mutmod": extra.get("mutmod"),
                },
                file=f"frequency table {r.frequency_table_id}",
                field="markers",
            )
        )
    return tuple(out)


def _frequency_table(session: Session, name: str | None) -> FrequencyTable:
    stmt = select(FrequencyTable)
    if name is not None:
        table = session.execute(stmt.where(FrequencyTable.name == name)).scalar_one_or_none()
        if table is None:
            raise NotFoundError(f"there is no frequency table {name!r} in the registry")
        return table
    table = (
        session.execute(
            stmt.join(MarkerDefinition, MarkerDefinition.frequency_table_id == FrequencyTable.id)
            .order_by(FrequencyTable.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    if table is None:
        raise ServiceError(
            "the registry has no frequency table with markers; import a case first "
            "(`repatria import case PATH`)"
        )
    return table


# ----------------------------------------------------------------------------- the problem


def registry_problem(session: Session, frequency_table: str | None = None) -> RegistryProblem:
    """Build the DVI problem from the registry (see the module notes)."""
    table = _frequency_table(session, frequency_table)
    mrows = list(
        session.execute(
            select(MarkerDefinition)
            .where(MarkerDefinition.frequency_table_id == table.id)
            .order_by(MarkerDefinition.id)
        ).scalars()
    )
    markers = markers_from_rows(mrows)
    by_name = {m.name: m for m in markers}
    outside = 0

    usable = list(session.execute(usable_profiles()).scalars())
    newest: dict[int, Profile] = {}
    for prof in usable:  # id order: the newest usable profile of each sample wins
        newest[prof.sample_id] = prof
    genos: dict[int, dict[str, Genotype]] = {}
    if newest:
        ids = [p.id for p in newest.values()]
        for g in session.execute(
            select(GenotypeRow).where(GenotypeRow.profile_id.in_(ids)).order_by(GenotypeRow.id)
        ).scalars():
            genos.setdefault(g.profile_id, {})[g.marker] = (g.allele1, g.allele2)

    def profile_of(sample: Sample) -> dict[str, Genotype]:
        nonlocal outside
        prof = newest[sample.id]
        out: dict[str, Genotype] = {}
        for name, g in genos.get(prof.id, {}).items():
            m = by_name.get(name)
            if m is None:
                outside += 1
                continue
            for a in g:
                if a is not None and a not in m._index:
                    # The allele itself is not named: messages may end up in logs.
                    raise ServiceError(
                        f"sample {sample.ref} carries an allele at {name} that frequency "
                        f"table {table.name!r} does not have; add it to the table"
                    )
            out[name] = g
        return out

    # PM samples, in sample id order
    pm_ids: list[str] = []
    pm_sex: dict[str, Sex] = {}
    pm_prof: dict[str, dict[str, Genotype]] = {}
    pm_sample, pm_remains, pm_profile = {}, {}, {}
    samples = session.execute(
        select(Sample).where(Sample.kind == "pm").order_by(Sample.id)
    ).scalars()
    for s in samples:
        if s.id not in newest:
            continue
        pm_ids.append(s.ref)
        pm_sex[s.ref] = _SEX[s.sex]
        pm_prof[s.ref] = profile_of(s)
        pm_sample[s.ref], pm_remains[s.ref], pm_profile[s.ref] = s.id, s.remains_id, newest[s.id].id

    # Reference families with at least one missing person
    families: dict[str, Pedigree] = {}
    am: dict[str, dict[str, dict[str, Genotype]]] = {}
    missing: list[str] = []
    missing_family: dict[str, str] = {}
    mp_person: dict[str, int] = {}
    ref_profiles: list[int] = []
    withdrawn: list[str] = []
    fams = (
        session.execute(
            select(ReferenceFamily)
            .where(
                ReferenceFamily.id.in_(
                    select(PedigreeMember.family_id).where(PedigreeMember.person_id.is_not(None))
                )
            )
            .order_by(ReferenceFamily.id)
        )
        .scalars()
        .all()
    )
    for fam in fams:
        members = (
            session.execute(
                select(PedigreeMember)
                .where(PedigreeMember.family_id == fam.id)
                .order_by(PedigreeMember.id)
            )
            .scalars()
            .all()
        )
        # A missing person is known by his person reference in every run.
        label: dict[str, str] = {}
        for mem in members:
            if mem.person_id is not None:
                label[mem.individual] = session.get(Person, mem.person_id).ref
        inds = [
            Individual(
                label.get(mem.individual, mem.individual),
                label.get(mem.father, mem.father) if mem.father else None,
                label.get(mem.mother, mem.mother) if mem.mother else None,
                _SEX[mem.sex],
            )
            for mem in members
        ]
        try:
            families[fam.ref] = Pedigree(inds, name=fam.ref)
        except KinshipError as e:
            raise ServiceError(f"reference family {fam.ref} is not a valid pedigree: {e}") from None
        for mem in members:
            if mem.person_id is not None:
                mp = label[mem.individual]
                if mp in missing_family:
                    raise ServiceError(
                        f"person {mp} is the missing person of two reference families "
                        f"({missing_family[mp]} and {fam.ref})"
                    )
                missing_family[mp] = fam.ref
                mp_person[mp] = mem.person_id
            elif mem.donor_id is not None:
                donor = session.get(Donor, mem.donor_id)
                if donor.consent_withdrawn_at is not None:
                    withdrawn.append(donor.ref)
                    continue
                sample = (
                    session.execute(
                        select(Sample).where(Sample.donor_id == donor.id).order_by(Sample.id.desc())
                    )
                    .scalars()
                    .first()
                )
                if sample is None or sample.id not in newest:
                    continue
                am.setdefault(fam.ref, {})[mem.individual] = profile_of(sample)
                ref_profiles.append(newest[sample.id].id)
    # Columns in person id order: a case import creates its persons in the case's own order.
    missing = sorted(missing_family, key=lambda m: mp_person[m])
    if not pm_ids or not missing:
        raise ServiceError(
            f"nothing to identify: the registry holds {len(pm_ids)} PM profile(s) and "
            f"{len(missing)} missing person(s) in reference families"
        )
    try:
        problem = DVIProblem(
            markers, tuple(pm_ids), pm_sex, pm_prof, families, am, tuple(missing), missing_family
        )
        excluded = _exclusions(session, pm_sample, mp_person)
        if excluded:
            problem = DVIProblem(
                markers,
                tuple(pm_ids),
                pm_sex,
                pm_prof,
                families,
                am,
                tuple(missing),
                missing_family,
                {
                    v: tuple(m for m in problem.pairings[v] if (v, m) not in excluded)
                    for v in pm_ids
                },
            )
    except KinshipError as e:
        raise ServiceError(f"the registry's records do not make a valid DVI problem: {e}") from None
    rp = RegistryProblem(
        problem,
        table,
        pm_sample,
        pm_remains,
        pm_profile,
        mp_person,
        sorted(ref_profiles),
        sorted(withdrawn),
        outside,
    )
    object.__setattr__(rp, "sha256", problem_sha256(problem))
    return rp


def _exclusions(
    session: Session, pm_sample: Mapping[str, int], mp_person: Mapping[str, int]
) -> set[tuple[str, str]]:
    """``(PM, MP)`` pairings ruled out by recorded pairing exclusions."""
    pm_of = {s: v for v, s in pm_sample.items()}
    mp_of = {p: m for m, p in mp_person.items()}
    rows = session.execute(
        select(PairingExclusion.sample_id, PairingExclusion.person_id).where(
            PairingExclusion.sample_id.in_(list(pm_of))
        )
    ).all()
    return {(pm_of[s], mp_of[p]) for s, p in rows if p in mp_of}


def problem_sha256(problem: DVIProblem) -> str:
    """SHA-256 of a canonical JSON of everything the analysis reads (the run's input hash)."""

    def geno(prof: Mapping[str, Genotype]) -> dict[str, list[str | None]]:
        return {m: list(g) for m, g in sorted(prof.items())}

    doc = {
        "markers": [marker_to_dict(m) for m in problem.markers],
        "pm": [
            [v, int(problem.pm_sex[v]), geno(problem.pm_profiles.get(v, {}))] for v in problem.pm
        ],
        "families": {
            f: [[i.id, i.father, i.mother, int(i.sex)] for i in ped]
            for f, ped in problem.families.items()
        },
        "am": {
            f: {p: geno(g) for p, g in sorted(d.items())} for f, d in problem.am_profiles.items()
        },
        "missing": [[m, problem.missing_family[m]] for m in problem.missing],
        "pairings": {v: list(problem.pairings[v]) for v in problem.pm},
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def problem_from_registry(db: str | None, frequency_table: str | None = None) -> DVIProblem:
    """The DVI problem the next run would analyse (for notebooks, checks and the web)."""
    with session_scope(db) as session:
        return registry_problem(session, frequency_table).problem


# ----------------------------------------------------------------------------- the run


def _exp(x: float) -> float:
    return math.exp(x) if x < 709.78 else math.inf


def identify(
    db: str | None,
    *,
    actor: str,
    frequency_table: str | None = None,
    top: int = 20,
    progress: Callable[[str], None] | None = None,
) -> IdentifyResult:
    """Run the DVI analysis on what is in the registry; store the run and its candidates."""
    from repatria.services.pipelines.dvi_analysis import analyse_problem

    say = progress or (lambda _msg: None)
    with session_scope(db) as session:
        require(session, actor, "runs.record")  # refuse before the long part, not after
        say("reading the registry")
        rp = registry_problem(session, frequency_table)
    problem = rp.problem
    analysis = analyse_problem(problem, top=top, progress=say)
    pw, joint = analysis.pairwise, analysis.joint

    with session_scope(db) as session:
        user = require(session, actor, "runs.record")
        again = registry_problem(session, frequency_table)
        if again.sha256 != rp.sha256:
            raise ServiceError(
                "the registry changed while the analysis ran (profiles, families or "
                "consent); nothing was stored, run identify again"
            )
        # Identified people and remains stay in the analysis (their evidence is part of the
        # joint answer) but are not raised again as candidates: their decision is made, and a
        # revocation reopens them.
        settled_person, settled_remains = identified_ids(session)
        rows, settled = [], 0
        for i, v in enumerate(problem.pm):
            for k, m in enumerate(problem.missing):
                log_lr = float(pw.log_lr[i, k])
                if math.isnan(log_lr):
                    continue  # pairing not allowed (sex)
                post = float(joint.marginals[i, k])
                if log_lr > 0 or post >= POSTERIOR_THRESHOLD:
                    if rp.mp_person[m] in settled_person or rp.pm_remains[v] in settled_remains:
                        settled += 1
                        continue
                    rows.append((i, k, log_lr, post))
        parameters = {
            "pairings": "every missing person of compatible sex, or nobody (dvir's default), less the "
            "recorded pairing exclusions",
            "pairing_exclusions": sum(len(d) for d in generate_pairings(problem).values())
            - sum(len(x) for x in problem.pairings.values()),
            "mutation": "mutation models as stored with the markers",
            "prior": joint.prior,
            "top": top,
            "candidate_rule": CANDIDATE_RULE,
            "posterior_threshold": POSTERIOR_THRESHOLD,
            "candidates_of_identified_left_out": settled,
            "withdrawn_donors": rp.withdrawn_donors,
            "genotypes_outside_table": rp.outside_table,
            "size": {
                "pm": len(problem.pm),
                "missing": len(problem.missing),
                "families": len(problem.families),
                "markers": len(problem.markers),
            },
        }
        run = IdentificationRun(
            run_by_id=user.id,
            software_version=f"repatria {__version__}",
            parameters=parameters,
            frequency_table_id=rp.frequency_table.id,
            input_sha256=rp.sha256,
            results=json_safe(analysis.to_dict()),
        )
        session.add(run)
        session.flush()
        used = sorted(set(rp.pm_profile.values()) | set(rp.reference_profiles))
        session.add_all(RunProfile(run_id=run.id, profile_id=i) for i in used)

        rows.sort(key=lambda r: (-r[2], r[0], r[1]))
        candidates = []
        remains_ref = dict(
            session.execute(
                select(Remains.id, Remains.ref).where(Remains.id.in_(list(rp.pm_remains.values())))
            ).all()
        )
        for i, k, log_lr, post in rows:
            v, m = problem.pm[i], problem.missing[k]
            excl = int(pw.exclusions[i, k])
            evidence = CandidateEvidence(
                log_lr=log_lr,
                family=problem.missing_family[m],
                exclusions=excl,
                profile_id=rp.pm_profile[v],
                per_marker_log10_lr={
                    name: float(pw.log_lr_per_marker[i, k, j]) / math.log(10)
                    for j, name in enumerate(pw.markers)
                },
                rule=CANDIDATE_RULE,
                lr0=analysis.lr0.get((v, m)),
            ).to_json()
            cand = CandidateMatch(
                run_id=run.id,
                person_id=rp.mp_person[m],
                remains_id=rp.pm_remains[v],
                sample_id=rp.pm_sample[v],
                log10_lr=log_lr / math.log(10),
                posterior=post,
                evidence=evidence,
            )
            session.add(cand)
            session.flush()
            candidates.append(
                IdentifyCandidate(
                    cand.id,
                    v,
                    m,
                    _exp(log_lr),
                    post,
                    remains_ref[rp.pm_remains[v]],
                    log_lr / math.log(10),
                    excl if excl >= 0 else None,
                )
            )
        log_event(
            session,
            user.name,
            "identify.run",
            "identification_run",
            run.id,
            input_sha256=rp.sha256,
            frequency_table=rp.frequency_table.name,
            profiles=len(used),
            candidates=[c.id for c in candidates],
            withdrawn_donors=rp.withdrawn_donors,
        )
        return IdentifyResult(
            run.id,
            candidates,
            rp.sha256,
            rp.frequency_table.name,
            len(problem.pm),
            len(problem.missing),
            len(problem.families),
            len(problem.markers),
            rp.withdrawn_donors,
            analysis,
        )
