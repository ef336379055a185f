"""A changed case folder, imported again: new versions, never overwrites.

Used by :mod:`repatria.services.workflows.case_import` when a case names a reference family or a
PM sample the registry already holds:

- a family whose pedigree or typed references differ from its current version becomes a new
  version (``version`` + 1, ``supersedes_id`` the old row, who and why in ``changed_by_id`` and
  ``change_reason``: the differences, one clause each); the old version and its members stay;
- a family that is the same is left as it is;
- a donor already registered keeps his record and takes his position in the new version; a
  donor or PM sample typed differently gets a new profile that supersedes the old one
  (retyped); the old profile stays.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.kinship.pedigree import Genotype, Pedigree, Sex
from repatria.registry.models import (
    Donor,
    ImportBatch,
    PairingExclusion,
    PedigreeMember,
    Person,
    Profile,
    ReferenceFamily,
    Sample,
)
from repatria.registry.models import Genotype as GenotypeRow

__all__ = [
    "FamilyShape",
    "current_family",
    "registry_shape",
    "case_shape",
    "differences",
    "current_genotypes",
    "store_profile",
    "retype",
    "known_donor",
    "keep_donor",
    "from_a_case",
    "excluded",
]

#: individual -> (father, mother, sex), and individual -> genotypes of the typed ones
FamilyShape = tuple[dict[str, tuple[str | None, str | None, str]], dict[str, dict[str, Genotype]]]


def current_family(session: Session, ref: str) -> ReferenceFamily | None:
    """The current version of the family ``ref`` (the row no other row supersedes)."""
    replaced = select(ReferenceFamily.supersedes_id).where(
        ReferenceFamily.supersedes_id.is_not(None)
    )
    return (
        session.execute(
            select(ReferenceFamily)
            .where(ReferenceFamily.ref == ref, ReferenceFamily.id.not_in(replaced))
            .order_by(ReferenceFamily.version.desc())
        )
        .scalars()
        .first()
    )


def current_genotypes(
    session: Session, sample_id: int
) -> tuple[Profile | None, dict[str, Genotype]]:
    """The sample's newest profile (not superseded) and its genotypes."""
    newer = select(Profile.supersedes_id).where(Profile.supersedes_id.is_not(None))
    prof = (
        session.execute(
            select(Profile)
            .where(Profile.sample_id == sample_id, Profile.id.not_in(newer))
            .order_by(Profile.id.desc())
        )
        .scalars()
        .first()
    )
    if prof is None:
        return None, {}
    rows = session.execute(select(GenotypeRow).where(GenotypeRow.profile_id == prof.id)).scalars()
    return prof, {g.marker: (g.allele1, g.allele2) for g in rows}


def registry_shape(session: Session, fam: ReferenceFamily) -> FamilyShape:
    """The family version as the registry holds it."""
    members = session.execute(
        select(PedigreeMember).where(PedigreeMember.family_id == fam.id).order_by(PedigreeMember.id)
    ).scalars()
    shape: dict[str, tuple[str | None, str | None, str]] = {}
    typed: dict[str, dict[str, Genotype]] = {}
    for m in members:
        shape[m.individual] = (m.father, m.mother, m.sex)
        if m.donor_id is not None:
            sample = (
                session.execute(
                    select(Sample).where(Sample.donor_id == m.donor_id).order_by(Sample.id.desc())
                )
                .scalars()
                .first()
            )
            if sample is not None:
                genos = current_genotypes(session, sample.id)[1]
                if genos:
                    typed[m.individual] = genos
    return shape, typed


def case_shape(
    ped: Pedigree, profiles: Mapping[str, Mapping[str, Genotype]], sex_names: Mapping[Sex, str]
) -> FamilyShape:
    """The family as the case describes it."""
    shape = {ind.id: (ind.father, ind.mother, sex_names[ind.sex]) for ind in ped}
    typed = {
        i: {m: g for m, g in prof.items() if g is not None}
        for i, prof in profiles.items()
        if any(g is not None for g in prof.values())
    }
    return shape, typed


