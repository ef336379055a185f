"""Persons: declaring a missing person presumed dead, and reading a person's record."""

from __future__ import annotations

from dataclasses import dataclass

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import Person
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows._lookup import by_ref
from repatria.services.workflows.states import move

__all__ = ["PersonRecord", "presume_dead", "person_record"]


@dataclass(frozen=True)
class PersonRecord:
    """A person as the surfaces show him: every name and paper, and his state."""

    ref: str
    status: str
    names: list[dict[str, str | None]]
    documents: list[dict[str, str | None]]
    service_number: str | None
    unit: str | None
    nationality: str | None
    last_known_place: str | None


def presume_dead(db: str | None, person_ref: str, *, actor: str, reason: str) -> str:
    """A case manager declares a missing person presumed dead; returns the new status."""
    if not reason or not reason.strip():
        raise ServiceError("say why the person is presumed dead with --reason TEXT")
    with session_scope(db) as session:
        user = require(session, actor, "person.presume_dead")
        person = by_ref(session, Person, person_ref, lock=True)
        move(session, person, "presumed_dead", actor=user, reason=reason)
        log_event(session, user.name, "person.presume_dead", "person", person.id, reason=reason)
        return person.status


def person_record(db: str | None, person_ref: str, *, actor: str) -> PersonRecord:
    """A person's names, documents and state; reading it is audited."""
    with session_scope(db) as session:
        user = require(session, actor, "account.view")
        p = by_ref(session, Person, person_ref)
        log_event(session, user.name, "person.read", "person", p.id)
        return PersonRecord(
            p.ref,
            p.status,
            [
                {
                    "name": n.name,
                    "kind": n.kind,
                    "script": n.script,
                    "transliteration": n.transliteration,
                }
                for n in p.names
            ],
            [
                {
                    "type": d.doc_type,
                    "number": d.number,
                    "issuer": d.issuer,
                    "name_on_document": d.name_on_document,
                    "authenticity": d.authenticity,
                }
                for d in p.documents
            ],
            p.service_number,
            p.unit,
            p.nationality,
            p.last_known_place,
        )
