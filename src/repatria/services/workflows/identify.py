"""Identify: build the DVI problem from the registry, analyse it, store the run and its candidates.

The problem is :func:`repatria.services.workflows.problem.registry_problem` (what it holds is
told there). Genotypes at markers the frequency table does not have are counted in the run's
parameters (``genotypes_outside_table``).

The analysis is :func:`repatria.services.pipelines.dvi_analysis.analyse_problem` (pairwise LRs with
mutation models as stored, exclusions, the joint posterior under a flat prior or the
``match_prior``'s open-population prior, dvir's conclusions), each body under its dropout.
It runs outside any transaction; the registry is then read again in the writing transaction
and the run is stored only if its input hash is unchanged.

Candidate rule (:data:`POSTERIOR_THRESHOLD`): a PM x MP pairing becomes a candidate match when
its pairwise LR is above 1, or the proven lower bound of its posterior pairing probability is
at least 0.01 (the estimate alone never raises one). Each candidate keeps its natural-log LR,
per-marker log10 LRs, exclusion count, family and posterior interval as evidence, so review sees
the numbers the run saw.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria import __version__
from repatria.errors import ServiceError
from repatria.formats.jsonsafe import json_safe
from repatria.kinship.dvi import DefaultPairings, DVIProblem
from repatria.kinship.pedigree import Sex
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import (
    Donor,
    IdentificationRun,
    PedigreeMember,
    ReferenceFamily,
    RunProfile,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.pipelines.sample_dropout import DropoutSetting, dropout_setting
from repatria.services.progress import Progress, quiet, step
from repatria.services.workflows.candidates import (
    Row,
    run_changes,
    run_inputs,
    store_candidates,
    to_rereview,
)
from repatria.services.workflows.direct_evidence import DirectEvidence, direct_factors
from repatria.services.workflows.frequency_tables import table_label
from repatria.services.workflows.identify_sensitivity import run_sensitivity
from repatria.services.workflows.match_prior import MatchPriorSetting, resolve_match_prior
from repatria.services.workflows.non_dna_evidence import NonDnaEvidence, non_dna_kinds
from repatria.services.workflows.non_dna_prior import non_dna_prior as non_dna_prior_of
from repatria.services.workflows.problem import (
    RegistryProblem,
    current_families,
    markers_from_rows,
    problem_from_registry,
    problem_sha256,
    registry_problem,
)
from repatria.services.workflows.relations import relation_to_mp
from repatria.services.workflows.run_checks import RunChecks, run_checks

__all__ = [
    "POSTERIOR_THRESHOLD",
    "CANDIDATE_RULE",
    "RegistryProblem",
    "IdentifyCandidate",
    "IdentifyResult",
    "registry_problem",
    "problem_from_registry",
    "identify",
    "markers_from_rows",
    "problem_sha256",
]


#: A pairing with LR <= 1 is still a candidate when its posterior pairing probability is this high.
POSTERIOR_THRESHOLD = 0.01
CANDIDATE_RULE = (
    f"pairwise LR > 1 (beyond rounding; never for a family with no typed reference), or proven "
    f"lower bound of the posterior >= {POSTERIOR_THRESHOLD}, or exclusions that rest on one "
    "misattributed reference; not for a person or body already identified (confirmed, not "
    "revoked); one candidate per body x person across runs"
)


@dataclass(frozen=True)
class IdentifyCandidate:
    """One candidate: ``body`` (made of ``samples``) may be ``person``.

    ``pm`` and ``missing`` are the body and person refs as the analysis named them.
    """

    id: int
    pm: str
    missing: str
    lr: float
    posterior: float
    remains: str
    log10_lr: float
    exclusions: int | None
    samples: tuple[str, ...] = ()
    status: str = "open"
    factors: dict[str, Any] = field(default_factory=dict)  # lineage factors and their product
    non_dna: tuple[dict[str, Any], ...] = ()  # the stored non-DNA factors
    non_dna_log10_lr: float | None = None
    prior_sensitivity: dict[str, float] | None = None  # posterior by prior (--prior-sensitivity)

    @property
    def body(self) -> str:
        return self.pm

    @property
    def person(self) -> str:
        return self.missing


@dataclass(frozen=True, eq=False)
class IdentifyResult:
    """A stored run: id, candidates, changes, what went in, and the analysis (not serialised)."""

    run: int
    candidates: list[IdentifyCandidate]
    input_sha256: str
    frequency_table: str
    n_pm: int
    n_missing: int
    n_families: int
    n_markers: int
    withdrawn_donors: list[str]
    analysis: Any = field(default=None, repr=False)
    changes: list[dict[str, Any]] = field(default_factory=list)
    superseded: int = 0
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    rereview: list[dict[str, Any]] = field(default_factory=list)
    frequencies: dict[str, Any] = field(default_factory=dict)  # the table version read

    def as_dict(self) -> dict[str, Any]:
        """The ``repatria identify --json`` contract."""
        doc = {
            "run": self.run,
            "candidates": [
                {
                    "id": c.id,
                    "body": c.body,
                    "samples": list(c.samples),
                    "person": c.person,
                    "lr": c.lr,
                    "posterior": c.posterior,
                    "status": c.status,
                    "pm": c.pm,
                    "missing": c.missing,
                    **c.factors,
                    "non_dna": list(c.non_dna),
                    "non_dna_log10_lr": c.non_dna_log10_lr,
                    **({"prior_sensitivity": c.prior_sensitivity} if c.prior_sensitivity else {}),
                }
                for c in self.candidates
            ],
            "changes": self.changes,
            "superseded": self.superseded,
            "conflicts": self.conflicts,
            "rereview": self.rereview,
        }
        out: dict[str, Any] = json_safe(doc)
        return out


# ----------------------------------------------------------------------------- the run


def identify(
    db: str | None,
    *,
    actor: str,
    frequency_table: str | None = None,
    top: int = 20,
    progress: Progress | None = None,
    from_screen: int | None = None,
    non_dna: str | Sequence[str] | None = None,
    dropout: DropoutSetting = None,
    match_prior: MatchPriorSetting = None,
    prior_sensitivity: bool = False,
    non_dna_prior: bool = False,
    direct_references: bool = True,
) -> IdentifyResult:
    """Run the DVI analysis on what is in the registry; store the run and its candidates.

    ``from_screen``: analyse only the candidate pairings of that screen run (see
    :func:`repatria.services.workflows.screen_run.restrict_to_screen`).
    ``progress`` hears ``registry`` (reading it), the steps of
    :func:`~repatria.services.pipelines.dvi_analysis.analyse_problem`, then ``store``.
    ``non_dna``: which non-DNA factors to store with each candidate ("all", the default, "none"
    or kinds; :mod:`~repatria.services.workflows.non_dna_evidence`).
    ``dropout``: for samples with no stored dropout, a number or ``"estimate"``
    (:mod:`.problem_dropout`); ``match_prior``: a number or ``"accounting"`` (:mod:`.match_prior`).
    ``prior_sensitivity``: each candidate's posterior against the prior
    (:mod:`.identify_sensitivity`); ``non_dna_prior``: the non-DNA LRs in the prior instead of
    beside the LR (:mod:`.non_dna_prior`). ``direct_references=False``: the MPs' own items (direct
    references, :mod:`.direct_evidence`) are left out of the run, and its parameters say so.
    """
    from repatria.services.pipelines.dvi_analysis import analyse_problem

    report = progress or quiet

    def read(session: Session) -> RegistryProblem:
        rp = registry_problem(session, frequency_table, dropout_setting(dropout))
        if from_screen is None:
            return rp
        from repatria.services.workflows.screen_run import restrict_to_screen

        return restrict_to_screen(session, rp, from_screen)

    with session_scope(db) as session:
        require(session, actor, "runs.record")  # refuse before the long part, not after
        non_dna_kinds(non_dna)
        with step(report, "registry"):
            rp = read(session)
        prior_p, prior_record = resolve_match_prior(session, match_prior)
        ndp = non_dna_prior_of(session, rp, prior_p, non_dna, non_dna_prior)
    problem = rp.problem
    analysis = analyse_problem(
        problem, top=top, progress=report, match_prior=prior_p, prior=ndp.prior
    )
    sens = run_sensitivity(prior_sensitivity, problem, analysis, prior_p, ndp.pairing_lr, report)
    pw, joint = analysis.pairwise, analysis.joint

    with session_scope(db) as session:
        user = require(session, actor, "runs.record")
        again = read(session)
        if again.sha256 != rp.sha256:
            raise ServiceError(
                "the registry changed while the analysis ran (profiles, families or "
                "consent); nothing was stored, run identify again"
            )
        # Identified people and bodies stay in the analysis (their evidence is part of the
        # joint answer) but are not raised again as candidates: their decision is made, and a
        # revocation reopens them.
        rows = []
        refs = _references(session, rp)
        said = _conclusions(analysis)
        checked = run_checks(problem, pw)
        nd = NonDnaEvidence(session, rp.pm_body, rp.mp_person, problem.pm_sex, non_dna)
        direct = DirectEvidence(session, rp, on=direct_references)  # the MPs' own items (a razor)
        for i, k in _maybe_raised(analysis, checked, direct.items):
            v, m = problem.pm[i], problem.missing[k]
            log_lr = float(pw.log_lr[i, k])
            if math.isnan(log_lr):
                continue  # pairing not allowed (sex)
            post = float(joint.marginals[i, k])
            # A posterior raises a candidate only by its proven lower end, never the estimate.
            certain = _interval(analysis, i, k)[0]
            lr_raises = checked.raisable(v, m, log_lr)
            # A pairing lost to a misattributed reference goes to review, with its flag.
            misattributed = "misattributed relationship" in checked.of(v, m)[0]
            raised = lr_raises or misattributed or direct.raises(v, m)
            if raised or (certain or 0.0) >= POSTERIOR_THRESHOLD:
                ev = _evidence(rp, analysis, i, k, log_lr, refs, said, checked) | nd.of(v, m)
                ev = ndp.mark(ev) | sens.evidence(v, m)
                rows.append(Row(v, m, log_lr, post, ev))
        from repatria.services.workflows.lineage_evidence import (
            add_lineage_evidence,
            lineage_factors,
        )

        add_lineage_evidence(session, rp, rows)  # Y-STR and mtDNA factors beside the autosomal LR
        direct.add(rows)  # after the lineage factors: its product includes theirs
        rows.sort(key=lambda r: (-r.log_lr, problem.pm.index(r.pm), problem.missing.index(r.mp)))
        analysis = sens.with_table(analysis, [(r.pm, r.mp) for r in rows])
        run = IdentificationRun(
            run_by_id=user.id,
            software_version=f"repatria {__version__}",
            parameters={
                **_parameters(rp, joint.prior, top, run_inputs(session, rp)),
                **({"from_screen": from_screen} if from_screen is not None else {}),
                "frequency_table": _table_record(rp),
                "checks": checked.notes,
                "non_dna": nd.parameters(),
                **({"dropout": rp.dropout} if rp.dropout else {}),
                **({"match_prior": prior_record} if prior_record else {}),
                **ndp.parameters(),
                **sens.parameters(),
                **({} if direct_references else {"direct_references": "left out"}),
            },
            frequency_table_id=rp.frequency_table.id,  # the exact version read
            input_sha256=rp.sha256,
            results=json_safe(analysis.to_dict(compact=True)),
        )
        session.add(run)
        session.flush()
        used = sorted(
            {p for ids in rp.pm_profiles.values() for p in ids}
            | set(rp.reference_profiles)
            | set(direct.profile_ids)
        )
        session.add_all(RunProfile(run_id=run.id, profile_id=i) for i in used)
        with step(report, "store"):
            stored, settled, superseded = store_candidates(session, run, rp, rows)
        run.parameters = {**run.parameters, "candidates_of_identified_left_out": settled}
        kept = {(c.body, c.person) for c in stored}
        now = {(c.body, c.person): {"lr": c.lr, "posterior": c.posterior} for c in stored}
        left_out = {
            (r.pm, r.mp): "the body or the person is identified (a standing confirmation)"
            for r in rows
            if (r.pm, r.mp) not in kept
        }
        changes = run_changes(session, run, now, left_out)
        rereview = to_rereview(session, run)
        evs = {(r.pm, r.mp): r.evidence for r in rows}
        candidates = [
            IdentifyCandidate(
                c.id,
                c.body,
                c.person,
                c.lr,
                c.posterior,
                c.body,
                c.log10_lr,
                _exclusions(evs.get((c.body, c.person), {}).get("exclusions")),
                tuple(c.samples),
                c.status,
                lineage_factors(evs.get((c.body, c.person)))
                | direct_factors(evs.get((c.body, c.person))),
                tuple(evs.get((c.body, c.person), {}).get("non_dna") or ()),
                evs.get((c.body, c.person), {}).get("non_dna_log10_lr"),
                evs.get((c.body, c.person), {}).get("prior_sensitivity"),
            )
            for c in stored
        ]
        log_event(
            session,
            user.name,
            "identify.run",
            "identification_run",
            run.id,
            input_sha256=rp.sha256,
            frequency_table=rp.frequency_table.name,
            frequency_version=rp.frequency_table.version,
            profiles=len(used),
            candidates=[c.id for c in candidates],
            withdrawn_donors=rp.withdrawn_donors,
        )
        return IdentifyResult(
            run.id,
            candidates,
            rp.sha256,
            rp.frequency_table.name,
            len(problem.pm),
            len(problem.missing),
            len(problem.families),
            len(problem.markers),
            rp.withdrawn_donors,
            analysis,
            changes,
            superseded,
            rp.conflicts,
            rereview,
            _table_record(rp),
        )


def _maybe_raised(
    analysis: Any, checked: RunChecks, with_items: Collection[str] = ()
) -> list[tuple[int, int]]:
    """(i, k) of every pairing the candidate rule may raise, in row order: an LR above 1, a
    proven posterior at the threshold, a flag, or an MP with items of his own (``with_items``:
    a direct reference may raise it alone). A superset, found on whole arrays; the rule itself
    is then asked pairing by pairing (10^6 pairings, 10^4 candidates)."""
    problem = analysis.problem
    log_lr = np.asarray(analysis.pairwise.log_lr, dtype=float)
    with np.errstate(invalid="ignore"):
        maybe = log_lr > 0
        if analysis.bounds is not None:
            maybe |= np.asarray(analysis.bounds.lower, dtype=float)[:, : log_lr.shape[1]] >= (
                POSTERIOR_THRESHOLD
            )
    row = {v: i for i, v in enumerate(problem.pm)}
    col = {m: k for k, m in enumerate(problem.missing)}
    for v, m in checked.flags:
        if v in row and m in col:
            maybe[row[v], col[m]] = True
    for m in with_items:
        if m in col:
            maybe[:, col[m]] = True
    return [(int(i), int(k)) for i, k in zip(*np.nonzero(maybe), strict=True)]


def _table_record(rp: RegistryProblem) -> dict[str, Any]:
    """The frequency table a run read: which version, from where, with its content digest."""
    t = rp.frequency_table
    return {
        "id": t.id,
        "name": t.name,
        "version": t.version,
        "label": table_label(t),
        "origin": t.origin,
        "sha256": t.sha256,
    }


def _exclusions(n: Any) -> int | None:
    return None if n is None or int(n) < 0 else int(n)


def _references(session: Session, rp: RegistryProblem) -> dict[str, list[dict[str, Any]]]:
    """family ref -> its typed references (individual, donor ref, recorded relation) at the
    version analysed (one query for every family at its current version)."""
    cols = (
        ReferenceFamily.ref,
        ReferenceFamily.version,
        PedigreeMember.individual,
        Donor.ref,
        Donor.relationship_to_mp,
        Donor.mp_person_id,
    )
    joined = (
        select(*cols)
        .join(ReferenceFamily, ReferenceFamily.id == PedigreeMember.family_id)
        .join(Donor, Donor.id == PedigreeMember.donor_id)
        .order_by(PedigreeMember.id)
    )
    found: dict[str, list[tuple[str, str, str | None, int | None]]] = {}
    for fam_ref, version, ind, d, rel, of in session.execute(
        joined.where(PedigreeMember.family_id.in_(current_families()))
    ).all():
        if rp.family_versions.get(fam_ref) == version:
            found.setdefault(fam_ref, []).append((ind, d, rel, of))
    out: dict[str, list[dict[str, Any]]] = {}
    for fam_ref, version in rp.family_versions.items():
        if fam_ref in found:
            rows = found[fam_ref]
        else:  # no typed reference, or no longer the current version: ask for it alone
            rows = [
                (ind, d, rel, of)
                for _, _, ind, d, rel, of in session.execute(
                    joined.where(ReferenceFamily.ref == fam_ref, ReferenceFamily.version == version)
                ).all()
            ]
        typed = rp.problem.am_profiles.get(fam_ref, {})
        out[fam_ref] = [
            {"individual": ind, "donor": d, "relation": rel, "of": of}
            for ind, d, rel, of in rows
            if ind in typed
        ]
    return out


def _conclusions(analysis: Any) -> dict[tuple[str, str], str]:
    """(PM, MP) -> dvir's conclusion for that pairing, from the run's AM table."""
    out: dict[tuple[str, str], str] = {}
    for r in (analysis.conclusions or {}).get("am", []):
        if r.get("sample") and r.get("missing") and r.get("conclusion"):
            out[(str(r["sample"]), str(r["missing"]))] = str(r["conclusion"])
    return out


def _evidence(
    rp: RegistryProblem,
    analysis: Any,
    i: int,
    k: int,
    log_lr: float,
    refs: dict[str, list[dict[str, Any]]] | None = None,
    said: dict[tuple[str, str], str] | None = None,
    checked: RunChecks | None = None,
) -> dict[str, Any]:
    """The evidence a candidate keeps: the numbers the run saw for body i x person k."""
    problem, pw = rp.problem, analysis.pairwise
    v, m = problem.pm[i], problem.missing[k]
    conflicts = rp.conflicts.get(v)
    flagged, found = checked.of(v, m) if checked is not None else ((), ())
    fam = problem.missing_family[m]
    ped = problem.families[fam]
    sex = ped[m].sex if m in ped else Sex.UNKNOWN
    references = tuple(
        {
            "donor": r["donor"],
            # the relation recorded for the donor (to this MP); else what the pedigree says
            "relation": (
                r["relation"]
                if r["relation"] and r["of"] == rp.mp_person.get(m)
                else relation_to_mp(ped, r["individual"], m)
            ),  # fmt: skip
            "methods": ["autosomal_str"],
            "consent_withdrawn": False,
        }
        for r in (refs or {}).get(fam, [])
    )
    return CandidateEvidence(
        log_lr=log_lr,
        family=problem.missing_family[m],
        exclusions=int(pw.exclusions[i, k]),
        profile_id=rp.pm_profile[v],
        per_marker_log10_lr={
            name: float(x) / math.log(10)
            for name, x in zip(pw.markers, pw.marker_log_lr(i, k), strict=True)
        },
        rule=CANDIDATE_RULE,
        lr0=analysis.lr0.get((v, m)),
        posterior_lower=_interval(analysis, i, k)[0],
        posterior_upper=_interval(analysis, i, k)[1],
        warnings=(
            (
                f"the samples of body {v} ({', '.join(rp.pm_samples.get(v, []))}) disagree "
                f"beyond dropout at {', '.join(conflicts)}; those markers were left out",
            )
            if conflicts
            else ()
        )
        + found,
        checks=flagged if checked is not None else None,
        conclusion=(said or {}).get((v, m)),
        references=references,
        mp_sex={Sex.MALE: "male", Sex.FEMALE: "female"}.get(sex, "unknown"),
    ).to_json()


def _interval(analysis: Any, i: int, k: int) -> tuple[float | None, float | None]:
    """The proven interval of body i x person k's posterior, or (None, None) without bounds."""
    b = analysis.bounds
    if b is None:
        return None, None
    return float(b.lower[i, k]), float(b.upper[i, k])


