"""Storing a case, step by step, in the import's transaction (see :mod:`.case_import`).

Markers, missing persons, reference families (new versions of changed ones), donors, PM samples
on their recovered items and bodies, pairing exclusions. Every step raises a
:class:`~repatria.errors.RegistryError` naming the file and field of a conflict, which rolls the
whole import back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import RegistryError
from repatria.kinship.dvi import NOBODY, DefaultPairings, DVIProblem, generate_pairings
from repatria.kinship.pedigree import Genotype, Pedigree, Sex
from repatria.registry.chain import append, lock_head
from repatria.registry.models import (
    CustodyEvent,
    Donor,
    FrequencyTable,
    ImportBatch,
    MarkerDefinition,
    PairingExclusion,
    PedigreeMember,
    Person,
    ReferenceFamily,
    Remains,
    Sample,
    User,
)
from repatria.services.progress import Progress, quiet
from repatria.services.workflows.body_parts import add_sample, move_body
from repatria.services.workflows.case_files import (
    SEX_NAMES,
    DonorInfo,
    markers_to_rows,
    read_items,
)
from repatria.services.workflows.case_versions import (
    case_shape,
    current_family,
    differences,
    excluded,
    from_a_case,
    keep_donor,
    known_donor,
    registry_shape,
    retype,
    store_profile,
)
from repatria.services.workflows.states import move

__all__ = ["store_case", "CaseImportResult"]


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
    #: ids of the family versions this import created (a changed folder imported again)
    families_new_version: list[int] = field(default_factory=list)
    #: the differences from the registry, one sentence each (new versions, retyped samples)
    changes: list[str] = field(default_factory=list)
    dry_run: bool = False

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
        if self.families_new_version:
            text += f"; {len(self.families_new_version)} families have a new version"
        text += "".join(f"; {n}" for n in self.notes)
        text += "".join(f"\n  {c}" for c in self.changes)
        return f"dry run, nothing written: {text}" if self.dry_run else text


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
    items: dict[str, str] = field(default_factory=dict)  # PM sample -> recovered item ref
    new_versions: list[int] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    reason: str | None = None  # why, for new family versions
    progress: Progress = quiet
    done: int = 0  # families and PM samples stored

    def stored(self) -> None:
        """One more family or PM sample stored: tell ``progress``."""
        self.done += 1
        self.progress("import", self.done, len(self.problem.families) + len(self.problem.pm))


def store_case(
    session: Session,
    p: Path,
    problem: DVIProblem,
    donors: Mapping[str, DonorInfo],
    user: User,
    batch: ImportBatch,
    reason: str | None = None,
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
            "families_unchanged",
            "families_new_version",
            "pm_unchanged",
            "pm_retyped",
        ),
        0,
    )
    ctx = _Import(session, p, problem, user, batch, p.stem if p.is_file() else p.name, counts)
    ctx.items = read_items(p, problem.pm) if p.is_dir() else {}
    ctx.reason = reason
    ctx.progress = progress
    progress("import", 0, len(problem.families) + len(problem.pm))
    table = _store_markers(ctx)
    persons = _store_persons(ctx)
    _store_families(ctx, donors, persons)
    samples = _store_pm_samples(ctx)
    notes = _store_pairing_exclusions(ctx, samples, persons)
    return CaseImportResult(
        p.name,
        batch.sha256,
        batch.id,
        False,
        batch.rows,
        table.name,
        counts,
        notes,
        ctx.new_versions,
        ctx.changes,
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
            if taken is not None and taken != famid:  # the same family: a new version
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
    batch, counts = ctx.batch, ctx.counts
    for famid, ped in problem.families.items():
        profiles = problem.am_profiles.get(famid, {})
        old = current_family(session, famid)
        fam = _family_row(ctx, famid, ped, profiles, old)
        if fam is None:
            continue
        fam_mps = problem.family_missing.get(famid, ())
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
            elif ind.id in profiles and old is not None and known_donor(session, ind.id):
                member.donor_id = keep_donor(
                    session, ind.id, profiles[ind.id], note=_note(ctx), counts=counts
                )
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


def _note(ctx: _Import) -> str:
    return f"retyped: case {ctx.path.name} (batch {ctx.batch.id})"


def _family_row(
    ctx: _Import,
    famid: str,
    ped: Pedigree,
    profiles: Mapping[str, Mapping[str, Genotype]],
    old: ReferenceFamily | None,
) -> ReferenceFamily | None:
    """The family's new row: version 1, or the next version if it changed (None: unchanged)."""
    session, counts = ctx.session, ctx.counts
    fam = ReferenceFamily(ref=famid, case_ref=ctx.case_name, import_id=ctx.batch.id)
    if old is not None:
        diffs = differences(
            famid,
            registry_shape(session, old),
            case_shape(ped, profiles, SEX_NAMES),
        )
        if not diffs:
            counts["families_unchanged"] += 1
            return None
        fam.version, fam.supersedes_id = old.version + 1, old.id
        fam.changed_by_id = ctx.user.id
        why = f"{ctx.reason.strip()}; " if ctx.reason and ctx.reason.strip() else ""
        fam.change_reason = f"{why}import of case {ctx.path.name}: " + "; ".join(diffs)
        ctx.changes.append(f"family {famid} version {fam.version}: " + "; ".join(diffs))
        counts["families_new_version"] += 1
    session.add(fam)
    session.flush()
    if old is not None:
        ctx.new_versions.append(fam.id)
    counts["families"] += 1
    return fam


