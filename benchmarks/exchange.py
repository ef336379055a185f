"""The whole DVI analysis on realistic body exchanges: burned partial profiles, fragments of one
body, weak families, and bodies that belong to no family in the case.

Each exchange is simulated by ``kinship.simulate.simulate_population`` with n PM samples against
3n/4 reference families (one MP each), 24 STR markers (norSTR East Asia 2023):

- burned: every sample loses each allele copy with its own probability, drawn in [0, 0.4]
  (``a/-`` where one copy of a heterozygote is lost, untyped where both are);
- fragments: 10 % of bodies come back in 2-4 samples;
- weak families: a quarter of the families have only a half-sibling or a cousin typed;
- about half the bodies are MPs of the case, the rest unrelated men (decoys).

The analysis is ``repatria dvi analyse --merge-fragments``: the samples that are fragments of one
body are found by direct match (LR >= 1e6) and analysed as one PM (``--apart``: every sample its
own PM, as dvir has it); "bodies" is how many groups it merged, and how many of them are exactly
a body the simulator fragmented (of how many it fragmented).

For each n it prints the wall seconds of each step of ``repatria dvi analyse``: the genotype tables
(one per family and marker, built once), the rest of the pairwise LRs and exclusions, the joint
search with marginals, the certified posterior bounds, dviSolve-style conclusions; the total (the
fragment search included), the CPU seconds of the whole analysis (the machine may be shared: CPU
time is what the analysis itself costs), the peak memory of a fresh process that ran only that
size, how many top-assignment pairings are right, the joint's bound on the mass it left out, the
share of pairings with pairwise LR >= 1e4 whose certified posterior interval is narrower than 0.01
(all of them, and those of PMs that are no fragment of a body sampled several times: "no-frag"),
and two baselines measured in the same run: dviSolve's conclusions again with no table kept between
its steps (n <= 500), and the textbook pairwise way (two full pedigree likelihoods per pairing,
timed on a sample of pairings and scaled to all).

    .venv/bin/python benchmarks/exchange.py [--sizes 100 200 500 1000 2000] [--seed 1] [--apart]
    .venv/bin/python benchmarks/exchange.py --full-profiles --sizes 100   # holdout-style
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time

import numpy as np

WEAK_SHAPES = {
    "parents": 0.15,
    "mother": 0.15,
    "father": 0.05,
    "two_siblings": 0.15,
    "child": 0.1,
    "child_and_wife": 0.15,
    "half_sibling": 0.15,
    "cousin": 0.1,
}


def exchange(n: int, seed: int, full: bool = False):
    from repatria.kinship.simulate import simulate_population
    from repatria.services.pipelines.simulation import standard_markers

    return simulate_population(
        standard_markers(24),
        n,
        max(1, 3 * n // 4),
        np.random.default_rng(seed),
        shape_weights=None if full else WEAK_SHAPES,
        max_dropout=0.0 if full else 0.4,
        fragmented=0.0 if full else 0.1,
    )


def textbook_pairwise_seconds(problem, n_sample: int = 10) -> float:
    """Seconds for every pairing the textbook way (two full likelihoods each), from a sample."""
    from repatria.kinship.probability import likelihood

    rng = np.random.default_rng(0)
    pm, mps = list(problem.pm), list(problem.missing)
    n_pairs = len(pm) * len(mps)
    t = time.perf_counter()
    for _ in range(n_sample):
        v, m = pm[rng.integers(len(pm))], mps[rng.integers(len(mps))]
        fam = problem.missing_family[m]
        prof = dict(problem.am_profiles.get(fam, {}))
        likelihood(problem.families[fam], problem.markers, prof)
        prof[m] = problem.pm_profiles[v]
        likelihood(problem.families[fam], problem.markers, prof)
    return (time.perf_counter() - t) / n_sample * n_pairs


def certified_share(a, fragments: list[list[str]] | None = None) -> tuple[int, float, float]:
    """Pairings with pairwise LR >= 1e4, the share of them certified narrower than 0.01, and that
    share among the pairings of PMs that are no fragment of a body sampled several times (the
    fragments of one body all match its MP, and the joint model gives the MP to one of them)."""
    if a.bounds is None:
        return 0, float("nan"), float("nan")
    strong = np.argwhere(np.nan_to_num(a.pairwise.log_lr, nan=-np.inf) >= np.log(1e4))
    if not len(strong):
        return 0, float("nan"), float("nan")
    width = a.bounds.width
    ok = np.array([width[i, j] < 0.01 for i, j in strong])
    frag = {v for body in fragments or [] for v in body}
    lone = np.array([a.problem.pm[i] not in frag for i, _ in strong])
    return len(strong), float(np.mean(ok)), float(np.mean(ok[lone])) if lone.any() else math.nan


def cold_conclusions_seconds(problem) -> float:
    """dviSolve's conclusions with no table kept between its steps (a cache of 0 bytes)."""
    from repatria.kinship import dvi
    from repatria.kinship.conclusions import dvi_solve

    dvi._TABLE_CACHE, dvi._TABLE_CACHE_LIMIT = None, 0
    t = time.perf_counter()
    dvi_solve(problem, pairwise=dvi.pairwise_lr(problem))
    return time.perf_counter() - t


