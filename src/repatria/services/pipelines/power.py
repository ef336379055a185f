"""Which relative to sample next, for one family of a case: the kinship power study on files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from repatria.errors import ServiceError
from repatria.kinship.power import (
    SamplingCandidate,
    SamplingPower,
    sampling_candidates,
    sampling_power,
)
from repatria.services.pipelines.dvi_analysis import read_case

__all__ = ["family_power", "power_summary"]


def family_power(
    case: str | Path,
    family: str,
    *,
    missing: str | None = None,
    threshold: float = 1e4,
    sims: int = 200,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> SamplingPower:
    """Simulated LR power and exclusion power of each relative family ``family`` could still give.

    ``case`` is a case folder or a ``.fam`` file (see
    :func:`repatria.services.pipelines.dvi_analysis.read_case`); ``missing`` names the MP when
    the family has several.
    """
    problem = read_case(case)
    if family not in problem.families:
        known = ", ".join(sorted(problem.families)[:10])
        raise ServiceError(f"no family '{family}' in {case}; families: {known}")
    mps = problem.family_missing.get(family, ())
    if missing is None:
        if len(mps) != 1:
            raise ServiceError(
                f"family {family} has {len(mps)} missing persons ({', '.join(mps) or 'none'}); "
                f"name one with --missing"
            )
        missing = mps[0]
    elif missing not in mps:
        raise ServiceError(f"'{missing}' is not a missing person of family {family}")

    def say(k: int, n: int, c: SamplingCandidate) -> None:
        if progress is not None:
            progress(f"{family}: {c.relationship} ({k + 1}/{n})")

    ped, profiles = problem.families[family], problem.am_profiles.get(family, {})
    others = [m for m in mps if m != missing]  # missing too: not a relative to sample
    return sampling_power(
        ped,
        missing,
        problem.markers,
        profiles,
        threshold=threshold,
        nsims=sims,
        seed=seed,
        candidates=sampling_candidates(ped, missing, profiles, exclude=others),
        progress=say,
    )


def power_summary(r: SamplingPower) -> dict[str, Any]:
    """The result as plain data (the ``repatria power --json`` output)."""
    return {
        "family": r.family,
        "missing": r.missing,
        "threshold": r.threshold,
        "sims": r.nsims,
        "seed": r.seed,
        "markers": list(r.markers),
        "candidates": [
            {
                "relative": "+".join(c.relatives) if c.relatives else None,
                "relationship": c.relationship,
                "added": c.candidate.added,
                "lines": list(c.candidate.lines),
                "p_lr_above": c.p_lr_above,
                "expected_log10_lr": c.expected_log10_lr,
                "log10_lr_quantiles": {f"{q:g}": v for q, v in c.quantiles},
                "exclusion_power": c.exclusion.total,
                "exclusion_exact": c.exclusion.exact,
            }
            for c in r.candidates
        ],
        "method": r.method,
        "version": r.version,
    }
