"""Import a DVI case (a case folder, or a Familias ``.fam`` file) into the registry: all or nothing.

What a case brings, and where it goes:

- the markers (alleles, frequencies, mutation models) -> one ``frequency_tables`` row and its
  ``marker_definitions`` (a table with the same content is reused, not stored twice);
- each PM sample -> ``remains`` (matched by reference when the remains are already registered,
  e.g. from a remains TSV; else new remains of ``unknown`` condition), a ``samples`` row with
  the typed sex, a ``profiles`` row and its ``genotypes``; the remains become *sampled* and a
  custody event records it;
- each missing person -> ``persons`` (matched by reference when already registered, e.g. from
  a persons TSV with every name and paper; else a new missing person);
- each reference family -> ``reference_families`` and one ``pedigree_members`` row per
  individual; each typed relative -> a ``donors`` row (consent: see ``donors.tsv``), a
  reference sample, profile and genotypes.

A case folder may hold an optional ``donors.tsv`` (``id``, ``name``, ``relationship``,
``consent_scope``, ``consent_given_on``) describing the typed relatives; without it donors are
stored with the default consent scope ``identification`` and no date.

The case is read and validated completely before the database is touched; then everything is
stored in one transaction with the case's SHA-256 (a ``.fam`` file: its bytes; a folder: the
files the import reads, in a fixed order, see :func:`case_sha256`). Importing the same case
again is a no-op that says so. Genotypes are stored exactly as read (an unknown allele as
NULL) and never written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from repatria.errors import FormatError, RegistryError
from repatria.kinship.dvi import NOBODY, DefaultPairings, DVIProblem, generate_pairings
from repatria.kinship.pedigree import Genotype, Sex
from repatria.registry.chain import append, lock_head
from repatria.registry.db import session_scope
from repatria.registry.models import (
    CustodyEvent,
    Donor,
    FrequencyTable,
    ImportBatch,
    MarkerDefinition,
    PairingExclusion,
    PedigreeMember,
    Person,
    Profile,
    ReferenceFamily,
    Remains,
    Sample,
    User,
)
from repatria.registry.models import Genotype as GenotypeRow
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.progress import Progress, quiet, step
from repatria.services.workflows.case_files import (
    CASE_FILES,
    SEX_NAMES,
    DonorInfo,
    case_sha256,
    markers_to_rows,
    read_donors,
)
from repatria.services.workflows.states import move

__all__ = [
    "CASE_FILES",
    "CaseImportResult",
    "case_sha256",
    "import_case",
    "markers_to_rows",
    "SEX_NAMES",
]


@dataclass(frozen=True)
class CaseImportResult:
    """What a case import stored (or that it was already there)."""

    file: str
    sha256: str
    import_id: int
    already_imported: bool
    rows: int
    frequency_table: str
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.already_imported:
            return f"{self.file} was already imported as batch {self.import_id}; nothing changed"
        c = self.counts
        text = (
            f"imported case {self.file} as batch {self.import_id}: {c.get('pm_samples', 0)} PM "
            f"samples ({c.get('remains_linked', 0)} onto registered remains), "
            f"{c.get('missing_persons', 0)} missing persons ({c.get('persons_linked', 0)} already "
            f"registered), {c.get('families', 0)} reference families with "
            f"{c.get('donors', 0)} donors, {c.get('marker_definitions', 0)} markers "
            f"(frequency table {self.frequency_table!r})"
        )
        return text + "".join(f"; {n}" for n in self.notes)


def import_case(
    db: str | None, path: str | Path, *, actor: str, progress: Progress | None = None
) -> CaseImportResult:
    """Import a case folder or ``.fam`` file (see the module notes); returns what was stored.

    ``progress`` hears ``read`` (the case, whole), then ``import``: reference families and PM
    samples stored, of all of them.
    """
    from repatria.services.pipelines.dvi_analysis import read_case

    p = Path(path)
    if not p.exists():
        raise FormatError("no such case folder or .fam file", file=str(p))
    with step(progress, "read"):
        sha = case_sha256(p)
        problem = read_case(p)  # complete and validated before the database is touched
    donors = read_donors(p) if p.is_dir() else {}
    typed = {pid for fam in problem.am_profiles.values() for pid in fam}
    unknown = sorted(set(donors) - typed)
    if unknown:
        raise FormatError(
            f"'{unknown[0]}' is not a typed reference of am.tsv",
            file=str(p / "donors.tsv"),
            field="id",
        )
    with session_scope(db) as session:
        user = require(session, actor, "import.case")
        done = session.execute(
            select(ImportBatch).where(ImportBatch.kind == "case", ImportBatch.sha256 == sha)
        ).scalar_one_or_none()
        if done is not None:
            return CaseImportResult(p.name, sha, done.id, True, done.rows, "")
        rows = len(problem.pm) + sum(len(ped) for ped in problem.families.values())
        batch = ImportBatch(
            kind="case", filename=p.name, sha256=sha, rows=rows, imported_by_id=user.id
        )
        session.add(batch)
        try:
            session.flush()
            result = _store(session, p, problem, donors, user, batch, progress or quiet)
            session.flush()
        except IntegrityError as e:
            raise RegistryError(
                f"{p.name}: the import conflicts with records written at the same time "
                f"({type(e.orig).__name__}); nothing was imported, try again"
            ) from None
        log_event(
            session,
            user.name,
            "import.case",
            "import_batch",
            batch.id,
            file=p.name,
            sha256=sha,
            **{k: v for k, v in result.counts.items()},
        )
        return result


def _conflict(p: Path, part: str, fld: str, what: str) -> RegistryError:
    where = f"{p / part}" if p.is_dir() else str(p)
    return RegistryError(f"{where} field `{fld}`: {what}; nothing was imported")


@dataclass
class _Import:
    """What every step of storing a case shares: the transaction, the case and the counts."""

    session: Session
    path: Path
    problem: DVIProblem
    user: User
    batch: ImportBatch
    case_name: str
    counts: dict[str, int]
    progress: Progress = quiet
    done: int = 0  # families and PM samples stored

    def stored(self) -> None:
        """One more family or PM sample stored: tell ``progress``."""
        self.done += 1
        self.progress("import", self.done, len(self.problem.families) + len(self.problem.pm))


def _store(
    session: Session,
    p: Path,
    problem: DVIProblem,
    donors: Mapping[str, DonorInfo],
    user: User,
    batch: ImportBatch,
    progress: Progress = quiet,
) -> CaseImportResult:
    counts = dict.fromkeys(
        (
            "pm_samples",
            "remains_created",
            "remains_linked",
            "missing_persons",
            "persons_created",
            "persons_linked",
            "families",
            "pedigree_members",
            "donors",
            "reference_profiles",
            "genotype_rows",
            "marker_definitions",
            "pairing_exclusions",
        ),
        0,
    )
    ctx = _Import(
        session, p, problem, user, batch, p.stem if p.is_file() else p.name, counts, progress
    )
    progress("import", 0, len(problem.families) + len(problem.pm))
    table = _store_markers(ctx)
    persons = _store_persons(ctx)
    _store_families(ctx, donors, persons)
    samples = _store_pm_samples(ctx)
    notes = _store_pairing_exclusions(ctx, samples, persons)
    return CaseImportResult(
        p.name, batch.sha256, batch.id, False, batch.rows, table.name, counts, notes
    )


def _store_markers(ctx: _Import) -> FrequencyTable:
    """The case's markers: one frequency table per distinct content."""
    session, p, problem = ctx.session, ctx.path, ctx.problem
    batch, case_name, counts = ctx.batch, ctx.case_name, ctx.counts
    msha, mrows = markers_to_rows(problem)
    table = (
        session.execute(select(FrequencyTable).where(FrequencyTable.sha256 == msha))
        .scalars()
        .first()
    )
    if table is None:
        table = FrequencyTable(
            name=f"{case_name} markers {msha[:12]}",
            sha256=msha,
            source=f"markers of case {p.name} (import batch {batch.id})",
        )
        session.add(table)
        session.flush()
        session.add_all(MarkerDefinition(frequency_table_id=table.id, **r) for r in mrows)
    counts["marker_definitions"] = len(mrows)
    return table


