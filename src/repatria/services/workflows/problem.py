"""The DVI problem the registry holds: what an identification run analyses.

The problem (:func:`registry_problem`) holds:

- markers: one frequency table (``NAME``, ``NAME@VERSION``, else the newest case's own markers;
  :func:`~repatria.services.workflows.frequency_tables.table_by_spec`), rebuilt as stored;
- PM samples: every post mortem sample with a usable profile (the newest one not replaced by a
  correction), with the sex the lab typed;
- PM units are bodies: each body with a usable PM profile, known by its ref, its samples
  combined into one profile (:mod:`repatria.services.workflows.consensus`; markers where its
  samples disagree beyond dropout are left out and named in ``conflicts``);
- reference families at their current version: every family with at least one missing
  person; each missing person
  appears under his person reference; a relative is typed only while his donor's consent
  stands (a withdrawn donor is an untyped member of the pedigree, never dropped from it);
- pairings: dvir's default, every missing person of compatible sex (or unknown sex), or nobody,
  less the pairing exclusions recorded (a case's pairings.json is imported as exclusions);
- dropout: each body typed under the dropout its samples' profiles store, or the run's
  ``--dropout`` for samples with none (:mod:`repatria.services.workflows.problem_dropout`);
  what was used in ``RegistryProblem.dropout``.

Genotypes at markers the frequency table does not have are left out and counted
(``RegistryProblem.outside_table``); an allele the table does not have stops the run with
the sample and marker named, since guessing its frequency would change every LR.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from repatria.errors import KinshipError, ServiceError
from repatria.formats.marker_names import canonical_marker, marker_key
from repatria.formats.markers_json import marker_from_dict, marker_to_dict
from repatria.kinship.dvi import DefaultPairings, DVIProblem
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex
from repatria.registry.db import session_scope
from repatria.registry.models import (
    Body,
    BodyPart,
    Donor,
    FrequencyTable,
    MarkerDefinition,
    PairingExclusion,
    PedigreeMember,
    Person,
    Profile,
    ReferenceFamily,
    Sample,
)
from repatria.registry.models import Genotype as GenotypeRow
from repatria.registry.queries import existing, usable_profiles
from repatria.services.pipelines.sample_dropout import DropoutSetting
from repatria.services.workflows.consensus import combine_profiles
from repatria.services.workflows.frequency_tables import table_by_spec
from repatria.services.workflows.problem_dropout import body_dropout

__all__ = [
    "RegistryProblem",
    "registry_problem",
    "problem_from_registry",
    "markers_from_rows",
    "problem_sha256",
    "sample_profiles",
    "current_families",
    "frequency_table_by_name",
    "ProfileReader",
    "reference_families",
]

_SEX = {"male": Sex.MALE, "female": Sex.FEMALE, "unknown": Sex.UNKNOWN, None: Sex.UNKNOWN}


@dataclass(frozen=True, eq=False)
class RegistryProblem:
    """A DVI problem built from the registry, with the records behind each id."""

    problem: DVIProblem
    frequency_table: FrequencyTable
    pm_sample: dict[str, int]  # PM id -> sample id
    pm_remains: dict[str, int]  # PM id -> remains id
    pm_profile: dict[str, int]  # PM id -> profile id (of the body's first sample)
    mp_person: dict[str, int]  # MP id -> person id
    reference_profiles: list[int]  # profile ids of the typed relatives used
    withdrawn_donors: list[str]  # donors left untyped because consent was withdrawn
    outside_table: int  # genotypes at markers the table does not have
    sha256: str = ""
    # A PM id is a body ref: the body's samples are one unit of the analysis.
    pm_body: dict[str, int] = field(default_factory=dict)  # PM id -> body id
    pm_samples: dict[str, list[str]] = field(default_factory=dict)  # PM id -> sample refs
    pm_profiles: dict[str, list[int]] = field(default_factory=dict)  # PM id -> profile ids
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # PM id -> markers
    family_versions: dict[str, int] = field(default_factory=dict)  # family ref -> version
    dropout: dict[str, Any] | None = None  # the dropout used per body, and the rule


# ----------------------------------------------------------------------------- markers


def markers_from_rows(rows: list[MarkerDefinition]) -> tuple[Marker, ...]:
    """Markers rebuilt exactly from ``marker_definitions`` rows (see ``markers_to_rows``)."""
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


def frequency_table_by_name(session: Session, name: str | None) -> FrequencyTable:
    # NAME, NAME@VERSION or the default (the newest case's own markers): one rule, there.
    return table_by_spec(session, name)


# ----------------------------------------------------------------------------- the problem


def registry_problem(
    session: Session, frequency_table: str | None = None, dropout: DropoutSetting = None
) -> RegistryProblem:
    """Build the DVI problem from the registry (see the module notes; ``dropout``: the run's
    ``--dropout``, a number or ``"estimate"``, for samples with none stored)."""
    table = frequency_table_by_name(session, frequency_table)
    mrows = list(
        session.execute(
            select(MarkerDefinition)
            .where(MarkerDefinition.frequency_table_id == table.id)
            .order_by(MarkerDefinition.id)
        ).scalars()
    )
    markers = markers_from_rows(mrows)
    profiles = ProfileReader(session, table, markers)
    pm = _pm_samples(session, profiles)
    fams = reference_families(session, profiles)
    # Columns in person id order: a case import creates its persons in the case's own order.
    missing = sorted(fams.missing_family, key=lambda m: fams.mp_person[m])
    if not pm.ids or not missing:
        raise ServiceError(
            f"nothing to identify: the registry holds {len(pm.ids)} PM profile(s) and "
            f"{len(missing)} missing person(s) in reference families"
        )
    try:
        problem = DVIProblem(
            markers,
            tuple(pm.ids),
            pm.sex,
            pm.profiles,
            fams.pedigrees,
            fams.am,
            tuple(missing),
            fams.missing_family,
        )
        excluded = _exclusions(session, pm.sample_ids, fams.mp_person)
        if excluded:
            problem = replace(
                problem,
                pairings={
                    v: tuple(m for m in problem.pairings[v] if (v, m) not in excluded)
                    for v in pm.ids
                },
            )
        problem, used = body_dropout(problem, pm.sample_dropout, dropout)
    except KinshipError as e:
        raise ServiceError(f"the registry's records do not make a valid DVI problem: {e}") from None
    rp = RegistryProblem(
        problem,
        table,
        pm.sample,
        pm.remains,
        pm.profile,
        fams.mp_person,
        sorted(fams.reference_profiles),
        sorted(fams.withdrawn),
        profiles.outside,
        pm_body=pm.body,
        pm_samples=pm.samples,
        pm_profiles=pm.profile_ids,
        conflicts=pm.conflicts,
        family_versions=fams.versions,
        dropout=used,
    )
    object.__setattr__(rp, "sha256", problem_sha256(problem))
    return rp


class ProfileReader:
    """The newest usable profile of each sample, read as genotypes at the table's markers."""

    def __init__(self, session: Session, table: FrequencyTable, markers: tuple[Marker, ...]):
        self.table = table
        self.by_name = {m.name: m for m in markers}
        # A table imported on its own spells markers canonically (vWA, Penta D); genotypes
        # stored under another spelling find their marker by its key. Exact names go first.
        # Only for such a table: a case's own markers match by name, as they always have.
        self.by_key = (
            {marker_key(canonical_marker(m.name)): m for m in markers}
            if table.origin == "import"
            else {}
        )
        self.outside = 0  # genotypes at markers the table does not have
        self.newest: dict[int, Profile] = {}
        for prof in session.execute(usable_profiles()).scalars():
            self.newest[prof.sample_id] = prof  # id order: the newest usable profile wins
        self.genos: dict[int, dict[str, Genotype]] = {}
        if self.newest:
            ids = [p.id for p in self.newest.values()]
            # Columns, not rows as objects: 10^5 genotypes are read in a second.
            for pid, marker, a1, a2 in session.execute(
                select(
                    GenotypeRow.profile_id,
                    GenotypeRow.marker,
                    GenotypeRow.allele1,
                    GenotypeRow.allele2,
                )
                .where(GenotypeRow.profile_id.in_(ids))
                .order_by(GenotypeRow.id)
            ).all():
                self.genos.setdefault(pid, {})[marker] = (a1, a2)

    def has(self, sample: Sample) -> bool:
        return sample.id in self.newest

    def profile_id(self, sample: Sample) -> int:
        return self.newest[sample.id].id

    def of(self, sample: Sample) -> dict[str, Genotype]:
        """The sample's genotypes at the table's markers (others are counted, not used)."""
        out: dict[str, Genotype] = {}
        for name, g in self.genos.get(self.profile_id(sample), {}).items():
            m = self.by_name.get(name) or self.by_key.get(marker_key(canonical_marker(name)))
            if m is None or m.name in out:
                self.outside += 1
                continue
            for a in g:
                if a is not None and a not in m._index:
                    # The allele itself is not named: messages may end up in logs.
                    raise ServiceError(
                        f"sample {sample.ref} carries an allele at {name} that frequency "
                        f"table {self.table.name!r} does not have; add it to the table"
                    )
            out[m.name] = g
        return out


