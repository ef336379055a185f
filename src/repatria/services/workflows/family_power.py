"""Which relative to sample next, from the registry: one family's power, and the programme view.

:func:`family_power` reads one reference family at its current version (its pedigree, the
typed relatives whose consent stands, the markers of the default frequency table: the same
reader as an identification run, :mod:`repatria.services.workflows.problem`) and runs the
kinship power study (:mod:`repatria.kinship.power`) for each of its missing persons: for each
relative who could still be sampled, the simulated ``P(LR >= threshold)`` of the true MP, the
expected log10 LR and the exclusion power of an unrelated person. The threshold is the current
identification policy's ``min_lr`` unless one is given, and the result says which.

:func:`weak_families` is the programme view: every missing person not yet identified (no
standing confirmation) whose power with the references the family has is below ``below``, with
the relative that would raise it most, one page at a time (:mod:`repatria.services.paging`).
It uses few simulations by default (:data:`PROGRAMME_SIMS`) and says how many.

Both are deterministic for a seed. Results are kept in a small per-process cache keyed by the
hash of everything they read (pedigree, typed profiles, markers, MP, threshold, sims, seed):
a new family version, a new profile, a withdrawn consent or a new policy threshold is a new key.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import KinshipError, NotFoundError, ServiceError
from repatria.formats.markers_json import marker_to_dict
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Pedigree
from repatria.kinship.power import (
    METHOD,
    SamplingCandidate,
    candidate_power,
    sampling_candidates,
    sampling_power,
)
from repatria.registry.db import session_scope
from repatria.registry.models import MarkerDefinition, Person, ReferenceFamily
from repatria.registry.review_state import identified_ids
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require_reader
from repatria.services.paging import Page, PageSpec, csv_text, list_all, list_page
from repatria.services.pipelines.power import power_summary
from repatria.services.workflows.policy import current_policy

# The identification run's own reader, so power is computed on exactly what a run would see.
from repatria.services.workflows.problem import (
    ProfileReader,
    frequency_table_by_name,
    markers_from_rows,
    reference_families,
)

__all__ = [
    "DEFAULT_SIMS",
    "PROGRAMME_SIMS",
    "DEFAULT_BELOW",
    "READ_ACTION",
    "FamilyPower",
    "WeakFamily",
    "WeakFamilies",
    "family_power",
    "weak_families",
    "WEAK_SORTS",
]

#: Simulations per candidate relative for one family.
DEFAULT_SIMS = 200
#: Simulations per candidate in the programme view: every unresolved family is simulated.
PROGRAMME_SIMS = 50
#: A family is weak when the true MP would reach the threshold less often than this (the
#: conventional 80 % power of study design).
DEFAULT_BELOW = 0.8
#: Reading power is reading case data about families: the role that reads families.
READ_ACTION = "match.read"

_CACHE: OrderedDict[str, Any] = OrderedDict()
_CACHE_SIZE = 512


@dataclass(frozen=True)
class _Family:
    ref: str
    id: int
    version: int
    pedigree: Pedigree
    profiles: dict[str, dict[str, Genotype]]
    missing: tuple[str, ...]  # MP ids (person refs), in pedigree order


@dataclass(frozen=True)
class _Registry:
    markers: tuple[Marker, ...]
    table: str
    families: dict[str, _Family]
    identified: frozenset[str]  # person refs identified by a standing confirmation
    threshold: float
    policy_version: int


def _read(session: Session, threshold: float | None) -> _Registry:
    table = frequency_table_by_name(session, None)
    rows = list(
        session.execute(
            select(MarkerDefinition)
            .where(MarkerDefinition.frequency_table_id == table.id)
            .order_by(MarkerDefinition.id)
        ).scalars()
    )
    markers = markers_from_rows(rows)
    fams = reference_families(session, ProfileReader(session, table, markers))
    ids = {
        f.ref: f.id
        for f in session.execute(
            select(ReferenceFamily).where(ReferenceFamily.ref.in_(list(fams.pedigrees)))
        ).scalars()
        if f.version == fams.versions[f.ref]
    }
    out: dict[str, _Family] = {}
    for ref, ped in fams.pedigrees.items():
        mps = tuple(i.id for i in ped if fams.missing_family.get(i.id) == ref)
        out[ref] = _Family(ref, ids[ref], fams.versions[ref], ped, fams.am.get(ref, {}), mps)
    persons, _ = identified_ids(session)
    done = frozenset(
        session.execute(select(Person.ref).where(Person.id.in_(list(persons)))).scalars()
        if persons
        else ()
    )
    policy = current_policy(session)
    if threshold is not None and not (threshold > 0 and math.isfinite(threshold)):
        raise ServiceError(f"the LR threshold must be a positive number, not {threshold}")
    return _Registry(
        markers,
        f"{table.name}@{table.version}",
        out,
        done,
        float(policy.min_lr if threshold is None else threshold),
        policy.version,
    )


def _key(fam: _Family, reg: _Registry, mp: str, what: str, sims: int, seed: int) -> str:
    doc = {
        "what": what,
        "pedigree": [[i.id, i.father, i.mother, int(i.sex)] for i in fam.pedigree],
        "profiles": {
            p: {m: list(g) for m, g in sorted(d.items())} for p, d in fam.profiles.items()
        },
        "markers": [marker_to_dict(m) for m in reg.markers],
        "mp": mp,
        "others": [m for m in fam.missing if m != mp],
        "threshold": reg.threshold,
        "sims": sims,
        "seed": seed,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _cached(key: str, compute: Any) -> Any:
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = compute()
    _CACHE[key] = value
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def _check(sims: int, seed: int) -> None:
    if not 1 <= sims <= 100_000:
        raise ServiceError(f"the number of simulations must be between 1 and 100000, not {sims}")
    if not 0 <= seed < 2**63:
        raise ServiceError(f"the seed must be a whole number from 0 to 2^63-1, not {seed}")


def _refused(fam: _Family, e: KinshipError) -> ServiceError:
    msg = str(e)
    return ServiceError(msg if f"family {fam.ref}" in msg else f"family {fam.ref}: {msg}")


def _typed(fam: _Family) -> list[str]:
    return sorted(p for p, prof in fam.profiles.items() if any(g[0] or g[1] for g in prof.values()))


# ----------------------------------------------------------------------------- one family


@dataclass(frozen=True)
class FamilyPower:
    """The power study of one family's missing persons, with how it was computed."""

    family: str
    version: int
    threshold: float
    threshold_source: str  # "policy vN min_lr" or "given"
    policy_version: int
    sims: int
    seed: int
    markers: int
    frequency_table: str
    missing_persons: list[dict[str, Any]]
    method: str = METHOD

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "version": self.version,
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "policy_version": self.policy_version,
            "sims": self.sims,
            "seed": self.seed,
            "markers": self.markers,
            "frequency_table": self.frequency_table,
            "missing_persons": self.missing_persons,
            "method": self.method,
        }


