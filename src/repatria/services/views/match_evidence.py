"""What the match page adds to a candidate's numbers for the geneticist who checks them.

- the genotypes of the PM and of every typed reference, marker by marker, as the registry holds
  them (a partial call stays ``12/-``), read from the profiles the run used;
- why a marker's LR is 1 (or 0), from which side has data at that marker: a note is never empty;
- every evidence factor (autosomal, lineage, direct reference, non-DNA) with its model, and the
  combined LR.

Who may see genotypes and the audit of the read stay in :mod:`repatria.services.views.matches`;
here only the rows are built (no I/O beyond the caller's session).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.registry.evidence import stored_number
from repatria.registry.models import Donor, Genotype, PedigreeMember, Profile, Sample
from repatria.services.views.wording import LR_ONE_TOLERANCE, lr_words, percent, strength
from repatria.services.workflows.case_versions import current_genotypes

__all__ = [
    "TypedData",
    "GenotypeRow",
    "EvidenceFactor",
    "typed_data",
    "marker_note",
    "genotype_rows",
    "evidence_factors",
    "combined_log10_lr",
    "genotype_text",
    "SensitivityRow",
    "sensitivity_rows",
    "sensitivity_summary",
]

Alleles = tuple[str | None, str | None]

NO_PM = "no result for the remains at this marker"
NO_REFERENCE = "no reference typed at this marker"
UNINFORMATIVE = (
    "the reference's genotype carries no information about the MP here (only references "
    "who are not blood relatives of the MP, e.g. a spouse, are typed)"
)
DROPOUT = "dropout makes both hypotheses equally likely"
EQUAL = "the genotypes are as probable if the remains are the MP as if they are unrelated"
UNKNOWN_SIDES = (
    "the registry holds no genotypes the run used for this pairing, so why cannot be said; "
    "this marker does not help to decide"
)
EXCLUSION = "impossible without mutation: exclusion"


@dataclass(frozen=True)
class TypedData:
    """The genotypes behind one candidate: the PM's and each typed reference's, by marker."""

    pm: Mapping[str, Alleles] | None  # None: no PM profile found
    pm_dropout: float | None
    references: tuple[tuple[str, str, bool, Mapping[str, Alleles]], ...]
    # (donor ref, column heading, blood relative of the MP, genotypes)


@dataclass(frozen=True)
class GenotypeRow:
    marker: str
    pm: str
    references: tuple[str, ...]
    log10_lr: float | None
    lr_in_words: str
    note: str


@dataclass(frozen=True)
class EvidenceFactor:
    """One factor of the combined LR, for the page: what it is, its LR, its model, its finding."""

    kind: str
    source: str  # "autosomal", "lineage", "direct reference", "non-DNA"
    log10_lr: float | None
    lr_in_words: str
    counted: bool
    model: str
    detail: str
    consistent: str
    note: str


def genotype_text(alleles: Alleles | None) -> str:
    """A genotype as written in the registry: ``12/14``, a partial call ``12/-``; untyped ''."""
    if alleles is None:
        return ""
    return "/".join("-" if a is None else str(a) for a in alleles)


def _ancestry(members: Sequence[PedigreeMember]) -> dict[str, set[str]]:
    """Each individual with its recorded ancestors (itself included)."""
    parents = {m.individual: [p for p in (m.father, m.mother) if p] for m in members}
    out: dict[str, set[str]] = {}

    def up(i: str, seen: frozenset[str]) -> set[str]:
        if i in out:
            return out[i]
        found = {i}
        for p in parents.get(i, ()):
            if p not in seen:
                found |= up(p, seen | {i})
        out[i] = found
        return found

    for i in parents:
        up(i, frozenset())
    return out


def typed_data(
    session: Session,
    profile_id: int | None,
    sample_id: int | None,
    members: Sequence[PedigreeMember],
    mp_individual: str | None,
) -> TypedData:
    """The PM's genotypes (the run's profile, else the sample's current one) and the family's."""
    pm: dict[str, Alleles] | None = None
    dropout = None
    prof = session.get(Profile, profile_id) if profile_id is not None else None
    if prof is None and sample_id is not None:
        prof, _ = current_genotypes(session, sample_id)
    if prof is not None:
        pm = _profile_genotypes(session, prof.id)
        dropout = prof.dropout
    ancestry = _ancestry(members)
    mp_line = ancestry.get(mp_individual or "", set())
    refs = []
    for m in members:
        if m.donor_id is None:
            continue
        donor = session.get(Donor, m.donor_id)
        if donor is None:
            continue
        genotypes: dict[str, Alleles] = {}
        samples = select(Sample.id).where(Sample.donor_id == donor.id, Sample.kind == "reference")
        for sid in session.execute(samples.order_by(Sample.id)).scalars():
            _, typed = current_genotypes(session, sid)
            for marker, alleles in typed.items():
                genotypes.setdefault(marker, alleles)
        related = not mp_line or bool(ancestry.get(m.individual, {m.individual}) & mp_line)
        relation = donor.relationship_to_mp or m.individual
        refs.append((donor.ref, f"{donor.ref} ({relation})", related, genotypes))
    return TypedData(pm, dropout, tuple(refs))


def _profile_genotypes(session: Session, profile_id: int) -> dict[str, Alleles]:
    rows = session.execute(select(Genotype).where(Genotype.profile_id == profile_id)).scalars()
    return {g.marker: (g.allele1, g.allele2) for g in rows}


def marker_note(marker: str, log10_lr: float | None, data: TypedData | None) -> str:
    """Why a marker's LR is what it is, in words; never empty for an LR of 1 or 0."""
    if log10_lr is None or math.isnan(log10_lr):
        return "the run computed no LR at this marker"
    if math.isinf(log10_lr) and log10_lr < 0:
        return EXCLUSION
    if abs(log10_lr) > LR_ONE_TOLERANCE:
        words = strength(log10_lr if log10_lr > 0 else -log10_lr)
        return f"{words} support for identity" if log10_lr > 0 else f"{words} support against it"
    if data is None or (data.pm is None and not any(g for _, _, _, g in data.references)):
        return UNKNOWN_SIDES
    pm = None if data.pm is None else data.pm.get(marker)
    if data.pm is not None and pm is None:
        return NO_PM
    typed = [(related, g[marker]) for _, _, related, g in data.references if marker in g]
    if not typed:
        return NO_REFERENCE
    if not any(related for related, _ in typed):
        return UNINFORMATIVE
    partial = any(a is None for _, g in typed for a in g) or (pm is not None and None in pm)
    if partial or (data.pm_dropout or 0) > 0:
        return DROPOUT
    return EQUAL


