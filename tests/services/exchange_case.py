"""A small simulated exchange as a case folder: fragments of one body, a bag holding two, families.

Twelve markers of eight equally frequent alleles, no mutation. Family F1: missing M1, his
father D1 typed (his mother D1M is added later, :func:`add_mother`); family F2: missing M2
and his typed father D2. PM samples: V1A (M1, full profile), V1B (M1 again, half the markers
lost and two single alleles), V2 (M2), V3 (an unrelated person; his sample and V2 were taken
from one bag).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

MARKERS = [f"L{i:02d}" for i in range(1, 13)]
ALLELES = [str(a) for a in range(10, 18)]


def _genotype(rng: random.Random) -> tuple[str, str]:
    return rng.choice(ALLELES), rng.choice(ALLELES)


def _child(rng: random.Random, f: tuple[str, str], m: tuple[str, str]) -> tuple[str, str]:
    return rng.choice(f), rng.choice(m)


def people(seed: int = 7) -> dict[str, dict[str, tuple[str, str]]]:
    """Every simulated person's genotypes, by id."""
    rng = random.Random(seed)
    out: dict[str, dict[str, tuple[str, str]]] = {
        k: {m: _genotype(rng) for m in MARKERS} for k in ("D1", "D1M", "D2", "D2M", "U3", "W2")
    }
    out["M1"] = {m: _child(rng, out["D1"][m], out["D1M"][m]) for m in MARKERS}
    out["M2"] = {m: _child(rng, out["D2"][m], out["D2M"][m]) for m in MARKERS}
    return out


def _cell(g: tuple[str | None, str | None] | None) -> str:
    if g is None:
        return ""
    return f"{g[0]}/{g[1] if g[1] is not None else '-'}"


def write_case(
    folder: Path, *, with_mother: bool = False, wrong_father: bool = False, seed: int = 7
) -> Path:
    """Write the case folder.

    ``with_mother``: D1M is typed in F1 (a reference added later); ``wrong_father``: F2 names
    W2 (another man, typed) as M2's father instead of D2, as a mixed-up pedigree does.
    """
    p = people(seed)
    folder.mkdir(parents=True, exist_ok=True)
    markers = {
        "n": len(MARKERS),
        "markers": [
            {
                "name": m,
                "chrom": None,
                "posMb": None,
                "isX": False,
                "alleles": ALLELES,
                "afreq": [1 / len(ALLELES)] * len(ALLELES),
                "mutmod": None,
            }
            for m in MARKERS
        ],
    }
    (folder / "markers.json").write_text(json.dumps(markers))
    v1b: dict[str, tuple[str | None, str | None] | None] = {}
    for k, m in enumerate(MARKERS):
        a, b = p["M1"][m]
        v1b[m] = None if k % 2 else ((a, None) if k in (2, 6) else (a, b))
    pm = {"V1A": p["M1"], "V1B": v1b, "V2": p["M2"], "V3": p["U3"]}
    rows = ["id\tsex\t" + "\t".join(MARKERS)]
    for v, g in pm.items():
        rows.append(f"{v}\t1\t" + "\t".join(_cell(g.get(m)) for m in MARKERS))
    (folder / "pm.tsv").write_text("\n".join(rows) + "\n")
    am = ["famid\tid\tfid\tmid\tsex\t" + "\t".join(MARKERS)]

    def line(fam: str, i: str, f: str, mo: str, sex: int, typed: str | None) -> str:
        cells = [_cell(p[typed][m]) if typed else "" for m in MARKERS]
        return f"{fam}\t{i}\t{f}\t{mo}\t{sex}\t" + "\t".join(cells)

    am.append(line("F1", "D1", "0", "0", 1, "D1"))
    am.append(line("F1", "D1M", "0", "0", 2, "D1M" if with_mother else None))
    am.append(line("F1", "M1", "D1", "D1M", 1, None))
    father = "W2" if wrong_father else "D2"
    am.append(line("F2", father, "0", "0", 1, father))
    am.append(line("F2", "D2M", "0", "0", 2, None))
    am.append(line("F2", "M2", father, "D2M", 1, None))
    (folder / "am.tsv").write_text("\n".join(am) + "\n")
    (folder / "missing.txt").write_text("M1\tF1\nM2\tF2\n")
    # V2 and V3 were taken from one bag
    (folder / "items.tsv").write_text("sample\titem\nV2\tBAG-7\nV3\tBAG-7\n")
    return folder
