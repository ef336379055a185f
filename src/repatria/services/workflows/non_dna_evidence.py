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

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.formats.jsonsafe import json_safe
from repatria.kinship.evidence import (
    AgeDistribution,
    EvidenceFactor,
    age_at,
    age_lr,
    date_lr,
    document_lr,
    effects_lr,
    haversine_km,
    place_lr,
    sex_lr,
    unit_lr,
)
from repatria.kinship.pedigree import Sex
from repatria.registry.models import BodyPart, Effect, Person, PersonDocument, Remains

__all__ = [
    "KINDS",
    "DEFAULTS",
    "non_dna_kinds",
    "BodyRecord",
    "PersonRecord",
    "Population",
    "pairing_factors",
    "stored_factors",
    "NonDnaEvidence",
]

#: The kinds a run can switch on (``--non-dna``).
KINDS = ("sex", "age", "place", "date", "unit", "document", "effects")

#: Defaults the registry cannot give, each with why it was taken.
DEFAULTS: dict[str, tuple[float, str]] = {
    "age_lo": (16.0, "assumption: the missing are of military age, 16 to 65"),
    "age_hi": (65.0, "assumption: the missing are of military age, 16 to 65"),
    "age_miss": (0.05, "assumption: 1 in 20 age ranges miss the true age"),
    "place_scale_km": (10.0, "assumption: the dead lie within some 10 km of where last seen"),
    "place_area_km2": (10_000.0, "assumption: no box of places in the registry"),
    "date_error": (0.01, "assumption: 1 in 100 last-seen dates is wrong"),
    "unit_reliability": (0.8, "assumption: insignia and graves tie 4 remains in 5 to their unit"),
    "document_reliability": (
        0.5,
        "assumption: half the papers found on the dead are their own (false, swapped, taken)",
    ),
    "effects_reliability": (0.2, "assumption: effects are shared, swapped and looted"),
}

_SEX = {"male": Sex.MALE, "female": Sex.FEMALE}
_ANTHROPOLOGY = ("pelvis", "skull", "poor_condition")
_POOR = ("burned", "fragmentary", "commingled", "cremated_or_destroyed")


