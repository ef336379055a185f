"""Screening at scale: PM × family LR screen, and fragments of 10^5 samples.

Simulated populations (``simulate_population``: realistic reference relatives, fragments, dropout)
on 24 STR markers of norSTR East Asia 2023 (proportional mutation 0.001). For each size, in a fresh
child process (so that peak memory is that size's own):

- tables: every MP's genotype table at every marker (batched contractions);
- scoring: PM blocks against all MPs (one sparse product per block), candidates LR >= 1, top 10;
- pairs/s over the whole screen (tables + scoring), and over scoring alone;
- peak memory: the child's maximum resident set (``ru_maxrss``, includes Python and the case);
- the naive baseline measured in the same run: the textbook pairwise LR of a random subsample of
  pairs (the family's likelihood with the PM placed on the MP, divided by the family's and the
  PM's own; two pedigree likelihoods per pair), as pairs/s, and the ratio.

Optionally (``--dask``) the largest size is also scored on a LocalCluster of 2 worker processes.
Fragments: 10^5 samples (10 % of bodies in 2–4 fragments, dropout up to 10 %), banded search +
verification + groups.

    .venv/bin/python benchmarks/screening.py [--sizes 1000x1000 10000x1000 10000x10000]
                                              [--fragments 100000] [--dask] [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np

N_MARKERS = 24


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _naive_pairs_per_second(problem, n_sample: int = 30) -> float:
    from repatria.kinship.dvi import pm_loglik
    from repatria.kinship.probability import likelihood

    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for _ in range(n_sample):
        v = problem.pm[int(rng.integers(len(problem.pm)))]
        m = problem.missing[int(rng.integers(len(problem.missing)))]
        fam = problem.missing_family[m]
        prof = dict(problem.am_profiles.get(fam, {}))
        l0 = likelihood(problem.families[fam], problem.markers, prof).loglik
        prof[m] = problem.pm_profiles[v]
        l1 = likelihood(problem.families[fam], problem.markers, prof).loglik
        _ = (
            l1
            - l0
            - float(np.sum(pm_loglik(problem.markers, problem.pm_profiles[v], problem.pm_sex[v])))
        )
    return n_sample / (time.perf_counter() - t)


def _screen_child(n_pm: int, n_fam: int, seed: int, use_dask: bool, q) -> None:
    from repatria.kinship.screening import build_tables, screen
    from repatria.kinship.simulate import simulate_population
    from repatria.services.pipelines.simulation import standard_markers

    markers = standard_markers(N_MARKERS)
    t = time.perf_counter()
    sim = simulate_population(markers, n_pm, n_fam, np.random.default_rng(seed))
    t_sim = time.perf_counter() - t
    rss_case = _rss_mb()
    t = time.perf_counter()
    tables = build_tables(sim.problem)
    t_tab = time.perf_counter() - t
    t = time.perf_counter()
    res = screen(sim.problem, min_lr=1.0, top=10, tables=tables)
    t_score = time.perf_counter() - t
    found = {(res.pm_index[k], res.mp_index[k]) for k in range(len(res))}
    col = {m: j for j, m in enumerate(sim.problem.missing)}
    true = [(i, col[m]) for i, (v, m) in enumerate(sim.truth.items()) if m != "*"]
    recall = sum(1 for x in true if x in found) / max(1, len(true))
    out = dict(
        n_pm=n_pm,
        n_fam=n_fam,
        sim_s=t_sim,
        tables_s=t_tab,
        score_s=t_score,
        pairs=res.pairs_screened,
        candidates=len(res),
        recall=recall,
        rss_case_mb=rss_case,
        logt_mb=tables.logt.nbytes / 2**20,
        naive_pps=_naive_pairs_per_second(sim.problem),
    )
    out["rss_mb"] = _rss_mb()
    if use_dask:
        from dask.distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            ) as cluster,
            Client(cluster) as client,
        ):
            t = time.perf_counter()
            r2 = screen(sim.problem, min_lr=1.0, top=10, tables=tables, client=client)
            out["dask_score_s"] = time.perf_counter() - t
            out["dask_equal"] = bool(
                np.array_equal(r2.log_lr, res.log_lr) and np.array_equal(r2.pm_index, res.pm_index)
            )
    q.put(out)


def _fragments_child(n: int, seed: int, q) -> None:
    from repatria.kinship.fragments import find_fragments
    from repatria.kinship.simulate import simulate_population
    from repatria.services.pipelines.simulation import standard_markers

    markers = standard_markers(N_MARKERS)
    t = time.perf_counter()
    sim = simulate_population(markers, n, 0, np.random.default_rng(seed), fragmented=0.1)
    t_sim = time.perf_counter() - t
    p = sim.problem
    t = time.perf_counter()
    res = find_fragments(p.markers, p.pm, p.pm_profiles)
    t_frag = time.perf_counter() - t
    got = {tuple(sorted(p.pm[i] for i in g)) for g in res.groups}
    want = {tuple(f) for f in sim.fragments}
    q.put(
        dict(
            n=n,
            sim_s=t_sim,
            frag_s=t_frag,
            candidates=res.candidates_checked,
            groups=len(res.groups),
            true_groups=len(want),
            exact=len(got & want),
            rss_mb=_rss_mb(),
        )
    )


def _run(target, *args):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="*", default=["1000x1000", "10000x1000", "10000x10000"])
    ap.add_argument("--fragments", type=int, default=100_000)
    ap.add_argument(
        "--dask",
        action="store_true",
        help="also score the largest size on a 2-process LocalCluster",
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: small sizes only")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    sizes = ["200x100", "500x200"] if a.quick else a.sizes
    n_frag = 5000 if a.quick else a.fragments
    print(
        f"{'PM x fam':>12} {'tables s':>9} {'score s':>8} {'total s':>8} {'Mpairs/s':>9} "
        f"{'score Mp/s':>10} {'naive p/s':>9} {'ratio':>8} {'peak MB':>8} {'logt MB':>8} "
        f"{'cands':>8} {'recall':>6}"
    )
    for k, size in enumerate(sizes):
        n_pm, n_fam = (int(x) for x in size.split("x"))
        r = _run(_screen_child, n_pm, n_fam, a.seed, a.dask and k == len(sizes) - 1)
        total = r["tables_s"] + r["score_s"]
        pps = r["pairs"] / total
        print(
            f"{size:>12} {r['tables_s']:9.2f} {r['score_s']:8.2f} {total:8.2f} {pps / 1e6:9.2f} "
            f"{r['pairs'] / r['score_s'] / 1e6:10.1f} {r['naive_pps']:9.1f} "
            f"{pps / r['naive_pps']:8.0f} "
            f"{r['rss_mb']:8.0f} {r['logt_mb']:8.0f} {r['candidates']:8d} {r['recall']:6.3f}"
        )
        if "dask_score_s" in r:
            print(
                f"{'':>12} dask LocalCluster 2 workers: scoring {r['dask_score_s']:.2f} s "
                f"(tables built locally), equal to local: {r['dask_equal']}"
            )
    if n_frag:
        f = _run(_fragments_child, n_frag, a.seed)
        print(
            f"fragments of {f['n']:,} samples: {f['frag_s']:.2f} s, "
            f"{f['candidates']:,} candidate pairs verified "
            f"(of {f['n'] * (f['n'] - 1) // 2:,}), {f['groups']:,} groups, "
            f"{f['exact']:,} of {f['true_groups']:,} true groups exactly, peak {f['rss_mb']:.0f} MB"
        )
    print("(per 10^9 pairs: total s / pairs * 1e9; see docs/screening-dask.md)")


if __name__ == "__main__":
    main()
