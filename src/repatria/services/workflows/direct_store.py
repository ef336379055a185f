"""Direct references in the registry: items of the missing person's own, typed (issue 13).

A direct reference (a toothbrush, a razor, a hairbrush, clothing, a stored blood card) is the MP
himself, not a relative. It is stored as

- a ``samples`` row of kind ``reference`` with **no donor** (``material``: the item's kind), its
  ``profiles`` row (with the item's dropout) and ``genotypes``, as a donor's reference sample;
- a ``direct_references`` row linking that sample to the person, with the item's kind and the
  stated reliability that the item is his alone.

Having no donor, it is never a relative: no pedigree position (lineage and pedigree drawings
do not see it), never offered or accepted as the one to notify, never one of a candidate's
``references`` (the policy's close-relative rule). Its consent is not a relative's: it follows
the person's record. Identify weighs it as its own factor
(:mod:`repatria.services.workflows.direct_evidence`).

Rows come from a case folder's ``direct.tsv`` (:mod:`repatria.formats.direct_tsv`, stored in the
case's transaction) or from ``repatria direct import FILE`` (:func:`import_direct`): all or
nothing, one line naming file, line and field, never a genotype.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from repatria.errors import FormatError, RegistryError
from repatria.formats.direct_tsv import DIRECT_FILE, DirectRow, read_direct_file
from repatria.formats.text import read_bytes
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.markers import Marker
from repatria.registry.db import session_scope
from repatria.registry.models import (
    DirectReference,
    ImportBatch,
    MarkerDefinition,
    Person,
    Profile,
    Sample,
    User,
)
from repatria.registry.models import Genotype as GenotypeRow
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require, require_reader

__all__ = [
    "DirectImport",
    "DirectItem",
    "store_direct_rows",
    "import_direct",
    "direct_references_of",
    "read_case_direct",
    "store_case_direct",
    "list_direct",
]


@dataclass(frozen=True)
class DirectImport:
    """What ``repatria direct import`` stored."""

    file: str
    sha256: str
    batch: int
    already_imported: bool
    items: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "batch": self.batch,
            "already_imported": self.already_imported,
            "items": self.items,
        }


def store_direct_rows(
    session: Session,
    rows: Sequence[DirectRow],
    *,
    file: str,
    markers: Mapping[str, Marker],
    user: User,
    batch: ImportBatch | None = None,
) -> int:
    """Store ``rows`` in the open transaction (the caller's all or nothing); returns how many.

    Every row is checked before the first is written: its person exists, its reference is no
    sample's yet, each allele is in the frequency table.
    """
    persons = {
        str(ref): (int(pid), str(sex))
        for ref, pid, sex in session.execute(
            select(Person.ref, Person.id, Person.sex).where(
                Person.ref.in_({r.missing for r in rows})
            )
        ).all()
    }
    taken = set(
        session.execute(select(Sample.ref).where(Sample.ref.in_({r.ref for r in rows}))).scalars()
    )
    stored = _stored(session, {r.ref for r in rows})
    for r in rows:
        if r.missing not in persons:
            raise FormatError(
                f"no missing person '{r.missing}' in the registry",
                file=file,
                line=r.line,
                field="missing",
            )
        if r.ref in stored and stored[r.ref] == _key(r, persons[r.missing][0]):
            continue  # the same item again (a case imported anew): kept as it is
        if r.ref in taken:
            raise FormatError(
                f"a sample '{r.ref}' is in the registry already", file=file, line=r.line, field="id"
            )
        for name, g in r.genotypes.items():
            m = markers.get(name)
            if m is None:
                raise FormatError(
                    "is not a marker of the frequency table", file=file, line=r.line, field=name
                )
            if any(a is not None and a not in m._index for a in g):
                # the allele itself is not named: it is a person's genotype
                raise FormatError(
                    "carries an allele the frequency table does not have; add it to the table",
                    file=file,
                    line=r.line,
                    field=name,
                )
    bid = None if batch is None else batch.id
    fresh = [r for r in rows if r.ref not in stored]
    for r in fresh:
        pid, sex = persons[r.missing]
        sample = Sample(
            ref=r.ref,
            kind="reference",
            donor_id=None,
            material=r.item,
            sex=sex if sex in ("male", "female") else "unknown",
            import_id=bid,
        )
        session.add(sample)
        session.flush()
        typed = sum(1 for g in r.genotypes.values() if g is not None)
        prof = Profile(
            sample_id=sample.id,
            dropout=r.dropout,
            quality=typed / len(markers) if markers else None,
        )
        session.add(prof)
        session.flush()
        session.add_all(
            GenotypeRow(profile_id=prof.id, marker=name, allele1=g[0], allele2=g[1])
            for name, g in r.genotypes.items()
        )
        session.add(
            DirectReference(
                ref=r.ref,
                person_id=pid,
                sample_id=sample.id,
                item=r.item,
                reliability=r.reliability,
                import_id=bid,
                recorded_by_id=user.id,
            )
        )
    session.flush()
    return len(fresh)


def _key(r: DirectRow, person_id: int) -> tuple[Any, ...]:
    """What makes two records of an item the same record."""
    genos = tuple(sorted((m, tuple(g)) for m, g in r.genotypes.items()))
    return (person_id, r.item, r.reliability, r.dropout, genos)


def _stored(session: Session, refs: set[str]) -> dict[str, tuple[Any, ...]]:
    """ref -> the key of the direct reference stored under it (its newest profile)."""
    out: dict[str, tuple[Any, ...]] = {}
    for d in session.execute(
        select(DirectReference).where(DirectReference.ref.in_(refs))
    ).scalars():
        prof = (
            session.execute(
                select(Profile).where(Profile.sample_id == d.sample_id).order_by(Profile.id.desc())
            )
            .scalars()
            .first()
        )
        genos: dict[str, tuple[str | None, str | None]] = {}
        if prof is not None:
            for g in session.execute(
                select(GenotypeRow).where(GenotypeRow.profile_id == prof.id)
            ).scalars():
                genos[g.marker] = (g.allele1, g.allele2)
        row = DirectRow(
            0,
            d.ref,
            "",
            d.item,
            float(d.reliability),
            None if prof is None else prof.dropout,
            genos,
        )
        out[d.ref] = _key(row, d.person_id)
    return out


def _table_markers(session: Session) -> dict[str, Marker]:
    """The markers of the default frequency table (what identify reads without a name)."""
    from repatria.services.workflows.frequency_tables import table_by_spec
    from repatria.services.workflows.problem import markers_from_rows

    table = table_by_spec(session, None)
    rows = session.execute(
        select(MarkerDefinition)
        .where(MarkerDefinition.frequency_table_id == table.id)
        .order_by(MarkerDefinition.id)
    ).scalars()
    return {m.name: m for m in markers_from_rows(list(rows))}


def import_direct(db: str | None, path: str | Path, *, actor: str) -> DirectImport:
    """Record the direct references of a ``direct.tsv`` (``missing``: person references), against
    the default frequency table: all or nothing; a file is imported once."""
    p = Path(path)
    data = read_bytes(p, "direct references file")
    sha = hashlib.sha256(data).hexdigest()
    with session_scope(db) as session:
        user = require(session, actor, "import.case")
        done = session.execute(
            select(ImportBatch).where(ImportBatch.kind == "direct", ImportBatch.sha256 == sha)
        ).scalar_one_or_none()
        if done is not None:
            return DirectImport(p.name, sha, done.id, True)
        markers = _table_markers(session)
        rows = read_direct_file(p, markers)
        batch = ImportBatch(
            kind="direct", filename=p.name, sha256=sha, rows=len(rows), imported_by_id=user.id
        )
        session.add(batch)
        try:
            session.flush()
            n = store_direct_rows(
                session, rows, file=str(p), markers=markers, user=user, batch=batch
            )
        except IntegrityError as e:
            raise RegistryError(
                f"{p.name}: the import conflicts with records written at the same time "
                f"({type(e.orig).__name__}); nothing was imported, try again"
            ) from None
        log_event(
            session,
            user.name,
            "import.direct",
            "import_batch",
            batch.id,
            file=p.name,
            sha256=sha,
            items=n,
        )
        return DirectImport(p.name, sha, batch.id, False, n)


@dataclass(frozen=True)
class DirectItem:
    """A direct reference as identify reads it."""

    id: int
    ref: str
    person_id: int
    item: str
    reliability: float
    sample_id: int


def direct_references_of(
    session: Session, person_ids: Sequence[int]
) -> dict[int, list[DirectItem]]:
    """person id -> his direct references, in id order."""
    out: dict[int, list[DirectItem]] = {}
    if not person_ids:
        return out
    for d in session.execute(
        select(DirectReference)
        .where(DirectReference.person_id.in_(list(person_ids)))
        .order_by(DirectReference.id)
    ).scalars():
        out.setdefault(d.person_id, []).append(
            DirectItem(d.id, d.ref, d.person_id, d.item, float(d.reliability), d.sample_id)
        )
    return out


def read_case_direct(folder: Path, problem: DVIProblem) -> list[DirectRow]:
    """A case folder's ``direct.tsv``, checked against the case (none without it): each item's
    ``missing`` is one of the case's missing persons, its columns the case's markers."""
    path = folder / DIRECT_FILE
    if not folder.is_dir() or not path.is_file():
        return []
    rows = read_direct_file(path, {m.name for m in problem.markers})
    for r in rows:
        if r.missing not in problem.missing:
            raise FormatError(
                f"'{r.missing}' is not a missing person of missing.txt",
                file=str(path),
                line=r.line,
                field="missing",
            )
    return rows


def store_case_direct(
    session: Session,
    folder: Path,
    problem: DVIProblem,
    rows: Sequence[DirectRow],
    user: User,
    batch: ImportBatch,
) -> int:
    """Store a case's direct references (after its persons) in the case's transaction."""
    markers = {m.name: m for m in problem.markers}
    return store_direct_rows(
        session, rows, file=str(folder / DIRECT_FILE), markers=markers, user=user, batch=batch
    )


def list_direct(db: str | None, person_ref: str, *, actor: str) -> list[dict[str, Any]]:
    """The direct references recorded for a person: item, reliability, markers typed (never the
    genotypes), in id order."""
    from repatria.services.workflows._lookup import by_ref

    with session_scope(db, read=True) as session:
        require_reader(session, actor, "donors.read")
        person = by_ref(session, Person, person_ref)
        out = []
        for d in direct_references_of(session, [person.id]).get(person.id, []):
            prof = (
                session.execute(
                    select(Profile)
                    .where(Profile.sample_id == d.sample_id)
                    .order_by(Profile.id.desc())
                )
                .scalars()
                .first()
            )
            typed = 0
            if prof is not None:
                typed = len(
                    session.execute(
                        select(GenotypeRow.id).where(GenotypeRow.profile_id == prof.id)
                    ).all()
                )
            out.append(
                {
                    "ref": d.ref,
                    "person": person.ref,
                    "item": d.item,
                    "reliability": d.reliability,
                    "markers_typed": typed,
                    "dropout": None if prof is None else prof.dropout,
                }
            )
        return out
