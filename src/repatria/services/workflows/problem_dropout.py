"""The dropout each body of the registry is analysed with, and how it was chosen.

A profile may carry the lab's dropout probability (``profiles.dropout``, from pm.tsv's
``dropout`` column). A body is one unit of the analysis, its samples combined
(:mod:`repatria.services.workflows.consensus`), so it needs one value. The rule:

- each sample's value is its stored one; a sample with none stored takes the run's
  ``--dropout`` (a number, or ``estimate``: estimated from the body's combined profile,
  :func:`repatria.kinship.dropout_estimate.estimate_dropout`); with neither it has none;
- the body takes the largest of its samples' values: a marker of the combined profile may
  have been typed in one sample only, and reading a burned sample's single peak as a homozygote
  is the error that costs identifications (an overstated dropout only moves LRs towards 1);
- a body whose value is above 0 is typed under the dropout model of
  :mod:`repatria.kinship.dropout` (no drop-in); 0, or no value at all, keeps it typed exactly,
  so a registry with no dropout stored and no ``--dropout`` is analysed as before.

What was used is recorded per body (``record``) in the run's parameters, with the warning of
:func:`repatria.services.pipelines.sample_dropout.degraded_warning` when degraded bodies showing
single peaks are typed exactly (``record["warnings"]``; the record holds only it then).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repatria.kinship.dropout import DropoutModel
from repatria.kinship.dvi import DVIProblem
from repatria.services.pipelines.sample_dropout import (
    DROPOUT_MODEL,
    ESTIMATE,
    DropoutSetting,
    check_dropout,
    degraded_warning,
    estimate_samples,
)

__all__ = ["RULE", "body_dropout"]

RULE = (
    "each sample's stored dropout, else the run's --dropout (a number, or estimated from the "
    "body's combined profile); a body takes the largest of its samples'"
)


def body_dropout(
    problem: DVIProblem,
    sample_dropout: Mapping[str, Mapping[str, float | None]],
    default: DropoutSetting,
) -> tuple[DVIProblem, dict[str, Any] | None]:
    """``problem`` with its bodies typed under their dropout, and the record of what was used
    (``None`` when no body has a value and none is degraded: the problem is then unchanged).

    ``sample_dropout``: per body, its samples' stored values by sample ref (``None``: none).
    """
    check_dropout(default)
    unset = {v for v in problem.pm if any(d is None for d in sample_dropout.get(v, {}).values())}
    estimated = (
        estimate_samples(problem, skip=set(problem.pm) - unset) if default == ESTIMATE else {}
    )
    bodies: dict[str, dict[str, Any]] = {}
    for v in problem.pm:
        stored = {s: d for s, d in sample_dropout.get(v, {}).items() if d is not None}
        values = list(stored.values())
        source = ["stored"] if stored else []
        if v in unset and default is not None:
            if default == ESTIMATE:
                values.append(estimated[v].dropout)
                source.append("estimated")
            else:
                values.append(float(default))
                source.append("--dropout")
        if not values:
            continue
        bodies[v] = {
            "dropout": float(max(values)),
            "from": " and ".join(source),
            "samples": dict(stored),
        }
    warning = degraded_warning(problem, set(bodies))
    warnings = {"warnings": [warning]} if warning else {}
    if not bodies:
        return problem, (warnings or None)
    models = {v: DropoutModel(b["dropout"]) for v, b in bodies.items() if b["dropout"] > 0}
    if models:
        problem = problem.with_dropout(models)
    record: dict[str, Any] = {
        "model": DROPOUT_MODEL,
        "rule": RULE,
        "default": default,
        "bodies": bodies,
        "bodies_modelled": len(models),
    }
    if estimated:
        record["estimated"] = {v: e.basis() for v, e in estimated.items()}
    return problem, {**record, **warnings}