def genotype_rows(per_marker: Mapping[str, float], data: TypedData) -> list[GenotypeRow]:
    """One row per marker: the run's markers first, then those typed but not used by the run."""
    names = list(per_marker)
    extra: set[str] = set(data.pm or {})
    for _, _, _, g in data.references:
        extra |= set(g)
    names += sorted(extra - set(names))
    rows = []
    for name in names:
        x = per_marker.get(name)
        rows.append(
            GenotypeRow(
                name,
                genotype_text((data.pm or {}).get(name)),
                tuple(genotype_text(g.get(name)) for _, _, _, g in data.references),
                x,
                lr_words(x) if x is not None else "not used by the run",
                marker_note(name, x, data)
                if x is not None
                else "typed, but the run computed no LR here",
            )
        )
    return rows


# --------------------------------------------------------------------------- evidence factors


def _log10(d: Mapping[str, Any]) -> float | None:
    x = stored_number(d.get("log10_lr"))
    if x is not None:
        return x
    lr = stored_number(d.get("lr"))
    if lr is None or math.isnan(lr) or lr < 0:
        return None
    return -math.inf if lr == 0 else math.log10(lr)


def _consistent(v: Any) -> str:
    if v is True:
        return "consistent"
    return "inconsistent" if v is False else "not assessed"


def _parameters(p: Any) -> str:
    if isinstance(p, Mapping):
        return ", ".join(f"{k} = {v}" for k, v in p.items())
    return "" if p is None else str(p)


