"""A run's candidates: one per body x person across runs, superseded ones closed, changes told.

- Identity: a candidate is a body x person. A run updates the open or proposed candidate of
  that pairing (its numbers are the latest run's; every run's numbers stay in
  ``candidate_scores``) and creates one only when there is none (a rejected or revoked pairing
  that comes back is a new candidate, so its earlier verdict stays where it was).
- Superseded: an open or proposed candidate whose body or person is identified by another
  candidate's standing confirmation is closed (``candidate_closures``), pointing at that
  decision; so is one whose body was merged into another (pointing at the re-association). It
  leaves the queue.
- Changes: :func:`run_changes` compares the run with the one before it, pairing by pairing,
  and gives the reasons it can read from the inputs both runs recorded (``run_inputs``).
- Re-review: :func:`to_rereview` lists standing identifications whose evidence changed since
  the run they were confirmed from (a body's samples, a retyped sample, a family's version, the
  frequency table, a consent withdrawn).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.kinship import safe_exp
from repatria.registry.models import (
    Body,
    BodyPart,
    CandidateClosure,
    CandidateMatch,
    CandidateScore,
    IdentificationRun,
    Person,
    ReferenceFamily,
)
from repatria.registry.review_state import candidate_status, decision_kinds, live_confirmations
from repatria.services.workflows.problem import RegistryProblem

__all__ = [
    "StoredCandidate",
    "run_inputs",
    "store_candidates",
    "run_changes",
    "to_rereview",
    "Row",
]

#: Two numbers are the same when they differ by less than this, relatively.
SAME = 1e-9


@dataclass(frozen=True)
class Row:
    """One pairing a run raises: PM (body ref) x MP (person ref), its numbers and evidence."""

    pm: str
    mp: str
    log_lr: float  # natural log
    posterior: float
    evidence: dict[str, Any]


@dataclass(frozen=True)
class StoredCandidate:
    """A candidate as the run left it."""

    id: int
    body: str
    samples: list[str]
    person: str
    log10_lr: float
    posterior: float
    status: str

    @property
    def lr(self) -> float:
        return safe_exp(self.log10_lr * math.log(10))


def run_inputs(session: Session, rp: RegistryProblem) -> dict[str, Any]:
    """What a run read, by name, for the next run to compare against (stored in parameters)."""
    reasons = {
        f.ref: f.change_reason
        for f in session.execute(
            select(ReferenceFamily).where(ReferenceFamily.ref.in_(list(rp.family_versions)))
        ).scalars()
        if f.version == rp.family_versions[f.ref]
    }
    return {
        "frequency_table": rp.frequency_table.name,
        "frequency_version": rp.frequency_table.version,
        "bodies": {
            v: {"samples": rp.pm_samples.get(v, []), "profiles": rp.pm_profiles.get(v, [])}
            for v in rp.problem.pm
        },
        "persons": dict(rp.problem.missing_family),
        "families": {
            f: {"version": n, "reason": reasons.get(f)} for f, n in rp.family_versions.items()
        },
        "withdrawn_donors": list(rp.withdrawn_donors),
        "conflicts": rp.conflicts,
    }


def _settled(session: Session) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
    """person id -> (decision id, candidate id), body id -> (...), of standing confirmations."""
    persons: dict[int, tuple[int, int]] = {}
    bodies: dict[int, tuple[int, int]] = {}
    for d, c in session.execute(live_confirmations()).all():
        persons[c.person_id] = (d.id, c.id)
        if c.body_id is not None:
            bodies[c.body_id] = (d.id, c.id)
    return persons, bodies


def _closed(session: Session) -> set[int]:
    return set(session.execute(select(CandidateClosure.candidate_id)).scalars())


def store_candidates(
    session: Session, run: IdentificationRun, rp: RegistryProblem, rows: list[Row]
) -> tuple[list[StoredCandidate], int, int]:
    """Store the run's candidates; returns (candidates, left out as settled, superseded now)."""
    settled_p, settled_b = _settled(session)
    kinds = decision_kinds(session)
    closed = _closed(session)
    reusable: dict[tuple[int, int], CandidateMatch] = {}
    for c in session.execute(
        select(CandidateMatch)
        .where(CandidateMatch.body_id.is_not(None))
        .order_by(CandidateMatch.id)
    ).scalars():
        if c.id not in closed and candidate_status(kinds.get(c.id, set())) in ("open", "proposed"):
            reusable[(c.body_id or 0, c.person_id)] = c
    out: list[StoredCandidate] = []
    pending: list[tuple[Row, CandidateMatch]] = []
    left_out = 0
    for r in rows:
        body_id, person_id = rp.pm_body[r.pm], rp.mp_person[r.mp]
        if person_id in settled_p or body_id in settled_b:
            left_out += 1
            continue
        cand = reusable.get((body_id, person_id))
        if cand is None:
            cand = CandidateMatch(person_id=person_id, body_id=body_id)
            session.add(cand)
        cand.run_id, cand.remains_id = run.id, rp.pm_remains[r.pm]
        cand.sample_id = rp.pm_sample[r.pm]
        cand.log10_lr, cand.posterior = r.log_lr / math.log(10), r.posterior
        cand.evidence = r.evidence
        pending.append((r, cand))
    session.flush()  # one flush for them all: new candidates get their ids in the rows' order
    for r, cand in pending:
        log10_lr = r.log_lr / math.log(10)  # as stored on the candidate
        session.add(
            CandidateScore(
                run_id=run.id,
                candidate_id=cand.id,
                log10_lr=log10_lr,
                posterior=r.posterior,
                evidence=r.evidence,
            )
        )
        status = candidate_status(kinds.get(cand.id, set()))
        out.append(
            StoredCandidate(cand.id, r.pm, rp.pm_samples[r.pm], r.mp, log10_lr, r.posterior, status)
        )
    superseded = _supersede(session, run, settled_p, settled_b, kinds, closed)
    session.flush()
    return out, left_out, superseded


