"""Read-only views for the pages, the API and the reports: what a person at a screen needs to see.

Each function opens one transaction, checks the reader's role, reads, and returns plain
dataclasses; none writes anything but audit entries. Reads of genetic evidence (match
details, per-marker LRs, pedigrees with typed relatives) and of family contacts are audited
(who, what, when), never with the genotypes themselves.

Read permissions (``READ_PERMISSIONS``) sit beside the workflow permissions of
:data:`repatria.services.access.users.PERMISSIONS`; :func:`roles_for` answers for both, so the
surfaces declare a route's roles by naming the action it performs.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError, PermissionDeniedError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import (
    CONDITIONS,
    NOTIFY_METHODS,
    PERSON_STATES,
    REMAINS_STATES,
    REPATRIATION_KINDS,
    ROLES,
    CandidateMatch,
    CustodyEvent,
    Decision,
    Donor,
    FrequencyTable,
    IdentificationRun,
    Notification,
    PedigreeMember,
    Person,
    PersonName,
    Remains,
    Repatriation,
    Sample,
    StateChange,
    User,
)
from repatria.services.access.audit import log_event
from repatria.services.access.users import PERMISSIONS
from repatria.services.workflows._lookup import by_ref

__all__ = [
    # The registry's vocabularies, for the surfaces' forms (they import no registry code).
    "CONDITIONS",
    "NOTIFY_METHODS",
    "PERSON_STATES",
    "REMAINS_STATES",
    "REPATRIATION_KINDS",
    "READ_PERMISSIONS",
    "roles_for",
    "NotFound",
    "Dashboard",
    "PersonSummary",
    "PersonDetail",
    "RemainsSummary",
    "RemainsDetail",
    "MarkerRow",
    "Alternative",
    "PedigreeNode",
    "MatchDetail",
    "QueueItem",
    "ReviewQueue",
    "NotificationTask",
    "NotificationsView",
    "RepatriationView",
    "RepatriationsView",
    "dashboard",
    "search_persons",
    "person_detail",
    "list_remains",
    "remains_detail",
    "match_detail",
    "review_queue",
    "notifications_view",
    "repatriations_view",
    "identifications",
    "all_log10_lrs",
    "describe_lr",
]

_ALL = frozenset(ROLES)

# Who may read what. Genetic evidence goes to those who weigh it (and to the auditor who checks
# them); family contacts to those who speak with families.
READ_PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.view": _ALL,
    "persons.read": _ALL,
    "remains.read": _ALL,
    "match.read": frozenset({"analyst", "reviewer", "case_manager", "auditor"}),
    "review.queue": frozenset({"analyst", "reviewer", "case_manager"}),
    "notifications.view": frozenset({"liaison_officer", "case_manager"}),
    "repatriations.view": frozenset({"case_manager", "liaison_officer", "auditor"}),
    "report.identification": frozenset(
        {"analyst", "reviewer", "case_manager", "liaison_officer", "auditor"}
    ),
    "report.case": frozenset({"case_manager", "auditor", "admin", "analyst"}),
    "session.self": _ALL,
}


def roles_for(action: str) -> frozenset[str]:
    """The roles allowed to perform ``action`` (a workflow step or a read)."""
    if action in READ_PERMISSIONS:
        return READ_PERMISSIONS[action]
    return PERMISSIONS[action]


NotFound = NotFoundError  # the name the surfaces used first


def _reader(session: Session, actor: str, action: str) -> User:
    user = session.execute(select(User).where(User.name == actor)).scalar_one_or_none()
    allowed = roles_for(action)
    if user is None or user.role not in allowed:
        raise PermissionDeniedError(
            f"{actor} may not {action.replace('.', ' ')}; that needs the "
            f"{' or '.join(sorted(allowed))} role"
        )
    return user


def _ref(session: Session, model: type, ref: str) -> Any:
    try:
        return by_ref(session, model, ref)
    except ServiceError as e:
        raise NotFound(str(e)) from None


def _primary_name(p: Person) -> str:
    official = [n for n in p.names if n.kind == "official"]
    return (official or p.names)[0].name if p.names else p.ref


def _fold(text: str | None) -> str:
    """Case-, width- and accent-insensitive form for searching names in any script."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# ----------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class Dashboard:
    """Counts by state and the sizes of the work queues, each with where it comes from."""

    persons_by_state: dict[str, int]
    remains_by_state: dict[str, int]
    queues: dict[str, int]
    sources: dict[str, str]


