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

``--dropout estimate`` takes each sample's dropout from its own profile
(:func:`repatria.kinship.dropout_estimate.estimate_dropout`, over the markers the case typed in
any PM sample); a ``dropout`` cell still overrides it. The estimates and what they rest on go in
``provenance.dropout.estimated`` and ``estimate_basis``.

``--drop-in C`` (0 <= C < 1) gives every PM sample the model's one-allele drop-in: with
probability ``C`` one extra allele, drawn from the population frequencies, appears at a marker
(the semi-continuous drop-in of Gill, Kirkham and Curran, *LoComatioN*, FSI 2007, and of
Balding and Buckleton, FSI:G 2009; see :mod:`repatria.kinship.dropout` for ``P(peaks | G)``).
Without it (or with 0) every number is what it was.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from repatria.errors import ServiceError
from repatria.kinship.dropout import DropoutModel
from repatria.kinship.dropout_estimate import ESTIMATE_MODEL, DropoutEstimate, estimate_dropout
from repatria.kinship.dvi import DVIProblem

__all__ = [
    "DEGRADED_SHARE",
    "MIN_KIT",
    "DROPOUT_MODEL",
    "ESTIMATE",
    "DropoutSetting",
    "check_dropout",
    "check_drop_in",
    "dropout_setting",
    "estimate_samples",
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

DROP_IN_MODEL = (
    "allelic dropout per allele copy d (a homozygote's peak lost with d^2), drop-in {c:g} per "
    "marker (one extra allele drawn from the population frequencies); a single peak (a/a or a/-) "
    "is 'only a seen'; P(peaks | genotype) in every likelihood"
)

DROPOUT_MODEL = (
    "allelic dropout per allele copy d (a homozygote's peak lost with d^2), no drop-in; a single "
    "peak (a/a or a/-) is 'only a seen'; P(peaks | genotype) in every likelihood"
)


#: The ``--dropout`` word that estimates each sample's dropout from its profile.
ESTIMATE = "estimate"

#: A command's ``--dropout``: a probability, :data:`ESTIMATE`, or ``None`` (not set).
DropoutSetting = float | str | None


def check_dropout(value: DropoutSetting) -> None:
    """A one-line error unless ``value`` is ``None``, :data:`ESTIMATE` or a probability in
    [0, 1)."""
    if value is None or value == ESTIMATE:
        return
    if isinstance(value, str):
        raise ServiceError(f"dropout must be a number in [0, 1) or 'estimate', got {value!r}")
    if not 0 <= value < 1:
        raise ServiceError(f"dropout must be at least 0 and below 1, got {value:g}")


def dropout_setting(value: str | float | None) -> DropoutSetting:
    """A command's ``--dropout`` text as a :data:`DropoutSetting` (checked)."""
    if isinstance(value, str) and value.strip().lower() != ESTIMATE:
        try:
            value = float(value)
        except ValueError:
            raise ServiceError(
                f"dropout must be a number in [0, 1) or 'estimate', got {value!r}"
            ) from None
        if math.isnan(value):
            raise ServiceError("dropout must be at least 0 and below 1, got nan")
    elif isinstance(value, str):
        value = ESTIMATE
    check_dropout(value)
    return value


def check_drop_in(value: float | None) -> None:
    """A one-line error unless ``value`` is ``None`` or a probability in [0, 1)."""
    if value is not None and (math.isnan(value) or not 0 <= value < 1):
        raise ServiceError(f"drop-in must be at least 0 and below 1, got {value:g}")


def estimate_samples(problem: DVIProblem, skip: Collection[str] = ()) -> dict[str, DropoutEstimate]:
    """Each PM's dropout estimated from its own profile over the case's kit (the markers typed
    in some PM sample), except the samples in ``skip`` (those with their own value)."""
    kit = [
        m.name
        for m in problem.markers
        if any(any(x is not None for x in prof.get(m.name, (None, None)))
               for prof in problem.pm_profiles.values())
    ]  # fmt: skip
    return {
        v: estimate_dropout(problem.pm_profiles.get(v, {}), problem.markers, kit)
        for v in problem.pm
        if v not in skip
    }


def sample_dropout(
    pm: tuple[str, ...],
    default: DropoutSetting,
    per_sample: Mapping[str, float],
    estimated: Mapping[str, DropoutEstimate] | None = None,
) -> dict[str, float]:
    """Each PM's dropout probability above 0 (the samples typed under the model)."""
    check_dropout(default)
    out = {}
    for v in pm:
        if v in per_sample:
            d: float | str | None = per_sample[v]
        elif default == ESTIMATE:
            d = (estimated or {})[v].dropout if v in (estimated or {}) else None
        else:
            d = default
        if d:
            out[v] = float(d)
    return out


def apply_dropout(
    problem: DVIProblem,
    default: DropoutSetting,
    per_sample: Mapping[str, float],
    drop_in: float | None = None,
    estimated: Mapping[str, DropoutEstimate] | None = None,
) -> DVIProblem:
    """``problem`` with its samples typed under their dropout models (unchanged when none).

    With ``drop_in`` above 0 every sample is typed under the model, with that drop-in."""
    check_drop_in(drop_in)
    rates = sample_dropout(problem.pm, default, per_sample, estimated)
    c = float(drop_in or 0.0)
    if c > 0:
        return problem.with_dropout({v: DropoutModel(rates.get(v, 0.0), c) for v in problem.pm})
    if not rates:
        return problem
    return problem.with_dropout({v: DropoutModel(d) for v, d in rates.items()})


def dropout_provenance(
    problem: DVIProblem,
    default: DropoutSetting,
    per_sample: Mapping[str, float],
    drop_in: float | None = None,
    estimated: Mapping[str, DropoutEstimate] | None = None,
) -> dict[str, Any] | None:
    """The ``provenance.dropout`` of the JSON contracts; ``None`` when no dropout was set."""
    if default is None and not per_sample and not drop_in:
        return None
    rates = sample_dropout(problem.pm, default, per_sample, estimated)
    out: dict[str, Any] = {
        "model": DROPOUT_MODEL if not drop_in else DROP_IN_MODEL.format(c=drop_in),
        "default": default if default is not None else 0.0,
        "per_sample": len([v for v in problem.pm if v in per_sample]),
        "samples_modelled": len(rates) if not drop_in else len(problem.pm),
    }
    if drop_in:
        out["drop_in"] = float(drop_in)
    if default == ESTIMATE:
        est = estimated or {}
        out["estimated"] = {v: e.dropout for v, e in est.items()}
        out["estimate_model"] = ESTIMATE_MODEL
        out["estimate_basis"] = {
            v: {k: x for k, x in e.basis().items() if k != "model"} for v, e in est.items()
        }
    return out


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