def _supersede(
    session: Session,
    run: IdentificationRun,
    settled_p: Mapping[int, tuple[int, int]],
    settled_b: Mapping[int, tuple[int, int]],
    kinds: Mapping[int, set[str]],
    closed: set[int],
) -> int:
    n = 0
    emptied = _emptied(session)
    # Columns only: every candidate ever raised is looked at, 10^4 of them after one big run.
    for c in session.execute(
        select(CandidateMatch.id, CandidateMatch.person_id, CandidateMatch.body_id).order_by(
            CandidateMatch.id
        )
    ).all():
        if c.id in closed or candidate_status(kinds.get(c.id, set())) not in ("open", "proposed"):
            continue
        by = settled_p.get(c.person_id) or (settled_b.get(c.body_id) if c.body_id else None)
        pointer = None if by is None or by[1] == c.id else f"decision:{by[0]}"
        if pointer is None and c.body_id is not None:
            pointer = emptied.get(c.body_id)
        if pointer is None:
            continue
        session.add(
            CandidateClosure(candidate_id=c.id, run_id=run.id, reason="superseded", pointer=pointer)
        )
        n += 1
    return n


def _emptied(session: Session) -> dict[int, str]:
    """body id -> the re-association that took its last part, for bodies left with none."""
    current = set(
        session.execute(select(BodyPart.body_id).where(BodyPart.ended_by.is_(None))).scalars()
    )
    out: dict[int, str] = {}
    for p in session.execute(
        select(BodyPart).where(BodyPart.ended_by.is_not(None)).order_by(BodyPart.id)
    ).scalars():
        if p.body_id not in current and p.ended_by and p.ended_by.startswith("association:"):
            out[p.body_id] = p.ended_by
    return out


# ----------------------------------------------------------------------------- changes


def _numbers(session: Session, run_id: int) -> dict[tuple[str, str], dict[str, float]]:
    """(body ref, person ref) -> {"lr", "posterior"} of a run's candidates."""
    stmt = (
        select(Body.ref, Person.ref, CandidateScore.log10_lr, CandidateScore.posterior)
        .join(CandidateMatch, CandidateMatch.id == CandidateScore.candidate_id)
        .join(Body, Body.id == CandidateMatch.body_id)
        .join(Person, Person.id == CandidateMatch.person_id)
        .where(CandidateScore.run_id == run_id)
    )
    rows = session.execute(stmt).all()
    if not rows:  # a run stored before candidate scores: its candidates carry its numbers
        rows = session.execute(
            select(Body.ref, Person.ref, CandidateMatch.log10_lr, CandidateMatch.posterior)
            .join(Body, Body.id == CandidateMatch.body_id)
            .join(Person, Person.id == CandidateMatch.person_id)
            .where(CandidateMatch.run_id == run_id)
        ).all()
    return {
        (b, p): {"lr": safe_exp((lg or 0.0) * math.log(10)), "posterior": float(post or 0.0)}
        for b, p, lg, post in rows
    }