def _open_candidates(session: Session) -> tuple[list[CandidateMatch], list[CandidateMatch]]:
    """(candidates never proposed, proposed awaiting a verdict), among those whose person and
    remains are not yet identified elsewhere."""
    decided = {cid: kinds for cid, kinds in _decision_kinds(session).items()}
    rows = session.execute(select(CandidateMatch).order_by(CandidateMatch.id)).scalars().all()
    to_propose, to_review = [], []
    for c in rows:
        kinds = decided.get(c.id, set())
        if not kinds:
            to_propose.append(c)
        elif kinds == {"propose"}:
            to_review.append(c)
    return to_propose, to_review


def _decision_kinds(session: Session) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for cid, kind in session.execute(select(Decision.candidate_id, Decision.kind)):
        out.setdefault(cid, set()).add(kind)
    return out


def _to_notify(session: Session) -> list[Person]:
    told = select(Notification.person_id)
    return list(
        session.execute(
            select(Person)
            .where(Person.status == "identified", Person.id.not_in(told))
            .order_by(Person.ref)
        ).scalars()
    )


def dashboard(db: str | None, *, actor: str) -> Dashboard:
    """Persons and remains by state, and how much work waits in each queue."""
    with session_scope(db) as session:
        _reader(session, actor, "dashboard.view")
        persons = dict(
            session.execute(select(Person.status, func.count()).group_by(Person.status)).all()
        )
        remains = dict(
            session.execute(select(Remains.status, func.count()).group_by(Remains.status)).all()
        )
        to_propose, to_review = _open_candidates(session)
        identified_remains = session.execute(
            select(func.count()).select_from(Remains).where(Remains.status == "identified")
        ).scalar_one()
        return Dashboard(
            {s: int(persons.get(s, 0)) for s in PERSON_STATES},
            {s: int(remains.get(s, 0)) for s in REMAINS_STATES},
            {
                "to_propose": len(to_propose),
                "to_review": len(to_review),
                "to_notify": len(_to_notify(session)),
                "to_repatriate": int(identified_remains),
            },
            {
                "persons_by_state": "registry table persons, column status (current value)",
                "remains_by_state": "registry table remains, column status (current value)",
                "to_propose": "candidate matches with no review decision yet",
                "to_review": "candidate matches proposed by an analyst, awaiting a second person",
                "to_notify": "persons identified whose family has no recorded notification",
                "to_repatriate": "remains identified and not yet repatriated or disposed of",
            },
        )


# ----------------------------------------------------------------------------- persons


@dataclass(frozen=True)
class PersonSummary:
    ref: str
    status: str
    name: str
    names: list[dict[str, str | None]]
    unit: str | None
    matched: list[str]  # the names (or numbers) the query matched


def search_persons(
    db: str | None, *, actor: str, q: str = "", status: str | None = None, limit: int = 100
) -> list[PersonSummary]:
    """Persons whose any name, transliteration, reference or service number contains ``q``.

    Matching ignores case, width and accents, in any script (Hangul, Cyrillic, Latin ...).
    """
    if status is not None and status not in PERSON_STATES:
        raise ServiceError(
            f"unknown person state {status!r}; choose one of {', '.join(PERSON_STATES)}"
        )
    needle = _fold(q.strip())
    limit = max(1, min(int(limit), 500))
    with session_scope(db) as session:
        _reader(session, actor, "persons.read")
        stmt = select(Person).order_by(Person.ref)
        if status:
            stmt = stmt.where(Person.status == status)
        persons = session.execute(stmt).scalars().all()
        names: dict[int, list[PersonName]] = {}
        for n in session.execute(select(PersonName).order_by(PersonName.id)).scalars():
            names.setdefault(n.person_id, []).append(n)
        out = []
        for p in persons:
            pn = names.get(p.id, [])
            hay = [(n.name, n.name) for n in pn] + [
                (n.transliteration, n.transliteration or "") for n in pn if n.transliteration
            ]
            hay += [(p.ref, p.ref), (p.service_number, p.service_number or "")]
            matched = [shown for text, shown in hay if text and needle and needle in _fold(text)]
            if needle and not matched:
                continue
            out.append(
                PersonSummary(
                    p.ref,
                    p.status,
                    _primary_name(p),
                    [_name_dict(n) for n in pn],
                    p.unit,
                    _unique(matched),
                )
            )
            if len(out) >= limit:
                break
        return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _name_dict(n: PersonName) -> dict[str, str | None]:
    return {
        "name": n.name,
        "kind": n.kind,
        "script": n.script,
        "transliteration": n.transliteration,
    }


