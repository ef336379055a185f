"""Wall time of the full DVI analysis (pairwise LRs, exclusions, exact joint search with marginals)
on simulated cases of n victims against n families, 23 STR markers (norSTR East Asia 2023,
proportional mutation 0.001).

Peer figures on the same kind of 2-core machine (dvir 3.4.2): pairwiseLR 32.7 s + jointDVI 301 s at
n = 100; the full dviJoint search took 225 s at n = 7.

    .venv/bin/python benchmarks/dvi_scaling.py [--sizes 5 10 20 50 100 200 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import time

from repatria.kinship.dvi import pairwise_lr
from repatria.kinship.joint import joint_dvi
from repatria.services.simulation import simulate_dvi_case


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 50, 100, 200, 500])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(f"{'n':>5} {'pairwise s':>11} {'joint s':>8} {'total s':>8} {'correct':>9} {'bound':>9} components")
    for n in args.sizes:
        sim = simulate_dvi_case(n, n, args.seed)
        t0 = time.perf_counter()
        pw = pairwise_lr(sim.problem)
        t1 = time.perf_counter()
        try:
            j = joint_dvi(sim.problem, pw)
        except Exception as e:  # report and go on: the figure is the point
            print(f"{n:5d} {t1 - t0:11.2f}  joint failed: {e}")
            continue
        t2 = time.perf_counter()
        best = j.top[0].assignment
        right = sum(best[v] == m for v, m in sim.truth.items())
        print(f"{n:5d} {t1 - t0:11.2f} {t2 - t1:8.2f} {t2 - t0:8.2f} {right:4d}/{n:<4d} {j.neglected_mass_bound:9.1e} "
              f"{j.searched['components']} (largest {j.searched['largest_component']}, "
              f"prune {j.searched['pruning_level']:g})", flush=True)


if __name__ == "__main__":
    main()