def _pairing_exclusions(problem: DVIProblem) -> int:
    """How many of dvir's default pairings the problem leaves out, counted without listing
    them (the default pairings of a PM depend on its sex alone)."""
    if isinstance(problem.pairings, DefaultPairings):
        return 0
    default = DefaultPairings(problem)
    by_sex: dict[Sex, int] = {}
    n = 0
    for v in problem.pm:
        sex = problem.pm_sex[v]
        if sex not in by_sex:
            by_sex[sex] = len(default[v])
        n += by_sex[sex] - len(problem.pairings[v])
    return n


def _parameters(
    rp: RegistryProblem, prior: Any, top: int, inputs: dict[str, Any]
) -> dict[str, Any]:
    problem = rp.problem
    return {
        "pairings": "every missing person of compatible sex, or nobody (dvir's default), "
        "less the recorded pairing exclusions",
        "pairing_exclusions": _pairing_exclusions(problem),
        "mutation": "mutation models as stored with the markers",
        "units": "bodies: the samples of one body combined into one profile",
        "prior": prior,
        "top": top,
        "candidate_rule": CANDIDATE_RULE,
        "posterior_threshold": POSTERIOR_THRESHOLD,
        "withdrawn_donors": rp.withdrawn_donors,
        "genotypes_outside_table": rp.outside_table,
        "size": {
            "pm": len(problem.pm),
            "missing": len(problem.missing),
            "families": len(problem.families),
            "markers": len(problem.markers),
        },
        "inputs": inputs,
    }