def non_dna_kinds(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """The kinds a run uses: ``"all"`` (or ``None``), ``"none"``, or names separated by commas.

    >>> non_dna_kinds("sex, age"), non_dna_kinds("none"), len(non_dna_kinds(None))
    (('sex', 'age'), (), 7)
    """
    if spec is None:
        return KINDS
    parts = [p.strip().lower() for p in (spec.split(",") if isinstance(spec, str) else spec)]
    parts = [p for p in parts if p]
    if parts == ["all"]:
        return KINDS
    if parts in ([], ["none"]):
        return ()
    bad = [p for p in parts if p not in KINDS]
    if bad:
        raise ServiceError(
            f"--non-dna: {bad[0]!r} is not a kind of evidence; give all, none or some of "
            f"{', '.join(KINDS)}"
        )
    return tuple(k for k in KINDS if k in parts)


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Item:
    """Something found with the body (an ``effects`` row)."""

    kind: str
    description: str | None = None
    number: str | None = None
    reliability: float | None = None
    recognised_as: str | None = None


@dataclass(frozen=True)
class BodyRecord:
    """What the registry holds about a body, for non-DNA evidence (its first remains lead)."""

    ref: str
    amelogenin: str | None = None
    sex_estimate: str | None = None
    sex_method: str | None = None
    condition: str | None = None
    age_min: float | None = None
    age_max: float | None = None
    unit: str | None = None
    site: str | None = None
    lat: float | None = None
    lon: float | None = None
    recovered_on: str | None = None
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class PersonRecord:
    """What the registry holds about a person, for non-DNA evidence."""

    ref: str
    sex: str | None = None
    birth_date: str | None = None
    date_missing: str | None = None
    unit: str | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    service_number: str | None = None
    documents: tuple[tuple[str, str, str], ...] = ()  # (type, number, authenticity)


@dataclass(frozen=True)
class Population:
    """What the registry says of the missing as a whole (the denominators' populations)."""

    n_persons: int = 1
    p_male: float = 0.5
    p_male_source: str = "assumption: even sex ratio (no sex recorded)"
    last_seen: tuple[dt.date, ...] = ()
    units: Mapping[str, int] = field(default_factory=dict)
    area_km2: float = DEFAULTS["place_area_km2"][0]
    area_source: str = DEFAULTS["place_area_km2"][1]


def loose_date(text: str | None) -> tuple[dt.date | None, bool]:
    """A registry date (kept as given) as a date, and whether it was exact.

    ``2025-02-16`` is exact; ``2024-12`` is taken as the 15th, ``2025 (mid)`` as 1 July.

    >>> loose_date("2024-12"), loose_date("n/a")
    ((datetime.date(2024, 12, 15), False), (None, False))
    """
    m = re.match(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text or "")
    if not m:
        return None, False
    y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        if d:
            return dt.date(int(y), int(mo), int(d)), True
        if mo:
            return dt.date(int(y), int(mo), 15), False
        return dt.date(int(y), 7, 1), False
    except ValueError:
        return None, False


def _norm(text: str | None) -> str:
    return re.sub(r"[\s\-./]+", "", (text or "")).casefold()


# ----------------------------------------------------------------------------- the factors


def pairing_factors(
    body: BodyRecord, person: PersonRecord, pop: Population, kinds: Iterable[str] = KINDS
) -> list[tuple[EvidenceFactor, str]]:
    """The factors of one pairing, each with one sentence saying what was seen (pure).

    Kinds without data on both sides give no factor.
    """
    on = set(kinds)
    out: list[tuple[EvidenceFactor, str]] = []
    if "sex" in on:
        out += _sex(body, person, pop)
    if "age" in on:
        out += _age(body, person)
    if "place" in on:
        out += _place(body, person, pop)
    if "date" in on:
        out += _date(body, person, pop)
    if "unit" in on:
        out += _unit(body, person, pop)
    if "document" in on:
        out += _documents(body, person, pop)
    if "effects" in on:
        out += _effects(body, person)
    return out


def _sex(b: BodyRecord, p: PersonRecord, pop: Population) -> list[tuple[EvidenceFactor, str]]:
    rec = _SEX.get(p.sex or "")
    if rec is None:
        return []
    said = rec.name.lower()
    out = []
    typed = _SEX.get(b.amelogenin or "")
    if typed is not None:
        f = sex_lr(typed, rec, "amelogenin", pop.p_male, pop.p_male_source)
        note = f"amelogenin read {typed.name.lower()}; {p.ref} is recorded {said}"
        out.append((f, note))
    seen = _SEX.get(b.sex_estimate or "")
    if seen is not None:
        method = b.sex_method if b.sex_method in _ANTHROPOLOGY else None
        how = method or ("poor_condition" if b.condition in _POOR else "skull")
        f = sex_lr(seen, rec, how, pop.p_male, pop.p_male_source)
        if method is None:
            f = _source(f, "method", f"not recorded: {how} taken (condition {b.condition})")
        note = f"the skeleton reads {seen.name.lower()} ({f.parameters['method']}); {p.ref} is "
        out.append((f, note + f"recorded {said}"))
    return out


def _age(b: BodyRecord, p: PersonRecord) -> list[tuple[EvidenceFactor, str]]:
    born, exact_b = loose_date(p.birth_date)
    seen, exact_s = loose_date(p.date_missing)
    if b.age_min is None or b.age_max is None or born is None or seen is None or seen < born:
        return []
    lo, hi = sorted((b.age_min, b.age_max))
    if hi == lo:  # a point estimate: a year either side
        lo, hi = lo - 0.5, hi + 0.5
    age = age_at(born, seen)
    src_lo, miss = DEFAULTS["age_lo"], DEFAULTS["age_miss"]
    pop = AgeDistribution.uniform(src_lo[0], DEFAULTS["age_hi"][0], src_lo[1])
    f = age_lr((lo, hi), age, pop, "uniform", miss[0])
    f = _source(f, "miss", miss[1])
    if not (exact_b and exact_s):
        f = _source(f, "dates", "approximate: a month's date taken as the 15th, a year's as 1 July")
    where = "within" if lo <= age <= hi else "outside"
    note = f"estimated age {lo:g}-{hi:g}; {p.ref} was {age:.1f} when last seen ({where} the range)"
    return [(f, note)]


def _place(b: BodyRecord, p: PersonRecord, pop: Population) -> list[tuple[EvidenceFactor, str]]:
    if None in (b.lat, b.lon, p.lat, p.lon):
        return []
    assert b.lat is not None and b.lon is not None and p.lat is not None and p.lon is not None
    r = haversine_km((b.lat, b.lon), (p.lat, p.lon))
    scale = DEFAULTS["place_scale_km"]
    f = place_lr(r, scale[0], pop.area_km2)
    f = _source(_source(f, "scale_km", scale[1]), "area_km2", pop.area_source)
    where = (
        f"{b.site or 'the recovery site'} is {r:.1f} km from {p.place or 'the last-known place'}"
    )
    return [(f, f"{where}, where {p.ref} was last known")]


def _date(b: BodyRecord, p: PersonRecord, pop: Population) -> list[tuple[EvidenceFactor, str]]:
    found, _ = loose_date(b.recovered_on)
    seen, _ = loose_date(p.date_missing)
    if found is None or seen is None:
        return []
    n = max(len(pop.last_seen), 1)
    share = max(sum(d <= found for d in pop.last_seen), 1) / n
    err = DEFAULTS["date_error"]
    f = date_lr(found, seen, share, 0, err[0])
    f = _source(f, "share_seen_by", f"registry: {share:.3g} of {n} persons last seen by then")
    f = _source(f, "error", err[1])
    order = "after" if found >= seen else "before"
    note = f"recovered {found.isoformat()}, {order} {p.ref} was last seen ({seen.isoformat()})"
    return [(f, note)]


def _unit(b: BodyRecord, p: PersonRecord, pop: Population) -> list[tuple[EvidenceFactor, str]]:
    if not b.unit or not p.unit:
        return []
    total = sum(pop.units.values()) or 1
    share = max(pop.units.get(_norm(p.unit), 0), 1) / total
    rel = DEFAULTS["unit_reliability"]
    same = _norm(b.unit) == _norm(p.unit)
    f = unit_lr(same, rel[0], share, b.unit)
    f = _source(f, "reliability", rel[1])
    f = _source(f, "share", f"registry: {share:.3g} of {total} persons with a unit are of his")
    rel_word = "the same as" if same else "not"
    return [(f, f"the remains are tied to unit {b.unit}, {rel_word} {p.ref}'s unit {p.unit}")]


def _documents(b: BodyRecord, p: PersonRecord, pop: Population) -> list[tuple[EvidenceFactor, str]]:
    known = {_norm(n): (t, a) for t, n, a in p.documents if _norm(n)}
    if _norm(p.service_number):
        known.setdefault(_norm(p.service_number), ("service number", "genuine"))
    if not known:
        return []
    out = []
    q = 1.0 / max(pop.n_persons, 1)
    for it in b.items:
        if not _norm(it.number):
            continue
        hit = known.get(_norm(it.number))
        r, r_src = _reliability(it, "document_reliability")
        f = document_lr(hit is not None, r, q, own_share=0.0, document=f"{it.kind} {it.number}")
        f = _source(f, "reliability", r_src)
        f = _source(f, "q", f"registry: a foreign paper is one of the {pop.n_persons} missing's")
        f = _source(f, "own_share", "a number is one person's own")
        if hit is None:
            note = f"{it.kind} {it.number} found with the body is none of {p.ref}'s papers"
        else:
            false = " (false papers recorded as his)" if hit[1] in ("false", "foreign") else ""
            note = f"{it.kind} {it.number} found with the body is {p.ref}'s {hit[0]}{false}"
        out.append((f, note))
    return out


def _effects(b: BodyRecord, p: PersonRecord) -> list[tuple[EvidenceFactor, str]]:
    out = []
    for it in b.items:
        if not it.recognised_as:
            continue
        r, r_src = _reliability(it, "effects_reliability")
        same = _norm(it.recognised_as) == _norm(p.ref)
        what = it.description or it.kind
        f = _source(effects_lr(same, r, item=what), "reliability", r_src)
        whose = "his" if same else f"{it.recognised_as}'s, not {p.ref}'s"
        out.append((f, f"{what} found with the body was recognised by a family as {whose}"))
    return out


def _reliability(it: Item, default: str) -> tuple[float, str]:
    if it.reliability is not None and it.reliability >= 1:
        return 0.999, "recorded 1, taken as 0.999: no item found on the dead is certain proof"
    if it.reliability is not None:
        return it.reliability, "recorded with the item"
    return DEFAULTS[default]


def _source(f: EvidenceFactor, name: str, source: str) -> EvidenceFactor:
    params = dict(f.parameters)
    params["sources"] = {**dict(params.get("sources") or {}), name: source}
    return EvidenceFactor(f.kind, f.lr, f.model, params, f.observation, f.enabled, f.version)


def stored_factors(pairs: Sequence[tuple[EvidenceFactor, str]]) -> dict[str, Any]:
    """The candidate evidence's ``non_dna`` (each factor's ``as_dict()`` with ``consistent`` and
    ``note``) and ``non_dna_log10_lr`` (the sum over the enabled factors)."""
    items = []
    for f, note in pairs:
        d = f.as_dict()
        d["consistent"] = None if f.lr == 1 else f.lr > 1
        d["note"] = note
        items.append(d)
    total = sum(f.log10_lr for f, _ in pairs if f.enabled)
    return {"non_dna": items, "non_dna_log10_lr": total}


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
    sexes = [p.sex for p in people if p.sex in _SEX]
    seen = tuple(sorted(d for d in (loose_date(p.date_missing)[0] for p in people) if d))
    units: dict[str, int] = {}
    for p in people:
        if _norm(p.unit):
            units[_norm(p.unit)] = units.get(_norm(p.unit), 0) + 1
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
