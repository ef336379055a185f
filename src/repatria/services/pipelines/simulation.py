"""Simulated cases on a bundled, published frequency table (for demos, tests and benchmarks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from repatria.formats.casefolder import write_case_folder
from repatria.formats.frequencies import bundled_table
from repatria.kinship.markers import Marker
from repatria.kinship.simulate import SimulatedDVI, simulate_dvi

__all__ = [
    "STANDARD_MARKERS",
    "standard_markers",
    "simulate_dvi_case",
    "write_simulated_case",
    "POPULATION_TABLE",
    "write_population_case",
]

#: The table of ``simulate population``: norSTR East Asia 2023 (see data/frequencies/SOURCES.md).
POPULATION_TABLE = "norstr_east_asia_2023"

#: The 23 autosomal STRs of PowerPlex Fusion / GlobalFiler-like kits (CODIS 20 + SE33 + Penta D/E).
STANDARD_MARKERS = (
    "CSF1PO",
    "D1S1656",
    "D2S441",
    "D2S1338",
    "D3S1358",
    "D5S818",
    "D7S820",
    "D8S1179",
    "D10S1248",
    "D12S391",
    "D13S317",
    "D16S539",
    "D18S51",
    "D19S433",
    "D21S11",
    "D22S1045",
    "FGA",
    "TH01",
    "TPOX",
    "vWA",
    "SE33",
    "Penta D",
    "Penta E",
    "D6S1043",
)


def standard_markers(
    n: int = 23,
    table: str = "norstr_east_asia_2023",
    mutation: str | None = "proportional",
    rate: float = 0.001,
) -> list[Marker]:
    """``n`` standard STR markers from a bundled table, with a mutation model.

    The default model is proportional with rate 0.001.
    """
    t = bundled_table(table)
    norm = {k.replace(" ", "").replace("_", "").upper(): k for k in t.markers}
    out = []
    for name in STANDARD_MARKERS:
        key = norm.get(name.replace(" ", "").replace("_", "").upper())
        if key is not None:
            out.append(t.marker(key, mutation=mutation, rate=rate))
        if len(out) == n:
            break
    # The table may lack some kit loci (norSTR East Asia has no D6S1043): top up with the table's
    # other loci, in the table's order, so that asking for 24 markers gives 24.
    chosen = {m.name for m in out}
    for key in t.markers:
        if len(out) >= n:
            break
        if key not in chosen:
            out.append(t.marker(key, mutation=mutation, rate=rate))
            chosen.add(key)
    return out


def simulate_dvi_case(victims: int, families: int, seed: int, n_markers: int = 23) -> SimulatedDVI:
    return simulate_dvi(standard_markers(n_markers), victims, families, np.random.default_rng(seed))


def write_simulated_case(
    victims: int, families: int, seed: int, out: str | Path, n_markers: int = 23
) -> Path:
    """Write a simulated case folder and its ``truth.json`` (``{"truth": {PM: MP or "*"}}``)."""
    sim = simulate_dvi_case(victims, families, seed, n_markers)
    return write_case_folder(
        sim.problem,
        out,
        extra={
            "truth.json": {"truth": sim.truth, "seed": seed, "frequencies": "norstr_east_asia_2023"}
        },
    )


def write_population_case(
    n_pm: int,
    families: int,
    seed: int,
    out: str | Path,
    n_markers: int = 24,
    **options: Any,
) -> Path:
    """Write a screening-scale case folder and ``truth.json`` (``{"truth": {PM: MP or "*"},
    "fragments": [[PM, ...], ...]}``). Pairings are the default ones (by sex), so no
    ``pairings.json`` is written."""
    from repatria.kinship.simulate import simulate_population

    markers = standard_markers(n_markers, table=POPULATION_TABLE)
    sim = simulate_population(markers, n_pm, families, np.random.default_rng(seed), **options)
    extra = {
        "truth.json": {
            "truth": sim.truth,
            "fragments": sim.fragments,
            "seed": seed,
            "frequencies": POPULATION_TABLE,
            "markers": [m.name for m in markers],
        }
    }
    return write_case_folder(sim.problem, out, extra=extra, pairings=False)
