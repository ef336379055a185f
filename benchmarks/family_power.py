"""Cost of "which relative to sample next" from the registry (issue 13, deliverable 6).

Loads the demo scenario (10 reference families, 23 STR markers) into a temporary SQLite file,
then times, per family, :func:`family_power` cold (computed) and warm (the per-process cache),
and the programme view :func:`weak_families` with ``below=1`` (every unresolved missing person
listed, the best relative computed for each row shown).

    .venv/bin/python benchmarks/family_power.py [--sims 50 200]

Baseline (2 shared cores under a load average of about 10, 2026-12-02, ``--sims 50``): one
family cold 6.2-14.8 s (95.6 s for all 10; the exclusion power of "a child and its other
parent", beyond the exact limit, is the largest single part), warm 0.17-0.34 s (the registry
read); the programme view of the demo's 2 unresolved missing persons (1 below power 1) cold
14.1 s, warm 0.26 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, nargs="+", default=[50, 200])
    args = ap.parse_args()

    from repatria.registry.db import migrate
    from repatria.services.workflows import family_power as fp
    from repatria.services.workflows.demo_scenario import load_demo

    with tempfile.TemporaryDirectory() as d:
        db = f"sqlite:///{Path(d) / 'demo.sqlite'}"
        migrate(db)
        load_demo(db)
        with fp.session_scope(db, read=True) as s:
            refs = sorted(fp._read(s, None).families)
        for sims in args.sims:
            fp._CACHE.clear()
            total = 0.0
            for ref in refs:
                t = time.perf_counter()
                r = fp.family_power(db, ref, actor="ana", sims=sims)
                cold = time.perf_counter() - t
                t = time.perf_counter()
                fp.family_power(db, ref, actor="ana", sims=sims)
                warm = time.perf_counter() - t
                total += cold
                n = sum(len(m["candidates"]) for m in r.missing_persons)
                print(
                    f"sims {sims:4d}  {ref:8s} {n:2d} candidates  cold {cold:6.2f} s  "
                    f"warm {warm:6.3f} s"
                )
            print(f"sims {sims:4d}  all {len(refs)} families cold {total:.1f} s")
            fp._CACHE.clear()
            t = time.perf_counter()
            w = fp.weak_families(db, actor="ana", below=1.0, sims=sims)
            cold = time.perf_counter() - t
            t = time.perf_counter()
            fp.weak_families(db, actor="ana", below=1.0, sims=sims)
            warm = time.perf_counter() - t
            print(
                f"sims {sims:4d}  programme view: {w.page.total} of {w.considered} listed, "
                f"cold {cold:.2f} s, warm {warm:.3f} s"
            )


if __name__ == "__main__":
    main()
