"""Screen a case into review: the screening run and its candidates, stored in the registry.

:func:`screen_into_registry` screens a case folder (the screening engine of
:mod:`repatria.kinship.screening`, as ``repatria screen`` does) whose PM samples, missing persons
and reference families are already in the registry (``repatria import case``), then stores:

- the run: an ``identification_runs`` row with ``parameters["kind"] == "screen"``, the thresholds
  (``min_lr``, ``top``), the candidate rule, the case's hash and import batch, what was left
  out and why; ``input_sha256`` is the case's SHA-256 (the one its import batch records), mixed
  with the donors screened untyped if any; the profiles it read go to ``run_profiles``, so a
  consent withdrawal names the run;
- its candidates: one ``candidate_matches`` row per kept pairing (LR >= ``min_lr`` and among the
  ``top`` largest LRs of its PM sample or of its family), keyed by person and remains, with the
  LR as ``log10_lr``, no posterior (a screen has no joint model), and as evidence the natural-log
  LR, the family, the PM profile and the rule. They go to the review queue like identify's.

As identify does, the run leaves out pairings of a person or remains already identified, and
pairings the registry excludes (:class:`~repatria.registry.models.PairingExclusion`); a donor
whose consent was withdrawn is screened untyped. Pairings with LR 0 (``--min-lr 0``) are not
stored. Everything is written in one transaction, candidates by bulk insert; the registry is
read again in it, and nothing is stored if what the screen read has changed.

Dropout as identify reads it (:mod:`.problem_dropout`): a PM sample whose registry profile
stores a dropout (``profiles.dropout``) is typed under it; a sample with none takes the run's
``dropout`` (a number, or ``"estimate"`` from its own profile); ``drop_in`` puts every sample
under the model with that drop-in. What was used goes in the run's ``parameters["dropout"]``
(absent when nothing was set or stored: the run is then today's, bit for bit).

:func:`restrict_to_screen` is the other way round: identify analyses only a screen's
candidates (``repatria identify --from-screen RUN``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from repatria import __version__
from repatria.errors import ServiceError
from repatria.formats.candidates import CANDIDATE_COLUMNS, write_table
from repatria.formats.casefolder import read_case_folder
from repatria.formats.jsonsafe import json_safe
from repatria.kinship.dvi import DefaultPairings, DVIProblem
from repatria.kinship.screening import ScreenResult
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import (
    CandidateMatch,
    Donor,
    FrequencyTable,
    IdentificationRun,
    ImportBatch,
    PairingExclusion,
    Person,
    Profile,
    ReferenceFamily,
    RunProfile,
    Sample,
)
from repatria.registry.models import Genotype as GenotypeRow
from repatria.registry.queries import usable_profiles
from repatria.registry.review_state import identified_ids
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.pipelines.sample_dropout import (
    ESTIMATE,
    DropoutSetting,
    apply_dropout,
    check_drop_in,
    degraded_warning,
    dropout_provenance,
    dropout_setting,
    estimate_samples,
    sample_dropout,
)
from repatria.services.pipelines.screening import screen_problem, screen_summary
from repatria.services.progress import Progress, quiet, step
from repatria.services.workflows.case_files import case_sha256, markers_to_rows

# identify from a screen's candidates lives there, importable from here as before
from repatria.services.workflows.screen_restrict import (
    SCREEN_KIND,
    _allowed,
    _subset,
    restrict_to_screen,
)

__all__ = [
    "SCREEN_KIND",
    "screen_rule",
    "screen_into_registry",
    "restrict_to_screen",
    "_allowed",
    "_subset",
]


#: Candidate rows per INSERT statement (and per progress report of the ``store`` step).
CHUNK = 5000


def screen_rule(min_lr: float, top: int | None) -> str:
    """The candidate rule of a screen, in words (stored with the run and each candidate)."""
    rule = f"screen: LR >= {min_lr:g}"
    if top:
        rule += f", among the top {top} LRs of its PM sample or of its family"
    return rule


# ----------------------------------------------------------------------------- what is there


@dataclass(frozen=True)
class _Records:
    """The registry's records of a case, by the case's ids, and what the screen must respect."""

    sample: dict[str, int]  # PM id -> sample id
    remains: dict[str, int]  # PM id -> remains id
    pm_profile: dict[str, int]  # PM id -> newest usable profile id
    person: dict[str, int]  # MP id -> person id
    reference_profile: dict[str, int]  # typed reference -> newest usable profile id
    withdrawn: tuple[str, ...]  # typed references whose donor withdrew consent
    settled_persons: frozenset[int]
    settled_remains: frozenset[int]
    excluded: frozenset[tuple[int, int]]  # (sample id, person id) pairings ruled out
    frequency_table: int | None
    import_batch: int | None
    pm_dropout: dict[str, float]  # PM id -> dropout its registry profile stores, where one does


def _listed(what: str, missing: Sequence[str], of: int) -> str:
    shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
    return f"{len(missing):,} of its {of:,} {what} ({shown})"


def _records(session: Session, problem: DVIProblem, sha: str, name: str) -> _Records:
    """The case's records in the registry; one sentence naming what is missing if any is."""
    pm_rows = {
        ref: (sid, rid)
        for ref, sid, rid in session.execute(
            select(Sample.ref, Sample.id, Sample.remains_id).where(Sample.kind == "pm")
        ).all()
    }
    persons = dict(session.execute(select(Person.ref, Person.id)).all())
    families = set(session.execute(select(ReferenceFamily.ref)).scalars())
    gaps = [
        _listed(what, missing, len(ids))
        for what, ids, missing in (
            ("PM samples", problem.pm, [v for v in problem.pm if v not in pm_rows]),
            ("missing persons", problem.missing, [m for m in problem.missing if m not in persons]),
            (
                "reference families",
                problem.families,
                [f for f in problem.families if f not in families],
            ),
        )
        if missing
    ]
    if gaps:
        listed = ", ".join(gaps[:-1]) + (" and " if len(gaps) > 1 else "") + gaps[-1]
        raise ServiceError(
            f"case {name} is not all in the registry: {listed} are not there; import the case "
            f"first (`repatria import case {name}`)"
        )
    remains: dict[str, int] = {}
    for v in problem.pm:
        rid = pm_rows[v][1]
        if rid is None:
            raise ServiceError(f"post mortem sample {v} belongs to no remains")
        remains[v] = rid
    newest: dict[int, int] = {}  # sample id -> newest usable profile id
    for pid, sid in session.execute(
        usable_profiles().with_only_columns(Profile.id, Profile.sample_id)
    ):
        newest[sid] = pid
    unprofiled = [v for v in problem.pm if pm_rows[v][0] not in newest]
    if unprofiled:
        listed = _listed("PM samples", unprofiled, len(problem.pm))
        raise ServiceError(f"the registry holds no usable profile for {listed} of case {name}")
    typed = {p for fam in problem.am_profiles.values() for p in fam}
    references = dict(
        session.execute(select(Sample.ref, Sample.id).where(Sample.kind == "reference")).all()
    )
    withdrawn = set(
        session.execute(select(Donor.ref).where(Donor.consent_withdrawn_at.is_not(None))).scalars()
    )
    settled_p, settled_r = identified_ids(session)
    msha, _ = markers_to_rows(problem)
    pm_profile = {v: newest[pm_rows[v][0]] for v in problem.pm}
    stored_dropout = {
        pid: float(d)
        for pid, d in session.execute(
            # all profiles that store one (few): a list of 10^4 ids is past SQLite's limit
            select(Profile.id, Profile.dropout).where(Profile.dropout.is_not(None))
        )
        if d is not None
    }
    return _Records(
        sample={v: pm_rows[v][0] for v in problem.pm},
        remains=remains,
        pm_profile=pm_profile,
        person={m: persons[m] for m in problem.missing},
        reference_profile={
            p: newest[references[p]] for p in sorted(typed) if references.get(p) in newest
        },
        withdrawn=tuple(sorted(typed & withdrawn)),
        settled_persons=frozenset(settled_p),
        settled_remains=frozenset(settled_r),
        excluded=frozenset(
            session.execute(select(PairingExclusion.sample_id, PairingExclusion.person_id))
        ),
        frequency_table=session.execute(
            select(FrequencyTable.id).where(FrequencyTable.sha256 == msha)
        ).scalar(),
        import_batch=session.execute(
            select(ImportBatch.id).where(ImportBatch.kind == "case", ImportBatch.sha256 == sha)
        ).scalar(),
        pm_dropout={
            v: stored_dropout[pid] for v, pid in pm_profile.items() if pid in stored_dropout
        },
    )


