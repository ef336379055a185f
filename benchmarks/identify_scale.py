"""`import case` + `identify` on a simulated exchange (issue 12): seconds by step, CPU and wall,
and the peak RSS of each size, each size in a fresh process and a fresh SQLite registry.

The case is `repatria simulate population --pm N --families 3N/4` (24 markers, burned partial
profiles, weak families). The baseline measured in the same run is the smallest size (default
200 x 150): the same path, so the ratio shows how each step scales. Target (issue 12):
2,000 x 1,500 under 90 s end to end and under 2 GB peak on the 2-core machine.

    .venv/bin/python benchmarks/identify_scale.py [--sizes 200 2000] [--seed 1]
        [--profile OUT.prof]   # cProfile of identify at the largest size (slower: 2-3x)
        [--db postgresql://...]  # an empty, migrated database for the largest size
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


class _Clock:
    """Progress callback recording, per step, its first and last update (wall and CPU)."""

    def __init__(self) -> None:
        self.steps: dict[str, list[float]] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        w, c = time.perf_counter(), time.process_time()
        s = self.steps.setdefault(step, [w, c, w, c])
        s[2], s[3] = w, c

    def table(self) -> dict[str, tuple[float, float]]:
        return {k: (v[2] - v[0], v[3] - v[1]) for k, v in self.steps.items()}


def one(n_pm: int, seed: int, db: str | None, profile: str | None) -> dict[str, Any]:
    """Simulate, import and identify one size in this process; the figures as a dict."""
    from repatria.registry.db import migrate
    from repatria.services.access.users import add_user
    from repatria.services.pipelines.simulation import write_population_case
    from repatria.services.workflows.case_import import import_case
    from repatria.services.workflows.identify import identify

    tmp = Path(tempfile.mkdtemp(prefix="identify_scale_"))
    case = write_population_case(n_pm, n_pm * 3 // 4, seed, tmp / "case", 24)
    url = db or f"sqlite:///{tmp / 'registry.sqlite'}"
    migrate(url)
    add_user(url, "ada", "admin")
    add_user(url, "ana", "analyst", actor="ada")
    out: dict[str, Any] = {"pm": n_pm, "families": n_pm * 3 // 4}
    clock = _Clock()
    w, c = time.perf_counter(), time.process_time()
    import_case(url, case, actor="ana", progress=clock)
    out["import"] = (time.perf_counter() - w, time.process_time() - c)
    out["import_steps"] = clock.table()
    out["import_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    clock = _Clock()
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    w, c = time.perf_counter(), time.process_time()
    result = identify(url, actor="ana", progress=clock)
    out["identify"] = (time.perf_counter() - w, time.process_time() - c)
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    out["identify_steps"] = clock.table()
    out["candidates"] = len(result.candidates)
    out["input_sha256"] = result.input_sha256
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _print(r: dict[str, Any], base: dict[str, Any] | None) -> None:
    print(f"\n{r['pm']} PM x {r['families']} families: {r['candidates']} candidates")
    print(f"  {'step':<34} {'wall s':>8} {'CPU s':>8}" + (f" {'x base':>7}" if base else ""))
    for part in ("import", "identify"):
        for name, (w, c) in r[f"{part}_steps"].items():
            b = (base or {}).get(f"{part}_steps", {}).get(name)
            ratio = f" {w / b[0]:7.1f}" if b and b[0] > 0 else ""
            print(f"  {part + ': ' + name:<34} {w:8.2f} {c:8.2f}{ratio}")
        w, c = r[part]
        b = (base or {}).get(part)
        ratio = f" {w / b[0]:7.1f}" if b and b[0] > 0 else ""
        print(f"  {part + ' (total)':<34} {w:8.2f} {c:8.2f}{ratio}")
    w = r["import"][0] + r["identify"][0]
    c = r["import"][1] + r["identify"][1]
    print(f"  {'end to end':<34} {w:8.2f} {c:8.2f}")
    print(f"  peak RSS {r['peak_rss_mb']:.0f} MB (after import {r['import_rss_mb']:.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default=None)
    ap.add_argument("--db", default=None)
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.seed, args.db, args.profile)))
        return
    base = None
    for i, n in enumerate(args.sizes):
        last = i == len(args.sizes) - 1
        cmd = [sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)]
        if last and args.profile:
            cmd += ["--profile", args.profile]
        if last and args.db:
            cmd += ["--db", args.db]
        done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
        if done.returncode != 0:
            print(f"\n{n} PM: failed\n{done.stderr[-2000:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        _print(r, base)
        base = base or r


if __name__ == "__main__":
    main()
