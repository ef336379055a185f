"""Queries shared by the workflows (read-only, composable ``select`` statements and helpers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, aliased

from repatria.errors import RegistryError
from repatria.registry.models import (
    Base,
    CandidateMatch,
    Donor,
    PedigreeMember,
    Profile,
    RunProfile,
    Sample,
)

__all__ = ["existing", "usable_profiles", "runs_using", "candidates_for_donor"]

M = TypeVar("M", bound=Base)


def existing(session: Session, model: type[M], id: int) -> M:
    """The row of ``model`` whose primary key is ``id``, where a foreign key says it exists.

    Raises
    ------
    RegistryError
        The row is not there: the registry is inconsistent (a foreign key was bypassed).
    """
    obj = session.get(model, id)
    if obj is None:
        raise RegistryError(
            f"table {model.__tablename__} has no row {id} although another row refers to it; "
            "check the database's foreign keys (`repatria audit verify`)"
        )
    return obj


def usable_profiles() -> Select[Profile]:
    """Profiles a new identification run may use, in id order.

    Excluded: profiles replaced by a newer one (``supersedes_id``), and reference profiles
    whose donor withdrew consent. Post mortem profiles need no consent.
    """
    newer = aliased(Profile)
    replaced = select(newer.supersedes_id).where(newer.supersedes_id.is_not(None))
    return (
        select(Profile)
        .join(Sample, Sample.id == Profile.sample_id)
        .outerjoin(Donor, Donor.id == Sample.donor_id)
        .where(
            Profile.id.not_in(replaced),
            or_(
                Sample.kind == "pm",
                and_(Donor.id.is_not(None), Donor.consent_withdrawn_at.is_(None)),
            ),
        )
        .order_by(Profile.id)
    )


def runs_using(session: Session, profile_ids: Sequence[int]) -> list[int]:
    """Ids of the identification runs that used any of these profiles."""
    if not profile_ids:
        return []
    return list(
        session.execute(
            select(RunProfile.run_id)
            .where(RunProfile.profile_id.in_(profile_ids))
            .distinct()
            .order_by(RunProfile.run_id)
        ).scalars()
    )


def candidates_for_donor(session: Session, donor: Donor, run_ids: Sequence[int]) -> list[int]:
    """Candidates of these runs about the donor's missing relatives (the MPs a profile informs)."""
    if not run_ids:
        return []
    persons: set[int] = set()
    if donor.mp_person_id is not None:
        persons.add(donor.mp_person_id)
    if donor.family_id is not None:
        persons.update(
            p
            for p in session.execute(
                select(PedigreeMember.person_id).where(
                    PedigreeMember.family_id == donor.family_id,
                    PedigreeMember.person_id.is_not(None),
                )
            ).scalars()
            if p is not None
        )
    stmt = select(CandidateMatch.id).where(CandidateMatch.run_id.in_(run_ids))
    if persons:
        stmt = stmt.where(CandidateMatch.person_id.in_(persons))
    return list(session.execute(stmt.order_by(CandidateMatch.id)).scalars())