def _same_profiles(session: Session, problem: DVIProblem, rec: _Records, name: str) -> None:
    """Refuse a case whose genotypes are not the registry's (another case, or since corrected).

    The stored candidates name registry profiles, so their LRs must be of those profiles.
    """
    case: dict[int, dict[str, tuple[str | None, str | None]]] = {}
    for v, pid in rec.pm_profile.items():
        case[pid] = {m: (g[0], g[1]) for m, g in problem.pm_profiles.get(v, {}).items() if g}
    for fam in problem.am_profiles.values():
        for p, prof in fam.items():
            if p in rec.reference_profile:
                case[rec.reference_profile[p]] = {m: (g[0], g[1]) for m, g in prof.items() if g}
    stored: dict[int, dict[str, tuple[str | None, str | None]]] = {pid: {} for pid in case}
    newest = usable_profiles().with_only_columns(Profile.id)
    for pid, marker, a1, a2 in session.execute(
        select(GenotypeRow.profile_id, GenotypeRow.marker, GenotypeRow.allele1, GenotypeRow.allele2)
        .where(GenotypeRow.profile_id.in_(newest.scalar_subquery()))
        .order_by(GenotypeRow.id)
    ):
        if pid in stored:
            stored[pid][marker] = (a1, a2)
    differ = sorted(pid for pid in case if case[pid] != stored[pid])
    if differ:
        owner = {pid: v for v, pid in rec.pm_profile.items()}
        owner.update({pid: p for p, pid in rec.reference_profile.items()})
        listed = _listed("profiles", [owner[pid] for pid in differ], len(case))
        raise ServiceError(
            f"case {name} is not what the registry holds: {listed} differ from the registry's "
            "newest profiles; screen the case as imported, or import the corrected case"
        )


