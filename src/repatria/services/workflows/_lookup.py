"""Finding records by their reference, with one-sentence errors (shared by the workflow modules)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError
from repatria.registry.models import Donor, Person, Remains, Sample

__all__ = ["by_ref"]

T = TypeVar("T", Person, Remains, Sample, Donor)

_KIND = {Person: "person", Remains: "remains", Sample: "sample", Donor: "donor"}


def by_ref(session: Session, model: type[T], ref: str, *, lock: bool = False) -> T:
    """The record of ``model`` whose ``ref`` is ``ref`` (row-locked if ``lock``).

    Raises NotFoundError (a ServiceError) naming the kind of record when there is none.
    """
    stmt = select(model).where(model.ref == ref)
    if lock:
        stmt = stmt.with_for_update()
    obj = session.execute(stmt).scalar_one_or_none()
    if obj is None:
        raise NotFoundError(f"there is no {_KIND[model]} {ref!r} in the registry")
    return obj