@dataclass(frozen=True)
class CandidateLine:
    id: int
    person_ref: str
    remains_ref: str
    log10_lr: float | None
    posterior: float | None
    status: str


@dataclass(frozen=True)
class PersonDetail:
    ref: str
    status: str
    name: str
    names: list[dict[str, str | None]]
    documents: list[dict[str, str | None]]
    facts: dict[str, str | None]
    candidates: list[CandidateLine]
    history: list[dict[str, Any]]


def _status(kinds: set[str]) -> str:
    return (
        "revoked"
        if "revoke" in kinds
        else "confirmed"
        if "confirm" in kinds
        else "rejected"
        if "reject" in kinds
        else "proposed"
        if "propose" in kinds
        else "open"
    )


def _candidate_lines(session: Session, stmt: Any) -> list[CandidateLine]:
    kinds = _decision_kinds(session)
    out = []
    for c in session.execute(stmt.order_by(CandidateMatch.id)).scalars():
        person, remains = session.get(Person, c.person_id), session.get(Remains, c.remains_id)
        out.append(
            CandidateLine(
                c.id,
                person.ref,
                remains.ref,
                c.log10_lr,
                c.posterior,
                _status(kinds.get(c.id, set())),
            )
        )
    return out


def _history(session: Session, entity: str, entity_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(StateChange, User.name)
        .join(User, User.id == StateChange.actor_id)
        .where(StateChange.entity == entity, StateChange.entity_id == entity_id)
        .order_by(StateChange.id)
    ).all()
    return [
        {
            "from": s.from_state,
            "to": s.to_state,
            "by": name,
            "at": s.changed_at.isoformat(),
            "reason": s.reason,
            "cause": s.cause,
        }
        for s, name in rows
    ]


def person_detail(db: str | None, ref: str, *, actor: str) -> PersonDetail:
    """A person's names, papers, candidate matches and state history; reading it is audited."""
    with session_scope(db) as session:
        user = _reader(session, actor, "persons.read")
        p = _ref(session, Person, ref)
        log_event(session, user.name, "person.read", "person", p.id)
        return PersonDetail(
            p.ref,
            p.status,
            _primary_name(p),
            [_name_dict(n) for n in p.names],
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
            {
                "sex": p.sex,
                "birth date": p.birth_date,
                "nationality": p.nationality,
                "service number": p.service_number,
                "unit": p.unit,
                "date missing": p.date_missing,
                "last known place": p.last_known_place,
            },
            _candidate_lines(
                session, select(CandidateMatch).where(CandidateMatch.person_id == p.id)
            ),
            _history(session, "person", p.id),
        )


# ----------------------------------------------------------------------------- remains


@dataclass(frozen=True)
class RemainsSummary:
    ref: str
    site: str | None
    recovered_on: str | None
    condition: str
    status: str
    samples: int


def list_remains(
    db: str | None,
    *,
    actor: str,
    site: str | None = None,
    condition: str | None = None,
    status: str | None = None,
) -> tuple[list[RemainsSummary], list[str]]:
    """Remains filtered by recovery site, condition and state; and every site, for a filter list."""
    with session_scope(db) as session:
        _reader(session, actor, "remains.read")
        stmt = select(Remains).order_by(Remains.ref)
        if site:
            stmt = stmt.where(Remains.site == site)
        if condition:
            stmt = stmt.where(Remains.condition == condition)
        if status:
            stmt = stmt.where(Remains.status == status)
        counts = dict(
            session.execute(
                select(Sample.remains_id, func.count())
                .where(Sample.kind == "pm")
                .group_by(Sample.remains_id)
            ).all()
        )
        rows = [
            RemainsSummary(
                r.ref, r.site, r.recovered_on, r.condition, r.status, int(counts.get(r.id, 0))
            )
            for r in session.execute(stmt).scalars()
        ]
        sites = [
            s
            for s in session.execute(
                select(Remains.site).distinct().order_by(Remains.site)
            ).scalars()
            if s
        ]
        return rows, sites


