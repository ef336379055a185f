"""Non-DNA evidence of a candidate body x person, built from what the registry holds (issue 13).

For each pairing identify raises, :class:`NonDnaEvidence` builds the factors of
:mod:`repatria.kinship.evidence` from the registry's records, each with its model, parameters
(with the source of every default, or "assumption") and what was observed:

- **sex**: the sex the lab typed on the body's samples (amelogenin) and the sex read from the
  skeleton (``remains.sex_estimate``, by ``remains.sex_method``) against the person's recorded
  sex; ``p_male`` is the share of men among the persons with a recorded sex.
- **age**: the estimated age range at death (``remains.age_min``/``age_max``) against his age
  on the day he was last seen (``birth_date`` to ``date_missing``).
- **place**: the recovery site against his last-known place (both with coordinates); the area of
  operations is the box around every recovery site and last-known place in the registry.
- **date**: the recovery date against the day he was last seen; ``F`` is the share of the
  persons last seen by then.
- **unit**: the unit the remains are tied to (``remains.unit``) against his; the share is the
  share of the persons of his unit.
- **document**: each numbered item found with the body (``effects.number``: papers, a tag)
  against his recorded documents (false papers included: papers he is recorded as carrying are
  his, whatever their authenticity) and his service number; a number is taken as unique to one
  person, and a foreign paper on a body as one of the missing's, evenly.
- **effects**: each item the family of a person recognised (``effects.recognised_as``).

Direct references (a toothbrush or a razor of the MP himself) are not built here: the registry
records no sample as the MP's own (see the report of issue 13).

The factors are stored with the candidate's evidence (``non_dna``: each factor's
``as_dict()`` with ``consistent`` and ``note``; ``non_dna_log10_lr``: the sum over the enabled
factors). They never change the autosomal ``log_lr``. Which kinds are on is a run setting
(:func:`non_dna_kinds`); by default every kind the registry has data for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.formats.jsonsafe import json_safe
from repatria.kinship.evidence import haversine_km
from repatria.kinship.pedigree import Sex
from repatria.registry.models import BodyPart, Effect, Person, PersonDocument, Remains
from repatria.services.workflows.non_dna_factors import (
    DEFAULTS,
    KINDS,
    SEX_OF,
    BodyRecord,
    Item,
    PersonRecord,
    Population,
    loose_date,
    non_dna_kinds,
    normalised,
    pairing_factors,
    stored_factors,
)

__all__ = [
    "KINDS",
    "DEFAULTS",
    "non_dna_kinds",
    "Item",
    "BodyRecord",
    "PersonRecord",
    "Population",
    "loose_date",
    "pairing_factors",
    "stored_factors",
    "NonDnaEvidence",
]


# ----------------------------------------------------------------------------- the registry


class NonDnaEvidence:
    """The registry's records for a run's bodies and persons, read once; :meth:`of` per pairing.

    ``pm_body``: PM ref -> body id; ``mp_person``: MP ref -> person id; ``pm_sex``: the sex the
    lab typed on each body (amelogenin, as the analysis combined it).
    """

    def __init__(
        self,
        session: Session,
        pm_body: Mapping[str, int],
        mp_person: Mapping[str, int],
        pm_sex: Mapping[str, Sex] | None = None,
        kinds: str | Sequence[str] | None = None,
    ) -> None:
        self.kinds = non_dna_kinds(kinds)
        self.bodies: dict[str, BodyRecord] = {}
        self.persons: dict[str, PersonRecord] = {}
        self.population = Population()
        if not self.kinds:
            return
        self.population = _population(session)
        self.persons = _persons(session, mp_person)
        self.bodies = _bodies(session, pm_body, pm_sex or {})

    def parameters(self) -> dict[str, Any]:
        """What the run records of its non-DNA setting."""
        return {"kinds": list(self.kinds), "defaults": {k: list(v) for k, v in DEFAULTS.items()}}

    def of(self, pm: str, mp: str) -> dict[str, Any]:
        """The ``non_dna`` and ``non_dna_log10_lr`` of a pairing ({} when the run uses none)."""
        if not self.kinds or pm not in self.bodies or mp not in self.persons:
            return {}
        pairs = pairing_factors(self.bodies[pm], self.persons[mp], self.population, self.kinds)
        out: dict[str, Any] = json_safe(stored_factors(pairs))
        return out


def _current_persons(session: Session) -> list[Person]:
    replaced = select(Person.supersedes_id).where(Person.supersedes_id.is_not(None))
    return list(session.execute(select(Person).where(Person.id.not_in(replaced))).scalars())


def _population(session: Session) -> Population:
    people = _current_persons(session)
    sexes = [p.sex for p in people if p.sex in SEX_OF]
    seen = tuple(sorted(d for d in (loose_date(p.date_missing)[0] for p in people) if d))
    units: dict[str, int] = {}
    for p in people:
        if normalised(p.unit):
            units[normalised(p.unit)] = units.get(normalised(p.unit), 0) + 1
    raw = [(p.last_known_lat, p.last_known_lon) for p in people]
    raw += [(a, b) for a, b in session.execute(select(Remains.site_lat, Remains.site_lon))]
    pts = [(a, b) for a, b in raw if a is not None and b is not None]
    area, area_src = DEFAULTS["place_area_km2"]
    if len(pts) >= 2:
        lats, lons = [a for a, _ in pts], [b for _, b in pts]
        ns = haversine_km((min(lats), 0.0), (max(lats), 0.0))
        mid = math.radians((min(lats) + max(lats)) / 2)
        ew = haversine_km((0.0, min(lons)), (0.0, max(lons))) * math.cos(mid)
        # The kernel is not cut to the area: an area smaller than the disc it reaches (5 scale
        # lengths hold 96% of its mass) would make a body on the spot weigh against the MP.
        floor = math.pi * (5 * DEFAULTS["place_scale_km"][0]) ** 2
        area = max(ns * ew, floor)
        area_src = (
            f"registry: the box around {len(pts)} recovery sites and last-known places, at "
            f"least the disc of 5 kernel scales ({floor:.0f} km²)"
        )
    return Population(
        n_persons=max(len(people), 1),
        p_male=sexes.count("male") / len(sexes) if sexes else 0.5,
        p_male_source=(
            f"registry: the share of men among {len(sexes)} persons with a recorded sex"
            if sexes
            else "assumption: even sex ratio (no sex recorded)"
        ),
        last_seen=seen,
        units=units,
        area_km2=area,
        area_source=area_src,
    )


def _persons(session: Session, mp_person: Mapping[str, int]) -> dict[str, PersonRecord]:
    ids = {pid: mp for mp, pid in mp_person.items()}
    rows = session.execute(select(Person).where(Person.id.in_(list(ids)))).scalars()
    docs: dict[int, list[tuple[str, str, str]]] = {}
    for d in session.execute(
        select(PersonDocument).where(PersonDocument.person_id.in_(list(ids)))
    ).scalars():
        docs.setdefault(d.person_id, []).append((d.doc_type, d.number or "", d.authenticity))
    return {
        ids[p.id]: PersonRecord(
            ref=p.ref,
            sex=p.sex,
            birth_date=p.birth_date,
            date_missing=p.date_missing,
            unit=p.unit,
            place=p.last_known_place,
            lat=p.last_known_lat,
            lon=p.last_known_lon,
            service_number=p.service_number,
            documents=tuple(docs.get(p.id, ())),
        )
        for p in rows
    }


def _bodies(
    session: Session, pm_body: Mapping[str, int], pm_sex: Mapping[str, Sex]
) -> dict[str, BodyRecord]:
    refs = {bid: pm for pm, bid in pm_body.items()}
    parts = session.execute(
        select(BodyPart.body_id, Remains)
        .join(Remains, Remains.id == BodyPart.remains_id)
        .where(BodyPart.ended_by.is_(None), BodyPart.body_id.in_(list(refs)))
        .order_by(BodyPart.body_id, Remains.id)
    ).all()
    remains: dict[int, list[Remains]] = {}
    for bid, r in parts:
        if r not in remains.setdefault(bid, []):
            remains[bid].append(r)
    rids = [r.id for rs in remains.values() for r in rs]
    items: dict[int, list[Item]] = {}
    for e in session.execute(
        select(Effect).where(Effect.remains_id.in_(rids)).order_by(Effect.id)
    ).scalars():
        items.setdefault(e.remains_id, []).append(
            Item(e.kind, e.description, e.number, e.reliability, e.recognised_as)
        )
    out = {}
    for bid, pm in refs.items():
        rs = remains.get(bid, [])
        sex = pm_sex.get(pm, Sex.UNKNOWN)

        def first(name: str, rs: list[Remains] = rs) -> Any:
            return next((getattr(r, name) for r in rs if getattr(r, name) is not None), None)

        # a place is the first remains with both coordinates, never one of each
        at = next((r for r in rs if r.site_lat is not None and r.site_lon is not None), None)
        out[pm] = BodyRecord(
            ref=pm,
            amelogenin=None if sex == Sex.UNKNOWN else sex.name.lower(),
            sex_estimate=first("sex_estimate"),
            sex_method=first("sex_method"),
            condition=first("condition"),
            age_min=first("age_min"),
            age_max=first("age_max"),
            unit=first("unit"),
            site=at.site if at is not None else first("site"),
            lat=None if at is None else at.site_lat,
            lon=None if at is None else at.site_lon,
            recovered_on=first("recovered_on"),
            items=tuple(i for r in rs for i in items.get(r.id, [])),
        )
    return out