def evidence_factors(
    autosomal_log10: float | None,
    autosomal_model: str,
    lineage: Iterable[Mapping[str, Any]],
    non_dna: Iterable[Mapping[str, Any]],
    direct: Iterable[Mapping[str, Any]] = (),
) -> list[EvidenceFactor]:
    """The autosomal factor, then each lineage, direct-reference and non-DNA factor, each with
    its model."""
    out = [
        EvidenceFactor(
            "autosomal STR",
            "autosomal",
            autosomal_log10,
            lr_words(autosomal_log10),
            autosomal_log10 is not None,
            autosomal_model,
            "",
            "inconsistent"
            if autosomal_log10 is not None and autosomal_log10 == -math.inf
            else "consistent"
            if autosomal_log10 is not None
            else "not assessed",
            "",
        )
    ]
    for d in lineage:
        x = _log10(d)
        model = ", ".join(
            str(v) for v in (d.get("model"), d.get("database") and f"database {d['database']}") if v
        )
        who = " ".join(
            str(v) for v in (d.get("donor"), d.get("relation") and f"({d['relation']})") if v
        )
        out.append(
            EvidenceFactor(
                str(d.get("kind") or "lineage marker"),
                "lineage",
                x,
                lr_words(x),
                # relatives on one line share one haplotype: only the factor identify put in
                # the product (the closest donor of each kind) counts; the others are shown
                x is not None and d.get("combined") is not False,
                model or "not recorded",
                f"reference {who}" if who else "",
                _consistent(d.get("consistent")),
                str(d.get("note") or ""),
            )
        )
    for d in direct:
        x = _log10(d)
        item = str(d.get("item") or "item").replace("_", " ")
        out.append(
            EvidenceFactor(
                f"direct reference ({item})",
                "direct reference",
                x,
                lr_words(x),
                # the MP's items are one person's samples: only the one identify put in the
                # product counts; the others are shown
                x is not None and d.get("combined") is not False,
                str(d.get("model") or "not recorded"),
                f"the MP's own {item} {d.get('reference') or ''}, reliability "
                f"{d.get('reliability')}".strip(),
                _consistent(d.get("consistent")),
                str(d.get("note") or ""),
            )
        )
    for d in non_dna:
        x = _log10(d)
        enabled = d.get("enabled", True) is not False
        # a factor the run put in the prior is already in the posterior: never counted twice
        in_prior = d.get("in_prior") is True
        detail = "; ".join(
            s
            for s in (
                d.get("value") is not None and f"value {d['value']}",
                d.get("observation") and f"observed {d['observation']}",
            )
            if s
        )
        model = ", ".join(
            s for s in (str(d.get("model") or ""), _parameters(d.get("parameters"))) if s
        )
        out.append(
            EvidenceFactor(
                str(d.get("kind") or "non-DNA evidence"),
                "non-DNA",
                x,
                f"{lr_words(x)}, in the prior (in the posterior, not in the combined LR)"
                if enabled and in_prior
                else lr_words(x)
                if enabled
                else f"{lr_words(x)}, not counted (switched off)",
                enabled and not in_prior and x is not None,
                model or "not recorded",
                detail,
                _consistent(d.get("consistent")),
                str(d.get("note") or ""),
            )
        )
    return out


def combined_log10_lr(stored: Mapping[str, Any], factors: Sequence[EvidenceFactor]) -> float | None:
    """The log10 LR of all the evidence: the sum of the counted factors (the autosomal LR, the
    lineage factor in the product for each line, the non-DNA factors switched on). The run's
    stored ``combined_log10_lr`` is the DNA part (autosomal and lineage) and is not reused, so
    the page and its factors table always agree."""
    del stored
    counted = [f.log10_lr for f in factors if f.counted and f.log10_lr is not None]
    return sum(counted) if counted else None


# --------------------------------------------------------------------------- prior sensitivity


@dataclass(frozen=True)
class SensitivityRow:
    """The candidate's posterior under one prior, in words."""

    prior: str
    posterior: float | None
    posterior_in_words: str


def _prior_words(key: str) -> str:
    if key == "flat":
        return "flat over all assignments (dvir's default), DNA alone"
    try:
        p = float(key)
    except ValueError:
        return key
    return (
        f"open population, p = {p:g}: each set of remains one of the listed missing with "
        f"probability {percent(p)}"
    )


def sensitivity_rows(by_p: Mapping[str, Any] | None) -> list[SensitivityRow]:
    """One row per prior of the run's ``--prior-sensitivity`` table (none without it)."""
    rows = []
    for key, v in (by_p or {}).items():
        x = stored_number(v)
        x = None if x is None or math.isnan(x) else x
        rows.append(SensitivityRow(_prior_words(str(key)), x, percent(x)))
    return rows


def sensitivity_summary(by_p: Mapping[str, Any] | None) -> str:
    """What the table says, in one sentence: does the posterior rest on the DNA or the prior?"""
    xs = {k: stored_number(v) for k, v in (by_p or {}).items() if k != "flat"}
    vals = [x for x in xs.values() if x is not None and not math.isnan(x)]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if lo >= 0.99:
        return (
            f"The posterior stays at {percent(lo)} or more whatever p: it rests on the DNA, not "
            "on the prior."
        )
    if hi < 0.5:
        return f"The posterior stays below 50 % whatever p (at most {percent(hi)})."
    below = sorted(float(k) for k, x in xs.items() if x is not None and x < 0.5)
    if below:
        return (
            f"The posterior is below 50 % at p = {', '.join(f'{x:g}' for x in below)}: the "
            "identification depends on how likely a set of remains is to be one of the "
            "listed missing at all."
        )
    return (
        f"The posterior ranges from {percent(lo)} to {percent(hi)} as p goes from 0.1 to 1: it "
        "owes part of its height to the prior."
    )