@dataclass(frozen=True)
class RemainsDetail:
    ref: str
    status: str
    condition: str
    site: str | None
    site_lat: float | None
    site_lon: float | None
    recovered_on: str | None
    recovered_by: str | None
    effects: list[dict[str, str | None]]
    samples: list[dict[str, str | None]]
    custody: list[dict[str, Any]]
    candidates: list[CandidateLine]
    history: list[dict[str, Any]]


def remains_detail(db: str | None, ref: str, *, actor: str) -> RemainsDetail:
    """Remains with what was found with them, their samples, custody timeline and candidates."""
    with session_scope(db) as session:
        user = _reader(session, actor, "remains.read")
        r = _ref(session, Remains, ref)
        samples = (
            session.execute(select(Sample).where(Sample.remains_id == r.id).order_by(Sample.id))
            .scalars()
            .all()
        )
        sample_ids = [s.id for s in samples]
        events = session.execute(
            select(CustodyEvent, User.name)
            .join(User, User.id == CustodyEvent.recorded_by_id)
            .where(
                (CustodyEvent.remains_id == r.id) | CustodyEvent.sample_id.in_(sample_ids or [-1])
            )
            .order_by(CustodyEvent.seq)
        ).all()
        sample_ref = {s.id: s.ref for s in samples}
        custody = [
            {
                "seq": e.seq,
                "event": e.event,
                "sample": sample_ref.get(e.sample_id),
                "from": e.from_party,
                "to": e.to_party,
                "location": e.location,
                "occurred_on": e.occurred_on,
                "recorded_by": name,
                "recorded_at": e.recorded_at.isoformat(),
                "notes": e.notes,
                "row_hash": e.row_hash,
            }
            for e, name in events
        ]
        log_event(session, user.name, "custody.read", "remains", r.id)
        return RemainsDetail(
            r.ref,
            r.status,
            r.condition,
            r.site,
            r.site_lat,
            r.site_lon,
            r.recovered_on,
            r.recovered_by,
            [{"kind": e.kind, "description": e.description} for e in r.effects],
            [
                {"ref": s.ref, "material": s.material, "collected_on": s.collected_on, "lab": s.lab}
                for s in samples
            ],
            custody,
            _candidate_lines(
                session, select(CandidateMatch).where(CandidateMatch.remains_id == r.id)
            ),
            _history(session, "remains", r.id),
        )


# ----------------------------------------------------------------------------- matches


@dataclass(frozen=True)
class MarkerRow:
    """One marker of a match: its LR (numerator: the PM is the MP; denominator: unrelated)."""

    marker: str
    lr: float | None
    pm: str | None = None  # the PM genotype as the run stored it for display, e.g. "12/14"
    note: str | None = None


@dataclass(frozen=True)
class Alternative:
    candidate_id: int
    person_ref: str
    remains_ref: str
    log10_lr: float | None
    posterior: float | None
    status: str
    relation: str  # "same remains" or "same person"


@dataclass(frozen=True)
class PedigreeNode:
    individual: str
    father: str | None
    mother: str | None
    sex: str
    role: str  # "mp" (this MP), "other_mp", "donor" (typed reference), "untyped"
    label: str


@dataclass(frozen=True)
class MatchDetail:
    """Everything the match page and the identification report show about one candidate."""

    candidate_id: int
    status: str
    person_ref: str
    person_name: str
    person_names: list[dict[str, str | None]]
    person_status: str
    remains_ref: str
    remains_site: str | None
    remains_condition: str
    remains_status: str
    recovered_on: str | None
    sample_ref: str | None
    log10_lr: float | None
    posterior: float | None
    lr_in_words: str
    posterior_in_words: str
    markers: list[MarkerRow]
    zero_markers: list[str]
    lr0: float | None
    warnings: list[str]
    exclusions: list[dict[str, Any]]
    alternatives: list[Alternative]
    family_ref: str | None
    pedigree: list[PedigreeNode]
    references: list[dict[str, str | None]]
    decisions: list[dict[str, Any]]
    run: dict[str, Any]
    evidence_keys: list[str] = field(default_factory=list)


