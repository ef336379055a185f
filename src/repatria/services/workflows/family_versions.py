"""Correct a reference family by hand: a new version, the old one kept with who and why.

A relationship (father, mother) or a sex corrected in the pedigree is a new row of
``reference_families`` (``version`` + 1, ``supersedes_id`` the old row, ``changed_by_id``,
``change_reason``: the reason given and the differences) with a copy of every member, the
correction applied. The corrected pedigree is checked (an unknown parent, a parent of the wrong
sex, a cycle) before anything is written. Identification runs read the current versions only.
A donor or a reference profile added to a family comes with a changed case folder
(``repatria import case``; :mod:`repatria.services.workflows.case_versions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from repatria.errors import KinshipError, NotFoundError, ServiceError
from repatria.kinship.pedigree import Individual, Pedigree, Sex
from repatria.registry.db import session_scope
from repatria.registry.models import PedigreeMember, ReferenceFamily
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows.case_versions import current_family
from repatria.vocabulary import SEXES

__all__ = ["FamilyVersion", "correct_family"]

_SEX = {"male": Sex.MALE, "female": Sex.FEMALE, "unknown": Sex.UNKNOWN}


@dataclass(frozen=True)
class FamilyVersion:
    """A family version as recorded: its row id, ref, version and what changed."""

    id: int
    ref: str
    version: int
    changes: list[str]

    @property
    def message(self) -> str:
        return f"family {self.ref} is at version {self.version}: {'; '.join(self.changes)}"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ref": self.ref, "version": self.version, "changes": self.changes}


def correct_family(
    db: str | None,
    family_ref: str,
    individual: str,
    *,
    actor: str,
    reason: str,
    father: str | None = None,
    mother: str | None = None,
    sex: str | None = None,
) -> FamilyVersion:
    """Correct one member's father, mother or sex; ``"-"`` makes a parent unknown (a founder)."""
    if not reason or not reason.strip():
        raise ServiceError("a correction of a family needs its reason (--reason TEXT)")
    if sex is not None and sex not in SEXES:
        raise ServiceError(f"unknown sex {sex!r}; choose one of {', '.join(SEXES)}")
    with session_scope(db) as session:
        user = require(session, actor, "families.correct")
        old = current_family(session, family_ref)
        if old is None:
            raise NotFoundError(f"there is no reference family {family_ref!r} in the registry")
        members = list(
            session.execute(
                select(PedigreeMember)
                .where(PedigreeMember.family_id == old.id)
                .order_by(PedigreeMember.id)
            ).scalars()
        )
        target = next((m for m in members if m.individual == individual), None)
        if target is None:
            raise NotFoundError(f"family {family_ref} has no member {individual!r}")
        new = {"father": target.father, "mother": target.mother, "sex": target.sex}
        for key, value in (("father", father), ("mother", mother), ("sex", sex)):
            if value is not None:
                new[key] = None if value == "-" else value
        changes = [
            f"{k} of {individual} corrected: {new[k] or 'unknown'} (was {was or 'unknown'})"
            for k in ("father", "mother", "sex")
            if new[k] != (was := getattr(target, k))
        ]
        if not changes:
            raise ServiceError(f"nothing changes for {individual} in family {family_ref}")
        _check_pedigree(family_ref, members, individual, new)
        fam = ReferenceFamily(
            ref=old.ref,
            version=old.version + 1,
            supersedes_id=old.id,
            changed_by_id=user.id,
            change_reason=f"{reason.strip()}: " + "; ".join(changes),
            case_ref=old.case_ref,
            notes=old.notes,
        )
        session.add(fam)
        session.flush()
        for m in members:
            row = {"father": m.father, "mother": m.mother, "sex": m.sex}
            if m.individual == individual:
                row = new
            session.add(
                PedigreeMember(
                    family_id=fam.id,
                    individual=m.individual,
                    person_id=m.person_id,
                    donor_id=m.donor_id,
                    **row,
                )
            )
        session.flush()
        log_event(
            session,
            user.name,
            "families.correct",
            "reference_family",
            fam.id,
            family=fam.ref,
            version=fam.version,
            supersedes=old.id,
            reason=reason,
        )
        return FamilyVersion(fam.id, fam.ref, fam.version, changes)


def _check_pedigree(
    ref: str, members: list[PedigreeMember], individual: str, new: dict[str, Any]
) -> None:
    """The corrected pedigree must be valid: known parents of the right sex, no cycle."""
    inds = []
    for m in members:
        father, mother, sex = m.father, m.mother, m.sex
        if m.individual == individual:
            father, mother, sex = new["father"], new["mother"], str(new["sex"])
        inds.append(Individual(m.individual, father, mother, _SEX[sex]))
    try:
        Pedigree(inds, name=ref)
    except KinshipError as e:
        raise ServiceError(f"the corrected family {ref} is not a valid pedigree: {e}") from None