def _mp_power(fam: _Family, reg: _Registry, mp: str, sims: int, seed: int) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        others = [m for m in fam.missing if m != mp]
        cands = sampling_candidates(fam.pedigree, mp, fam.profiles, exclude=others)
        try:
            r = sampling_power(
                fam.pedigree,
                mp,
                reg.markers,
                fam.profiles,
                threshold=reg.threshold,
                nsims=sims,
                seed=seed,
                candidates=cands,
            )
        except KinshipError as e:
            raise _refused(fam, e) from None
        s = power_summary(r)
        return {"missing": mp, "candidates": s["candidates"]}

    out = dict(_cached(_key(fam, reg, mp, "all", sims, seed), compute))
    out["identified"] = mp in reg.identified
    out["references"] = _typed(fam)
    return out


def family_power(
    db: str | None,
    ref: str,
    *,
    actor: str,
    missing: str | None = None,
    threshold: float | None = None,
    sims: int = DEFAULT_SIMS,
    seed: int = 1,
) -> FamilyPower:
    """The power of each relative family ``ref`` could still give, for each of its missing
    persons (or only ``missing``); audited as ``family.power``."""
    _check(sims, seed)
    with session_scope(db, read=True) as session:
        user = require_reader(session, actor, READ_ACTION)
        reg = _read(session, threshold)
        fam = reg.families.get(ref)
        if fam is None:
            raise NotFoundError(
                f"there is no reference family {ref!r} with a missing person in the registry"
            )
        mps = fam.missing
        if missing is not None:
            if missing not in mps:
                raise NotFoundError(f"{missing!r} is not a missing person of family {ref}")
            mps = (missing,)
        log_event(
            session,
            user.name,
            "family.power",
            "reference_family",
            fam.id,
            family=ref,
            version=fam.version,
            sims=sims,
            seed=seed,
            threshold=reg.threshold,
        )
    results = [_mp_power(fam, reg, mp, sims, seed) for mp in mps]
    return FamilyPower(
        ref,
        fam.version,
        reg.threshold,
        "given" if threshold is not None else f"policy v{reg.policy_version} min_lr",
        reg.policy_version,
        sims,
        seed,
        len(reg.markers),
        reg.table,
        results,
    )