def describe_lr(log10_lr: float | None) -> str:
    """The LR in words, for families and courts (numerator: identity; denominator: unrelated)."""
    if log10_lr is None:
        return "No likelihood ratio was stored for this pairing."
    if math.isinf(log10_lr) and log10_lr < 0:
        return (
            "The likelihood ratio is 0: the DNA results are impossible if these remains are this "
            "person, unless there was a mutation or a typing error."
        )
    lr = _fmt_lr(log10_lr)
    if log10_lr >= 0:
        return (
            f"The DNA results are {lr} times more probable if these remains are this person than "
            "if they are of someone unrelated to the family."
        )
    return (
        f"The DNA results are {_fmt_lr(-log10_lr)} times more probable if these remains are of "
        "someone unrelated to the family than if they are this person."
    )


def _fmt_lr(log10_lr: float) -> str:
    if math.isinf(log10_lr):
        return "infinitely many"
    if log10_lr < 6:
        return f"{10**log10_lr:,.0f}" if log10_lr >= 1 else f"{10**log10_lr:.3g}"
    return f"about 10^{log10_lr:.1f}"


def _describe_posterior(p: float | None, prior: str | None) -> str:
    if p is None:
        return "No posterior probability was stored for this pairing."
    prior_text = prior or "a flat prior over all possible assignments of remains to missing persons"
    return (
        f"Taking every other missing person and set of remains in the case into account, and "
        f"assuming {prior_text}, the probability that these remains are this person is "
        f"{p:.6g} ({100 * p:.4g} %)."
    )


def _num(v: Any) -> float | None:
    """A stored number; JSON columns hold infinities and NaN as the strings "Inf", "-Inf", "NaN"."""
    if v is None:
        return None
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}.get(v.strip().lower())
    return float(v)


def _markers(evidence: dict[str, Any]) -> list[MarkerRow]:
    """Per-marker rows from a candidate's stored evidence.

    Accepted shapes (what identification runs store): ``per_marker_log10_lr`` (marker -> log10
    LR, as :mod:`repatria.services.workflows.identify` writes it), ``per_marker_lr`` (marker -> LR), or
    ``markers`` as a list of ``{"marker", "lr" | "log10_lr", ["pm"], ["note"]}``.
    """
    rows: list[MarkerRow] = []
    if isinstance(evidence.get("per_marker_log10_lr"), dict):
        for name, v in evidence["per_marker_log10_lr"].items():
            x = _num(v)
            rows.append(MarkerRow(str(name), None if x is None or math.isnan(x) else 10**x))
        return rows
    raw = evidence.get("markers", evidence.get("per_marker_lr"))
    if isinstance(raw, dict):
        for name, v in raw.items():
            rows.append(MarkerRow(str(name), _num(v)))
    elif isinstance(raw, list):
        for m in raw:
            if not isinstance(m, dict) or "marker" not in m:
                continue
            lr = _num(m.get("lr"))
            if lr is None and m.get("log10_lr") is not None:
                x = _num(m["log10_lr"])
                lr = None if x is None else 10**x
            rows.append(
                MarkerRow(
                    str(m["marker"]),
                    lr,
                    None if m.get("pm") is None else str(m.get("pm")),
                    m.get("note"),
                )
            )
    return rows


def _exclusions(evidence: dict[str, Any], markers: list[MarkerRow]) -> list[dict[str, Any]]:
    """Exclusions as rows: a stored count (identify's ``exclusions``) or a list, else the LR-0 markers."""
    raw = evidence.get("exclusions")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if raw < 0:
            return [{"detail": "exclusions were not computed for this pairing"}]
        zero = [m.marker for m in markers if m.lr == 0]
        row: dict[str, Any] = {"markers inconsistent without mutation": int(raw)}
        if zero:
            row["which"] = ", ".join(zero)
        return [row]
    if isinstance(raw, list):
        return [e if isinstance(e, dict) else {"detail": str(e)} for e in raw]
    return []


