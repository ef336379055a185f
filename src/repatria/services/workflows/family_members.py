"""Add a donor and his reference profile to a reference family: a new version, the old one kept.

The mother's sample that arrives months after the father's is the common case: she may already
stand in the pedigree untyped (``D1M``, the missing man's mother), or be a relative not yet in
it (then her father, mother and sex place her). Either way a new row of ``reference_families``
is written (``version`` + 1, ``supersedes_id``, ``changed_by_id``, ``change_reason`` with the
reason given and what changed), every member copied, and a new donor with a reference sample
and profile takes the position. The genotypes are checked against the newest frequency table
(a marker or an allele it lacks is refused by name, never by value) and the pedigree is checked
before anything is written. A correction of a relationship is
:func:`repatria.services.workflows.family_versions.correct_family`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import (
    Donor,
    FrequencyTable,
    MarkerDefinition,
    PedigreeMember,
    ReferenceFamily,
    Sample,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows.case_versions import current_family, store_profile
from repatria.services.workflows.family_versions import FamilyVersion, _check_pedigree
from repatria.vocabulary import CONSENT_SCOPES, SEXES

__all__ = ["add_reference"]

Genotypes = Mapping[str, tuple[str, str]]


def add_reference(
    db: str | None,
    family_ref: str,
    individual: str,
    genotypes: Genotypes,
    *,
    actor: str,
    reason: str,
    donor_ref: str | None = None,
    sex: str | None = None,
    father: str | None = None,
    mother: str | None = None,
    name: str | None = None,
    relationship: str | None = None,
    consent_scope: str = "identification",
    consent_given_on: str | None = None,
) -> FamilyVersion:
    """A typed relative for ``individual`` of the family: a new version with a new donor.

    ``individual`` an untyped member takes the donor in his position; a new individual is added
    with ``father``, ``mother`` (members, or none: a founder) and ``sex`` (required).
    """
    if not reason or not reason.strip():
        raise ServiceError("a new reference for a family needs its reason (--reason TEXT)")
    if not genotypes:
        raise ServiceError(f"the reference profile of {individual} has no typed marker")
    if sex is not None and sex not in SEXES:
        raise ServiceError(f"unknown sex {sex!r}; choose one of {', '.join(SEXES)}")
    if consent_scope not in CONSENT_SCOPES:
        raise ServiceError(
            f"unknown consent scope {consent_scope!r}; choose one of {', '.join(CONSENT_SCOPES)}"
        )
    ref = (donor_ref or individual).strip()
    with session_scope(db) as session:
        user = require(session, actor, "families.correct")
        old = current_family(session, family_ref)
        if old is None:
            raise NotFoundError(f"there is no reference family {family_ref!r} in the registry")
        _check_genotypes(session, individual, genotypes)
        if session.execute(select(Donor.id).where(Donor.ref == ref)).first():
            raise ServiceError(f"donor {ref} is already in the registry")
        if session.execute(select(Sample.id).where(Sample.ref == ref)).first():
            raise ServiceError(f"sample {ref} is already in the registry")
        members = list(
            session.execute(
                select(PedigreeMember)
                .where(PedigreeMember.family_id == old.id)
                .order_by(PedigreeMember.id)
            ).scalars()
        )
        target = next((m for m in members if m.individual == individual), None)
        new_row, change = _placement(family_ref, individual, target, sex, father, mother)
        shape = members if target is not None else [*members, _stand_in(individual)]
        _check_pedigree(family_ref, shape, individual, new_row)
        fam = ReferenceFamily(
            ref=old.ref,
            version=old.version + 1,
            supersedes_id=old.id,
            changed_by_id=user.id,
            change_reason=f"{reason.strip()}: {change}",
            case_ref=old.case_ref,
            notes=old.notes,
        )
        session.add(fam)
        session.flush()
        mps = [m.person_id for m in members if m.person_id is not None]
        donor = Donor(
            ref=ref,
            family_id=fam.id,
            name=name,
            relationship_to_mp=relationship,
            mp_person_id=mps[0] if len(mps) == 1 else None,
            consent_scope=consent_scope,
            consent_given_on=consent_given_on,
        )
        session.add(donor)
        session.flush()
        sample = Sample(ref=ref, kind="reference", donor_id=donor.id, sex=str(new_row["sex"]))
        session.add(sample)
        session.flush()
        n_markers = session.execute(
            select(MarkerDefinition.id).where(
                MarkerDefinition.frequency_table_id == _newest_table(session).id
            )
        ).all()
        store_profile(session, sample, dict(genotypes), len(n_markers), {"genotype_rows": 0})
        for m in members:
            row = {"father": m.father, "mother": m.mother, "sex": m.sex}
            donor_id = m.donor_id
            if m.individual == individual:
                row, donor_id = new_row, donor.id
            session.add(
                PedigreeMember(
                    family_id=fam.id,
                    individual=m.individual,
                    person_id=m.person_id,
                    donor_id=donor_id,
                    **row,
                )
            )
        if target is None:
            session.add(
                PedigreeMember(
                    family_id=fam.id, individual=individual, donor_id=donor.id, **new_row
                )
            )
        session.flush()
        log_event(
            session,
            user.name,
            "families.add_reference",
            "reference_family",
            fam.id,
            family=fam.ref,
            version=fam.version,
            supersedes=old.id,
            donor=ref,
            typed_loci=len(genotypes),
            reason=reason,
        )
        return FamilyVersion(fam.id, fam.ref, fam.version, [change])


def _placement(
    family_ref: str,
    individual: str,
    target: PedigreeMember | None,
    sex: str | None,
    father: str | None,
    mother: str | None,
) -> tuple[dict[str, str | None], str]:
    """Where the donor stands in the new version, and the change in words."""
    if target is not None:
        if target.person_id is not None:
            raise ServiceError(
                f"{individual} is a missing person of family {family_ref}, not a relative "
                "who can give a reference"
            )
        if target.donor_id is not None:
            raise ServiceError(
                f"{individual} of family {family_ref} is typed already; a retyped "
                "reference comes with `repatria import case`"
            )
        if father is not None or mother is not None:
            raise ServiceError(
                f"{individual} is in family {family_ref} already; correct a relationship "
                "with `repatria families correct`"
            )
        new_row = {"father": target.father, "mother": target.mother, "sex": sex or target.sex}
        change = f"reference profile of {individual} added"
        if new_row["sex"] != target.sex:
            change += f"; sex of {individual} corrected: {new_row['sex']} (was {target.sex})"
    else:
        if sex is None:
            raise ServiceError(f"{individual} is new to family {family_ref}; give the sex")
        new_row = {"father": father or None, "mother": mother or None, "sex": sex}
        change = f"{individual} added to family {family_ref}; reference profile added"
    return new_row, change


def _stand_in(individual: str) -> PedigreeMember:
    """A placeholder member so the pedigree check sees a new individual (never stored)."""
    return PedigreeMember(individual=individual, father=None, mother=None, sex="unknown")


def _newest_table(session: Session) -> FrequencyTable:
    table = (
        session.execute(
            select(FrequencyTable)
            .join(MarkerDefinition, MarkerDefinition.frequency_table_id == FrequencyTable.id)
            .order_by(FrequencyTable.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    if table is None:
        raise ServiceError("the registry has no frequency table with markers; import a case first")
    return table


def _check_genotypes(session: Session, individual: str, genotypes: Genotypes) -> None:
    """Every marker and allele must be in the newest table; named, never by allele value."""
    table = _newest_table(session)
    known = {
        m.name: set(m.frequencies)
        for m in session.execute(
            select(MarkerDefinition).where(MarkerDefinition.frequency_table_id == table.id)
        ).scalars()
    }
    for marker, g in genotypes.items():
        if marker not in known:
            raise ServiceError(
                f"marker {marker!r} of {individual}'s profile is not in frequency table "
                f"{table.name!r}"
            )
        if len(g) != 2 or any(not isinstance(a, str) or not a for a in g):
            raise ServiceError(f"the genotype of {individual} at {marker} needs two alleles")
        if any(a not in known[marker] for a in g):
            raise ServiceError(
                f"{individual} carries an allele at {marker} that frequency table "
                f"{table.name!r} does not have; add it to the table"
            )
