"""A small case for the direct-reference tests (issue 13, 4).

Family F1 holds MP1 alone: no relative typed, only his toothbrush (``direct.tsv``). Family F2
holds MP2 and his typed mother M2, and MP2's razor, which he shared (reliability 0.8). Bodies:
V1 is MP1, V2 is MP2, V3 an unrelated man. Profiles simulated from the pedigree (seeded).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repatria.formats.casefolder import write_case_folder
from repatria.formats.genotypes import format_genotype
from repatria.kinship import DVIProblem, Individual, Pedigree, simulate_profiles
from repatria.kinship.pedigree import Genotype, Sex
from repatria.services.pipelines.simulation import standard_markers

M, F = Sex.MALE, Sex.FEMALE
F1 = Pedigree([Individual("MP1", sex=M)])
F2 = Pedigree(
    [Individual("FA2", sex=M), Individual("M2", sex=F), Individual("MP2", "FA2", "M2", M)]
)
N_MARKERS = 15


def simulate(seed: int = 11) -> tuple[list, dict[str, dict[str, Genotype]]]:
    markers = standard_markers(N_MARKERS)
    world = Pedigree([*F1, *F2, Individual("X", sex=M)])
    return markers, simulate_profiles(world, markers, np.random.default_rng(seed))


def write_case(folder: Path, seed: int = 11, direct: bool = True) -> Path:
    markers, sim = simulate(seed)
    problem = DVIProblem(
        markers,
        ("V1", "V2", "V3"),
        {"V1": M, "V2": M, "V3": M},
        {"V1": sim["MP1"], "V2": sim["MP2"], "V3": sim["X"]},
        {"F1": F1, "F2": F2},
        {"F2": {"M2": sim["M2"]}},
        ("MP1", "MP2"),
        {"MP1": "F1", "MP2": "F2"},
    )
    out = write_case_folder(problem, folder)
    if direct:
        (out / "direct.tsv").write_text(direct_lines(markers, sim))
    return out


def direct_lines(markers: list, sim: dict[str, dict[str, Genotype]], **cells: str) -> str:
    """``direct.tsv``: MP1's toothbrush (reliability 1) and MP2's razor (0.8); ``cells``
    overrides a column of the first item, e.g. ``item="spoon"``."""
    names = [m.name for m in markers]
    head = ["id", "missing", "item", "reliability", "dropout", *names]
    rows = [
        [
            "TB-1",
            "MP1",
            "toothbrush",
            "1",
            "",
            *(format_genotype(sim["MP1"].get(n)) for n in names),
        ],
        [
            "RZ-2",
            "MP2",
            "razor",
            "0.8",
            "0.05",
            *(format_genotype(sim["MP2"].get(n)) for n in names),
        ],
    ]
    for k, v in cells.items():
        rows[0][head.index(k)] = v
    return "\n".join("\t".join(r) for r in [head, *rows]) + "\n"