def _store_persons(ctx: _Import) -> dict[str, Person]:
    """Missing persons: matched by reference, or new."""
    session, p, problem = ctx.session, ctx.path, ctx.problem
    batch, case_name, counts = ctx.batch, ctx.case_name, ctx.counts
    persons: dict[str, Person] = {}
    for mp in problem.missing:
        famid = problem.missing_family[mp]
        sex = SEX_NAMES[problem.families[famid][mp].sex]
        person = session.execute(select(Person).where(Person.ref == mp)).scalar_one_or_none()
        if person is not None:
            taken = (
                session.execute(
                    select(ReferenceFamily.ref)
                    .join(PedigreeMember, PedigreeMember.family_id == ReferenceFamily.id)
                    .where(PedigreeMember.person_id == person.id)
                )
                .scalars()
                .first()
            )
            if taken is not None:
                raise _conflict(
                    p,
                    "missing.txt",
                    "id",
                    f"person {mp} is already the missing person of reference family {taken}",
                )
            if "unknown" not in (sex, person.sex) and sex != person.sex:
                raise _conflict(
                    p,
                    "am.tsv",
                    "sex",
                    f"missing person {mp} is {sex} in the case but {person.sex} in the registry",
                )
            counts["persons_linked"] += 1
        else:
            person = Person(
                ref=mp,
                sex=sex,
                status="missing",
                import_id=batch.id,
                notes=f"missing person of reference family {famid} in case {case_name}",
            )
            session.add(person)
            counts["persons_created"] += 1
        persons[mp] = person
    counts["missing_persons"] = len(persons)
    session.flush()
    return persons


