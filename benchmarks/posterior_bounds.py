"""Per-pair posterior bounds on simulated cases with weak families, and MCMC where they are wide.

For each case (n victims against n families, 23 STRs, the benchmark's family mix or one with more
weak families: a cousin or a half-sibling as the only reference), prints the joint's global
bound, the share of pairings with pairwise LR >= 1e4 whose certified posterior interval is
narrower than 0.01, the time of the bounds, and, with ``--mcmc``, the time and diagnostics of
MCMC on the parts left wide and how many of its estimates fall inside the proven intervals.

    .venv/bin/python benchmarks/posterior_bounds.py [--n 200 500] [--seeds 1 2] [--weak 0.1 0.3]
        [--mcmc] [--sweeps 1000]

``--weak`` is the share of families whose only reference is a cousin or a half-sibling
(0.1 is the default mix of ``repatria.kinship.simulate``, that of ``benchmarks/dvi_scaling.py``).
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from repatria.kinship.bounds import factor_model, posterior_bounds
from repatria.kinship.dvi import pairwise_lr
from repatria.kinship.joint import joint_dvi
from repatria.kinship.mcmc import mcmc_where_wide
from repatria.kinship.simulate import DEFAULT_SHAPE_WEIGHTS, simulate_dvi
from repatria.services.pipelines.simulation import standard_markers

WEAK = ("half_sibling", "cousin")


def shape_weights(weak: float) -> dict[str, float]:
    """The default mix with ``weak`` of the families given to cousins and half-siblings (in the
    default ratio, so ``weak = 0.1`` is the default mix itself)."""
    strong = {k: v for k, v in DEFAULT_SHAPE_WEIGHTS.items() if k not in WEAK}
    total = sum(strong.values())
    out = {k: v / total * (1.0 - weak) for k, v in strong.items()}
    weak_total = sum(DEFAULT_SHAPE_WEIGHTS[k] for k in WEAK)
    out.update({k: weak * DEFAULT_SHAPE_WEIGHTS[k] / weak_total for k in WEAK})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[200])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--weak", type=float, nargs="+", default=[0.1, 0.3])
    ap.add_argument("--mcmc", action="store_true")
    ap.add_argument("--sweeps", type=int, default=1000, help="MCMC sweeps (n proposals) per chain")
    args = ap.parse_args()
    markers = standard_markers(23)
    print(
        f"{'n':>4} {'weak':>5} {'seed':>4} {'bound':>6} {'LR>=1e4':>8} {'narrow':>7} {'share':>7} "
        f"{'joint s':>8} {'bounds s':>8}" + ("  mcmc" if args.mcmc else "")
    )
    for n, weak, seed in itertools.product(args.n, args.weak, args.seeds):
        sim = simulate_dvi(markers, n, n, np.random.default_rng(seed), shape_weights(weak))
        pw = pairwise_lr(sim.problem)
        t = time.perf_counter()
        j = joint_dvi(sim.problem, pw)
        t_joint = time.perf_counter() - t
        t = time.perf_counter()
        fm = factor_model(sim.problem, pw)
        b = posterior_bounds(sim.problem, j, pw, model=fm)
        t_bounds = time.perf_counter() - t
        strong = pw.lr >= 1e4
        narrow = b.width[:, :-1][strong] < 0.01
        line = (
            f"{n:4d} {weak:5.2f} {seed:4d} {j.neglected_mass_bound:6.2g} "
            f"{int(strong.sum()):8d} {int(narrow.sum()):7d} {narrow.mean():7.1%} "
            f"{t_joint:8.2f} {t_bounds:8.2f}"
        )
        if args.mcmc:
            t = time.perf_counter()
            steps = args.sweeps * n
            r = mcmc_where_wide(fm, b, width=0.01, steps=steps, seed=seed)
            t_mcmc = time.perf_counter() - t
            rows = r.sampled_rows
            est = r.marginals[rows]
            err = r.mc_error[rows]
            inside = (est >= b.lower[rows] - 3 * err - 1e-3) & (
                est <= b.upper[rows] + 3 * err + 1e-3
            )
            if rows.any():
                line += (
                    f"  {t_mcmc:.1f} s, {int(rows.sum())} rows, {r.chains}x{r.steps} steps, "
                    f"max R-hat {r.max_rhat:.3f}, min ESS {r.min_ess:.0f}, "
                    f"inside bounds {inside.mean():.1%}"
                )
            else:
                line += "  nothing wider than 0.01"
        print(line, flush=True)


if __name__ == "__main__":
    main()
