"""Import lab exports into the registry: all or nothing, each sample's kits merged, retyping kept.

``repatria import lab FILE... --as USER [--kit NAME]``: the files (GeneMapper / ID-X tables,
long or wide, and CODIS CMF) are read completely and each sample's typings merged over kits
and runs (:func:`repatria.services.pipelines.lab.check_lab_files`) before the registry is
touched. Then, in one transaction:

- every sample is matched to a registered sample by its ref: a PM sample (``samples.ref``), or
  a reference donor (``donors.ref``, whose newest sample it is); an unknown ref refuses the
  whole import, naming the file, the line and the field;
- a marker where the kits disagree refuses the whole import, with every conflict listed
  (sample, marker, kits, file and line; never an allele). Conflicts are for the lab to settle
  and type again; they are never resolved here, nor left out silently;
- marker names are the registry's: a lab's ``VWA`` is stored as the registry's ``vWA`` when
  its frequency tables spell it so (:func:`repatria.formats.marker_names.canonical_marker`);
- a sample with no profile gets one; a sample typed differently from its current profile gets
  a new profile that supersedes it (retyped,
  :func:`repatria.services.workflows.case_versions.retype`), the old one kept with the runs
  that used it; a sample typed the same is left as it is;
- amelogenin gives a PM sample its sex when the registry has none; a sex that contradicts the
  registry's refuses the import;
- each file is an import batch (``kind`` "lab", its SHA-256): the same files again are a no-op;
  a file already imported among new ones is refused (its samples would be merged without
  it). The import is audited (files, samples, retyped), without genotypes.

All the kits of a sample belong in one import: a later import of a sample is a new version of
its profile made from what that import gives, not a merge with the earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from repatria.errors import FormatError, RegistryError, ServiceError
from repatria.formats.kit_merge import MergedProfile
from repatria.formats.lab_typing import LabExport
from repatria.formats.marker_names import canonical_marker, marker_key
from repatria.kinship.pedigree import Sex
from repatria.registry.db import session_scope
from repatria.registry.models import (
    Donor,
    ImportBatch,
    MarkerDefinition,
    Sample,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.pipelines.lab import LabCheck, check_lab_files
from repatria.services.workflows.case_versions import current_genotypes, retype
from repatria.services.workflows.frequency_tables import table_by_spec

__all__ = ["LabImportResult", "SampleImport", "KitConflictError", "import_lab"]

_SEX = {Sex.MALE: "male", Sex.FEMALE: "female"}


class KitConflictError(ServiceError):
    """Kits disagree on a sample's marker: nothing is imported; ``conflicts`` lists them all."""

    def __init__(self, conflicts: list[str]) -> None:
        self.conflicts = conflicts
        n = len(conflicts)
        super().__init__(
            f"{n} marker{'s' if n != 1 else ''} where the kits disagree; nothing was imported "
            f"(the lab settles and types again; `repatria lab check` shows them):\n"
            + "\n".join(conflicts)
        )


@dataclass(frozen=True)
class SampleImport:
    """What the import did to one sample: ``new`` profile, ``retyped`` or ``unchanged``."""

    sample: str
    kind: str  # "pm" or "reference"
    action: str
    kits: tuple[str, ...]
    markers: int
    profile: int | None
    supersedes: int | None = None
    sex: str | None = None  # set from amelogenin
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "sample": self.sample,
            "kind": self.kind,
            "action": self.action,
            "kits": list(self.kits),
            "n_markers": self.markers,
            "profile": self.profile,
            "supersedes": self.supersedes,
            "sex_set": self.sex,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class LabImportResult:
    """The batches stored (one per file) and what became of each sample."""

    files: tuple[str, ...]
    batches: tuple[int, ...]
    samples: tuple[SampleImport, ...]
    already_imported: bool = False
    dry_run: bool = False
    outside_tables: tuple[str, ...] = ()  # markers no frequency table of the registry has
    renamed_markers: dict[str, str] = field(default_factory=dict)

    def count(self, action: str) -> int:
        return sum(1 for s in self.samples if s.action == action)

    @property
    def message(self) -> str:
        if self.already_imported:
            return (
                f"{', '.join(self.files)} already imported as batch "
                f"{', '.join(map(str, self.batches))}; nothing changed"
            )
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} {len(self.samples)} samples from {len(self.files)} files: "
            f"{self.count('new')} new profiles, {self.count('retyped')} retyped, "
            f"{self.count('unchanged')} unchanged"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "batches": list(self.batches),
            "samples": [s.as_dict() for s in self.samples],
            "already_imported": self.already_imported,
            "dry_run": self.dry_run,
            "outside_tables": list(self.outside_tables),
            "renamed_markers": self.renamed_markers,
            "message": self.message,
        }


