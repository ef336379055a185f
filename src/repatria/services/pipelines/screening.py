"""Screening workflows: screen a case folder against its reference families, find fragments.

Thin: read the case (formats), compute (kinship.screening / kinship.fragments), write the output
(formats.candidates), return a summary for the surfaces.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from repatria.errors import ServiceError
from repatria.formats.candidates import CANDIDATE_COLUMNS, FRAGMENT_COLUMNS, write_table
from repatria.formats.casefolder import read_case_folder
from repatria.kinship import safe_exp
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.fragments import DEFAULT_DROPOUT, find_fragments
from repatria.kinship.fragments_dropin import find_fragments_drop_in
from repatria.kinship.screening import ScreenResult, screen
from repatria.services.pipelines.sample_dropout import (
    ESTIMATE,
    DropoutSetting,
    apply_dropout,
    check_drop_in,
    check_dropout,
    degraded_warning,
    dropout_provenance,
    dropout_setting,
    estimate_samples,
)
from repatria.services.progress import Progress, step

__all__ = ["screen_case", "screen_problem", "screen_summary", "fragments_case"]


def _client(scheduler: str | None) -> Any:
    """A Dask client for ``scheduler`` (``None``: compute here); dask is optional, so untyped."""
    if not scheduler:
        return None
    from dask.distributed import Client

    connect: Callable[..., Any] = Client  # dask's Client is not annotated
    try:
        return connect(scheduler, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise ServiceError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None


def screen_problem(
    problem: DVIProblem,
    min_lr: float = 1.0,
    top: int | None = 10,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> ScreenResult:
    """Screen ``problem`` here or on the Dask cluster at ``scheduler``.

    ``progress`` hears the kinship core's steps: ``tables`` (markers done) and ``screen``
    (blocks of PM samples scored).
    """
    client = _client(scheduler)
    try:
        return screen(problem, min_lr=min_lr, top=top, client=client, progress=progress)
    finally:
        if client is not None:
            client.close()


def screen_summary(
    case: str | Path,
    res: ScreenResult,
    min_lr: float,
    out: str | Path | None,
    dropout: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``repatria screen --json`` summary of a screen (``dropout``: the model used, see
    :func:`repatria.services.pipelines.sample_dropout.dropout_provenance`; no key without)."""
    extra: dict[str, Any] = {} if dropout is None else {"dropout": dropout}
    return {
        "case": str(case),
        "pm": len(res.pm),
        "missing": len(res.missing),
        "families": len(set(res.family)),
        "pairs_screened": res.pairs_screened,
        "candidates": len(res),
        "min_lr": min_lr,
        "top": res.top,
        "seconds": round(res.seconds, 3),
        "table_seconds": round(res.table_seconds, 3),
        "blocks": res.blocks,
        "engine": res.engine,
        "out": None if out is None else str(out),
        "version": res.version,
        **extra,
    }


def screen_case(
    case: str | Path,
    min_lr: float = 1.0,
    top: int | None = 10,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    dropout: float | None = None,
    drop_in: float | None = None,
) -> dict[str, Any]:
    """Screen every PM sample of ``case`` against every MP; write candidates to ``out`` if given.

    ``dropout``: allelic dropout of every PM sample, a ``dropout`` column of ``pm.tsv``
    overriding it (:mod:`repatria.services.pipelines.sample_dropout`); without either the
    samples are typed exactly, as before. ``drop_in``: the one-allele drop-in probability of
    every PM sample (the model of ``dvi analyse --drop-in``). ``progress`` hears ``read``, the
    steps of :func:`screen_problem`, and ``write``.
    """
    check_dropout(dropout)
    per_sample: dict[str, float] = {}
    with step(progress, "read"):
        problem = apply_dropout(
            read_case_folder(case, dropout=per_sample), dropout, per_sample, drop_in
        )
    res = screen_problem(problem, min_lr, top, scheduler, progress)
    if out is not None:
        with step(progress, "write"):
            write_table(out, CANDIDATE_COLUMNS, res.rows())
    summary = screen_summary(
        case, res, min_lr, out, dropout_provenance(problem, dropout, per_sample, drop_in)
    )
    warning = degraded_warning(problem, per_sample)
    if warning is not None:
        summary["warnings"] = [warning]
    return summary


