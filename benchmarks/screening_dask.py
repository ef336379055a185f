"""Dask screening with the tables sharded by family group, against the whole tables on every
worker and against one process, measured in the same run on a 2-process LocalCluster.

A simulated population (``simulate_population``, 24 STR markers of norSTR East Asia 2023, weak
and burned references as the screening benchmark has them) is screened three ways on the same
tables: locally (threads), on the cluster with every worker holding the whole tables (the old
way, ``shards=0``), and sharded (each worker holds only its families' tables). It prints the
seconds, pairs scored per second, the seconds per 10^9 pairs, the table bytes each worker held,
each worker's peak resident memory, and whether the candidates are identical.

    .venv/bin/python benchmarks/screening_dask.py [--pm 20000] [--families 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from dask.distributed import Client, LocalCluster

    from repatria.kinship.screening import build_tables, screen
    from repatria.kinship.simulate import simulate_population
    from repatria.services.pipelines.simulation import standard_markers

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pm", type=int, default=20000)
    ap.add_argument("--families", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    sim = simulate_population(
        standard_markers(24), args.pm, args.families, np.random.default_rng(args.seed)
    )
    t = time.perf_counter()
    tables = build_tables(sim.problem)
    table_s = time.perf_counter() - t
    print(
        f"{args.pm} PM x {len(tables.missing)} MPs, 24 markers; tables {table_s:.1f} s, "
        f"{tables.logt.nbytes / 2**20:.0f} MB in all"
    )
    t = time.perf_counter()
    local = screen(sim.problem, tables=tables, threads=2)
    runs = {"local (2 threads)": (time.perf_counter() - t, local, None, None)}
    for name, shards in (("dask, whole tables on each worker", 0), ("dask, sharded", None)):
        # A fresh cluster per way, so that each worker's peak memory is that way's own.
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=50,
            ) as cluster,
            Client(cluster) as client,
        ):
            t = time.perf_counter()
            held: dict[str, int] = {}
            scatter = client.scatter

            def counting(data, workers=None, broadcast=False, _held=held, _scatter=scatter, **kw):  # noqa: ANN001, ANN202
                names = (
                    list(client.scheduler_info()["workers"]) if broadcast else list(workers or [])
                )
                for w in names:
                    _held[w] = _held.get(w, 0) + data.logt.nbytes
                return _scatter(data, workers=workers, broadcast=broadcast, **kw)

            client.scatter = counting
            r = screen(sim.problem, tables=tables, client=client, shards=shards)
            client.scatter = scatter
            seconds = time.perf_counter() - t
            peaks = client.run(_peak_mb)
            runs[name] = (seconds, r, max(held.values()), max(peaks.values()))
    print(
        f"{'engine':36} {'seconds':>8} {'pairs/s':>12} {'s per 1e9 pairs':>16} "
        f"{'tables/worker MB':>17} {'worker peak MB':>15} {'same':>5}"
    )
    for name, (seconds, r, held_bytes, peak) in runs.items():
        same = bool(
            np.array_equal(r.pm_index, local.pm_index)
            and np.array_equal(r.mp_index, local.mp_index)
            and np.array_equal(r.log_lr, local.log_lr)
        )
        held_mb = "" if held_bytes is None else f"{held_bytes / 2**20:.0f}"
        peak_mb = "" if peak is None else f"{peak:.0f}"
        print(
            f"{name:36} {seconds:8.1f} {r.pairs_screened / seconds:12.3g} "
            f"{seconds / r.pairs_screened * 1e9:16.1f} {held_mb:>17} {peak_mb:>15} {same!s:>5}"
        )


if __name__ == "__main__":
    main()