def _store_pm_samples(ctx: _Import) -> dict[str, Sample]:
    """PM samples: onto registered remains, or new remains of unknown condition."""
    session, p, problem = ctx.session, ctx.path, ctx.problem
    batch, case_name, counts = ctx.batch, ctx.case_name, ctx.counts
    user = ctx.user
    lock_head(session, CustodyEvent.CHAIN)
    samples: dict[str, Sample] = {}
    for v in problem.pm:
        known = session.execute(select(Sample).where(Sample.ref == v)).scalar_one_or_none()
        if known is not None and not from_a_case(session, known):
            raise _conflict(p, "pm.tsv", "id", f"sample {v} is already in the registry")
        if known is not None:  # a case imported again: the same sample, retyped or not
            retyped = retype(
                session, known, problem.pm_profiles.get(v, {}), note=_note(ctx), counts=counts
            )
            counts["pm_retyped" if retyped else "pm_unchanged"] += 1
            if retyped:
                ctx.changes.append(f"sample {v} retyped")
            samples[v] = known
            continue
        item = ctx.items.get(v, v)
        remains = session.execute(select(Remains).where(Remains.ref == item)).scalar_one_or_none()
        if remains is None:
            remains = Remains(
                ref=item,
                condition="unknown",
                import_id=batch.id,
                notes=f"known from DVI case {case_name}; recovery not recorded yet",
            )
            session.add(remains)
            session.flush()
            counts["remains_created"] += 1
            # Every recovered item is received before anything else happens to it.
            append(
                session,
                CustodyEvent(
                    remains_id=remains.id,
                    event="received",
                    notes=f"received with case {p.name} (batch {batch.id})",
                    recorded_by_id=user.id,
                ),
            )
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
        model = problem.pm_dropout.get(v)
        store_profile(
            session,
            sample,
            problem.pm_profiles.get(v, {}),
            len(problem.markers),
            counts,
            dropout=model.dropout if model is not None else None,
        )
        body = add_sample(session, sample, remains, cause=f"import:{batch.id}")
        if body.status == "recovered":
            move_body(session, body, "sampled", actor=user, cause=f"import:{batch.id}")
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
            if m != NOBODY and m not in allowed and not excluded(session, samples[v], persons[m]):
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
    store_profile(session, sample, profile, n_markers, counts)
    counts["donors"] += 1
    counts["reference_profiles"] += 1
    return donor.id
