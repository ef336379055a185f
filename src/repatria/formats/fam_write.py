"""Writing a DVI case as a Familias ``.fam`` file with a DVI section.

The file has the layout :mod:`repatria.formats.fam_records` reads (and Familias and pedFamilias
write): a header without persons, the database, then ``[DVI]`` with the PM samples and one
reference family per pedigree. Each family lists every member (typed references with their DNA
data, everyone else with ``nSystems= 0``) and two pedigrees: ``Reference pedigree`` (the relations
between members who are not missing persons, Familias's alternative hypothesis) and one placing the
missing persons (every relation), which is the one dvir and :func:`repatria.formats.fam.read_fam`
use.

Only what a ``.fam`` file can say is written; anything else is refused with a :class:`FormatError`
naming the marker or the person, never silently changed:

- mutation models must be ones Familias has (equal, proportional, stepwise, extended stepwise,
  stationary stepwise as read from a ``.fam`` file, or none); the matrix rebuilt from the written
  parameters must equal the case's matrix;
- X-linked markers and partly typed genotypes (``a/-``) are refused;
- a member of unknown sex is written without ``Gender=`` (Familias then asks; the pedsuite reads
  it as female).

Reading the file back with :func:`~repatria.formats.fam.read_fam` (``missing_identifier`` matching
the missing persons' ids) gives the same case.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from repatria.errors import FormatError
from repatria.formats.fam import FAMILIAS_MODELS, REFERENCE_PEDIGREE, marker_from_locus
from repatria.formats.fam_records import LocusRecord
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.markers import Marker, MutationModel
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex

__all__ = ["write_fam", "fam_text"]

_CODE = {name: code for code, (_, name) in FAMILIAS_MODELS.items()}
_GENDER = {Sex.MALE: "Male", Sex.FEMALE: "Female"}


def write_fam(problem: DVIProblem, path: str | Path, *, database: str = "Repatria export") -> Path:
    """Write ``problem`` to ``path`` as a Familias DVI file (see the module notes).

    Raises
    ------
    FormatError : the case holds something a ``.fam`` file cannot say (nothing is written).
    """
    p = Path(path)
    text = fam_text(problem, database=database, file=str(p))
    p.write_text(text, encoding="utf-8", newline="\r\n")
    return p


def fam_text(problem: DVIProblem, *, database: str = "Repatria export", file: str = "") -> str:
    """The text of the ``.fam`` file of ``problem`` (``\\n`` line ends)."""
    lines = [
        '"Output from Familias, version 3.3"',
        '"DO NOT EDIT!"',
        "3.3 (DVI)",
        '""',
        "0",
        '"Known relations"',
        "0",
        "0",
        "0",
        "0",
        "#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: 0 )",
        str(len(problem.markers)),
        "#TRUE#",
        f'"{database}"',
    ]
    for m in problem.markers:
        lines += _locus(m, file)
    lines += ["", "[DVI]", "[[Unidentified persons]]", f"nPersons= {len(problem.pm)}"]
    for k, v in enumerate(problem.pm, start=1):
        lines += [f"[[[Person {k} ]]]", f"Name= {_name(v, file)}"]
        lines += _gender(problem.pm_sex[v])
        lines += _dna(problem.pm_profiles.get(v, {}), 4, v, file)
    lines += ["[[Reference Families]]", f"nFamilies= {len(problem.families)}"]
    for k, (famid, ped) in enumerate(problem.families.items(), start=1):
        lines += _family(k, famid, ped, problem, file)
    return "\n".join(lines) + "\n"


def _name(x: str, file: str) -> str:
    if x != x.strip() or "\n" in x or "=" in x or x.startswith("[") or not x:
        raise FormatError(
            f"the name {x!r} cannot be written to a .fam file (spaces at its ends, '=', a line "
            f"break or a leading '[')",
            file=file or None,
            field="Name",
        )
    return x


def _gender(sex: Sex) -> list[str]:
    return [f"Gender= {_GENDER[sex]}"] if sex in _GENDER else []


def _dna(profile: Mapping[str, Genotype], depth: int, who: str, file: str) -> list[str]:
    out = ["[" * depth + "DNA data" + "]" * depth, f"nSystems= {len(profile)}"]
    for marker, g in profile.items():
        if g[0] is None or g[1] is None:
            raise FormatError(
                f"'{who}' is partly typed at {marker} ({g[0] or '-'}/{g[1] or '-'}); a .fam file "
                f"holds whole genotypes only",
                file=file or None,
                field=marker,
            )
        out += [f"SystemName= {marker}", f"Allele1= {g[0]}", f"Allele2= {g[1]}"]
    return out


def _relations(ped: Pedigree, skip: frozenset[str] = frozenset()) -> list[str]:
    out: list[str] = []
    for ind in ped:
        if ind.father is None or ind.id in skip:
            continue
        for parent in (ind.father, ind.mother):
            if parent is not None and parent not in skip:
                out += [f"Parent= {parent}", f"Child= {ind.id}"]
    return out


def _members(ped: Pedigree, famid: str, problem: DVIProblem) -> list[Individual]:
    """The family's members in pedigree order, its missing persons in the case's order.

    A reader takes a family's missing persons in the order the persons are listed; listing them
    as the case orders them keeps the case's order of missing persons (its LR columns).
    """
    mine = [m for m in problem.missing if problem.missing_family[m] == famid]
    slots = iter(mine)
    return [ped[next(slots)] if ind.id in mine else ind for ind in ped]


def _family(k: int, famid: str, ped: Pedigree, problem: DVIProblem, file: str) -> list[str]:
    profiles = problem.am_profiles.get(famid, {})
    lines = [f"[[[Family {k} ]]]", f"Name= {_name(famid, file)}", "[[[[Persons]]]]"]
    lines.append(f"nPersons= {len(ped)}")
    for j, ind in enumerate(_members(ped, famid, problem), start=1):
        lines += [f"[[[[[Person {j}]]]]]", f"Name= {_name(ind.id, file)}"]
        lines += _gender(ind.sex)
        lines += _dna(profiles.get(ind.id, {}), 6, ind.id, file)
    all_rel = _relations(ped)
    ref_rel = _relations(ped, frozenset(problem.family_missing.get(famid, ())))
    lines += ["[[[[Pedigrees]]]]", "nPedigrees= 2"]
    lines += ["[[[[[Pedigree 1]]]]]", f"Name= {REFERENCE_PEDIGREE}"]
    lines += [f"nRelations= {len(ref_rel) // 2}", *ref_rel]
    lines += ["[[[[[Pedigree 2]]]]]", "Name= Missing persons placed"]
    lines += [f"nRelations= {len(all_rel) // 2}", *all_rel]
    return lines


def _model_code(
    mm: MutationModel | None, m: Marker, side: str, file: str
) -> tuple[int, tuple[float, float, float]]:
    """Familias model code and (rate, range, rate2) of one side of a marker."""
    if mm is None or mm.is_trivial:
        return 0, (0.0, 0.1, 0.0)
    params = mm.params
    fam_name = params.get("familias_model")
    model = params.get("model")
    rate = float(params.get("rate", 0.0))
    range_ = float(params.get("range", 0.1))
    rate2 = float(params.get("rate2", 0.0))
    if isinstance(fam_name, str) and fam_name in _CODE:
        code = _CODE[fam_name]
    elif model == "equal":
        code = 0
    elif model == "proportional":
        code = 1
    elif model == "stepwise":
        code = 4 if rate2 > 0 else 2
    else:
        raise FormatError(
            f"marker {m.name}: the {side} mutation model ({model}) cannot be written to a .fam "
            f"file; Familias has equal, proportional and stepwise models",
            file=file or None,
            field=f"locus {m.name}",
        )
    return code, (rate, range_, rate2)


def _locus(m: Marker, file: str) -> list[str]:
    if m.is_x:
        raise FormatError(
            f"marker {m.name} is X-linked; the DVI module of Familias takes autosomal markers",
            file=file or None,
            field=f"locus {m.name}",
        )
    (cf, (rf, gf, r2f)), (cm, (rm, gm, r2m)) = (
        _model_code(m.female, m, "female", file),
        _model_code(m.male, m, "male", file),
    )
    n = m.n_alleles
    freqs = [repr(float(x)) for x in m.afreq]
    lines = [f'"{m.name}"', repr(rf), repr(rm), str(cf), str(cm), str(n)]
    lines += [repr(gf), repr(gm), repr(r2f), repr(r2m), "#FALSE#", "0"]
    lines.append(f"{n}\t(DatabaseSize = 0 , Dropout probability = 0 , Minor allele frequency = 0 )")
    for a, f in zip(m.alleles, freqs, strict=True):
        lines += [f'"{a}"', f]
    _check_round_trip(m, (rf, rm), (cf, cm), (gf, gm), (r2f, r2m), file)
    return lines


def _check_round_trip(
    m: Marker,
    rate: tuple[float, float],
    code: tuple[int, int],
    range_: tuple[float, float],
    rate2: tuple[float, float],
    file: str,
) -> None:
    """The marker read back from what is written must be the marker: else refuse."""
    rec = LocusRecord(
        m.name,
        0,
        rate,
        code,
        range_,
        rate2,
        m.alleles,
        tuple(float(x) for x in m.afreq),
        tuple(range(len(m.alleles))),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = marker_from_locus(rec, file)
    same = back.alleles == m.alleles and np.array_equal(back.afreq, m.afreq)
    for a, b in ((back.female, m.female), (back.male, m.male)):
        ma = np.eye(m.n_alleles) if a is None else a.matrix
        mb = np.eye(m.n_alleles) if b is None else b.matrix
        same = same and bool(np.allclose(ma, mb, rtol=0, atol=1e-12))
    if not same:
        raise FormatError(
            f"marker {m.name}: its alleles' order or mutation matrices would not be read back as "
            f"they are (a custom matrix, or alleles not in pedtools order)",
            file=file or None,
            field=f"locus {m.name}",
        )
