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
from repatria.registry.models import Genotype as GenotypeRow
from repatria.registry.models import (
    PedigreeMember,
    Profile,
    ReferenceFamily,
    Sample,
)

__all__ = [
    "FamilyShape",
    "current_family",
    "registry_shape",
    "case_shape",
    "differences",
    "current_genotypes",
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
