"""The registry's exact fragment search (``services.workflows.fragment_search.linked_pairs``):
every pair of PM samples of different bodies scored, on burned profiles.

Simulated: n samples of n/2 people (most in one sample, some in two), 24 markers of 12
alleles; every sample is burned (each marker fails with probability 0.4, a heterozygote loses
one allele with probability 0.2). Prints, for each n, the pairs scored, seconds, pairs per
second, and the true fragment pairs found (all of them, as the search is exact) against the
baseline of one pair at a time (timed on a sample of pairs and scaled to all).

    .venv/bin/python benchmarks/fragment_search_exact.py [--sizes 500 1000 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from repatria.kinship.fragments import direct_match_log_lr, encode_samples
from repatria.kinship.markers import Marker
from repatria.services.workflows.fragment_search import linked_pairs

N_MARKERS, N_ALLELES = 24, 12


def simulate(n: int, rng: np.random.Generator) -> tuple[list[Marker], list[str], dict, set]:
    markers = []
    for k in range(N_MARKERS):
        p = rng.dirichlet(np.full(N_ALLELES, 2.0))
        markers.append(Marker(f"L{k}", tuple(str(a) for a in range(N_ALLELES)), p))
    people = []
    for _ in range(max(1, n // 2)):
        people.append([tuple(rng.choice(N_ALLELES, 2, p=m.afreq)) for m in markers])
    owner = [i % len(people) for i in range(n)]
    ids = [f"S{i}" for i in range(n)]
    profiles: dict[str, dict[str, tuple[str, str | None]]] = {}
    for i, who in enumerate(owner):
        prof: dict[str, tuple[str, str | None]] = {}
        for m, (a, b) in zip(markers, people[who], strict=True):
            if rng.random() < 0.4:
                continue
            if a != b and rng.random() < 0.2:
                prof[m.name] = (str(a), None)
            else:
                prof[m.name] = (str(a), str(b))
        profiles[ids[i]] = prof
    truth = {(ids[i], ids[j]) for i in range(n) for j in range(i + 1, n) if owner[i] == owner[j]}
    return markers, ids, profiles, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    print("n\tpairs\tseconds\tpairs/s\ttrue_found\ttrue_pairs\tbaseline_s(one pair at a time)")
    for n in args.sizes:
        markers, ids, profiles, truth = simulate(n, rng)
        t0 = time.perf_counter()
        links, pairs = linked_pairs(
            markers, ids, list(range(n)), profiles, dropout=0.05, min_lr=1e6
        )
        secs = time.perf_counter() - t0
        found = {(a, b) for a, b, _ in links} & truth
        enc = encode_samples(markers, ids, profiles)
        sample = min(2000, pairs)
        t0 = time.perf_counter()
        for _ in range(sample):
            i, j = rng.integers(0, n, 2)
            direct_match_log_lr(
                markers,
                0.05,
                enc.a[i : i + 1],
                enc.b[i : i + 1],
                enc.a[j : j + 1],
                enc.b[j : j + 1],
            )
        baseline = (time.perf_counter() - t0) / sample * pairs
        print(
            f"{n}\t{pairs}\t{secs:.2f}\t{pairs / secs:,.0f}\t{len(found)}\t{len(truth)}"
            f"\t{baseline:.1f}"
        )
        # an exact search finds every true pair whose LR passes the threshold
        strong = [
            (a, b)
            for a, b in truth
            if direct_match_log_lr(
                markers,
                0.05,
                enc.a[[ids.index(a)]],
                enc.b[[ids.index(a)]],
                enc.a[[ids.index(b)]],
                enc.b[[ids.index(b)]],
            )[0]
            >= math.log(1e6)
        ]
        assert set(strong) <= found, "the exact search missed a pair above the threshold"


if __name__ == "__main__":
    main()
