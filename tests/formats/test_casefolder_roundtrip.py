"""A case folder reads back to what was written: ``read_case_folder(write_case_folder(p)) == p``.

Hypothesis draws whole DVI problems (markers with and without mutation models, reference families
of two or three generations, partial and untyped genotypes, PM samples, missing persons, explicit
or default pairings) with ids and allele labels in any script, as sqlite-utils'
``tests/test_hypothesis.py`` round-trips values through its database.

The labels stay inside what the format can carry (``FORMAT.md``): no tab, ``/`` or line break, no
blank at either end (cells are stripped), not a word the format reserves (``0`` and ``NA`` for no
parent, ``-`` for an unknown allele, the column names), and an id does not start with ``#`` (a
line starting with ``#`` is a comment).
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.formats.casefolder import read_case_folder, write_case_folder
from repatria.kinship.dvi import NOBODY, DefaultPairings, DVIProblem
from repatria.kinship.markers import Marker, MutationModel, mutation_model
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex

RESERVED = {"", "0", "NA", "-", "*", "id", "sex", "famid", "fid", "mid"}

LABEL_CHARS = st.characters(
    categories=("L", "N"), include_characters=" ._-'()+é", exclude_characters="\t/"
)
labels = st.text(LABEL_CHARS, min_size=1, max_size=8).filter(
    lambda s: s == s.strip() and s not in RESERVED and not s.startswith("#")
)


@st.composite
def markers(draw: st.DrawFn, name: str) -> Marker:
    alleles = draw(st.lists(labels, min_size=1, max_size=5, unique=True))
    weights = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=len(alleles))))[: len(alleles)]
    afreq = weights / weights.sum()
    models: list[MutationModel | None] = [None, None]
    if len(alleles) > 1 and draw(st.booleans()):
        kind = draw(st.sampled_from(["equal", "proportional"]))
        rates = draw(st.lists(st.floats(0.0, 0.01), min_size=2, max_size=2))
        models = [mutation_model(kind, alleles, afreq, rate=r) for r in rates]
    chrom = draw(st.sampled_from([None, "X", "3", "11"]))
    is_x = chrom == "X" or (chrom is None and draw(st.booleans()))
    pos_mb = draw(st.none() | st.floats(0, 250, allow_nan=False))
    return Marker(name, tuple(alleles), afreq, models[0], models[1], is_x, chrom, pos_mb)


def _family_shape(draw: st.DrawFn) -> list[tuple[int, int | None, int | None, Sex]]:
    """Rows ``(index, father, mother, sex)``: a couple, children, maybe grandchildren."""
    rows: list[tuple[int, int | None, int | None, Sex]] = [(0, None, None, Sex.MALE)]
    rows.append((1, None, None, Sex.FEMALE))
    sexes = st.sampled_from(list(Sex))
    for _ in range(draw(st.integers(1, 3))):
        rows.append((len(rows), 0, 1, draw(sexes)))
    if draw(st.booleans()):
        child = 2
        parent_sex = draw(st.sampled_from([Sex.MALE, Sex.FEMALE]))
        rows[child] = (child, 0, 1, parent_sex)
        spouse = len(rows)
        spouse_sex = Sex.FEMALE if parent_sex == Sex.MALE else Sex.MALE
        rows.append((spouse, None, None, spouse_sex))
        father, mother = (child, spouse) if parent_sex == Sex.MALE else (spouse, child)
        for _ in range(draw(st.integers(1, 2))):
            rows.append((len(rows), father, mother, draw(sexes)))
    return rows


def _genotype(draw: st.DrawFn, marker: Marker) -> Genotype:
    a = draw(st.sampled_from(marker.alleles))
    b = draw(st.sampled_from(marker.alleles))
    if draw(st.integers(0, 5)) == 0:
        return (a, None) if draw(st.booleans()) else (None, b)
    return (a, b)


def _profile(draw: st.DrawFn, marks: tuple[Marker, ...], at_least_one: bool) -> dict[str, Genotype]:
    while True:
        prof = {m.name: _genotype(draw, m) for m in marks if draw(st.booleans())}
        if prof or not at_least_one:
            return prof
        at_least_one = draw(st.booleans())  # hypothesis shrinks towards an empty profile


@st.composite
def problems(draw: st.DrawFn) -> DVIProblem:
    marker_names = draw(st.lists(labels, min_size=1, max_size=3, unique=True))
    marks = tuple(draw(markers(n)) for n in marker_names)
    shapes = [_family_shape(draw) for _ in range(draw(st.integers(1, 3)))]
    n_pm = draw(st.integers(1, 4))
    n_ids = n_pm + len(shapes) + sum(len(s) for s in shapes)
    ids = draw(st.lists(labels, min_size=n_ids, max_size=n_ids, unique=True))
    pm, famids, ids = ids[:n_pm], ids[n_pm : n_pm + len(shapes)], ids[n_pm + len(shapes) :]
    families: dict[str, Pedigree] = {}
    am_profiles: dict[str, dict[str, dict[str, Genotype]]] = {}
    missing: list[str] = []
    missing_family: dict[str, str] = {}
    for famid, shape in zip(famids, shapes, strict=True):
        names, ids = ids[: len(shape)], ids[len(shape) :]
        inds = [
            Individual(
                names[i],
                None if f is None else names[f],
                None if m is None else names[m],
                sex,
            )
            for i, f, m, sex in shape
        ]
        families[famid] = Pedigree(draw(st.permutations(inds)), name=famid)
        lost = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
        missing += lost
        missing_family.update(dict.fromkeys(lost, famid))
        typed = {n: _profile(draw, marks, True) for n in names if n not in lost}
        typed = {n: prof for n, prof in typed.items() if prof and draw(st.booleans())}
        if typed:
            am_profiles[famid] = typed
    pm_sex = {v: draw(st.sampled_from(list(Sex))) for v in pm}
    pm_profiles = {v: _profile(draw, marks, False) for v in pm}
    pairings: dict[str, tuple[str, ...]] = {}
    if draw(st.booleans()):
        for v in pm:
            chosen = draw(st.lists(st.sampled_from(missing), unique=True, max_size=len(missing)))
            pairings[v] = (NOBODY, *chosen)
    return DVIProblem(
        marks,
        tuple(pm),
        pm_sex,
        pm_profiles,
        families,
        am_profiles,
        tuple(missing),
        missing_family,
        pairings,
    )


def _model(mm: MutationModel | None) -> Any:
    return None if mm is None else (mm.matrix.tolist(), dict(mm.params))


def _plain(p: DVIProblem) -> dict[str, Any]:
    """Every field of ``p`` as plain, comparable data (arrays as lists, pedigrees as rows)."""
    return {
        "markers": [
            (
                m.name,
                m.alleles,
                m.afreq.tolist(),
                _model(m.female),
                _model(m.male),
                m.is_x,
                m.chrom,
                m.pos_mb,
            )
            for m in p.markers
        ],
        "pm": p.pm,
        "pm_sex": {v: Sex(p.pm_sex[v]) for v in p.pm},
        "pm_profiles": {v: dict(p.pm_profiles.get(v, {})) for v in p.pm},
        "families": {
            famid: (ped.name, [(i.id, i.father, i.mother, Sex(i.sex)) for i in ped])
            for famid, ped in p.families.items()
        },
        "am_profiles": {
            famid: {pid: dict(prof) for pid, prof in typed.items()}
            for famid, typed in p.am_profiles.items()
        },
        "missing": p.missing,
        "missing_family": dict(p.missing_family),
        "pairings": {v: tuple(p.pairings[v]) for v in p.pm},
    }


@settings(max_examples=60, deadline=None)
@given(problem=problems(), write_pairings=st.booleans())
def test_a_case_folder_reads_back_to_what_was_written(
    problem: DVIProblem, write_pairings: bool
) -> None:
    # Without pairings.json the reader makes the default pairings: only those can be left out.
    write_pairings = write_pairings or not isinstance(problem.pairings, DefaultPairings)
    with TemporaryDirectory() as tmp:
        folder = write_case_folder(problem, Path(tmp) / "case", pairings=write_pairings)
        again = read_case_folder(folder)
        assert _plain(again) == _plain(problem)
        # ... and writing what was read gives the same files, byte for byte.
        second = write_case_folder(again, Path(tmp) / "again", pairings=write_pairings)
        for name in sorted(p.name for p in folder.iterdir()):
            assert (second / name).read_bytes() == (folder / name).read_bytes(), name


def test_the_reference_cases_read_write_and_read_back_the_same(
    reference_cases: Path, tmp_path: Path
) -> None:
    from shared_data import CASE_NAMES

    for name in CASE_NAMES:
        problem = read_case_folder(reference_cases / name)
        again = read_case_folder(write_case_folder(problem, tmp_path / name))
        assert _plain(again) == _plain(problem), name