@dataclass
class _PMSamples:
    """Every body with a usable PM profile, as one unit: its samples combined, by body ref."""

    ids: list[str] = field(default_factory=list)
    sex: dict[str, Sex] = field(default_factory=dict)
    profiles: dict[str, dict[str, Genotype]] = field(default_factory=dict)
    sample: dict[str, int] = field(default_factory=dict)  # the body's first sample
    remains: dict[str, int] = field(default_factory=dict)  # that sample's item
    profile: dict[str, int] = field(default_factory=dict)  # that sample's profile
    body: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)  # sample refs, in id order
    sample_ids: dict[str, list[int]] = field(default_factory=dict)
    profile_ids: dict[str, list[int]] = field(default_factory=dict)
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # markers beyond dropout
    sample_dropout: dict[str, dict[str, float | None]] = field(default_factory=dict)  # stored


def _pm_samples(session: Session, profiles: ProfileReader) -> _PMSamples:
    """Bodies in body id order; each body's samples combined (:mod:`.consensus`)."""
    pm = _PMSamples()
    rows = session.execute(
        select(Body, Sample)
        .join(BodyPart, BodyPart.body_id == Body.id)
        .join(Sample, Sample.id == BodyPart.sample_id)
        .where(BodyPart.ended_by.is_(None), Sample.kind == "pm")
        .order_by(Body.id, Sample.id)
    ).all()
    grouped: dict[int, tuple[Body, list[Sample]]] = {}
    for body, sample in rows:
        if profiles.has(sample):
            grouped.setdefault(body.id, (body, []))[1].append(sample)
    orphan = session.execute(
        select(Sample.ref)
        .where(
            Sample.kind == "pm",
            Sample.id.not_in(
                select(BodyPart.sample_id).where(
                    BodyPart.ended_by.is_(None), BodyPart.sample_id.is_not(None)
                )
            ),
        )
        .limit(1)
    ).scalar_one_or_none()
    if orphan is not None:
        raise ServiceError(f"post mortem sample {orphan} is part of no body")
    for body, samples in grouped.values():
        v = body.ref
        combined, conflicts = combine_profiles([profiles.of(s) for s in samples])
        sexes = {s.sex for s in samples if s.sex not in (None, "unknown")}
        pm.ids.append(v)
        pm.sex[v] = _SEX[sexes.pop()] if len(sexes) == 1 else Sex.UNKNOWN
        pm.profiles[v] = combined
        pm.sample[v], pm.remains[v] = samples[0].id, samples[0].remains_id or 0
        pm.profile[v] = profiles.profile_id(samples[0])
        pm.body[v] = body.id
        pm.samples[v] = [s.ref for s in samples]
        pm.sample_ids[v] = [s.id for s in samples]
        pm.profile_ids[v] = [profiles.profile_id(s) for s in samples]
        pm.sample_dropout[v] = {s.ref: profiles.newest[s.id].dropout for s in samples}
        if conflicts or len(sexes) > 1:
            pm.conflicts[v] = conflicts + (["sex"] if len(sexes) > 1 else [])
    return pm