def _pedigree(
    session: Session, person: Person
) -> tuple[str | None, list[PedigreeNode], list[dict[str, str | None]]]:
    member = (
        session.execute(
            select(PedigreeMember)
            .where(PedigreeMember.person_id == person.id)
            .order_by(PedigreeMember.id)
        )
        .scalars()
        .first()
    )
    if member is None:
        return None, [], []
    fam = member.family
    donors = {
        d.id: d for d in session.execute(select(Donor).where(Donor.family_id == fam.id)).scalars()
    }
    nodes, refs = [], []
    for m in fam.members:
        if m.person_id == person.id:
            role, label = "mp", f"{m.individual} (MP {person.ref})"
        elif m.person_id is not None:
            other = session.get(Person, m.person_id)
            role, label = "other_mp", f"{m.individual} (MP {other.ref if other else m.person_id})"
        elif m.donor_id is not None:
            d = donors.get(m.donor_id) or session.get(Donor, m.donor_id)
            role, label = "donor", f"{m.individual} (reference {d.ref})"
            withdrawn = d.consent_withdrawn_at is not None
            refs.append(
                {
                    "donor": d.ref,
                    "individual": m.individual,
                    "relationship": d.relationship_to_mp,
                    "consent": d.consent_scope,
                    "consent_withdrawn": "yes" if withdrawn else "no",
                }
            )
        else:
            role, label = "untyped", m.individual
        nodes.append(PedigreeNode(m.individual, m.father, m.mother, m.sex, role, label))
    return fam.ref, nodes, refs


def match_detail(
    db: str | None, candidate_id: int, *, actor: str, action: str = "match.read"
) -> MatchDetail:
    """A candidate match with its evidence, pedigree, alternatives and review; the read is audited."""
    with session_scope(db) as session:
        user = _reader(session, actor, action)
        c = session.get(CandidateMatch, candidate_id)
        if c is None:
            raise NotFound(f"there is no candidate {candidate_id}")
        person, remains = session.get(Person, c.person_id), session.get(Remains, c.remains_id)
        sample = session.get(Sample, c.sample_id) if c.sample_id else None
        evidence = dict(c.evidence or {})
        kinds = _decision_kinds(session)
        markers = _markers(evidence)
        zero = [m.marker for m in markers if m.lr == 0]
        lr0 = _num(evidence.get("lr0"))
        warnings = []
        if zero:
            warnings.append(
                f"LR is 0 at {', '.join(zero)}: the data contradict this pairing there "
                "unless a mutation or a typing error explains it."
            )
        if lr0 is not None and lr0 > 1:
            warnings.append(
                f"LR0 = {lr0:.3g}: without the family's references this pairing still "
                "has LR above 1, so it rests partly on other victims placed in the same "
                "family, not only on the references."
            )
        for w in evidence.get("warnings", []) or []:
            warnings.append(str(w))
        exclusions = _exclusions(evidence, markers)
        alts = []
        same = select(CandidateMatch).where(
            CandidateMatch.id != c.id,
            (CandidateMatch.remains_id == c.remains_id) | (CandidateMatch.person_id == c.person_id),
        )
        for a in session.execute(same.order_by(CandidateMatch.log10_lr.desc())).scalars():
            ap, ar = session.get(Person, a.person_id), session.get(Remains, a.remains_id)
            alts.append(
                Alternative(
                    a.id,
                    ap.ref,
                    ar.ref,
                    a.log10_lr,
                    a.posterior,
                    _status(kinds.get(a.id, set())),
                    "same remains" if a.remains_id == c.remains_id else "same person",
                )
            )
        for a in evidence.get("alternatives", []) or []:
            if isinstance(a, dict) and "person_ref" in a:
                alts.append(
                    Alternative(
                        0,
                        str(a["person_ref"]),
                        str(a.get("remains_ref", remains.ref)),
                        a.get("log10_lr"),
                        a.get("posterior"),
                        "not recorded",
                        "from the run",
                    )
                )
        fam_ref, nodes, refs = _pedigree(session, person)
        decisions = [
            {
                "id": d.id,
                "kind": d.kind,
                "by": name,
                "at": d.decided_at.isoformat(),
                "reason": d.reason,
            }
            for d, name in session.execute(
                select(Decision, User.name)
                .join(User, User.id == Decision.actor_id)
                .where(Decision.candidate_id == c.id)
                .order_by(Decision.seq)
            ).all()
        ]
        run: dict[str, Any] = {}
        if c.run_id is not None:
            r = session.get(IdentificationRun, c.run_id)
            table = (
                session.get(FrequencyTable, r.frequency_table_id) if r.frequency_table_id else None
            )
            run = {
                "id": r.id,
                "started_at": r.started_at.isoformat(),
                "run_by": session.get(User, r.run_by_id).name,
                "software_version": r.software_version,
                "parameters": dict(r.parameters or {}),
                "frequency_table": table.name if table else None,
                "input_sha256": r.input_sha256,
            }
        log_event(
            session, user.name, action, "candidate", c.id, person=person.ref, remains=remains.ref
        )
        return MatchDetail(
            c.id,
            _status(kinds.get(c.id, set())),
            person.ref,
            _primary_name(person),
            [_name_dict(n) for n in person.names],
            person.status,
            remains.ref,
            remains.site,
            remains.condition,
            remains.status,
            remains.recovered_on,
            sample.ref if sample else None,
            c.log10_lr,
            c.posterior,
            describe_lr(c.log10_lr),
            _describe_posterior(c.posterior, evidence.get("prior")),
            markers,
            zero,
            lr0,
            warnings,
            exclusions,
            alts,
            fam_ref,
            nodes,
            refs,
            decisions,
            run,
            sorted(evidence),
        )