# ----------------------------------------------------------------------------- the programme


@dataclass(frozen=True)
class WeakFamily:
    """One unresolved missing person whose family's references are too weak, and what helps."""

    family: str
    version: int
    missing: str
    references: list[str]
    power: float  # P(LR >= threshold) with the references the family has
    expected_log10_lr: float
    best_relative: str | None  # the relationship of the candidate that raises power most
    best_power: float | None
    best_expected_log10_lr: float | None
    best_exclusion_power: float | None
    best_lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WeakFamilies:
    """A page of the programme view, with the settings it was computed under."""

    page: Page[WeakFamily]
    threshold: float
    threshold_source: str
    policy_version: int
    below: float
    sims: int
    seed: int
    considered: int  # unresolved missing persons looked at
    markers: int
    rows: list[WeakFamily] = field(default_factory=list, repr=False)  # every row, for CSV
    # Missing persons whose study could not be run (references impossible at a marker, the
    # misattributed-relationship sign): named, never silently dropped from the programme.
    not_computed: list[dict[str, str]] = field(default_factory=list)
    # Fills in a row's best relative (the costly part), cached: the CSV asks for every row.
    fill: Callable[[WeakFamily], WeakFamily] = field(default=lambda w: w, repr=False)

    def csv(self) -> str:
        """Every row (not only the page) as CSV, in the page's sort order."""
        ordered = list_all(
            [self.fill(w) for w in self.rows],
            sorts=WEAK_SORTS,
            tie=_tie,
            sort=self.page.sort,
            default="power",
        )
        return csv_text(CSV_COLUMNS, ([getattr(w, c) for c in CSV_COLUMNS] for w in ordered))

    def to_json(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "policy_version": self.policy_version,
            "below": self.below,
            "sims": self.sims,
            "seed": self.seed,
            "considered": self.considered,
            "markers": self.markers,
            "not_computed": self.not_computed,
        }


#: The programme view's sorts (the first is the default: the weakest first).
WEAK_SORTS: Mapping[str, Any] = {
    "power": lambda w: w.power,
    "family": lambda w: w.family,
    "best_power": lambda w: -1.0 if w.best_power is None else w.best_power,
}


#: The columns of the programme view's CSV.
CSV_COLUMNS = (
    "family",
    "version",
    "missing",
    "references",
    "power",
    "expected_log10_lr",
    "best_relative",
    "best_lines",
    "best_power",
    "best_expected_log10_lr",
    "best_exclusion_power",
)


