"""Calibration of posteriors on simulated body exchanges: false identifications and predicted
against observed share correct, for dvir's flat prior and the open-population prior, with and
without the dropout model (issue 13).

Each exchange is ``benchmarks/exchange.py``'s: n PM samples against 3n/4 one-MP families, 24 STR
markers, every sample burned (each allele copy lost with its own probability in [0, 0.4]), 10 %
of bodies in 2-4 fragments, a quarter of the families weak (a half-sibling or a cousin typed),
about half the bodies decoys (men of no family in the case). A single peak is written ``a/a``, as
many labs export it (``--written a-`` keeps the simulator's ``a/-``).

Six analyses per exchange: {flat prior, open population with p = the share of bodies expected
among the listed missing (0.5 here)} x {samples typed exactly, every sample under
DropoutModel(d) with one d for all (``--dropout``, default 0.2: the analyst does not know each
sample's rate), each sample under its own estimate (``--dropout estimate`` of ``dvi analyse``
and ``identify``: :func:`repatria.services.pipelines.sample_dropout.estimate_samples`)}. For
each it prints

- identifications: PMs whose largest posterior pairing is an MP with posterior >= 0.5, 0.9, 0.99,
  split into correct and false (the PM is another MP or a decoy);
- calibration: every PM x MP pairing with posterior >= 0.001, binned by posterior; per bin the
  mean posterior (predicted) and the share that are true (observed).

    .venv/bin/python benchmarks/calibration.py [--n 100] [--seeds 1 2 3 4 5] [--dropout 0.2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from exchange import exchange  # noqa: E402

BINS = (0.001, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0000001)
LEVELS = (0.5, 0.9, 0.99)


def written_aa(problem):
    """The problem with every ``a/-`` written ``a/a``."""
    from repatria.kinship.dvi import DVIProblem, single_peak_as_homozygote

    prof = {
        v: {k: single_peak_as_homozygote(g) for k, g in p.items()}
        for v, p in problem.pm_profiles.items()
    }
    return DVIProblem(
        problem.markers,
        problem.pm,
        problem.pm_sex,
        prof,
        problem.families,
        problem.am_profiles,
        problem.missing,
        problem.missing_family,
        {},
    )


def analyse(problem, truth, prior_p):
    from repatria.kinship.dvi import pairwise_lr
    from repatria.kinship.joint import joint_dvi
    from repatria.kinship.priors import open_population_prior

    pw = pairwise_lr(problem)
    prior = None if prior_p is None else open_population_prior(problem, prior_p)
    jr = joint_dvi(problem, pw, top=1, prior=prior)
    marg = jr.marginals
    ids = {lvl: [0, 0] for lvl in LEVELS}
    pairs = []
    for i, v in enumerate(problem.pm):
        row = marg[i, :-1]
        j = int(np.argmax(row))
        for lvl in LEVELS:
            if row[j] >= lvl and row[j] >= marg[i, -1]:
                ids[lvl][0 if truth[v] == problem.missing[j] else 1] += 1
        for j in np.flatnonzero(row >= BINS[0]):
            pairs.append((float(row[j]), truth[v] == problem.missing[j]))
    return ids, pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--match-prior", type=float, default=0.5)
    ap.add_argument("--written", choices=("aa", "a-"), default="aa")
    args = ap.parse_args()
    from repatria.kinship.dropout import DropoutModel
    from repatria.services.pipelines.sample_dropout import estimate_samples

    arms = [
        (model, prior)
        for model in ("exact", f"dropout {args.dropout:g}", "estimate")
        for prior in ("flat", f"open p={args.match_prior:g}")
    ]
    ids = {a: {lvl: [0, 0] for lvl in LEVELS} for a in arms}
    pairs: dict[tuple[str, str], list[tuple[float, bool]]] = {a: [] for a in arms}
    t0 = time.perf_counter()
    n_true = 0
    for seed in args.seeds:
        sim = exchange(args.n, seed)
        base = written_aa(sim.problem) if args.written == "aa" else sim.problem
        n_true += sum(1 for v in base.pm if sim.truth[v] != "*")
        estimated = estimate_samples(base)
        for model, prior in arms:
            prob = base
            if model == "estimate":
                # an estimate of 0 keeps the sample typed exactly, as the product does
                own = {v: DropoutModel(e.dropout) for v, e in estimated.items() if e.dropout > 0}
                prob = base.with_dropout(own)
            elif model != "exact":
                prob = base.with_dropout({v: DropoutModel(args.dropout) for v in base.pm})
            got, pr = analyse(prob, sim.truth, None if prior == "flat" else args.match_prior)
            for lvl in LEVELS:
                ids[(model, prior)][lvl][0] += got[lvl][0]
                ids[(model, prior)][lvl][1] += got[lvl][1]
            pairs[(model, prior)] += pr
    n_pm = args.n * len(args.seeds)
    print(
        f"{len(args.seeds)} exchanges of {args.n} PM samples ({n_pm} in all, {n_true} of them MPs "
        f"of the case), single peaks written {args.written}; {time.perf_counter() - t0:.0f} s"
    )
    print()
    print("identifications (largest posterior pairing an MP, posterior >= level): correct / false")
    print(f"{'model':<14} {'prior':<12} " + " ".join(f"{f'>= {lvl:g}':>14}" for lvl in LEVELS))
    for a in arms:
        cells = " ".join(f"{ids[a][lvl][0]:>7} / {ids[a][lvl][1]:<4}" for lvl in LEVELS)
        print(f"{a[0]:<14} {a[1]:<12} {cells}")
    print()
    print("calibration: pairings binned by posterior; predicted (mean posterior) vs observed share")
    print("true, and the number of pairings in the bin")
    edges = [
        f"[{lo:g}, {min(hi, 1):g}{']' if hi > 1 else ')'}"
        for lo, hi in zip(BINS[:-1], BINS[1:], strict=True)
    ]
    print(f"{'model':<14} {'prior':<12} " + " ".join(f"{e:>20}" for e in edges))
    for a in arms:
        post = np.array([p for p, _ in pairs[a]])
        true = np.array([t for _, t in pairs[a]], dtype=float)
        cells = []
        for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
            sel = (post >= lo) & (post < hi)
            if not sel.any():
                cells.append(f"{'-':>20}")
                continue
            cells.append(f"{post[sel].mean():>6.3f} {true[sel].mean():>6.3f} {int(sel.sum()):>6}")
        print(f"{a[0]:<14} {a[1]:<12} " + " ".join(cells))


if __name__ == "__main__":
    main()