# ----------------------------------------------------------------------------- review queue


@dataclass(frozen=True)
class QueueItem:
    candidate_id: int
    person_ref: str
    person_name: str
    remains_ref: str
    log10_lr: float | None
    posterior: float | None
    proposed_by: str | None


@dataclass(frozen=True)
class ReviewQueue:
    to_propose: list[QueueItem]
    to_review: list[QueueItem]


def review_queue(db: str | None, *, actor: str) -> ReviewQueue:
    """Candidates waiting for an analyst's proposal, and proposals waiting for a second person."""
    with session_scope(db) as session:
        _reader(session, actor, "review.queue")
        to_propose, to_review = _open_candidates(session)
        proposers = dict(
            session.execute(
                select(Decision.candidate_id, User.name)
                .join(User, User.id == Decision.actor_id)
                .where(Decision.kind == "propose")
            ).all()
        )

        def item(c: CandidateMatch) -> QueueItem:
            p, r = session.get(Person, c.person_id), session.get(Remains, c.remains_id)
            return QueueItem(
                c.id, p.ref, _primary_name(p), r.ref, c.log10_lr, c.posterior, proposers.get(c.id)
            )

        def strongest(c: CandidateMatch) -> float:
            return -(c.log10_lr if c.log10_lr is not None else -math.inf)

        return ReviewQueue(
            [item(c) for c in sorted(to_propose, key=strongest)],
            [item(c) for c in sorted(to_review, key=strongest)],
        )


# ----------------------------------------------------------------------------- notifications


@dataclass(frozen=True)
class NotificationTask:
    person_ref: str
    person_name: str
    identified_on: str | None
    references: list[dict[str, str | None]]  # who in the family gave samples (contacts)


@dataclass(frozen=True)
class NotificationsView:
    tasks: list[NotificationTask]
    done: list[dict[str, Any]]


def notifications_view(db: str | None, *, actor: str) -> NotificationsView:
    """Families still to be told (identified persons without a notification), and those told.

    Family contacts are shown, so the read is audited.
    """
    with session_scope(db) as session:
        user = _reader(session, actor, "notifications.view")
        tasks = []
        for p in _to_notify(session):
            when = (
                session.execute(
                    select(StateChange.changed_at)
                    .where(
                        StateChange.entity == "person",
                        StateChange.entity_id == p.id,
                        StateChange.to_state == "identified",
                    )
                    .order_by(StateChange.id.desc())
                )
                .scalars()
                .first()
            )
            donors = (
                session.execute(select(Donor).where(Donor.mp_person_id == p.id).order_by(Donor.id))
                .scalars()
                .all()
            )
            tasks.append(
                NotificationTask(
                    p.ref,
                    _primary_name(p),
                    when.date().isoformat() if when else None,
                    [
                        {"donor": d.ref, "name": d.name, "relationship": d.relationship_to_mp}
                        for d in donors
                    ],
                )
            )
        done = []
        for n, pref, by in session.execute(
            select(Notification, Person.ref, User.name)
            .join(Person, Person.id == Notification.person_id)
            .join(User, User.id == Notification.notified_by_id)
            .order_by(Notification.id.desc())
        ).all():
            done.append(
                {
                    "id": n.id,
                    "person_ref": pref,
                    "recipient": n.recipient,
                    "relationship": n.recipient_relationship,
                    "method": n.method,
                    "notified_on": n.notified_on,
                    "by": by,
                }
            )
        log_event(session, user.name, "notifications.view", tasks=len(tasks), done=len(done))
        return NotificationsView(tasks, done)


