"""The non-DNA factors of one pairing from plain records (pure: no database, no clock).

The records (:class:`BodyRecord`, :class:`PersonRecord`, :class:`Population`) are what
:mod:`repatria.services.workflows.non_dna_evidence` reads from the registry; each kind's
factor and the defaults it states are described there.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from repatria.errors import ServiceError
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

__all__ = [
    "KINDS",
    "DEFAULTS",
    "non_dna_kinds",
    "Item",
    "BodyRecord",
    "PersonRecord",
    "Population",
    "SEX_OF",
    "loose_date",
    "normalised",
    "pairing_factors",
    "stored_factors",
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

SEX_OF = {"male": Sex.MALE, "female": Sex.FEMALE}
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
    last_seen: tuple[dt.date, ...] = ()  # sorted
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


def normalised(text: str | None) -> str:
    """A ref, unit or number as compared: case, spaces, dashes, dots and slashes ignored."""
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
    rec = SEX_OF.get(p.sex or "")
    if rec is None:
        return []
    said = rec.name.lower()
    out = []
    typed = SEX_OF.get(b.amelogenin or "")
    if typed is not None:
        f = sex_lr(typed, rec, "amelogenin", pop.p_male, pop.p_male_source)
        note = f"amelogenin read {typed.name.lower()}; {p.ref} is recorded {said}"
        out.append((f, note))
    seen = SEX_OF.get(b.sex_estimate or "")
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
    share = max(bisect.bisect_right(pop.last_seen, found), 1) / n  # last_seen is sorted
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
    share = max(pop.units.get(normalised(p.unit), 0), 1) / total
    rel = DEFAULTS["unit_reliability"]
    same = normalised(b.unit) == normalised(p.unit)
    f = unit_lr(same, rel[0], share, b.unit)
    f = _source(f, "reliability", rel[1])
    f = _source(f, "share", f"registry: {share:.3g} of {total} persons with a unit are of his")
    rel_word = "the same as" if same else "not"
    return [(f, f"the remains are tied to unit {b.unit}, {rel_word} {p.ref}'s unit {p.unit}")]


def _documents(b: BodyRecord, p: PersonRecord, pop: Population) -> list[tuple[EvidenceFactor, str]]:
    known = {normalised(n): (t, a) for t, n, a in p.documents if normalised(n)}
    if normalised(p.service_number):
        known.setdefault(normalised(p.service_number), ("service number", "genuine"))
    if not known:
        return []
    out = []
    q = 1.0 / max(pop.n_persons, 1)
    for it in b.items:
        if not normalised(it.number):
            continue
        hit = known.get(normalised(it.number))
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
        same = normalised(it.recognised_as) == normalised(p.ref)
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
