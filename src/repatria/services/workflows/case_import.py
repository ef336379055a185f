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
stored with the default consent scope ``identification`` and no date. An optional
``lineage.tsv`` (:mod:`repatria.formats.lineage_tsv`) brings Y-STR and mtDNA haplotypes of its PM
samples and donors, stored in the same transaction (:mod:`.lineage_store`). An optional
``direct.tsv`` (:mod:`repatria.formats.direct_tsv`) brings direct references, items of a missing
person's own (:mod:`.direct_store`), in the same transaction.

The case is read and validated completely before the database is touched; then everything is
stored in one transaction with the case's SHA-256 (a ``.fam`` file: its bytes; a folder: the
files the import reads, in a fixed order, see :func:`case_sha256`). Importing the same case
again is a no-op that says so. Genotypes are stored exactly as read (an unknown allele as
NULL) and never written to the audit trail.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from repatria.errors import FormatError, RegistryError
from repatria.formats.lineage_tsv import LINEAGE_FILE, read_lineage_file
from repatria.registry.db import session_scope
from repatria.registry.models import (
    ImportBatch,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.progress import Progress, quiet, step
from repatria.services.workflows import direct_store, lineage_store
from repatria.services.workflows.case_files import (
    CASE_FILES,
    SEX_NAMES,
    case_sha256,
    markers_to_rows,
    read_donors,
)
from repatria.services.workflows.case_store import CaseImportResult, store_case

__all__ = [
    "CASE_FILES",
    "CaseImportResult",
    "case_sha256",
    "import_case",
    "markers_to_rows",
    "SEX_NAMES",
]


class _DryRun(Exception):
    """Raised inside the transaction of a dry run, so nothing is written."""

    def __init__(self, result: CaseImportResult) -> None:
        self.result = result


def import_case(
    db: str | None,
    path: str | Path,
    *,
    actor: str,
    dry_run: bool = False,
    reason: str | None = None,
    progress: Progress | None = None,
) -> CaseImportResult:
    """Import a case folder or ``.fam`` file (see the module notes); returns what was stored.

    ``progress`` hears ``read`` (the case, whole), then ``import``: reference families and PM
    samples stored, of all of them.

    With ``dry_run`` the import runs to the end and is rolled back: the result says what it
    would store and how the registry's families and samples would change. ``reason`` is kept
    with every new family version (who: ``actor``; why: the reason and the differences).
    """
    try:
        return _import_case(
            db, path, actor=actor, dry_run=dry_run, reason=reason, progress=progress or quiet
        )
    except _DryRun as done:
        return dataclasses.replace(done.result, dry_run=True)


def _import_case(
    db: str | None,
    path: str | Path,
    *,
    actor: str,
    dry_run: bool,
    reason: str | None,
    progress: Progress,
) -> CaseImportResult:
    from repatria.services.pipelines.dvi_analysis import read_case

    p = Path(path)
    if not p.exists():
        raise FormatError("no such case folder or .fam file", file=str(p))
    with step(progress, "read"):
        sha = case_sha256(p)
        drop: dict[str, float] = {}
        problem = read_case(
            p, dropout=drop
        )  # complete and validated before the database is touched
        if drop:  # a dropout column in pm.tsv: kept with each sample's profile
            from repatria.kinship.dropout import DropoutModel

            problem = problem.with_dropout({v: DropoutModel(d) for v, d in drop.items()})
    donors = read_donors(p) if p.is_dir() else {}
    lineage = read_lineage_file(p / LINEAGE_FILE) if (p / LINEAGE_FILE).is_file() else []
    direct = direct_store.read_case_direct(p, problem)
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
            result = store_case(session, p, problem, donors, user, batch, reason, progress)
            if lineage:  # Y-STR and mtDNA of the case's samples and donors, in the same batch
                stored = lineage_store.store_lineage_rows(
                    session, lineage, file=str(p / LINEAGE_FILE), batch=batch
                )
                result.counts.update({f"lineage_{k}": n for k, n in stored.items()})
            if direct:  # items of the MPs' own, in the same batch
                result.counts["direct_references"] = direct_store.store_case_direct(
                    session, p, problem, direct, user, batch
                )
            session.flush()
        except IntegrityError as e:
            raise RegistryError(
                f"{p.name}: the import conflicts with records written at the same time "
                f"({type(e.orig).__name__}); nothing was imported, try again"
            ) from None
        if dry_run:
            raise _DryRun(result)
        log_event(
            session,
            user.name,
            "import.case",
            "import_batch",
            batch.id,
            file=p.name,
            sha256=sha,
            **{k: v for k, v in result.counts.items()},
            new_family_versions=result.families_new_version,
        )
        return result