def _store_families(
    ctx: _Import, donors: Mapping[str, DonorInfo], persons: Mapping[str, Person]
) -> None:
    """Reference families, pedigree members, donors and their reference profiles."""
    session, p, problem = ctx.session, ctx.path, ctx.problem
    batch, case_name, counts = ctx.batch, ctx.case_name, ctx.counts
    for famid, ped in problem.families.items():
        if session.execute(select(ReferenceFamily.id).where(ReferenceFamily.ref == famid)).first():
            raise _conflict(
                p, "am.tsv", "famid", f"reference family {famid} is already in the registry"
            )
        fam = ReferenceFamily(ref=famid, case_ref=case_name, import_id=batch.id)
        session.add(fam)
        session.flush()
        counts["families"] += 1
        fam_mps = problem.family_missing.get(famid, ())
        profiles = problem.am_profiles.get(famid, {})
        for ind in ped:
            member = PedigreeMember(
                family_id=fam.id,
                individual=ind.id,
                father=ind.father,
                mother=ind.mother,
                sex=SEX_NAMES[ind.sex],
            )
            if ind.id in fam_mps:
                member.person_id = persons[ind.id].id
            elif ind.id in profiles:
                member.donor_id = _store_donor(
                    session,
                    p,
                    fam,
                    ind.id,
                    ind.sex,
                    profiles[ind.id],
                    donors.get(ind.id),
                    fam_mps,
                    persons,
                    batch,
                    counts,
                )
            session.add(member)
            counts["pedigree_members"] += 1
        ctx.stored()
    session.flush()


def _store_pm_samples(ctx: _Import) -> dict[str, Sample]:
    """PM samples: onto registered remains, or new remains of unknown condition."""
    session, p, problem = ctx.session, ctx.path, ctx.problem
    batch, case_name, counts = ctx.batch, ctx.case_name, ctx.counts
    user = ctx.user
    lock_head(session, CustodyEvent.CHAIN)
    samples: dict[str, Sample] = {}
    for v in problem.pm:
        if session.execute(select(Sample.id).where(Sample.ref == v)).first():
            raise _conflict(p, "pm.tsv", "id", f"sample {v} is already in the registry")
        remains = session.execute(select(Remains).where(Remains.ref == v)).scalar_one_or_none()
        if remains is None:
            remains = Remains(
                ref=v,
                condition="unknown",
                import_id=batch.id,
                notes=f"known from DVI case {case_name}; recovery not recorded yet",
            )
            session.add(remains)
            session.flush()
            counts["remains_created"] += 1
        else:
            counts["remains_linked"] += 1
        sample = Sample(
            ref=v,
            kind="pm",
            remains_id=remains.id,
            sex=SEX_NAMES[problem.pm_sex[v]],
            import_id=batch.id,
        )
        session.add(sample)
        session.flush()
        samples[v] = sample
        _store_profile(
            session, sample, problem.pm_profiles.get(v, {}), len(problem.markers), counts
        )
        if remains.status == "recovered":
            move(session, remains, "sampled", actor=user, cause=f"import:{batch.id}")
        append(
            session,
            CustodyEvent(
                remains_id=remains.id,
                sample_id=sample.id,
                event="sampled",
                notes=f"profile imported with case {p.name} (batch {batch.id})",
                recorded_by_id=user.id,
            ),
        )
        counts["pm_samples"] += 1
        ctx.stored()
    return samples