class _DryRun(Exception):
    """Raised inside the transaction of a dry run, so nothing is written."""

    def __init__(self, result: LabImportResult) -> None:
        self.result = result


def import_lab(
    db: str | None,
    paths: Sequence[str | Path],
    *,
    actor: str,
    kits: Sequence[str] = (),
    dry_run: bool = False,
) -> LabImportResult:
    """Import lab exports (see the module notes); with ``dry_run`` run to the end, roll back."""
    check = check_lab_files(paths, kits)  # every file whole, before the registry is touched
    conflicts = [c.message for p in check.profiles.values() for c in p.conflicts]
    if conflicts:
        raise KitConflictError(conflicts)
    try:
        return _store(db, check, actor=actor, dry_run=dry_run)
    except _DryRun as done:
        return done.result


def _store(db: str | None, check: LabCheck, *, actor: str, dry_run: bool) -> LabImportResult:
    files = tuple(Path(e.file).name for e in check.exports)
    with session_scope(db) as session:
        user = require(session, actor, "import.lab")
        done = {
            e.file: session.execute(
                select(ImportBatch.id).where(
                    ImportBatch.kind == "lab", ImportBatch.sha256 == e.sha256
                )
            ).scalar_one_or_none()
            for e in check.exports
        }
        if all(b is not None for b in done.values()):
            ids = tuple(b for b in done.values() if b is not None)
            return LabImportResult(files, ids, (), already_imported=True)
        again = next((f for f, b in done.items() if b is not None), None)
        if again is not None:
            raise ServiceError(
                f"{again} was already imported (batch {done[again]}) and the other files are "
                f"new; nothing was imported: import the new files alone, with every kit of "
                f"their samples"
            )
        batches = []
        for e in check.exports:
            batch = ImportBatch(
                kind="lab",
                filename=Path(e.file).name[:500],
                sha256=e.sha256,
                rows=len(e.typings),
                imported_by_id=user.id,
            )
            session.add(batch)
            batches.append(batch)
        names, n_markers = _registry_markers(session)
        try:
            session.flush()
            matched = {s: _match(session, check, s) for s in check.profiles}
            tag = f"lab import batch {', '.join(str(b.id) for b in batches)}"
            results = tuple(
                _sample(session, check, matched[s], p, names, n_markers, tag)
                for s, p in check.profiles.items()
            )
            session.flush()
        except IntegrityError as e:
            raise RegistryError(
                f"{', '.join(files)}: the import conflicts with records written at the same "
                f"time ({type(e.orig).__name__}); nothing was imported, try again"
            ) from None
        typed = {m for p in check.profiles.values() for m in p.genotypes}
        result = LabImportResult(
            files,
            tuple(b.id for b in batches),
            results,
            dry_run=dry_run,
            outside_tables=tuple(sorted(m for m in typed if _key(m) not in names)),
            renamed_markers={
                m: names[_key(m)] for m in sorted(typed) if _key(m) in names and names[_key(m)] != m
            },
        )
        if dry_run:
            raise _DryRun(result)
        log_event(
            session,
            user.name,
            "import.lab",
            "import_batch",
            batches[0].id,
            batches=[b.id for b in batches],
            files=list(files),
            sha256=[e.sha256 for e in check.exports],
            samples=len(results),
            new_profiles=[s.sample for s in results if s.action == "new"],
            retyped=[s.sample for s in results if s.action == "retyped"],
        )
        return result


def _key(name: str) -> str:
    return marker_key(canonical_marker(name))


