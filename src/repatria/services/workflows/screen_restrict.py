"""Identify from a screen: the registry's DVI problem cut down to a stored screen's candidates
(``repatria identify --from-screen RUN``; the screen itself is :mod:`.screen_run`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError, ServiceError
from repatria.kinship.dvi import NOBODY, DefaultPairings, DVIProblem
from repatria.kinship.pedigree import Sex
from repatria.registry.models import (
    CandidateMatch,
    Donor,
    IdentificationRun,
    Profile,
    ReferenceFamily,
    Sample,
)
from repatria.services.workflows.problem import RegistryProblem, problem_sha256

__all__ = ["SCREEN_KIND", "restrict_to_screen"]

#: ``identification_runs.parameters["kind"]`` of a stored screen (:mod:`.screen_run`).
SCREEN_KIND = "screen"


def _allowed(problem: DVIProblem, v: str, candidates: Sequence[str]) -> tuple[str, ...]:
    """The pairings of ``v`` among ``candidates`` that ``problem`` allows, nobody first.

    Default pairings are checked by sex, pair by pair: listing them would be 10^4 per PM.
    """
    if isinstance(problem.pairings, DefaultPairings):
        sv = problem.pm_sex[v]
        return (
            NOBODY,
            *(
                m
                for m in candidates
                if Sex.UNKNOWN in (sv, sm := problem.families[problem.missing_family[m]][m].sex)
                or sv == sm
            ),
        )
    allowed = set(problem.pairings[v])
    return tuple(x for x in (NOBODY, *candidates) if x in allowed)


def _subset(
    problem: DVIProblem,
    pm: Sequence[str],
    missing: Sequence[str],
    pairings: dict[str, tuple[str, ...]],
) -> DVIProblem:
    """``problem`` on these PMs and MPs (as ``DVIProblem.subset``, in linear time)."""
    fams = {problem.missing_family[m] for m in missing}
    keep = set(pm)
    return DVIProblem(
        problem.markers,
        tuple(pm),
        {v: problem.pm_sex[v] for v in pm},
        {v: problem.pm_profiles.get(v, {}) for v in pm},
        {f: p for f, p in problem.families.items() if f in fams},
        {f: p for f, p in problem.am_profiles.items() if f in fams},
        tuple(missing),
        {m: problem.missing_family[m] for m in missing},
        pairings,
        {v: d for v, d in problem.pm_dropout.items() if v in keep},  # bodies keep their dropout
    )


def restrict_to_screen(session: Session, rp: RegistryProblem, run_id: int) -> RegistryProblem:
    """``rp`` cut down to the candidate pairings of screen run ``run_id``.

    Kept: the PM samples with a candidate, the families of the candidates' missing persons (with
    all their missing persons), and as pairings of each PM sample its candidates that ``rp``
    still allows, or nobody. Candidates of samples or persons no longer in ``rp`` are dropped.
    """
    run = session.get(IdentificationRun, run_id)
    if run is None:
        raise NotFoundError(f"there is no identification run {run_id}")
    if (run.parameters or {}).get("kind") != SCREEN_KIND:
        raise ServiceError(
            f"run {run_id} is not a screen; store one with "
            "`repatria screen CASE --db URL --as USER`"
        )
    # A PM unit of identify is a body: every sample of it stands for it (a screen scores samples).
    pm_of = {s: v for v, s in rp.pm_sample.items()}
    refs = {ref: v for v, rs in rp.pm_samples.items() for ref in rs}
    if refs:
        for sid, ref in session.execute(
            select(Sample.id, Sample.ref).where(Sample.ref.in_(list(refs)))
        ):
            pm_of.setdefault(sid, refs[ref])
    mp_of = {p: m for m, p in rp.mp_person.items()}
    pairs = {
        (pm_of[s], mp_of[p])
        for s, p in session.execute(
            select(CandidateMatch.sample_id, CandidateMatch.person_id).where(
                CandidateMatch.run_id == run_id
            )
        )
        if s in pm_of and p in mp_of
    }
    if not pairs:
        raise ServiceError(
            f"screen run {run_id} has no candidate among the registry's current PM samples and "
            "missing persons; nothing to identify"
        )
    problem = rp.problem
    pms = {v for v, _ in pairs}
    fams = {problem.missing_family[m] for _, m in pairs}
    mps = [m for m in problem.missing if problem.missing_family[m] in fams]
    col = {m: j for j, m in enumerate(problem.missing)}
    of_pm: dict[str, list[str]] = {}
    for v, m in sorted(pairs, key=lambda p: col[p[1]]):
        of_pm.setdefault(v, []).append(m)
    pairings = {v: _allowed(problem, v, ms) for v, ms in of_pm.items()}
    sub = _subset(problem, [v for v in problem.pm if v in pms], mps, pairings)
    of_families = {
        pid
        for pid, fam in session.execute(
            select(Profile.id, ReferenceFamily.ref)
            .join(Sample, Sample.id == Profile.sample_id)
            .join(Donor, Donor.id == Sample.donor_id)
            .join(ReferenceFamily, ReferenceFamily.id == Donor.family_id)
        )
        if fam in fams
    }
    return dataclasses.replace(
        rp,
        problem=sub,
        pm_sample={v: rp.pm_sample[v] for v in sub.pm},
        pm_remains={v: rp.pm_remains[v] for v in sub.pm},
        pm_profile={v: rp.pm_profile[v] for v in sub.pm},
        mp_person={m: rp.mp_person[m] for m in sub.missing},
        reference_profiles=sorted(set(rp.reference_profiles) & of_families),
        sha256=problem_sha256(sub),
    )