def fragments_case(
    case: str | Path,
    min_lr: float = 1e6,
    dropout: DropoutSetting = DEFAULT_DROPOUT,
    out: str | Path | None = None,
    progress: Progress | None = None,
    drop_in: float | None = None,
) -> dict[str, Any]:
    """Groups of PM samples of ``case`` believed to be one body; write them to ``out`` if given.

    ``dropout``: per-allele dropout of every sample (``None``: :data:`DEFAULT_DROPOUT`, as
    before), or ``"estimate"``: each sample's own from its failed and single-peak markers
    (:func:`~repatria.services.pipelines.sample_dropout.estimate_samples`; the estimates in
    ``dropout_estimated``); a ``dropout`` column of ``pm.tsv`` overrides either per sample.
    The search checks exactly every pair its bands cannot vouch for, so no pair with
    LR >= ``min_lr`` is missed. ``drop_in`` (0 <= C < 1): the drop-in probability per marker
    of every sample; above 0 every pair is checked under the full model
    (:mod:`repatria.kinship.fragments_dropin`); ``None`` or 0 gives the answers of before.
    ``progress`` hears ``read`` and the kinship core's ``fragments``.
    """
    dropout = DEFAULT_DROPOUT if dropout is None else dropout_setting(dropout)
    check_drop_in(drop_in)
    per_sample: dict[str, float] = {}
    with step(progress, "read"):
        problem = read_case_folder(case, dropout=per_sample)
    estimated = estimate_samples(problem, per_sample) if dropout == ESTIMATE else None
    own = {**{v: e.dropout for v, e in (estimated or {}).items()}, **per_sample}
    base = float(dropout) if isinstance(dropout, (int, float)) else DEFAULT_DROPOUT
    if drop_in:
        res = find_fragments_drop_in(
            problem.markers,
            problem.pm,
            problem.pm_profiles,
            min_lr,
            base,
            drop_in,
            own or None,
            progress,
        )
    else:
        res = find_fragments(
            problem.markers,
            problem.pm,
            problem.pm_profiles,
            min_lr=min_lr,
            dropout=base,
            progress=progress,
            sample_dropout=own or None,
        )
    groups = []
    rows = []
    best: dict[int, tuple[int, float]] = {}
    for i, j, v in zip(
        res.edge_i.tolist(), res.edge_j.tolist(), res.edge_log_lr.tolist(), strict=False
    ):
        for a, b in ((i, j), (j, i)):
            if a not in best or v > best[a][1]:
                best[a] = (b, v)
    for g, members in enumerate(res.groups, start=1):
        name = f"G{g}"
        edges = [
            {
                "a": a,
                "b": b,
                "lr": safe_exp(v),
                "log10_lr": v / math.log(10),
            }
            for a, b, v in res.group_edges(g - 1)
        ]
        groups.append({"group": name, "pm": [res.ids[i] for i in members], "links": edges})
        for i in members:
            j, v = best[i]
            rows.append(
                (
                    name,
                    res.ids[i],
                    len(members),
                    res.ids[j],
                    safe_exp(v),
                    v / math.log(10),
                )
            )
    if out is not None:
        write_table(out, FRAGMENT_COLUMNS, rows)
    return {
        "case": str(case),
        "samples": len(res.ids),
        "groups": len(groups),
        "samples_in_groups": sum(len(g["pm"]) for g in groups),
        "candidates_checked": res.candidates_checked,
        "min_lr": min_lr,
        "dropout": dropout,
        **({"dropout_per_sample": len(per_sample)} if per_sample else {}),
        **(
            {"dropout_estimated": {v: e.dropout for v, e in estimated.items()}}
            if estimated is not None
            else {}
        ),
        **({"drop_in": drop_in} if drop_in else {}),
        **({"exhaustive": res.notes["exhaustive"]} if "exhaustive" in res.notes else {}),
        "seconds": round(res.seconds, 3),
        "out": None if out is None else str(out),
        "version": res.version,
        "group_list": groups,
    }