def _same(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    return all(math.isclose(a[k], b[k], rel_tol=SAME, abs_tol=1e-300) for k in ("lr", "posterior"))


def run_changes(
    session: Session,
    run: IdentificationRun,
    now: Mapping[tuple[str, str], Mapping[str, float]],
    left_out: Mapping[tuple[str, str], str],
) -> list[dict[str, Any]]:
    """Every pairing whose LR or posterior moved since the previous run, with its reasons.

    ``now``: this run's numbers; ``left_out``: pairings not raised because their body or person
    is identified, with that sentence.
    """
    prev = session.execute(
        select(IdentificationRun)
        .where(IdentificationRun.id < run.id)
        .order_by(IdentificationRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    before = _numbers(session, prev.id) if prev is not None else {}
    old_in = (prev.parameters or {}).get("inputs", {}) if prev is not None else {}
    new_in = (run.parameters or {}).get("inputs", {})
    changes = []
    for key in sorted(set(before) | set(now)):
        b, a = before.get(key), now.get(key)
        if b is not None and a is not None and _same(b, a):
            continue
        why = _why(key, old_in, new_in, prev is None)
        if a is None:
            why.append(left_out.get(key, "no longer meets the candidate rule"))
        elif b is None and prev is not None:
            why.append("a new candidate")
        changes.append(
            {
                "body": key[0],
                "person": key[1],
                "before": dict(b) if b is not None else None,
                "after": dict(a) if a is not None else None,
                "why": why or ["the joint analysis moved (another body, family or prior changed)"],
            }
        )
    return changes


def _why(
    key: tuple[str, str], old: Mapping[str, Any], new: Mapping[str, Any], first: bool
) -> list[str]:
    if first:
        return ["the first identification run"]
    body, person = key
    why = []
    ob, nb = old.get("bodies", {}).get(body), new.get("bodies", {}).get(body)
    if ob and nb and ob.get("samples") != nb.get("samples"):
        why.append(
            f"body {body} is now samples {', '.join(nb['samples'])} "
            f"(was {', '.join(ob['samples'])})"
        )
    elif ob and nb and ob.get("profiles") != nb.get("profiles"):
        why.append(f"a sample of body {body} was retyped")
    elif nb and not ob:
        why.append(f"body {body} is new in the analysis")
    fam = new.get("persons", {}).get(person) or old.get("persons", {}).get(person)
    of, nf = old.get("families", {}).get(fam), new.get("families", {}).get(fam)
    if of and nf and of.get("version") != nf.get("version"):
        said = f": {nf['reason']}" if nf.get("reason") else ""
        why.append(f"family {fam} is at version {nf['version']} (was {of['version']}){said}")
    ot = (old.get("frequency_table"), old.get("frequency_version", 1))
    nt = (new.get("frequency_table"), new.get("frequency_version", 1))
    if ot != nt:
        why.append(f"other frequency table: {nt[0]} version {nt[1]} (was {ot[0]} version {ot[1]})")
    gone = sorted(set(new.get("withdrawn_donors", [])) - set(old.get("withdrawn_donors", [])))
    if gone:
        why.append(f"consent withdrawn by donor {', '.join(gone)}")
    return why


def to_rereview(session: Session, run: IdentificationRun) -> list[dict[str, Any]]:
    """Standing identifications whose evidence changed since the run that raised them."""
    new_in = (run.parameters or {}).get("inputs", {})
    out = []
    for d, c in session.execute(live_confirmations()).all():
        if c.run_id is None or c.body_id is None or c.run_id == run.id:
            continue
        then = session.get(IdentificationRun, c.run_id)
        old_in = (then.parameters or {}).get("inputs") if then is not None else None
        if not old_in:
            continue
        body = session.get(Body, c.body_id)
        person = session.get(Person, c.person_id)
        if body is None or person is None:
            continue
        why = _why((body.ref, person.ref), old_in, new_in, False)
        why = [w for w in why if not w.endswith("is new in the analysis")]
        if why:
            out.append(
                {
                    "candidate": c.id,
                    "decision": d.id,
                    "body": body.ref,
                    "person": person.ref,
                    "run": c.run_id,
                    "why": why,
                }
            )
    return out
