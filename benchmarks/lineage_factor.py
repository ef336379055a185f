"""How long one lineage factor of identify takes (``lineage_evidence.lineage_finding``) against a
Y-STR database of N haplotypes of 17 loci: identify computes one per candidate, body kind and
donor on the MP's line, each a pass over the database.

    PYTHONPATH=src python benchmarks/lineage_factor.py [N ...]

Prints factors per second for each N. Baseline (2-core shared machine, 2026-12-02, other jobs
running): N=10,000 about 8 factors/s (0.13 s each); the pass is linear in N.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from repatria.kinship.lineage import y_haplotype
from repatria.services.workflows.lineage_evidence import lineage_finding

LOCI = [f"DYS{400 + i}" for i in range(17)]


def main(sizes: list[int]) -> None:
    rng = np.random.default_rng(1)
    body = y_haplotype({locus: "14" for locus in LOCI})
    lineage_finding(
        "y_str", body, body, [body], meioses=1, donor_ref="U", relation="father", db_label="warm-up"
    )  # fmt: skip  (the first call imports scipy.special)
    for n in sizes:
        db = [y_haplotype({locus: str(int(a)) for locus, a in zip(LOCI, row, strict=True)})
              for row in rng.integers(10, 18, size=(n, len(LOCI)))]  # fmt: skip
        reps, start = 0, time.perf_counter()
        while reps < 3 or time.perf_counter() - start < 1.0:
            lineage_finding("y_str", body, body, db, meioses=3, donor_ref="U",
                            relation="uncle", db_label="y@1")  # fmt: skip
            reps += 1
        per = (time.perf_counter() - start) / reps
        print(f"N={n:>7}: {1 / per:10.1f} factors/s ({per * 1e3:.2f} ms each)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 50_000])