def _tie(w: WeakFamily) -> str:
    return f"{w.family}\t{w.missing}"  # a cursor holds it as JSON: a string, not a tuple


def _current(fam: _Family, reg: _Registry, mp: str, sims: int, seed: int) -> tuple[float, float]:
    def compute() -> tuple[float, float]:
        c = SamplingCandidate((), "current references", fam.pedigree)
        try:
            r = candidate_power(c, mp, reg.markers, fam.profiles, reg.threshold, sims, seed)
        except KinshipError as e:
            raise _refused(fam, e) from None
        return r.p_lr_above, r.expected_log10_lr

    return _cached(_key(fam, reg, mp, "current", sims, seed), compute)  # type: ignore[no-any-return]


def _best(cands: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The new relative giving the highest P(LR >= threshold), then the highest mean log10 LR;
    one person before two (fewer samples to ask for)."""
    new = [c for c in cands if c["relative"] is not None]
    if not new:
        return None
    return max(
        new,
        key=lambda c: (
            c["p_lr_above"],
            c["expected_log10_lr"] if math.isfinite(c["expected_log10_lr"]) else -math.inf,
            -len(c["relative"].split("+")),
        ),
    )


def weak_families(
    db: str | None,
    *,
    actor: str,
    below: float = DEFAULT_BELOW,
    threshold: float | None = None,
    sims: int = PROGRAMME_SIMS,
    seed: int = 1,
    page: PageSpec | None = None,
) -> WeakFamilies:
    """Every missing person not identified whose power with the family's references is below
    ``below``, with the best next relative; one page (sorts :data:`WEAK_SORTS`). Audited as
    ``programme.power``."""
    _check(sims, seed)
    if not 0 < below <= 1:
        raise ServiceError(f"'below' is a probability above 0 and at most 1, not {below}")
    with session_scope(db, read=True) as session:
        user = require_reader(session, actor, READ_ACTION)
        reg = _read(session, threshold)
        log_event(
            session,
            user.name,
            "programme.power",
            "programme",
            None,
            below=below,
            sims=sims,
            seed=seed,
            threshold=reg.threshold,
        )
    rows: list[WeakFamily] = []
    failed: list[dict[str, str]] = []
    considered = 0
    for fam in reg.families.values():
        for mp in fam.missing:
            if mp in reg.identified:
                continue
            considered += 1
            try:
                p, mean = _current(fam, reg, mp, sims, seed)
            except ServiceError as e:
                failed.append({"family": fam.ref, "missing": mp, "reason": str(e)})
                continue
            if p < below:
                w = WeakFamily(
                    fam.ref, fam.version, mp, _typed(fam), p, mean, None, None, None, None
                )
                rows.append(w)

    def fill(w: WeakFamily) -> WeakFamily:
        best = _best(_mp_power(reg.families[w.family], reg, w.missing, sims, seed)["candidates"])
        if best is None:
            return w
        return replace(
            w,
            best_relative=best["relationship"],
            best_power=best["p_lr_above"],
            best_expected_log10_lr=best["expected_log10_lr"],
            best_exclusion_power=best["exclusion_power"],
            best_lines=list(best["lines"]),
        )

    spec = page or PageSpec()
    # Only the rows shown need their best relative, unless the order depends on it.
    if (spec.sort or "").lstrip("-") == "best_power":
        rows = [fill(w) for w in rows]
    got = list_page(rows, sorts=WEAK_SORTS, tie=_tie, spec=spec, default="power")
    got = replace(got, items=[fill(w) for w in got.items])
    return WeakFamilies(
        got,
        reg.threshold,
        "given" if threshold is not None else f"policy v{reg.policy_version} min_lr",
        reg.policy_version,
        below,
        sims,
        seed,
        considered,
        len(reg.markers),
        rows=rows,
        not_computed=failed,
        fill=fill,
    )