def _store_pairing_exclusions(
    ctx: _Import, samples: Mapping[str, Sample], persons: Mapping[str, Person]
) -> list[str]:
    """Pairings the case rules out beyond sex, kept as exclusions; notes on what is not kept.

    So identify analyses the same problem as `repatria dvi analyse` on the case itself.
    """
    session, p, problem, batch, counts = ctx.session, ctx.path, ctx.problem, ctx.batch, ctx.counts
    notes: list[str] = []
    if isinstance(problem.pairings, DefaultPairings):
        # dvir's default (a case without pairings.json): nothing is ruled out beyond sex and
        # nobody stays possible; comparing would list PM x MP pairings, 10^8 at 10^4 x 10^4.
        return notes
    for v, default in generate_pairings(problem).items():
        allowed = set(problem.pairings[v])
        for m in default:
            if m != NOBODY and m not in allowed:
                session.add(
                    PairingExclusion(
                        sample_id=samples[v].id,
                        person_id=persons[m].id,
                        import_id=batch.id,
                        reason=f"not among the pairings of case {p.name}",
                    )
                )
                counts["pairing_exclusions"] += 1
        if NOBODY not in allowed:
            notes.append(
                f"the case requires {v} to be one of its missing persons; the registry keeps "
                f"'nobody' possible"
            )
    return notes


def _store_donor(
    session: Session,
    p: Path,
    fam: ReferenceFamily,
    pid: str,
    sex: Sex,
    profile: Mapping[str, Genotype],
    info: DonorInfo | None,
    fam_mps: tuple[str, ...],
    persons: Mapping[str, Person],
    batch: ImportBatch,
    counts: dict[str, int],
) -> int:
    if session.execute(select(Donor.id).where(Donor.ref == pid)).first():
        raise _conflict(p, "am.tsv", "id", f"donor {pid} is already in the registry")
    if session.execute(select(Sample.id).where(Sample.ref == pid)).first():
        raise _conflict(p, "am.tsv", "id", f"sample {pid} is already in the registry")
    info = info or DonorInfo(None, None, "identification", None)
    # A donor's "missing relative" is only unambiguous in a family with one MP.
    mp_person = persons[fam_mps[0]].id if len(fam_mps) == 1 else None
    donor = Donor(
        ref=pid,
        family_id=fam.id,
        name=info.name,
        relationship_to_mp=info.relationship,
        mp_person_id=mp_person,
        consent_scope=info.consent_scope,
        consent_given_on=info.consent_given_on,
    )
    session.add(donor)
    session.flush()
    sample = Sample(
        ref=pid, kind="reference", donor_id=donor.id, sex=SEX_NAMES[sex], import_id=batch.id
    )
    session.add(sample)
    session.flush()
    n_markers = counts["marker_definitions"]
    _store_profile(session, sample, profile, n_markers, counts)
    counts["donors"] += 1
    counts["reference_profiles"] += 1
    return donor.id


def _store_profile(
    session: Session,
    sample: Sample,
    genotypes: Mapping[str, Genotype],
    n_markers: int,
    counts: dict[str, int],
) -> None:
    typed = {m: g for m, g in genotypes.items() if g is not None}
    profile = Profile(sample_id=sample.id, quality=(len(typed) / n_markers) if n_markers else None)
    session.add(profile)
    session.flush()
    session.add_all(
        GenotypeRow(profile_id=profile.id, marker=m, allele1=g[0], allele2=g[1])
        for m, g in typed.items()
    )
    counts["genotype_rows"] += len(typed)
