"""How the demo's DNA case (``exchange-2025-02/``) was made. Not run by Repatria: the files are
bundled.

Run from the project root to regenerate (the output is deterministic for the seed)::

    python src/repatria/data/demo/make_demo_case.py

A simulated body exchange: 12 sets of remains received, 10 reference families (one missing
soldier each; parents, a parent, siblings, a child...), 23 STR markers with East Asian
frequencies (norSTR 2023, bundled in ``data/frequencies``), proportional mutation model, rate
0.001. Remains recorded as burned or fragmentary in ``remains.tsv`` give partial profiles
(degraded DNA: some markers fail). PM ids are the remains' references and MP ids the persons'
references of ``remains.tsv`` / ``persons.tsv``, so the case joins those records on import.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from repatria.formats.casefolder import write_case_folder
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.pedigree import Pedigree
from repatria.kinship.simulate import simulate_dvi
from repatria.services.pipelines.simulation import standard_markers

SEED = 1950
HERE = Path(__file__).resolve().parent
ROLE = {
    "FA": "father",
    "MO": "mother",
    "S1": "brother",
    "S2": "sister",
    "CH": "daughter",
    "WI": "wife",
    "HS": "half-brother",
    "CO": "cousin",
}
DONOR_NAMES = [
    "Kim Young-hee",
    "Ri Song-ho",
    "Pak Mi-ran",
    "Choe Kwang-il",
    "Jang Un-jong",
    "Han Chol",
    "O Sun-ok",
    "Kang Myong-su",
    "Yun Hye-suk",
    "Jo Chol-nam",
    "Ri Kyong-ae",
    "Kim Jong-su",
    "Pak Chol-jin",
    "Choe Ok-sun",
    "Mun Sung-il",
    "Ryu Hyang-mi",
]


def main() -> None:
    rng = np.random.default_rng(SEED)
    sim = simulate_dvi(standard_markers(23), 12, 10, rng, unrelated_victims=0.2)
    p = sim.problem
    with open(HERE / "remains.tsv", encoding="utf-8") as f:
        rows = [
            r
            for r in csv.DictReader(
                (line for line in f if not line.startswith("#")), delimiter="\t"
            )
        ]
    sampled = [r for r in rows if r["condition"] not in ("cremated_or_destroyed",)][: len(p.pm)]
    pm_map = {v: r["remains_ref"] for v, r in zip(p.pm, sampled, strict=False)}
    condition = {r["remains_ref"]: r["condition"] for r in rows}
    mp_map = {m: f"P-{k:04d}" for k, m in enumerate(p.missing, start=1)}
    fam_map = {f: f"FAM-{k:02d}" for k, f in enumerate(p.families, start=1)}

    families, am, donors = {}, {}, []
    names = iter(DONOR_NAMES)
    for f, ped in p.families.items():
        label = {i.id: i.id.replace(f"{f}-", f"{fam_map[f]}-") for i in ped}
        label.update({m: mp_map[m] for m in p.family_missing[f]})
        families[fam_map[f]] = Pedigree(list(ped.relabel(label)), name=fam_map[f])
        am[fam_map[f]] = {label[i]: g for i, g in p.am_profiles.get(f, {}).items()}
        for i in p.am_profiles.get(f, {}):
            donors.append(
                (
                    label[i],
                    next(names),
                    ROLE.get(i.split("-")[-1], "relative"),
                    "identification",
                    "2025-01-15",
                )
            )

    pm_prof = {}
    for v, prof in p.pm_profiles.items():
        ref = pm_map[v]
        keep = dict(prof)
        if condition[ref] in ("burned", "fragmentary", "commingled"):
            # Degraded DNA: the longer amplicons drop out first; here a random third to half fail.
            n_fail = int(rng.integers(len(keep) // 3, len(keep) // 2 + 1))
            for name in rng.choice(sorted(keep), size=n_fail, replace=False):
                del keep[name]
        pm_prof[ref] = keep
    problem = DVIProblem(
        p.markers,
        tuple(pm_map[v] for v in p.pm),
        {pm_map[v]: s for v, s in p.pm_sex.items()},
        pm_prof,
        families,
        am,
        tuple(mp_map[m] for m in p.missing),
        {mp_map[m]: fam_map[f] for m, f in p.missing_family.items()},
    )
    out = HERE / "exchange-2025-02"
    write_case_folder(problem, out)
    (out / "pairings.json").unlink()  # the default (sex-compatible) pairings
    with open(out / "donors.tsv", "w", encoding="utf-8") as f:
        f.write("id\tname\trelationship\tconsent_scope\tconsent_given_on\n")
        for d in donors:
            f.write("\t".join(d) + "\n")
    truth = {pm_map[v]: (mp_map[m] if m != "*" else "*") for v, m in sim.truth.items()}
    (HERE / "truth.json").write_text(
        json.dumps({"seed": SEED, "truth": truth}, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
