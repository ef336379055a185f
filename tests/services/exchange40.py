"""A simulated 40-bag exchange as a case folder, with the truth kept beside it (issue 14).

Twenty markers of ten equally frequent alleles, no mutation. The dead, and the bags they come
back in (``truth`` says who is who):

- ``plain``: 23 missing persons of strong families (father typed; mother too for some), one bag
  each; every third profile is burned (half its markers failed, some alleles lost);
- ``fragments``: 3 missing persons whose remains came back in two bags each; the second bag's
  sample is burned;
- ``shared``: one bag holding two people, a missing person (strong family) and an unknown man;
- ``mother``: a missing person whose family first has only his uncle typed (weak); his
  mother's reference arrives later (``later=True``);
- ``father``: a missing person whose family first names the wrong man (typed) as his father;
  the father is corrected later (``later=True``);
- ``weak``: 2 missing persons whose families have only an uncle typed, too weak to identify;
- ``decoys``: 6 unknown dead, of no family, one bag each.

Four more families miss persons who are not among the dead. 40 bags, 41 PM samples, 38 bodies.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

MARKERS = [f"M{i:02d}" for i in range(1, 21)]
ALLELES = [str(a) for a in range(10, 20)]

Geno = tuple[str, str]
Profile = dict[str, Geno]


@dataclass
class Truth:
    """Who is in which bag, and which bodies each step should find."""

    bags: dict[str, list[str]] = field(default_factory=dict)  # bag -> samples
    sample_person: dict[str, str] = field(default_factory=dict)  # sample -> MP or decoy id
    fragments: list[list[str]] = field(default_factory=list)  # samples that are one body
    shared_bag: str = ""
    shared_other: str = ""  # the sample of the second person in the shared bag
    identifiable_first: set[str] = field(default_factory=set)  # MPs identifiable at first
    identifiable_later: set[str] = field(default_factory=set)  # after the new versions
    not_identifiable: set[str] = field(default_factory=set)  # weak families
    decoys: set[str] = field(default_factory=set)
    missing_elsewhere: set[str] = field(default_factory=set)  # MPs not among the dead

    @property
    def n_bodies(self) -> int:
        return len(self.sample_person) - sum(len(f) - 1 for f in self.fragments)


class _Sim:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def founder(self) -> Profile:
        return {m: (self.rng.choice(ALLELES), self.rng.choice(ALLELES)) for m in MARKERS}

    def child(self, f: Profile, mo: Profile) -> Profile:
        return {m: (self.rng.choice(f[m]), self.rng.choice(mo[m])) for m in MARKERS}

    def burn(self, p: Profile) -> dict[str, tuple[str, str | None] | None]:
        """Half the markers failed, and a few heterozygotes lost one allele."""
        out: dict[str, tuple[str, str | None] | None] = {}
        for k, m in enumerate(MARKERS):
            a, b = p[m]
            if k % 2:
                out[m] = None
            elif a != b and self.rng.random() < 0.3:
                out[m] = (a, None)
            else:
                out[m] = (a, b)
        return out


def _cell(g: tuple[str, str | None] | None) -> str:
    if g is None:
        return ""
    return f"{g[0]}/{g[1] if g[1] is not None else '-'}"


def write_exchange(folder: Path, *, later: bool = False, seed: int = 40) -> Truth:
    """Write the case folder (``later``: with the mother's reference and the corrected father)."""
    sim = _Sim(seed)
    truth = Truth()
    am: list[str] = []
    missing: list[str] = []
    pm: dict[str, dict[str, tuple[str, str | None] | None]] = {}
    items: list[tuple[str, str]] = []
    bag_no = iter(range(1, 100))

    def row(fam: str, i: str, f: str, mo: str, sex: int, prof: Profile | None) -> None:
        cells = [_cell(prof[m]) if prof else "" for m in MARKERS]
        am.append(f"{fam}\t{i}\t{f}\t{mo}\t{sex}\t" + "\t".join(cells))

    def bag(samples: list[str]) -> str:
        name = f"BAG-{next(bag_no):02d}"
        truth.bags[name] = samples
        items.extend((s, name) for s in samples)
        return name

    def strong(n: int, mother_typed: bool) -> Profile:
        fam, mp = f"F{n:02d}", f"P{n:02d}"
        dad, mum = sim.founder(), sim.founder()
        row(fam, f"D{n:02d}", "0", "0", 1, dad)
        row(fam, f"W{n:02d}", "0", "0", 2, mum if mother_typed else None)
        row(fam, mp, f"D{n:02d}", f"W{n:02d}", 1, None)
        missing.append(f"{mp}\t{fam}")
        return sim.child(dad, mum)

    def uncle_only(n: int, mother_typed: bool) -> Profile:
        """Grandparents untyped, the uncle typed, the father untyped; the mother if given."""
        fam, mp = f"F{n:02d}", f"P{n:02d}"
        gf, gm, mum = sim.founder(), sim.founder(), sim.founder()
        dad, uncle = sim.child(gf, gm), sim.child(gf, gm)
        row(fam, f"G{n:02d}", "0", "0", 1, None)
        row(fam, f"H{n:02d}", "0", "0", 2, None)
        row(fam, f"D{n:02d}", f"G{n:02d}", f"H{n:02d}", 1, None)
        row(fam, f"U{n:02d}", f"G{n:02d}", f"H{n:02d}", 1, uncle)
        row(fam, f"W{n:02d}", "0", "0", 2, mum if mother_typed else None)
        row(fam, mp, f"D{n:02d}", f"W{n:02d}", 1, None)
        missing.append(f"{mp}\t{fam}")
        return sim.child(dad, mum)

    n = 0
    for k in range(23):  # plain
        n += 1
        body = strong(n, mother_typed=k % 3 == 0)
        s = f"S{n:02d}"
        pm[s] = sim.burn(body) if k % 3 == 0 else dict(body)
        truth.sample_person[s] = f"P{n:02d}"
        truth.identifiable_first.add(f"P{n:02d}")
        bag([s])
    for _ in range(3):  # fragments: two bags each
        n += 1
        body = strong(n, mother_typed=True)
        a, b = f"S{n:02d}A", f"S{n:02d}B"
        pm[a], pm[b] = dict(body), sim.burn(body)
        truth.sample_person[a] = truth.sample_person[b] = f"P{n:02d}"
        truth.fragments.append([a, b])
        truth.identifiable_first.add(f"P{n:02d}")
        bag([a])
        bag([b])
    n += 1  # the shared bag
    body = strong(n, mother_typed=True)
    mine, other = f"S{n:02d}", "X99"
    pm[mine], pm[other] = dict(body), dict(sim.founder())
    truth.sample_person[mine], truth.sample_person[other] = f"P{n:02d}", "X99"
    truth.identifiable_first.add(f"P{n:02d}")
    truth.decoys.add(other)
    truth.shared_bag, truth.shared_other = bag([mine, other]), other
    n += 1  # the mother who comes later (the same draws either way: the same people)
    body = uncle_only(n, mother_typed=later)
    s = f"S{n:02d}"
    pm[s] = dict(body)
    truth.sample_person[s] = f"P{n:02d}"
    truth.identifiable_later.add(f"P{n:02d}")
    bag([s])
    n += 1  # the father named wrong at first
    fam, mp = f"F{n:02d}", f"P{n:02d}"
    dad, mum, wrong = sim.founder(), sim.founder(), sim.founder()
    father = (f"D{n:02d}", dad) if later else (f"V{n:02d}", wrong)
    row(fam, father[0], "0", "0", 1, father[1])
    row(fam, f"W{n:02d}", "0", "0", 2, None)
    row(fam, mp, father[0], f"W{n:02d}", 1, None)
    missing.append(f"{mp}\t{fam}")
    body = sim.child(dad, mum)
    s = f"S{n:02d}"
    pm[s] = dict(body)
    truth.sample_person[s] = mp
    truth.identifiable_later.add(mp)
    bag([s])
    for _ in range(2):  # weak families
        n += 1
        body = uncle_only(n, mother_typed=False)
        s = f"S{n:02d}"
        pm[s] = dict(body)
        truth.sample_person[s] = f"P{n:02d}"
        truth.not_identifiable.add(f"P{n:02d}")
        bag([s])
    for k in range(6):  # decoys
        s = f"X{k + 1:02d}"
        pm[s] = dict(sim.founder())
        truth.sample_person[s] = s
        truth.decoys.add(s)
        bag([s])
    for _ in range(4):  # families whose missing are not among the dead
        n += 1
        strong(n, mother_typed=False)
        truth.missing_elsewhere.add(f"P{n:02d}")

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
    rows = ["id\tsex\t" + "\t".join(MARKERS)]
    rows += [f"{v}\t1\t" + "\t".join(_cell(g.get(m)) for m in MARKERS) for v, g in pm.items()]
    (folder / "pm.tsv").write_text("\n".join(rows) + "\n")
    head = "famid\tid\tfid\tmid\tsex\t" + "\t".join(MARKERS)
    (folder / "am.tsv").write_text("\n".join([head, *am]) + "\n")
    (folder / "missing.txt").write_text("\n".join(missing) + "\n")
    (folder / "items.tsv").write_text("sample\titem\n" + "".join(f"{s}\t{b}\n" for s, b in items))
    return truth
