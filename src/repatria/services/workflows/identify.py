"""Identify: build the DVI problem from the registry, analyse it, store the run and its candidates.

The problem is :func:`repatria.services.workflows.problem.registry_problem` (what it holds is
told there). Genotypes at markers the frequency table does not have are counted in the run's
parameters (``genotypes_outside_table``).

The analysis is :func:`repatria.services.pipelines.dvi_analysis.analyse_problem` (pairwise LRs with
mutation models as stored, exclusions, the joint posterior under a flat prior, dvir's
conclusions). It runs outside any transaction; the registry is then read again in the
writing transaction and the run is stored only if its input hash is unchanged.

Candidate rule (:data:`POSTERIOR_THRESHOLD`): a PM x MP pairing becomes a candidate match when
its pairwise LR is above 1, or its posterior pairing probability (the joint marginal) is at
least 0.01. Each candidate keeps its natural-log LR, per-marker log10 LRs, exclusion count
and family as evidence, so review sees the numbers the run saw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria import __version__
from repatria.errors import ServiceError
from repatria.formats.jsonsafe import json_safe
from repatria.kinship import safe_exp
from repatria.kinship.dvi import generate_pairings
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import (
    CandidateMatch,
    IdentificationRun,
    Remains,
    RunProfile,
)
from repatria.registry.review_state import identified_ids
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.progress import Progress, quiet, step
from repatria.services.workflows.problem import (
    RegistryProblem,
    markers_from_rows,
    problem_from_registry,
    problem_sha256,
    registry_problem,
)

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
    f"pairwise LR > 1, or posterior pairing probability >= {POSTERIOR_THRESHOLD}; "
    "not for a person or remains already identified (confirmed, not revoked)"
)


@dataclass(frozen=True)
class IdentifyCandidate:
    """One stored candidate: ``pm`` (sample ref) may be ``missing`` (person ref)."""

    id: int
    pm: str
    missing: str
    lr: float
    posterior: float
    remains: str
    log10_lr: float
    exclusions: int | None


@dataclass(frozen=True, eq=False)
class IdentifyResult:
    """A stored run: its id, candidates, what went in, and the analysis itself (not serialised)."""

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

    def as_dict(self) -> dict[str, Any]:
        """The ``repatria identify --json`` contract."""
        return {
            "run": self.run,
            "candidates": [
                {"id": c.id, "pm": c.pm, "missing": c.missing, "lr": c.lr, "posterior": c.posterior}
                for c in self.candidates
            ],
        }


# ----------------------------------------------------------------------------- the run


def identify(
    db: str | None,
    *,
    actor: str,
    frequency_table: str | None = None,
    top: int = 20,
    progress: Progress | None = None,
    from_screen: int | None = None,
) -> IdentifyResult:
    """Run the DVI analysis on what is in the registry; store the run and its candidates.

    ``from_screen``: analyse only the candidate pairings of that screen run (see
    :func:`repatria.services.workflows.screen_run.restrict_to_screen`).
    ``progress`` hears ``registry`` (reading it), the steps of
    :func:`~repatria.services.pipelines.dvi_analysis.analyse_problem`, then ``store``
    (candidates stored).
    """
    from repatria.services.pipelines.dvi_analysis import analyse_problem

    report = progress or quiet

    def read(session: Session) -> RegistryProblem:
        rp = registry_problem(session, frequency_table)
        if from_screen is None:
            return rp
        from repatria.services.workflows.screen_run import restrict_to_screen

        return restrict_to_screen(session, rp, from_screen)

    with session_scope(db) as session:
        require(session, actor, "runs.record")  # refuse before the long part, not after
        with step(report, "registry"):
            rp = read(session)
    problem = rp.problem
    analysis = analyse_problem(problem, top=top, progress=report)
    pw, joint = analysis.pairwise, analysis.joint

    with session_scope(db) as session:
        user = require(session, actor, "runs.record")
        again = read(session)
        if again.sha256 != rp.sha256:
            raise ServiceError(
                "the registry changed while the analysis ran (profiles, families or "
                "consent); nothing was stored, run identify again"
            )
        # Identified people and remains stay in the analysis (their evidence is part of the
        # joint answer) but are not raised again as candidates: their decision is made, and a
        # revocation reopens them.
        settled_person, settled_remains = identified_ids(session)
        rows, settled = [], 0
        for i, v in enumerate(problem.pm):
            for k, m in enumerate(problem.missing):
                log_lr = float(pw.log_lr[i, k])
                if math.isnan(log_lr):
                    continue  # pairing not allowed (sex)
                post = float(joint.marginals[i, k])
                if log_lr > 0 or post >= POSTERIOR_THRESHOLD:
                    if rp.mp_person[m] in settled_person or rp.pm_remains[v] in settled_remains:
                        settled += 1
                        continue
                    rows.append((i, k, log_lr, post))
        parameters = {
            "pairings": "every missing person of compatible sex, or nobody (dvir's default), "
            "less the recorded pairing exclusions",
            "pairing_exclusions": sum(len(d) for d in generate_pairings(problem).values())
            - sum(len(x) for x in problem.pairings.values()),
            "mutation": "mutation models as stored with the markers",
            "prior": joint.prior,
            "top": top,
            **({"from_screen": from_screen} if from_screen is not None else {}),
            "candidate_rule": CANDIDATE_RULE,
            "posterior_threshold": POSTERIOR_THRESHOLD,
            "candidates_of_identified_left_out": settled,
            "withdrawn_donors": rp.withdrawn_donors,
            "genotypes_outside_table": rp.outside_table,
            "size": {
                "pm": len(problem.pm),
                "missing": len(problem.missing),
                "families": len(problem.families),
                "markers": len(problem.markers),
            },
        }
        run = IdentificationRun(
            run_by_id=user.id,
            software_version=f"repatria {__version__}",
            parameters=parameters,
            frequency_table_id=rp.frequency_table.id,
            input_sha256=rp.sha256,
            results=json_safe(analysis.to_dict()),
        )
        session.add(run)
        session.flush()
        used = sorted(set(rp.pm_profile.values()) | set(rp.reference_profiles))
        session.add_all(RunProfile(run_id=run.id, profile_id=i) for i in used)

        rows.sort(key=lambda r: (-r[2], r[0], r[1]))
        candidates = []
        remains_ref = dict(
            session.execute(
                select(Remains.id, Remains.ref).where(Remains.id.in_(list(rp.pm_remains.values())))
            ).all()
        )
        report("store", 0, len(rows))
        for n, (i, k, log_lr, post) in enumerate(rows, start=1):
            v, m = problem.pm[i], problem.missing[k]
            excl = int(pw.exclusions[i, k])
            evidence = CandidateEvidence(
                log_lr=log_lr,
                family=problem.missing_family[m],
                exclusions=excl,
                profile_id=rp.pm_profile[v],
                per_marker_log10_lr={
                    name: float(pw.log_lr_per_marker[i, k, j]) / math.log(10)
                    for j, name in enumerate(pw.markers)
                },
                rule=CANDIDATE_RULE,
                lr0=analysis.lr0.get((v, m)),
            ).to_json()
            cand = CandidateMatch(
                run_id=run.id,
                person_id=rp.mp_person[m],
                remains_id=rp.pm_remains[v],
                sample_id=rp.pm_sample[v],
                log10_lr=log_lr / math.log(10),
                posterior=post,
                evidence=evidence,
            )
            session.add(cand)
            session.flush()
            candidates.append(
                IdentifyCandidate(
                    cand.id,
                    v,
                    m,
                    safe_exp(log_lr),
                    post,
                    remains_ref[rp.pm_remains[v]],
                    log_lr / math.log(10),
                    excl if excl >= 0 else None,
                )
            )
            report("store", n, len(rows))
        log_event(
            session,
            user.name,
            "identify.run",
            "identification_run",
            run.id,
            input_sha256=rp.sha256,
            frequency_table=rp.frequency_table.name,
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
        )
