"""Analyse a DVI case end to end: read it, pairwise LRs, exclusions, joint search, conclusions.

The result is plain data in the shape of the ``repatria dvi analyse --json`` contract, so the CLI,
the API and the registry's identify workflow all print or store the same thing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repatria import __version__
from repatria.errors import FormatError
from repatria.formats.casefolder import read_case_folder
from repatria.formats.matrix_record import encode_matrix
from repatria.kinship import safe_exp
from repatria.kinship.bounds import PosteriorBounds, factor_model, posterior_bounds
from repatria.kinship.dvi import DVIProblem, PairwiseResult, pairwise_lr
from repatria.kinship.fragment_merge import body_groups, merge_fragments
from repatria.kinship.joint import JointResult, joint_dvi
from repatria.kinship.prior_sensitivity import (
    FLAT,
    PriorSensitivity,
    identified_pairings,
    prior_sensitivity,
)
from repatria.kinship.priors import AssignmentPrior, open_population_prior
from repatria.services.pipelines.sample_dropout import (
    ESTIMATE,
    DropoutSetting,
    apply_dropout,
    check_drop_in,
    degraded_warning,
    dropout_provenance,
    dropout_setting,
    estimate_samples,
)
from repatria.services.progress import Progress, step

__all__ = ["DVIAnalysis", "read_case", "analyse_problem", "analyse_case"]


@dataclass(frozen=True, eq=False)
class DVIAnalysis:
    """Everything ``dvi analyse`` reports, with the objects it came from."""

    problem: DVIProblem
    pairwise: PairwiseResult
    joint: JointResult
    conclusions: dict[str, list[dict[str, Any]]]
    seconds: dict[str, float]
    #: LR of each concluded pairing with the family's typed references removed (see
    #: :mod:`repatria.kinship.conclusions`): high means the match rests on relatives among the
    #: victims.
    lr0: dict[tuple[str, str], float] = field(default_factory=dict)
    #: What the analysis assumed beyond the case's own data (e.g. alleles added to a table).
    notes: dict[str, Any] = field(default_factory=dict)
    #: Proven interval of every posterior pairing probability (None when not computed).
    bounds: PosteriorBounds | None = None
    #: Each identified pairing's posterior against the open-population prior's p (and flat).
    sensitivity: list[PriorSensitivity] | None = None

    def to_dict(self, compact: bool = False) -> dict[str, Any]:
        """The JSON contract of ``repatria dvi analyse --json`` (non-finite numbers as floats).

        ``compact``: the record a registry run keeps instead
        (:mod:`repatria.formats.matrix_record`): the pairwise matrix as natural-log LRs
        (``pairwise.log_lr``, NaN where the pairing is not allowed), the exclusion counts
        (``-1`` there), the marginals and their proven bounds each one encoded array; the rest
        as in the contract.
        """
        p, pw, j = self.problem, self.pairwise, self.joint
        rows, cols = list(p.pm), list(p.missing)
        if compact:
            pairwise: dict[str, Any] = {
                "rows": rows,
                "cols": cols,
                "log_lr": encode_matrix(pw.log_lr),
            }
            exclusions: dict[str, Any] = {
                "rows": rows,
                "cols": cols,
                "count": encode_matrix(pw.exclusions),
            }
            marginals: Any = encode_matrix(j.marginals)
        else:
            lr_rows, ex_rows = [], []
            for i in range(len(p.pm)):
                lr_rows.append(
                    [
                        None if math.isnan(pw.log_lr[i, k]) else safe_exp(float(pw.log_lr[i, k]))
                        for k in range(len(p.missing))
                    ]
                )
                ex_rows.append(
                    [
                        None if pw.exclusions[i, k] < 0 else int(pw.exclusions[i, k])
                        for k in range(len(p.missing))
                    ]
                )
            pairwise = {"rows": rows, "cols": cols, "lr": lr_rows}
            exclusions = {"rows": rows, "cols": cols, "count": ex_rows}
            marginals = j.marginals.tolist()
        bounds = {"marginal_bounds": _bounds_dict(self.bounds, compact)} if self.bounds else {}
        return {
            "pm": rows,
            "missing": cols,
            "pairwise": pairwise,
            "exclusions": exclusions,
            "joint": {
                "n_assignments": j.n_assignments,
                "loglik0": j.loglik0,
                "top": [
                    {
                        "assignment": a.assignment,
                        "loglik": a.loglik,
                        "lr": a.lr,
                        "posterior": a.posterior,
                    }
                    for a in j.top
                ],
                "marginals": {"rows": rows, "cols": [*cols, "*"], "p": marginals},
                "neglected_mass_bound": j.neglected_mass_bound,
                "bound_proven": j.bound_proven,
                "searched": dict(j.searched),
                "prior": j.prior,
                "prior_parameters": dict(j.prior_parameters),
                **bounds,
                **(
                    {"sensitivity": [x.to_dict() for x in self.sensitivity]}
                    if self.sensitivity is not None
                    else {}
                ),
            },
            "conclusions": self.conclusions,
            "provenance": {
                "software": f"repatria {__version__}",
                "seconds": self.seconds,
                "pairwise": (
                    "LR = L(PM on MP in family) / (L(family) L(PM)), mutation models as stored"
                ),
                "joint": (
                    f"{j.prior}; loglik natural log; lr vs. nobody identified; marginal_bounds "
                    "proven intervals of each posterior pairing probability"
                ),
                **self.notes,
            },
        }


def _bounds_dict(b: PosteriorBounds, compact: bool) -> dict[str, Any]:
    return {
        "rows": list(b.pm),
        "cols": [*b.missing, "*"],
        "lower": encode_matrix(b.lower) if compact else b.lower.tolist(),
        "upper": encode_matrix(b.upper) if compact else b.upper.tolist(),
        "method": b.method,
        "proven": b.proven,
        "prior": b.prior,
    }


def read_case(
    path: str | Path,
    unseen_allele_freq: float | None = None,
    added: dict[str, list[str]] | None = None,
    relabelled: dict[str, Any] | None = None,
    dropout: dict[str, float] | None = None,
) -> DVIProblem:
    """A case folder, or a Familias ``.fam`` file with a DVI section.

    ``dropout``: filled with the per-sample values of a ``dropout`` column of ``pm.tsv``.

    ``unseen_allele_freq``: alleles of the profiles that a case folder's frequency table lacks are
    added at this frequency (listed in ``added``) instead of being an error.
    ``relabelled``: filled with the labels a ``.fam`` file's case was given (Familias names every
    family's missing person "Missing person"; they become "Missing person.k" as dvir does).
    """
    p = Path(path)
    if p.is_dir():
        return read_case_folder(p, unseen_allele_freq, added, dropout)
    if p.suffix.lower() == ".fam":
        from repatria.formats.fam import read_fam_dvi

        fam = read_fam_dvi(p, unique_missing=True)
        if fam.relabelling and relabelled is not None:
            relabelled.update(fam.relabelling.to_dict())
        return fam.problem
    if not p.exists():
        raise FormatError("no such case folder or .fam file", file=str(p))
    raise FormatError(
        "a case is a folder (pm.tsv, am.tsv, missing.txt, markers.json) or a .fam file", file=str(p)
    )


def analyse_problem(
    problem: DVIProblem,
    top: int = 20,
    progress: Progress | None = None,
    match_prior: float | None = None,
    bounds: bool = True,
    sensitivity: bool = False,
    prior: AssignmentPrior | None = None,
    merge_fragments_lr: float | None = None,
) -> DVIAnalysis:
    """Pairwise LRs and exclusions, the joint search and dvir's conclusions of ``problem``.

    ``match_prior``: the open-population prior (each PM one of its allowed MPs with this
    probability, :func:`repatria.kinship.priors.open_population_prior`); ``None`` is dvir's flat
    prior. ``bounds``: also prove an interval for every posterior pairing probability
    (:func:`repatria.kinship.bounds.posterior_bounds`). ``progress`` hears the steps
    ``pairwise``, ``joint``, ``bounds`` and ``conclusions`` (see :mod:`repatria.services.progress`),
    each whole: the kinship core counts none of them.

    ``sensitivity``: also each identified pairing's posterior under the open-population prior
    at each p of :data:`repatria.kinship.prior_sensitivity.DEFAULT_P` and under the flat prior
    (step ``sensitivity``, :func:`repatria.kinship.prior_sensitivity.prior_sensitivity`).
    ``prior``: a prior built by the caller (e.g. the open-population prior with non-DNA LRs in
    its odds), used instead of the one ``match_prior`` names.

    ``merge_fragments_lr``: first find the PM samples that are fragments of one body (linked by
    direct-match LRs of at least this, :func:`repatria.kinship.fragment_merge.body_groups`) and
    analyse each body as one PM, all its samples weighed on one genotype
    (:func:`repatria.kinship.fragment_merge.merge_fragments`); the analysis's problem is then the
    merged one, and ``notes["fragments"]`` says which samples became which row (step
    ``fragments``). ``None``: every sample is its own PM, as dvir has it.
    """
    seconds: dict[str, float] = {}
    notes: dict[str, Any] = {}
    if merge_fragments_lr is not None:
        if prior is not None:
            raise ValueError("a prior built by the caller is one of the unmerged problem")
        t = time.perf_counter()
        with step(progress, "fragments"):
            merged = merge_fragments(problem, body_groups(problem, merge_fragments_lr))
        problem = merged.problem
        notes["fragments"] = {"min_lr": merge_fragments_lr, **merged.to_dict()}
        seconds["fragments"] = time.perf_counter() - t
    t = time.perf_counter()
    with step(progress, "pairwise"):
        pw = pairwise_lr(problem)
    seconds["pairwise"] = time.perf_counter() - t
    if prior is None and match_prior is not None:
        prior = open_population_prior(problem, match_prior)
    t = time.perf_counter()
    with step(progress, "joint"):
        joint = joint_dvi(problem, pw, top=top, prior=prior)
    seconds["joint"] = time.perf_counter() - t
    certified = None
    if bounds:
        t = time.perf_counter()
        with step(progress, "bounds"):
            model = factor_model(problem, pw, prior=prior)
            certified = posterior_bounds(problem, joint, pw, model=model, prior=prior)
        seconds["bounds"] = time.perf_counter() - t
    t = time.perf_counter()
    with step(progress, "conclusions"):
        conclusions, lr0 = _conclusions(problem, pw)
    seconds["conclusions"] = time.perf_counter() - t
    table = None
    if sensitivity:
        t = time.perf_counter()
        with step(progress, "sensitivity"):
            known = {FLAT if match_prior is None else f"{match_prior:g}": joint}
            table = prior_sensitivity(problem, pw, identified_pairings(problem, joint), known=known)
        seconds["sensitivity"] = time.perf_counter() - t
    return DVIAnalysis(
        problem,
        pw,
        joint,
        conclusions,
        seconds,
        lr0,
        notes=notes,
        bounds=certified,
        sensitivity=table,
    )


def _conclusions(
    problem: DVIProblem, pw: PairwiseResult
) -> tuple[dict[str, list[dict[str, Any]]], dict[tuple[str, str], float]]:
    from repatria.kinship.conclusions import dvi_solve

    c = dvi_solve(problem, pairwise=pw)
    return c.tables(), dict(c.lr0)


def analyse_case(
    path: str | Path,
    top: int = 20,
    progress: Progress | None = None,
    unseen_allele_freq: float | None = None,
    match_prior: float | None = None,
    dropout: DropoutSetting = None,
    drop_in: float | None = None,
    sensitivity: bool = False,
    merge_fragments_lr: float | None = None,
) -> DVIAnalysis:
    """Read the case at ``path`` and analyse it (``unseen_allele_freq``: see :func:`read_case`;
    ``match_prior``: see :func:`analyse_problem`).

    ``dropout``: allelic dropout probability of every PM sample, a ``dropout`` column of
    ``pm.tsv`` overriding it per sample (:mod:`repatria.services.pipelines.sample_dropout`);
    without either, the samples are typed exactly, as before. ``dropout="estimate"`` takes each
    sample's from its own profile (the estimates in ``notes["dropout"]["estimated"]``).
    ``drop_in``: the model's one-allele drop-in probability for every PM sample. The model is
    named in ``notes["dropout"]``; degraded samples read without it in ``notes["warnings"]``.
    ``sensitivity``: add the prior sensitivity table (see :func:`analyse_problem`; about six
    more joint runs, so asked for, not by default).

    ``merge_fragments_lr``: analyse fragments of one body as one PM (see :func:`analyse_problem`).

    ``progress`` hears ``read``, then the steps of :func:`analyse_problem`.
    """
    dropout = dropout_setting(dropout)
    check_drop_in(drop_in)
    added: dict[str, list[str]] = {}
    relabelled: dict[str, Any] = {}
    per_sample: dict[str, float] = {}
    with step(progress, "read"):
        problem = read_case(path, unseen_allele_freq, added, relabelled, per_sample)
        estimated = estimate_samples(problem, per_sample) if dropout == ESTIMATE else None
        problem = apply_dropout(problem, dropout, per_sample, drop_in, estimated)
    result = analyse_problem(
        problem,
        top=top,
        progress=progress,
        match_prior=match_prior,
        sensitivity=sensitivity,
        merge_fragments_lr=merge_fragments_lr,
    )
    used = dropout_provenance(problem, dropout, per_sample, drop_in, estimated)
    if used is not None:
        result.notes["dropout"] = used
    warning = degraded_warning(problem, {*per_sample, *(estimated or {})})
    if warning is not None:
        result.notes["warnings"] = [warning]
    if added:
        result.notes["unseen_alleles"] = {"frequency": unseen_allele_freq, "added": added}
    if relabelled:
        result.notes["relabelling"] = relabelled
    return result
