"""A small case for the lineage tests: one family whose typed relatives are a paternal uncle (U),
a paternal aunt (A) and a maternal cousin through mothers (C); the MP's body V1 and an unrelated
man's body V2. Autosomal profiles simulated from the pedigree (seeded); lineage haplotypes and
databases written by hand, so the lineage LRs can be derived by hand.

    GF x GM           MGF x MGM
     |  |  |             |    |
     F  U  A      M      MA x CF
     F x M               |
     MP  B               C          (B, the MP's brother, typed only where a test says)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repatria.formats.casefolder import write_case_folder
from repatria.kinship import DVIProblem, Individual, Pedigree, simulate_profiles
from repatria.kinship.pedigree import Sex
from repatria.services.pipelines.simulation import standard_markers

M, F = Sex.MALE, Sex.FEMALE
FAMILY = "FAM"
PEDIGREE = Pedigree(
    [
        Individual("GF", sex=M),
        Individual("GM", sex=F),
        Individual("MGF", sex=M),
        Individual("MGM", sex=F),
        Individual("CF", sex=M),
        Individual("F", "GF", "GM", M),
        Individual("U", "GF", "GM", M),
        Individual("A", "GF", "GM", F),
        Individual("M", "MGF", "MGM", F),
        Individual("MA", "MGF", "MGM", F),
        Individual("C", "CF", "MA", M),
        Individual("MP", "F", "M", M),
        Individual("B", "F", "M", M),
    ]
)
TYPED = ("U", "A", "C")

Y_BODY = "DYS19=14;DYS390=22;DYS391=10"
Y_OTHER = "DYS19=16;DYS390=24;DYS391=11"  # C's Y, from his father: not the MP's line
MT_BODY = "16519C 263G@16024-16569"
Y_LOCI, Y_MEIOSES, MT_MEIOSES = 3, 3, 4  # uncle: 2 + 1 meioses; cousin: 2 + 2
Y_DB_N, MT_DB_N = 100, 50  # database sizes; the bodies' haplotypes are in neither (count 0)


def write_case(folder: Path, seed: int = 7, typed: tuple[str, ...] = TYPED) -> Path:
    markers = standard_markers(23)
    world = Pedigree([*PEDIGREE, Individual("X", sex=M)])
    sim = simulate_profiles(world, markers, np.random.default_rng(seed))
    problem = DVIProblem(
        markers,
        ("V1", "V2"),
        {"V1": M, "V2": M},
        {"V1": sim["MP"], "V2": sim["X"]},
        {FAMILY: PEDIGREE},
        {FAMILY: {t: sim[t] for t in typed}},
        ("MP",),
        {"MP": FAMILY},
    )
    return write_case_folder(problem, folder)


def lineage_lines(**override: str) -> str:
    rows = {
        ("V1", "", "y_str"): Y_BODY,
        ("V1", "", "mtdna"): MT_BODY,
        ("V2", "", "y_str"): Y_OTHER,
        ("", "U", "y_str"): Y_BODY,
        ("", "A", "y_str"): Y_BODY,  # a woman of the paternal line: no Y, never counted
        ("", "C", "y_str"): Y_OTHER,
        ("", "C", "mtdna"): MT_BODY,
    }
    out = ["sample\tdonor\tkind\thaplotype"]
    out += [f"{s}\t{d}\t{k}\t{override.get(s or d, h)}" for (s, d, k), h in rows.items()]
    return "\n".join(out) + "\n"


def y_database(path: Path) -> Path:
    rows = ["id\tDYS19\tDYS390\tDYS391"]
    rows += [f"Y{i}\t{15 + i % 4}\t{21 + i // 25}\t{9 + i % 3}" for i in range(Y_DB_N)]
    keep = [r for r in rows[1:] if r.split("\t")[1:] != ["14", "22", "10"]]
    assert len(keep) == Y_DB_N  # the body's haplotype is not among them
    path.write_text("\n".join(rows) + "\n")
    return path


def mt_database(path: Path) -> Path:
    rows = ["id\tvariants\tread"]
    rows += [f"T{i}\t{16100 + i}T 263G\t16024-16569" for i in range(MT_DB_N)]
    path.write_text("\n".join(rows) + "\n")
    return path