# ----------------------------------------------------------------------------- repatriations


@dataclass(frozen=True)
class RepatriationView:
    id: int
    kind: str
    counterpart: str
    place: str | None
    occurred_on: str
    ceremony: str | None
    items: list[dict[str, str | None]]  # remains ref, person ref, coffin, remains state


@dataclass(frozen=True)
class RepatriationsView:
    done: list[RepatriationView]
    eligible: list[dict[str, str | None]]  # identified remains not yet handed over


def repatriations_view(db: str | None, *, actor: str) -> RepatriationsView:
    """Handovers with their remains and states, and the identified remains waiting for one."""
    with session_scope(db) as session:
        _reader(session, actor, "repatriations.view")
        done = []
        for rep in session.execute(select(Repatriation).order_by(Repatriation.id.desc())).scalars():
            items = []
            for it in rep.items:
                r = session.get(Remains, it.remains_id)
                p = session.get(Person, it.person_id) if it.person_id else None
                items.append(
                    {
                        "remains_ref": r.ref,
                        "person_ref": p.ref if p else None,
                        "person_name": _primary_name(p) if p else None,
                        "coffin": it.coffin_label,
                        "remains_state": r.status,
                    }
                )
            done.append(
                RepatriationView(
                    rep.id,
                    rep.kind,
                    rep.counterpart,
                    rep.place,
                    rep.occurred_on,
                    rep.ceremony,
                    items,
                )
            )
        eligible = []
        confirmed = session.execute(
            select(CandidateMatch, Decision)
            .join(Decision, Decision.candidate_id == CandidateMatch.id)
            .where(Decision.kind == "confirm")
        ).all()
        kinds = _decision_kinds(session)
        for c, _d in confirmed:
            if "revoke" in kinds.get(c.id, set()):
                continue
            r, p = session.get(Remains, c.remains_id), session.get(Person, c.person_id)
            if r.status == "identified":
                eligible.append(
                    {
                        "remains_ref": r.ref,
                        "person_ref": p.ref,
                        "person_name": _primary_name(p),
                        "site": r.site,
                    }
                )
        return RepatriationsView(done, sorted(eligible, key=lambda e: e["remains_ref"] or ""))


# ----------------------------------------------------------------------------- identifications


def identifications(db: str | None, *, actor: str) -> list[dict[str, Any]]:
    """Every confirmed, unrevoked identification with its LR, reviewer and date (case summary)."""
    with session_scope(db) as session:
        _reader(session, actor, "report.case")
        kinds = _decision_kinds(session)
        out = []
        for d, c, name in session.execute(
            select(Decision, CandidateMatch, User.name)
            .join(CandidateMatch, CandidateMatch.id == Decision.candidate_id)
            .join(User, User.id == Decision.actor_id)
            .where(Decision.kind == "confirm")
            .order_by(Decision.seq)
        ).all():
            if "revoke" in kinds.get(c.id, set()):
                continue
            p, r = session.get(Person, c.person_id), session.get(Remains, c.remains_id)
            out.append(
                {
                    "candidate_id": c.id,
                    "person_ref": p.ref,
                    "person_name": _primary_name(p),
                    "remains_ref": r.ref,
                    "log10_lr": c.log10_lr,
                    "posterior": c.posterior,
                    "confirmed_by": name,
                    "confirmed_at": d.decided_at.date().isoformat(),
                    "person_status": p.status,
                }
            )
        log_event(session, actor, "report.case.read", identifications=len(out))
        return out


def all_log10_lrs(db: str | None, *, actor: str) -> list[float]:
    """log10 LR of every stored candidate (for the LR distribution plot)."""
    with session_scope(db) as session:
        _reader(session, actor, "report.case")
        return [
            float(v)
            for v in session.execute(select(CandidateMatch.log10_lr)).scalars()
            if v is not None and math.isfinite(v)
        ]
