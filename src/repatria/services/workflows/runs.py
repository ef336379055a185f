"""Identification runs and their candidate matches, as stored records.

The DVI engine (``services.identify``) computes; this module stores what it computed: the
run (parameters, frequency table, software version, input hash, profiles used, results)
and its candidate matches, which then go to review (:mod:`repatria.services.workflows.review`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from repatria import __version__
from repatria.errors import NotFoundError, RegistryError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import (
    CandidateMatch,
    FrequencyTable,
    IdentificationRun,
    Person,
    Profile,
    Remains,
    RunProfile,
    Sample,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows._lookup import by_ref
from repatria.services.workflows.body_parts import body_by_ref, body_of_sample
from repatria.services.workflows.frequency_tables import split_spec

__all__ = ["CandidateInput", "record_run", "record_candidates"]


@dataclass(frozen=True)
class CandidateInput:
    """One candidate pairing: person ``person_ref`` may be remains ``remains_ref``.

    ``log10_lr`` is log10 of LR = P(data | the remains are this person) / P(data | unrelated).
    ``evidence`` is what the views show of it (a :class:`CandidateEvidence`, or its JSON form).
    """

    person_ref: str
    remains_ref: str
    sample_ref: str | None = None
    log10_lr: float | None = None
    posterior: float | None = None
    evidence: CandidateEvidence | Mapping[str, Any] | None = field(default=None)


def record_run(
    db: str | None,
    *,
    actor: str,
    software_version: str = __version__,
    parameters: Mapping[str, Any] | None = None,
    frequency_table: str | None = None,
    input_sha256: str | None = None,
    profile_ids: Iterable[int] = (),
    results: Mapping[str, Any] | None = None,
) -> int:
    """Store an identification run and the profiles that went into it; returns the run id."""
    with session_scope(db) as session:
        user = require(session, actor, "runs.record")
        table_id = None
        if frequency_table is not None:
            name, version = split_spec(frequency_table)
            stmt = select(FrequencyTable).where(FrequencyTable.name == name)
            if version is not None:
                stmt = stmt.where(FrequencyTable.version == version)
            table = session.execute(stmt.order_by(FrequencyTable.version.desc())).scalars().first()
            if table is None:
                table = FrequencyTable(name=frequency_table)
                session.add(table)
                session.flush()
            table_id = table.id
        run = IdentificationRun(
            run_by_id=user.id,
            software_version=software_version,
            parameters=dict(parameters or {}),
            frequency_table_id=table_id,
            input_sha256=input_sha256,
            results=dict(results) if results else None,
        )
        session.add(run)
        session.flush()
        ids = sorted(set(profile_ids))
        known = (
            set(session.execute(select(Profile.id).where(Profile.id.in_(ids))).scalars())
            if ids
            else set()
        )
        missing = [i for i in ids if i not in known]
        if missing:
            raise ServiceError(
                f"profiles {missing} are not in the registry; the run was not recorded"
            )
        session.add_all(RunProfile(run_id=run.id, profile_id=i) for i in ids)
        log_event(
            session,
            user.name,
            "runs.record",
            "identification_run",
            run.id,
            profiles=len(ids),
            software_version=software_version,
        )
        return run.id


def record_candidates(
    db: str | None,
    run: int | None,
    candidates: Sequence[CandidateInput | Mapping[str, Any]],
    *,
    actor: str,
) -> list[int]:
    """Store candidate matches of run ``run`` (``None``: proposed by hand); their ids, in order."""
    with session_scope(db) as session:
        user = require(session, actor, "runs.record")
        if run is not None and session.get(IdentificationRun, run) is None:
            raise NotFoundError(f"there is no identification run {run}")
        ids = []
        for c in candidates:
            c = c if isinstance(c, CandidateInput) else CandidateInput(**c)
            sample = by_ref(session, Sample, c.sample_ref) if c.sample_ref else None
            body = (body_of_sample(session, sample.id) if sample else None) or body_by_ref(
                session, c.remains_ref
            )
            match = CandidateMatch(
                run_id=run,
                person_id=by_ref(session, Person, c.person_ref).id,
                remains_id=by_ref(session, Remains, c.remains_ref).id,
                body_id=body.id,
                sample_id=sample.id if sample else None,
                log10_lr=c.log10_lr,
                posterior=c.posterior,
                evidence=_evidence(c.evidence),
            )
            session.add(match)
            session.flush()
            ids.append(match.id)
        log_event(
            session, user.name, "candidates.record", "identification_run", run, candidates=ids
        )
        return ids


def _evidence(evidence: CandidateEvidence | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The evidence as stored: one record shape, whatever the caller gave."""
    if evidence is None:
        return None
    if not isinstance(evidence, CandidateEvidence):
        try:
            evidence = CandidateEvidence.from_json(evidence, strict=True)
        except RegistryError as e:
            raise ServiceError(str(e)) from None
    return evidence.to_json()
