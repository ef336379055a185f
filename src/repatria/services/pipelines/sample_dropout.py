"""Which PM samples are typed under a dropout model, and the warning when none is set.

The rule (the ``--dropout`` contract of ``repatria dvi analyse``, ``screen`` and ``fragments``):
a sample's dropout probability is its ``dropout`` cell in ``pm.tsv`` if it has one, else the
command's ``--dropout``; a probability of 0 (or none at all) keeps the sample typed exactly, as
before the model existed, so a case without either gives today's answers unchanged. Every
sample with a probability above 0 is typed under :class:`repatria.kinship.dropout.DropoutModel`
(no drop-in).

A sample counts as *degraded* when at least :data:`DEGRADED_SHARE` of the markers typed in some
PM sample of the case failed in it (no peak), the case typing at least :data:`MIN_KIT` markers
(a handful of markers says nothing about degradation); single peaks of a degraded sample typed
exactly are read as homozygotes, which dropout may have made of heterozygotes:
:func:`degraded_warning`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from repatria.errors import ServiceError
from repatria.kinship.dropout import DropoutModel
from repatria.kinship.dvi import DVIProblem

__all__ = [
    "DEGRADED_SHARE",
    "MIN_KIT",
    "DROPOUT_MODEL",
    "check_dropout",
    "sample_dropout",
    "apply_dropout",
    "dropout_provenance",
    "degraded_samples",
    "degraded_warning",
]

#: Share of failed markers from which a sample is degraded.
DEGRADED_SHARE = 0.2
#: Markers the case must type for degradation to be judged (forensic kits type 15 to 24).
MIN_KIT = 10

DROPOUT_MODEL = (
    "allelic dropout per allele copy d (a homozygote's peak lost with d^2), no drop-in; a single "
    "peak (a/a or a/-) is 'only a seen'; P(peaks | genotype) in every likelihood"
)


def check_dropout(value: float | None) -> None:
    """A one-line error unless ``value`` is ``None`` or a probability in [0, 1)."""
    if value is not None and not 0 <= value < 1:
        raise ServiceError(f"dropout must be at least 0 and below 1, got {value:g}")


def sample_dropout(
    pm: tuple[str, ...], default: float | None, per_sample: Mapping[str, float]
) -> dict[str, float]:
    """Each PM's dropout probability above 0 (the samples typed under the model)."""
    check_dropout(default)
    out = {}
    for v in pm:
        d = per_sample.get(v, default)
        if d:
            out[v] = float(d)
    return out


def apply_dropout(
    problem: DVIProblem, default: float | None, per_sample: Mapping[str, float]
) -> DVIProblem:
    """``problem`` with its samples typed under their dropout models (unchanged when none)."""
    rates = sample_dropout(problem.pm, default, per_sample)
    if not rates:
        return problem
    return problem.with_dropout({v: DropoutModel(d) for v, d in rates.items()})


def dropout_provenance(
    problem: DVIProblem, default: float | None, per_sample: Mapping[str, float]
) -> dict[str, Any] | None:
    """The ``provenance.dropout`` of the JSON contracts; ``None`` when no dropout was set."""
    if default is None and not per_sample:
        return None
    rates = sample_dropout(problem.pm, default, per_sample)
    return {
        "model": DROPOUT_MODEL,
        "default": default if default is not None else 0.0,
        "per_sample": len([v for v in problem.pm if v in per_sample]),
        "samples_modelled": len(rates),
    }


def degraded_samples(problem: DVIProblem, set_for: Collection[str] = ()) -> list[str]:
    """PM samples typed exactly, without a dropout set for them (``set_for``: samples whose
    ``pm.tsv`` cell says so, 0 included), that are degraded and show a single peak."""
    kit = {name for prof in problem.pm_profiles.values() for name, g in prof.items() if any(g)}
    if len(kit) < MIN_KIT:
        return []
    out = []
    for v in problem.pm:
        if v in problem.pm_dropout or v in set_for:
            continue
        prof = problem.pm_profiles.get(v, {})
        typed = {n: g for n, g in prof.items() if n in kit and any(x is not None for x in g)}
        failed = len(kit) - len(typed)
        single = any(g[0] is None or g[1] is None or g[0] == g[1] for g in typed.values())
        if single and failed >= DEGRADED_SHARE * len(kit):
            out.append(v)
    return out


def degraded_warning(problem: DVIProblem, set_for: Collection[str] = ()) -> str | None:
    """One line for the user when degraded samples are read without a dropout model."""
    bad = degraded_samples(problem, set_for)
    if not bad:
        return None
    shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    return (
        f"{len(bad)} PM sample{'s' if len(bad) > 1 else ''} ({shown}) failed at "
        f"{DEGRADED_SHARE:.0%} or more of the markers and show single peaks, read as "
        "homozygotes; burned or degraded remains lose alleles: set --dropout P or a dropout "
        "column in pm.tsv"
    )