def differences(ref: str, old: FamilyShape, new: FamilyShape) -> list[str]:
    """What changed in family ``ref``, one clause each (empty: the same family)."""
    (om, ot), (nm, nt) = old, new
    out = [f"{i} added to family {ref}" for i in nm if i not in om]
    out += [f"{i} removed from family {ref}" for i in om if i not in nm]
    for i in nm:
        if i in om and om[i] != nm[i]:
            (of, omo, osx), (nf, nmo, nsx) = om[i], nm[i]
            if of != nf:
                out.append(f"father of {i} corrected: {nf or 'unknown'} (was {of or 'unknown'})")
            if omo != nmo:
                out.append(f"mother of {i} corrected: {nmo or 'unknown'} (was {omo or 'unknown'})")
            if osx != nsx:
                out.append(f"sex of {i} corrected: {nsx} (was {osx})")
    for i in nt:
        if i not in ot:
            out.append(f"reference profile of {i} added")
        elif ot[i] != nt[i]:
            out.append(f"{i} retyped")
    out += [f"reference profile of {i} removed" for i in ot if i not in nt and i in nm]
    return out


def store_profile(
    session: Session,
    sample: Sample,
    genotypes: Mapping[str, Genotype | None],
    n_markers: int,
    counts: dict[str, int],
    dropout: float | None = None,
) -> Profile:
    """A new profile of ``sample`` with its genotypes (an untyped marker has no row) and, when
    given, the sample's allelic dropout probability."""
    typed = {m: g for m, g in genotypes.items() if g is not None}
    profile = Profile(
        sample_id=sample.id,
        quality=(len(typed) / n_markers) if n_markers else None,
        dropout=dropout,
    )
    session.add(profile)
    session.flush()
    session.add_all(
        GenotypeRow(profile_id=profile.id, marker=m, allele1=g[0], allele2=g[1])
        for m, g in typed.items()
    )
    counts["genotype_rows"] += len(typed)
    return profile


def retype(
    session: Session,
    sample: Sample,
    genotypes: Mapping[str, Genotype | None],
    *,
    note: str,
    counts: dict[str, int],
) -> bool:
    """A new profile superseding the sample's current one, if the genotypes differ."""
    old, before = current_genotypes(session, sample.id)
    typed = {m: g for m, g in genotypes.items() if g is not None}
    if before == typed:
        return False
    new = store_profile(session, sample, typed, counts["marker_definitions"], counts)
    new.supersedes_id = old.id if old is not None else None
    new.quality_notes = note
    session.flush()
    return True


def known_donor(session: Session, ref: str) -> bool:
    """Whether a donor of that ref is registered."""
    return session.execute(select(Donor.id).where(Donor.ref == ref)).first() is not None


def keep_donor(
    session: Session,
    ref: str,
    genotypes: Mapping[str, Genotype | None],
    *,
    note: str,
    counts: dict[str, int],
) -> int:
    """A registered donor's id for his position in a new family version; retyped if need be."""
    donor = session.execute(select(Donor).where(Donor.ref == ref)).scalar_one()
    sample = (
        session.execute(
            select(Sample).where(Sample.donor_id == donor.id).order_by(Sample.id.desc())
        )
        .scalars()
        .first()
    )
    if sample is not None:
        retype(session, sample, genotypes, note=note, counts=counts)
    return donor.id


def from_a_case(session: Session, sample: Sample) -> bool:
    """Whether the sample came in with a case import (so the case may be imported again)."""
    if sample.import_id is None:
        return False
    batch = session.get(ImportBatch, sample.import_id)
    return batch is not None and batch.kind == "case"


def excluded(session: Session, sample: Sample, person: Person) -> bool:
    """Whether a pairing exclusion of the sample and the person is recorded."""
    return (
        session.execute(
            select(PairingExclusion.id).where(
                PairingExclusion.sample_id == sample.id, PairingExclusion.person_id == person.id
            )
        ).first()
        is not None
    )