def _load_modules() -> None:
    """Import the modules the analysis loads on first use (about 0.06 s), so that the timings
    are the analysis's compute, as in a running service, not Python loading code. Nothing is
    computed or cached: the case is analysed from scratch."""
    import repatria.kinship.conclusions
    import repatria.kinship.fragments_search
    import repatria.kinship.screening
    import repatria.kinship.screening_exclusions
    import repatria.kinship.screening_tables  # noqa: F401


def one_size(n: int, seed: int, full: bool = False, apart: bool = False) -> dict:
    from repatria.services.pipelines.dvi_analysis import analyse_problem

    sim = exchange(n, seed, full)
    _load_modules()
    t0, c0 = time.perf_counter(), time.process_time()
    a = analyse_problem(sim.problem, merge_fragments_lr=None if apart else 1e6)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    merged = (a.notes.get("fragments") or {}).get("merged", {})
    true_bodies = {frozenset(b) for b in sim.fragments}
    n_strong, share, share_lone = certified_share(a, sim.fragments)
    best = a.joint.top[0].assignment
    truth = sim.truth
    right = sum(1 for v, m in best.items() if m != "*" and truth.get(v) == m)
    bodies = f"{len(merged)}:{sum(frozenset(m) in true_bodies for m in merged.values())}/"
    bodies += str(len(true_bodies))
    wrong = sum(1 for v, m in best.items() if m != "*" and truth.get(v) != m)
    return {
        "n": n,
        "families": len(sim.problem.families),
        "seconds": a.seconds,
        "tables": a.pairwise.tables.seconds if a.pairwise.tables is not None else float("nan"),
        "total": total,
        "cpu": cpu,
        "strong": n_strong,
        "certified": share,
        "certified_lone": share_lone,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "right": right,
        "bodies": bodies,
        "wrong": wrong,
        "bound": a.joint.neglected_mass_bound,
        "textbook": textbook_pairwise_seconds(sim.problem),
        "cold": cold_conclusions_seconds(sim.problem) if n <= 500 and not full else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500, 1000, 2000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--full-profiles",
        action="store_true",
        help="holdout-style: full profiles, no fragments, the simulator's usual families",
    )
    ap.add_argument(
        "--apart", action="store_true", help="every sample its own PM (no fragment merging)"
    )
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size, JSON
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.seed, args.full_profiles, args.apart)))
        return
    print(
        f"{'n':>5} {'fams':>5} {'tables':>7} {'pairwise':>9} {'joint':>7} {'bounds':>7} "
        f"{'concl.':>7} {'bodies':>10} {'total s':>8} {'cpu s':>6} {'peak MB':>8} "
        f"{'top right/wrong':>15} "
        f"{'bound':>8} {'LR>=1e4':>7} {'cert<.01':>8} {'no-frag':>7} {'cold concl.':>11} "
        f"{'textbook pw s':>13} {'ratio':>7}"
    )
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)]
        cmd += ["--full-profiles"] if args.full_profiles else []
        cmd += ["--apart"] if args.apart else []
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode:
            print(f"{n:5d}  failed: {p.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        r = json.loads(p.stdout)
        s = r["seconds"]
        print(
            f"{n:5d} {r['families']:5d} {r['tables']:7.2f} {s['pairwise']:9.2f} "
            f"{s['joint']:7.2f} {s.get('bounds', float('nan')):7.2f} {s['conclusions']:7.2f} "
            f"{r['bodies']:>10} "
            f"{r['total']:8.2f} {r['cpu']:6.2f} {r['peak_mb']:8.0f} "
            f"{r['right']:>7d}/{r['wrong']:<7d} {r['bound']:8.1e} {r['strong']:7d} "
            f"{r['certified']:8.1%} {r['certified_lone']:7.1%} {r['cold']:11.2f} "
            f"{r['textbook']:13.0f} {r['textbook'] / s['pairwise']:7.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