@dataclass
class _Families:
    """Reference families with at least one missing person, and what they contribute."""

    pedigrees: dict[str, Pedigree] = field(default_factory=dict)
    am: dict[str, dict[str, dict[str, Genotype]]] = field(default_factory=dict)
    missing_family: dict[str, str] = field(default_factory=dict)  # MP -> family ref
    mp_person: dict[str, int] = field(default_factory=dict)  # MP -> person id
    reference_profiles: list[int] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # donors whose consent was withdrawn
    versions: dict[str, int] = field(default_factory=dict)  # family ref -> current version


def current_families() -> Select[int]:
    """Ids of the reference families a run reads: with a missing person, at their current
    version."""
    replaced = select(ReferenceFamily.supersedes_id).where(
        ReferenceFamily.supersedes_id.is_not(None)
    )
    return select(ReferenceFamily.id).where(
        ReferenceFamily.id.in_(
            select(PedigreeMember.family_id).where(PedigreeMember.person_id.is_not(None))
        ),
        ReferenceFamily.id.not_in(replaced),  # each family at its current version
    )


def reference_families(session: Session, profiles: ProfileReader) -> _Families:
    """Every family's pedigree, missing persons and typed relatives, in a few queries (not a
    few per family: 10^3 families are read in a second)."""
    out = _Families()
    wanted = current_families()
    fams = (
        session.execute(
            select(ReferenceFamily)
            .where(ReferenceFamily.id.in_(wanted))
            .order_by(ReferenceFamily.id)
        )
        .scalars()
        .all()
    )
    members: dict[int, list[PedigreeMember]] = {f.id: [] for f in fams}
    for mem in session.execute(
        select(PedigreeMember)
        .where(PedigreeMember.family_id.in_(wanted))
        .order_by(PedigreeMember.id)
    ).scalars():
        members[mem.family_id].append(mem)
    persons = dict(
        session.execute(
            select(Person.id, Person.ref)
            .join(PedigreeMember, PedigreeMember.person_id == Person.id)
            .where(PedigreeMember.family_id.in_(wanted))
        ).all()
    )
    donors = {
        d.id: d
        for d in session.execute(
            select(Donor)
            .join(PedigreeMember, PedigreeMember.donor_id == Donor.id)
            .where(PedigreeMember.family_id.in_(wanted))
        ).scalars()
    }
    newest: dict[int, Sample] = {}  # donor id -> the donor's newest sample
    for smp in session.execute(
        select(Sample)
        .where(
            Sample.donor_id.in_(
                select(PedigreeMember.donor_id).where(PedigreeMember.family_id.in_(wanted))
            )
        )
        .order_by(Sample.id)
    ).scalars():
        newest[smp.donor_id or 0] = smp
    for fam in fams:
        out.versions[fam.ref] = fam.version
        label = _family_pedigree(session, fam, members[fam.id], out, persons)
        for mem in members[fam.id]:
            if mem.person_id is not None:
                mp = label[mem.individual]
                if mp in out.missing_family:
                    raise ServiceError(
                        f"person {mp} is the missing person of two reference families "
                        f"({out.missing_family[mp]} and {fam.ref})"
                    )
                out.missing_family[mp] = fam.ref
                out.mp_person[mp] = mem.person_id
            elif mem.donor_id is not None:
                donor = donors.get(mem.donor_id) or existing(session, Donor, mem.donor_id)
                _typed_relative(fam, mem, donor, newest.get(donor.id), profiles, out)
    return out


