"""Pedigree likelihood speed: a 3-generation, 15-person pedigree with 5 typed members at 24
markers of 20–60 alleles (proportional mutation model), and the same with a loop (a first-cousin
marriage), against a naive baseline measured in the same run.

A textbook baseline (summing over every founder genotype combination) cannot finish at 20+
alleles, so the baseline here is the same exact engine with allele lumping switched off: every
allele of every marker, as an implementation without lumping pays.

    .venv/bin/python benchmarks/likelihood.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from repatria.kinship import Individual, Marker, Pedigree, Sex, mutation_model
from repatria.kinship.probability import likelihood, marker_likelihood
from repatria.kinship.simulate import simulate_profiles

M, F = Sex.MALE, Sex.FEMALE


def pedigree(loop: bool) -> Pedigree:
    inds = [
        Individual("GF1", sex=M),
        Individual("GM1", sex=F),
        Individual("GF2", sex=M),
        Individual("GM2", sex=F),
        Individual("A1", "GF1", "GM1", M),
        Individual("A2", "GF1", "GM1", F),
        Individual("A3", "GF1", "GM1", M),
        Individual("B1", "GF2", "GM2", F),
        Individual("B2", "GF2", "GM2", M),
        Individual("W1", sex=F),
        Individual("C1", "A1", "B1", M),
        Individual("C2", "A1", "B1", F),
        Individual("C3", "B2", "A2", M),
    ]
    if loop:  # children of A3 and a cousin-line marriage: C2 (A1×B1) marries C3 (B2×A2): a loop
        inds += [Individual("D1", "C3", "C2", M), Individual("D2", "C3", "C2", F)]
    else:
        inds += [Individual("D1", "A3", "W1", M), Individual("D2", "A3", "W1", F)]
    return Pedigree(inds)


def markers(rng: np.random.Generator) -> list[Marker]:
    out = []
    for k in range(24):
        n = int(rng.integers(20, 61))
        p = rng.dirichlet(np.ones(n))
        alleles = tuple(str(5 + i) for i in range(n))
        mm = mutation_model("proportional", alleles, p, rate=0.002)
        out.append(Marker(f"M{k}", alleles, p, mm, mm))
    return out


def naive(ped, mks, prof) -> float:
    total = 0.0
    for m in mks:
        geno = {pid: pr[m.name] for pid, pr in prof.items()}
        total += marker_likelihood(ped, m, geno, lumping="none")
    return total


def timeit(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    mks = markers(rng)
    for loop in (False, True):
        ped = pedigree(loop)
        full = simulate_profiles(ped, mks, rng)
        typed = ["D1", "D2", "C1", "GM1", "B2"]
        prof = {pid: full[pid] for pid in typed}
        fast = timeit(lambda ped=ped, prof=prof: likelihood(ped, mks, prof), args.repeat)
        slow = timeit(lambda ped=ped, prof=prof: naive(ped, mks, prof), 1)
        a = likelihood(ped, mks, prof).loglik
        b = naive(ped, mks, prof)
        print(
            f"{'loop' if loop else 'no loop':8s} 15 persons, 5 typed, 24 markers (20-60 alleles): "
            f"repatria {fast * 1000:8.1f} ms   baseline (no lumping) {slow * 1000:8.1f} ms   "
            f"speed-up x{slow / fast:6.1f}   |loglik diff| {abs(a - b):.1e}"
        )


if __name__ == "__main__":
    main()