def _registry_markers(session: Session) -> tuple[dict[str, str], int]:
    """The registry's spelling of each marker (the default table's first), and its size."""
    names: dict[str, str] = {}
    n = 0
    try:
        default = table_by_spec(session, None)
    except ServiceError:
        default = None
    if default is not None:
        for name in session.execute(
            select(MarkerDefinition.name).where(MarkerDefinition.frequency_table_id == default.id)
        ).scalars():
            names.setdefault(_key(name), name)
            n += 1
    for name in session.execute(select(MarkerDefinition.name).distinct()).scalars():
        names.setdefault(_key(name), name)
    return names, n


def _where(check: LabCheck, sample: str) -> tuple[str, int, str]:
    """The file, line and sample field of a sample's first typing."""
    for e in check.exports:
        for t in e.typings:
            if t.sample == sample:
                return e.file, t.line, _sample_field(e)
    raise AssertionError(sample)  # every merged profile comes from a typing


def _sample_field(e: LabExport) -> str:
    return "SPECIMENID" if e.layout == "cmf" else "Sample Name"


def _match(session: Session, check: LabCheck, ref: str) -> Sample:
    sample = session.execute(select(Sample).where(Sample.ref == ref)).scalar_one_or_none()
    if sample is not None:
        return sample
    donor = session.execute(select(Donor).where(Donor.ref == ref)).scalar_one_or_none()
    if donor is not None:
        sample = (
            session.execute(
                select(Sample).where(Sample.donor_id == donor.id).order_by(Sample.id.desc())
            )
            .scalars()
            .first()
        )
        if sample is not None:
            return sample
    file, line, fld = _where(check, ref)
    raise FormatError(
        f"sample {ref} is not in the registry (no PM sample and no reference donor of that "
        f"ref); nothing was imported",
        file=file,
        line=line,
        field=fld,
    )


def _sample(
    session: Session,
    check: LabCheck,
    sample: Sample,
    merged: MergedProfile,
    names: dict[str, str],
    n_markers: int,
    tag: str,
) -> SampleImport:
    genotypes = {names.get(_key(m), m): g for m, g in merged.genotypes.items()}
    if not genotypes:
        file, line, _ = _where(check, merged.sample)
        raise FormatError(
            f"sample {merged.sample} has no marker typed; nothing was imported",
            file=file,
            line=line,
            field="Marker",
        )
    sex = _sex(check, sample, merged)
    old, before = current_genotypes(session, sample.id)
    # The same two alleles in another order are the same genotype: not a retyping.
    genotypes = {
        m: before[m] if m in before and _unordered(before[m]) == _unordered(g) else g
        for m, g in genotypes.items()
    }
    notes = tuple(n.message for n in merged.notes)
    note = f"{tag}: kits {', '.join(merged.kits)}" + (f"; {'; '.join(notes)}" if notes else "")
    counts = {"marker_definitions": n_markers or len(genotypes), "genotype_rows": 0}
    changed = retype(session, sample, genotypes, note=note, counts=counts)
    new, _ = current_genotypes(session, sample.id)
    if changed and new is not None:
        new.kit = ", ".join(merged.kits)[:120]
    action = "unchanged" if not changed else ("retyped" if old is not None else "new")
    return SampleImport(
        merged.sample,
        sample.kind,
        action,
        merged.kits,
        len(genotypes),
        new.id if new is not None else None,
        old.id if changed and old is not None else None,
        sex,
        notes,
    )


def _unordered(g: tuple[str | None, str | None]) -> tuple[str, ...]:
    return tuple(sorted("" if a is None else a for a in g))


def _sex(check: LabCheck, sample: Sample, merged: MergedProfile) -> str | None:
    """A PM sample's sex from amelogenin when the registry has none; a contradiction refuses."""
    lab = _SEX.get(merged.sex)
    if lab is None or sample.kind != "pm":
        return None
    if sample.sex in (None, "unknown"):
        sample.sex = lab
        return lab
    if sample.sex != lab:
        file, line, _ = _where(check, merged.sample)
        raise FormatError(
            f"amelogenin types sample {merged.sample} {lab}, the registry has it {sample.sex}; "
            f"nothing was imported",
            file=file,
            line=line,
            field="AMEL",
        )
    return None