def _untyped(problem: DVIProblem, withdrawn: Collection[str]) -> DVIProblem:
    """The problem with the references of ``withdrawn`` donors untyped (kept in the pedigree)."""
    if not withdrawn:
        return problem
    am = {
        f: {p: g for p, g in d.items() if p not in withdrawn}
        for f, d in problem.am_profiles.items()
    }
    # Default pairings are rebuilt for the new problem, never listed (10^8 at 10^4 x 10^4).
    pairings = {} if isinstance(problem.pairings, DefaultPairings) else problem.pairings
    return dataclasses.replace(problem, am_profiles=am, pairings=pairings)


def _input_sha256(case_sha: str, withdrawn: Sequence[str], problem: DVIProblem) -> str:
    """The run's input hash: the case's, the donors screened untyped and the samples typed
    under a dropout model, if any (without either it is the case's hash, as before).

    Not :func:`~repatria.services.workflows.problem.problem_sha256`, which lists every pairing:
    10^8 of them at 10^4 x 10^4. The case hash is the one its import batch records.
    """
    models = sorted((v, repr(d.dropout), repr(d.drop_in)) for v, d in problem.pm_dropout.items())
    if not withdrawn and not models:
        return case_sha
    parts = [case_sha, "withdrawn", *withdrawn]
    if models:
        parts += ["dropout", *("\1".join(m) for m in models)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _with_dropout(
    problem: DVIProblem, stored: dict[str, float], setting: DropoutSetting, drop_in: float | None
) -> tuple[DVIProblem, dict[str, Any] | None, str | None]:
    """``problem`` typed under each sample's dropout (see the module notes), the record of the
    models for the run's parameters (``None`` when none was set or stored), and the warning
    when degraded samples are read exactly."""
    estimated = estimate_samples(problem, skip=set(stored)) if setting == ESTIMATE else None
    modelled = apply_dropout(problem, setting, stored, drop_in, estimated)
    record = dropout_provenance(problem, setting, stored, drop_in, estimated)
    if record is not None:
        record["rule"] = (
            "each sample's stored dropout (profiles.dropout), else the run's dropout"
            + (" (estimated from its own profile)" if setting == ESTIMATE else "")
        )
        record["samples"] = sample_dropout(problem.pm, setting, stored, estimated)
        record["stored"] = dict(stored)
    return modelled, record, degraded_warning(modelled, stored)


# ----------------------------------------------------------------------------- the run


def screen_into_registry(
    db: str | None,
    case: str | Path,
    *,
    actor: str,
    min_lr: float = 1.0,
    top: int | None = 10,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    dropout: DropoutSetting = None,
    drop_in: float | None = None,
    case_name: str | None = None,
) -> dict[str, Any]:
    """Screen ``case`` and store the run and its candidates for review (see the module notes).

    ``dropout``: for samples with no stored dropout, a number in [0, 1) or ``"estimate"``;
    ``drop_in``: the drop-in probability of every sample. ``case_name``: what the case is
    called in messages and in the run (default: the folder's name; an upload's name).

    Returns the ``repatria screen --json`` summary with ``run`` (the run id), ``stored``
    (candidate matches stored), ``left_out`` (candidates not stored, by reason) and
    ``store_seconds``. ``progress`` hears ``read``, ``registry``, the screen's ``tables`` and
    ``screen``, ``write`` (with ``out``) and ``store`` (candidate rows inserted).
    """
    report = progress or quiet
    setting = dropout_setting(dropout)
    check_drop_in(drop_in)
    path = Path(case)
    name = case_name or path.name
    with step(report, "read"):
        problem = read_case_folder(path)
        sha = case_sha256(path)
    with session_scope(db) as session:
        require(session, actor, "runs.record")  # refuse before the long part, not after
        with step(report, "registry"):
            rec = _records(session, problem, sha, name)
            _same_profiles(session, problem, rec, name)
    screened, models, warning = _with_dropout(
        _untyped(problem, rec.withdrawn), rec.pm_dropout, setting, drop_in
    )
    res = screen_problem(screened, min_lr, top, scheduler, report)
    if out is not None:
        with step(report, "write"):
            write_table(out, CANDIDATE_COLUMNS, res.rows())
    summary = screen_summary(case_name or case, res, min_lr, out, models)
    if warning is not None:
        summary["warnings"] = [warning]
    t = time.perf_counter()
    with session_scope(db) as session:
        user = require(session, actor, "runs.record")
        if _records(session, problem, sha, name) != rec:
            raise ServiceError(
                "the registry changed while the screen ran (samples, profiles, consent, "
                "exclusions or identifications); nothing was stored, screen again"
            )
        rows, left_out = _candidate_rows(res, rec, screen_rule(min_lr, res.top))
        parameters = {
            "kind": SCREEN_KIND,
            "case": name,
            "case_sha256": sha,
            "import_batch": rec.import_batch,
            "min_lr": min_lr,
            "top": res.top,
            "candidate_rule": screen_rule(min_lr, res.top),
            "pairings": res.notes.get("pairings"),
            "mutation": "mutation models as stored with the markers",
            "method": res.notes.get("method"),
            "engine": res.engine,
            "pairs_screened": res.pairs_screened,
            "candidates": len(res),
            "stored": len(rows),
            "left_out": left_out,
            "withdrawn_donors": list(rec.withdrawn),
            "size": {
                "pm": len(problem.pm),
                "missing": len(problem.missing),
                "families": len(problem.families),
                "markers": len(problem.markers),
            },
            **({"dropout": models} if models is not None else {}),
        }
        run = IdentificationRun(
            run_by_id=user.id,
            software_version=f"repatria {__version__}",
            parameters=json_safe(parameters),
            frequency_table_id=rec.frequency_table,
            input_sha256=_input_sha256(sha, rec.withdrawn, screened),
            results=json_safe(summary),
        )
        session.add(run)
        session.flush()
        used = sorted(set(rec.pm_profile.values()) | set(rec.reference_profile.values()))
        _bulk(session, RunProfile, ({"run_id": run.id, "profile_id": i} for i in used), len(used))
        _bulk(session, CandidateMatch, ({"run_id": run.id, **r} for r in rows), len(rows), report)
        log_event(
            session,
            user.name,
            "screen.run",
            "identification_run",
            run.id,
            case=name,
            case_sha256=sha,
            profiles=len(used),
            candidates=len(rows),
            withdrawn_donors=list(rec.withdrawn),
        )
        run_id = run.id
    return {
        **summary,
        "run": run_id,
        "stored": len(rows),
        "left_out": left_out,
        "store_seconds": round(time.perf_counter() - t, 3),
    }


def _candidate_rows(
    res: ScreenResult, rec: _Records, rule: str
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """``candidate_matches`` rows of the screen's candidates, and how many were left out, why."""
    left_out = {"identified": 0, "excluded_in_registry": 0, "lr_zero": 0}
    rows: list[dict[str, Any]] = []
    for i, j, log_lr in zip(
        res.pm_index.tolist(), res.mp_index.tolist(), res.log_lr.tolist(), strict=True
    ):
        v, m = res.pm[i], res.missing[j]
        person, remains, sample = rec.person[m], rec.remains[v], rec.sample[v]
        if log_lr == -math.inf:
            left_out["lr_zero"] += 1
        elif person in rec.settled_persons or remains in rec.settled_remains:
            left_out["identified"] += 1
        elif (sample, person) in rec.excluded:
            left_out["excluded_in_registry"] += 1
        else:
            evidence = CandidateEvidence(
                log_lr=log_lr, family=res.family[j], profile_id=rec.pm_profile[v], rule=rule
            )
            rows.append(
                {
                    "person_id": person,
                    "remains_id": remains,
                    "sample_id": sample,
                    "log10_lr": log_lr / math.log(10),
                    "posterior": None,
                    "evidence": evidence.to_json(),
                }
            )
    return rows, left_out


def _bulk(
    session: Session,
    model: type[RunProfile] | type[CandidateMatch],
    rows: Iterable[dict[str, Any]],
    total: int,
    progress: Progress = quiet,
) -> None:
    """INSERT ``rows`` in statements of :data:`CHUNK` rows; ``progress`` hears ``store``."""
    if model is CandidateMatch:
        progress("store", 0, total)
    chunk: list[dict[str, Any]] = []
    done = 0
    for r in rows:
        chunk.append(r)
        if len(chunk) == CHUNK:
            session.execute(insert(model), chunk)
            done += len(chunk)
            chunk = []
            if model is CandidateMatch:
                progress("store", done, total)
    if chunk:
        session.execute(insert(model), chunk)
        done += len(chunk)
        if model is CandidateMatch:
            progress("store", done, total)