def _family_pedigree(
    session: Session,
    fam: ReferenceFamily,
    members: Sequence[PedigreeMember],
    out: _Families,
    persons: Mapping[int, str],
) -> dict[str, str]:
    """Add the family's pedigree to ``out``; returns individual -> person ref of its MPs."""
    # A missing person is known by his person reference in every run.
    label: dict[str, str] = {}
    for mem in members:
        if mem.person_id is not None:
            label[mem.individual] = persons.get(mem.person_id) or (
                existing(session, Person, mem.person_id).ref
            )
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
        out.pedigrees[fam.ref] = Pedigree(inds, name=fam.ref)
    except KinshipError as e:
        raise ServiceError(f"reference family {fam.ref} is not a valid pedigree: {e}") from None
    return label


def _typed_relative(
    fam: ReferenceFamily,
    mem: PedigreeMember,
    donor: Donor,
    sample: Sample | None,
    profiles: ProfileReader,
    out: _Families,
) -> None:
    """A donor's newest profile (``sample``: his newest sample) as the AM data of ``mem``,
    while the donor's consent stands."""
    if donor.consent_withdrawn_at is not None:
        out.withdrawn.append(donor.ref)
        return
    if sample is None or not profiles.has(sample):
        return
    out.am.setdefault(fam.ref, {})[mem.individual] = profiles.of(sample)
    out.reference_profiles.append(profiles.profile_id(sample))


def _exclusions(
    session: Session, pm_samples: Mapping[str, Sequence[int]], mp_person: Mapping[str, int]
) -> set[tuple[str, str]]:
    """``(PM, MP)`` pairings ruled out by a pairing exclusion of any of the body's samples."""
    pm_of = {s: v for v, ids in pm_samples.items() for s in ids}
    mp_of = {p: m for m, p in mp_person.items()}
    rows = session.execute(
        select(PairingExclusion.sample_id, PairingExclusion.person_id).where(
            PairingExclusion.sample_id.in_(list(pm_of))
        )
    ).all()
    return {(pm_of[s], mp_of[p]) for s, p in rows if p in mp_of}


def problem_sha256(problem: DVIProblem) -> str:
    """SHA-256 of a canonical JSON of everything the analysis reads (the run's input hash).

    The text is ``json.dumps(doc, sort_keys=True, separators=(",", ":"))`` of the document
    below; it is fed to the hash key by key, and the pairings PM by PM, so that a case of
    10^3 x 10^3 never holds its 10^6 pairings, nor their text, at once.
    """

    def geno(prof: Mapping[str, Genotype]) -> dict[str, list[str | None]]:
        return {m: list(g) for m, g in sorted(prof.items())}

    doc: dict[str, Any] = {
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
        "pairings": None,  # streamed: _pairings_text
    }
    if problem.pm_dropout:  # absent without a model: the hash of a run without one is unchanged
        doc["dropout"] = {v: [d.dropout, d.drop_in] for v, d in sorted(problem.pm_dropout.items())}
    h = hashlib.sha256(b"{")
    for n, key in enumerate(sorted(doc)):
        h.update(("," if n else "").encode() + _dumps(key).encode() + b":")
        if key == "pairings":
            for chunk in _pairings_text(problem):
                h.update(chunk.encode())
        else:
            h.update(_dumps(doc[key]).encode())
    h.update(b"}")
    return h.hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _pairings_text(problem: DVIProblem) -> Iterator[str]:
    """The JSON of ``{PM: [its pairings]}`` (keys sorted), in pieces of one PM each.

    dvir's default pairings depend on the PM's sex alone: their text is made once per sex, and
    never all built (:class:`~repatria.kinship.dvi.DefaultPairings` stays lazy).
    """
    pairings = problem.pairings
    by_sex: dict[Sex, str] = {}
    yield "{"
    for n, v in enumerate(sorted(problem.pm)):
        if isinstance(pairings, DefaultPairings):
            sex = pairings.problem.pm_sex[v]
            text = by_sex.get(sex)
            if text is None:
                text = by_sex[sex] = _dumps(list(pairings[v]))
        else:
            text = _dumps(list(pairings[v]))
        yield ("," if n else "") + _dumps(v) + ":" + text
    yield "}"


def sample_profiles(
    session: Session, samples: Sequence[Sample], dropout: dict[str, float] | None = None
) -> tuple[tuple[Marker, ...], dict[str, dict[str, Genotype]]]:
    """The newest frequency table's markers and the samples' newest usable profiles, by ref.

    Samples without a usable profile are absent; an empty result when no table is stored.
    ``dropout``, when given, is filled with the dropout recorded on those profiles (by ref).
    """
    try:
        table = frequency_table_by_name(session, None)
    except ServiceError:
        return (), {}
    rows = session.execute(
        select(MarkerDefinition)
        .where(MarkerDefinition.frequency_table_id == table.id)
        .order_by(MarkerDefinition.id)
    ).scalars()
    markers = markers_from_rows(list(rows))
    profiles = ProfileReader(session, table, markers)
    if dropout is not None:
        for s in samples:
            d = profiles.newest[s.id].dropout if profiles.has(s) else None
            if d is not None:
                dropout[s.ref] = float(d)
    return markers, {s.ref: profiles.of(s) for s in samples if profiles.has(s)}


def problem_from_registry(db: str | None, frequency_table: str | None = None) -> DVIProblem:
    """The DVI problem the next run would analyse (for notebooks, checks and the web)."""
    with session_scope(db) as session:
        return registry_problem(session, frequency_table).problem
