"""Familias ``.fam`` files with a DVI section, read into a :class:`~repatria.kinship.DVIProblem`.

The result is the DVI problem that dvir's ``familias2dvir(file)`` builds (pedFamilias's
``readFam(useDVI = TRUE)`` underneath): the same PM samples, reference pedigrees, genotypes,
markers, mutation models and missing persons in the same order. Where dvir would silently build
something odd from a malformed file, this reader stops with a :class:`FormatError` naming the file,
the line and the field. It never half-reads.

The work is done in three steps, each in its own place:

1. :func:`repatria.formats.fam_records.read_fam_records` reads the file into records that know
   their line (the file's layout is described there);
2. :func:`marker_from_locus` and :func:`repatria.kinship.building.build_family` turn records into
   markers and pedigrees;
3. :mod:`repatria.kinship.relabel` renames the case as dvir's ``relabelDVI()`` does.

Mutation models
---------------
Model codes: 0 equal, 1 proportional, 2 stepwise (unstationary), 3 stepwise made stationary
(Simonsson & Mostad's "PM" stabilisation, :func:`repatria.kinship.stationary.stabilize_pm`), 4
extended stepwise (stepwise with ``rate2`` and ``range``). A model whose matrix has a diagonal of
ones (a rate of 0) is no mutation model at all, as in pedFamilias. A stepwise model on alleles that
are not numbers (e.g. ``Rest allele``), below 1 or with more than one decimal falls back to
``equal`` for both sexes with the same rates, with a warning (as pedFamilias does).

How dvir builds the DVI problem
-------------------------------
- PM samples: every unidentified person, in file order, with its DNA data.
- Each reference family gives one pedigree. A family usually holds two pedigrees, the
  ``Reference pedigree`` (the references alone) and the one placing the missing person; dvir uses
  the one that is not the ``Reference pedigree`` (or the only one there is).
- The pedigree is built from the family's persons and the Parent/Child pairs
  (:func:`~repatria.kinship.building.build_family`, whose notes give the rules). Familias's
  placeholder ``Missing person`` (named in relations but not listed among the persons) is added.
- Missing persons: every member whose label matches ``missing_identifier`` (a regular
  expression, by default ``^Missing``), family by family, in pedigree order.
- When a typed reference's label occurs in two families, dvir prefixes the typed labels of every
  family with the family name (``Family 1_R``).
- An individual whose sex the file leaves open (a non-parent named only in relations, such as a
  ``Missing person`` placed as a child, or a person without ``Gender=``) is coded female by
  pedFamilias. That is dvir's behaviour and the default here (``unknown_sex=Sex.FEMALE``), with a
  :class:`FamWarning` naming them; ``unknown_sex=Sex.UNKNOWN`` keeps them unknown (then every PM
  sample may be paired with them).

The optional relabelling (``victim_prefix``, ``ref_prefix``, ``missing_prefix``,
``family_prefix``, ``others_prefix``) is dvir's ``relabelDVI()`` as ``familias2dvir()`` applies it.
Familias names the missing person of every family ``Missing person``; such a file needs
``missing_prefix`` or ``unique_missing=True`` (labels ``Missing person.k``, ``k`` the family's
number, as dvir makes them unique). :func:`read_fam_dvi` returns the renames with the problem.

A non-zero theta (kinship correction) in the file is ignored with a warning, as dvir does.
Markers that nobody is typed at are left out, as in the dvir object; markers come in the order
they first appear in the PM data, then in the reference data.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repatria.errors import FormatError, KinshipError
from repatria.formats.fam_dvi import FamilyRecord, PedigreeRecord, PersonRecord
from repatria.formats.fam_records import FamRecords, LocusRecord, read_fam_records
from repatria.kinship.building import BuildError, BuiltFamily, build_family
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.markers import Marker, MutationModel, mutation_model
from repatria.kinship.pedigree import Sex
from repatria.kinship.relabel import (
    DVIData,
    Relabelling,
    make_missing_unique,
    prefix_shared_references,
    relabel_dvi,
)
from repatria.kinship.stationary import stationary_model

__all__ = [
    "read_fam",
    "read_fam_dvi",
    "FamDVI",
    "FamWarning",
    "marker_from_locus",
    "FAMILIAS_MODELS",
    "MISSING_PERSON",
    "REFERENCE_PEDIGREE",
]

#: Familias mutation model codes → (pedmut model, Familias name).
FAMILIAS_MODELS = {
    0: ("equal", "equal"),
    1: ("proportional", "prop"),
    2: ("stepwise", "step-unstationary"),
    3: ("stepwise", "step-stationary"),
    4: ("stepwise", "step-ext"),
}

#: The placeholder Familias uses for a family's missing person; it is not listed among the persons.
MISSING_PERSON = "Missing person"

#: The pedigree of the references alone, which dvir sets aside.
REFERENCE_PEDIGREE = "Reference pedigree"


class FamWarning(UserWarning):
    """Something in a ``.fam`` file that was read as dvir reads it, but deserves a look."""


def _warn(message: str) -> None:
    warnings.warn(message, FamWarning, stacklevel=4)


# --------------------------------------------------------------------------------------------
# Markers
# --------------------------------------------------------------------------------------------


def _is_num(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _sorted_alleles(alleles: tuple[str, ...]) -> list[int]:
    """pedtools order: numerically when every label is a number, else by label."""
    idx = range(len(alleles))
    if all(_is_num(a) for a in alleles):
        return sorted(idx, key=lambda i: float(alleles[i]))
    return sorted(idx, key=lambda i: (alleles[i].casefold(), alleles[i]))


def _build_model(
    code: int, alleles: list[str], afreq: np.ndarray, rate: float, rate2: float, range_: float
) -> MutationModel | None:
    model, fam_name = FAMILIAS_MODELS[code]
    mm = mutation_model(model, alleles, afreq, rate=rate, rate2=rate2, range_=range_)
    if np.all(np.diag(mm.matrix) == 1):
        return None  # pedFamilias: no mutation
    params = {"model": model, "rate": rate, "rate2": rate2, "range": range_}
    out = MutationModel(mm.matrix, {**params, "familias_model": fam_name})
    return stationary_model(out, afreq) if code == 3 else out


def _not_stepwise(alleles: tuple[str, ...]) -> str | None:
    """The first allele a stepwise model cannot take (pedFamilias's test), or ``None``."""
    for a in alleles:
        if not _is_num(a) or float(a) < 1 or round(float(a), 1) != float(a):
            return a
    return None


def marker_from_locus(rec: LocusRecord, file: str) -> Marker:
    """The marker of a database locus, with its female and male mutation models (module notes).

    Alleles are put in pedtools order; the illegal allele ``0`` is renamed ``z`` and a stepwise
    model that the alleles do not fit falls back to ``equal``, each with a :class:`FamWarning`.
    """
    name, line = rec.name, rec.line
    alleles = list(rec.alleles)
    if "0" in alleles:
        k = alleles.index("0")
        _warn(
            f"{file} line {rec.allele_lines[k]}: locus {name} has the illegal allele '0'; it is "
            f"read as 'z', as pedFamilias does"
        )
        if "z" in alleles:
            raise FormatError(
                f"locus {name} has both the alleles '0' and 'z'",
                file=file,
                line=rec.allele_lines[k],
                field="allele",
            )
        alleles[k] = "z"
    code_f, code_m = rec.code
    if code_f > 1 or code_m > 1:
        bad = _not_stepwise(tuple(alleles))
        if bad is not None:
            _warn(
                f"{file} line {line}: locus {name}: allele '{bad}' does not fit a stepwise "
                f"mutation model; the 'equal' model is used for both sexes, as pedFamilias does"
            )
            code_f = code_m = 0
    order = _sorted_alleles(tuple(alleles))
    als = [alleles[i] for i in order]
    p = np.array([rec.freqs[i] for i in order])
    try:
        female = _build_model(code_f, als, p, rec.rate[0], rec.rate2[0], rec.range_[0])
        male = _build_model(code_m, als, p, rec.rate[1], rec.rate2[1], rec.range_[1])
        if (female is None) != (male is None):  # no mutation on one side: the identity
            eye = MutationModel(np.eye(len(als)), {"model": "trivial", "rate": 0.0})
            female, male = female or eye, male or eye
        return Marker(name, tuple(als), p, female, male)
    except KinshipError as e:
        raise FormatError(str(e), file=file, line=line, field=f"locus {name}") from None


# --------------------------------------------------------------------------------------------
# Reference families
# --------------------------------------------------------------------------------------------


def _choose_pedigree(file: str, fam: FamilyRecord) -> PedigreeRecord:
    if not fam.pedigrees:
        raise FormatError(
            f"family '{fam.name}' has no pedigree", file=file, line=fam.line, field="Pedigrees"
        )
    others = [p for p in fam.pedigrees if p.name != REFERENCE_PEDIGREE]
    if len(others) == 1:
        return others[0]
    if len(fam.pedigrees) == 1:
        return fam.pedigrees[0]
    names = ", ".join(f"'{p.name}' (line {p.line})" for p in others)
    raise FormatError(
        f"family '{fam.name}' has {len(others)} pedigrees besides '{REFERENCE_PEDIGREE}': {names}; "
        f"dvir reads exactly one pedigree placing the missing persons",
        file=file,
        line=fam.line,
        field="Pedigrees",
    )


def _build(file: str, fam: FamilyRecord, unknown_sex: Sex, prefix_added: str) -> BuiltFamily:
    """The family's pedigree; a :class:`BuildError` becomes a FormatError at its line."""
    ped = _choose_pedigree(file, fam)
    where = f"family '{fam.name}', pedigree '{ped.name}'"
    try:
        return build_family(
            [(p.name, p.sex) for p in fam.persons],
            [(r.parent, r.child) for r in ped.relations],
            typed={p.name for p in fam.persons if p.profile},
            name=fam.name,
            placeholders=(MISSING_PERSON,),
            unknown_sex=unknown_sex,
            prefix_added=prefix_added,
            join_through=MISSING_PERSON,
        )
    except BuildError as e:
        line, field = ped.line, "Pedigree"
        if e.relation is not None:
            rel = ped.relations[e.relation]
            line, field = (rel.line + 1 if e.role == "Child" else rel.line), e.role
        raise FormatError(f"{where}: {e}", file=file, line=line, field=field) from None
    except KinshipError as e:
        raise FormatError(str(e), file=file, line=fam.line, field="Pedigrees") from None


# --------------------------------------------------------------------------------------------
# read_fam
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FamDVI:
    """A DVI case read from a ``.fam`` file, with every label changed on the way."""

    problem: DVIProblem
    relabelling: Relabelling
    encoding: str = "utf-8"


def read_fam(
    path: str | Path,
    *,
    missing_identifier: str = r"^Missing",
    unknown_sex: Sex = Sex.FEMALE,
    victim_prefix: str | None = None,
    ref_prefix: str | None = None,
    missing_prefix: str | None = None,
    missing_format: str | None = None,
    family_prefix: str | None = None,
    others_prefix: str | None = None,
    prefix_added: str = "added_",
    unique_missing: bool = False,
) -> DVIProblem:
    """Read a Familias ``.fam`` file with a DVI section as dvir's ``familias2dvir()`` does.

    Parameters
    ----------
    path : the ``.fam`` file.
    missing_identifier : regular expression; reference-pedigree members whose label matches it are
        the missing persons (dvir's ``missingIdentifier``).
    unknown_sex : the sex of individuals the file gives none (see the module notes); dvir codes
        them female.
    victim_prefix, ref_prefix, missing_prefix, missing_format, family_prefix, others_prefix :
        relabelling as dvir's ``relabelDVI()`` (``None``: keep the file's labels; see
        :func:`repatria.kinship.relabel.relabel_dvi`).
    prefix_added : label prefix of parents added for children with one parent.
    unique_missing : missing labels shared by several families become ``label.k`` (``k`` the
        family's number), as dvir makes them unique; otherwise such a file is an error.

    Returns
    -------
    DVIProblem with pairings generated by sex (as dvir's ``generatePairings()``).

    Raises
    ------
    FormatError naming the file, the line and the field of the first problem.
    """
    return read_fam_dvi(
        path,
        missing_identifier=missing_identifier,
        unknown_sex=unknown_sex,
        victim_prefix=victim_prefix,
        ref_prefix=ref_prefix,
        missing_prefix=missing_prefix,
        missing_format=missing_format,
        family_prefix=family_prefix,
        others_prefix=others_prefix,
        prefix_added=prefix_added,
        unique_missing=unique_missing,
    ).problem


def read_fam_dvi(
    path: str | Path,
    *,
    missing_identifier: str = r"^Missing",
    unknown_sex: Sex = Sex.FEMALE,
    victim_prefix: str | None = None,
    ref_prefix: str | None = None,
    missing_prefix: str | None = None,
    missing_format: str | None = None,
    family_prefix: str | None = None,
    others_prefix: str | None = None,
    prefix_added: str = "added_",
    unique_missing: bool = False,
) -> FamDVI:
    """:func:`read_fam`, returning the problem with the renames made (:class:`FamDVI`)."""
    rec = read_fam_records(path)
    file = rec.file
    if rec.dvi is None:
        raise FormatError(
            "no [DVI] section: this reader takes files saved by the DVI module of Familias "
            "(read a paternity or kinship file with 'repatria kinship fam')",
            file=file,
            line=rec.database_line,
            field="[DVI]",
        )
    if rec.theta > 0:
        _warn(
            f"{file} line {rec.database_line}: theta (kinship correction) = {rec.theta:g} is "
            f"ignored, as dvir ignores it"
        )
    data = _dvi_data(rec, missing_identifier, unknown_sex, prefix_added)
    data, ren = prefix_shared_references(data)
    if ren:
        _warn(
            f"{file}: a reference name is used in two families; typed references are prefixed "
            f"with their family name, as dvir does"
        )
    try:
        data, step = relabel_dvi(
            data,
            victim_prefix=victim_prefix,
            ref_prefix=ref_prefix,
            family_prefix=family_prefix,
            missing_prefix=missing_prefix,
            missing_format=missing_format,
            others_prefix=others_prefix,
        )
    except KinshipError as e:
        raise FormatError(str(e), file=file) from None
    ren = ren.then(step)
    if unique_missing:
        data, step = make_missing_unique(data)
        ren = ren.then(step)
    _check_unique_missing(file, data)
    try:
        return FamDVI(data.to_problem(), ren, rec.encoding)
    except KinshipError as e:
        raise FormatError(str(e), file=file) from None


def _check_unique_missing(file: str, data: DVIData) -> None:
    names = [m for m, _ in data.missing]
    dup = next((m for m in names if names.count(m) > 1), None)
    if dup is not None:
        fams_of = [f for m, f in data.missing if m == dup]
        raise FormatError(
            f"the missing person '{dup}' appears in families {', '.join(fams_of)}; ids must be "
            f"unique across the case: read with unique_missing=True or missing_prefix='M' (as "
            f"dvir's relabelDVI)",
            file=file,
            field="Name",
        )


def _dvi_data(
    rec: FamRecords, missing_identifier: str, unknown_sex: Sex, prefix_added: str
) -> DVIData:
    assert rec.dvi is not None
    file = rec.file
    pm_persons = rec.dvi.unidentified
    fams = rec.dvi.families
    undetermined = [x.name for x in pm_persons if x.sex is None]
    built: dict[str, BuiltFamily] = {}
    for f in fams:
        b = _build(file, f, unknown_sex, prefix_added)
        built[f.name] = b
        undetermined += [f"{i} ({f.name})" for i in b.undetermined]
        if b.joined:
            _warn(
                f"{file} line {f.line}: family '{f.name}' was in two unconnected parts; joined "
                f"through dummy individuals as dvir does"
            )
    if undetermined and unknown_sex != Sex.UNKNOWN:
        _warn(
            f"{file}: no sex recorded for {', '.join(undetermined)}; taken as "
            f"{unknown_sex.name.lower()}, as dvir does"
        )
    am_prof = {
        f.name: {
            p.name: p.profile for p in f.persons if p.profile and p.name in built[f.name].order
        }
        for f in fams
    }
    return DVIData(
        _markers(rec, pm_persons, fams),
        tuple(x.name for x in pm_persons),
        {x.name: x.sex if x.sex is not None else unknown_sex for x in pm_persons},
        {x.name: x.profile for x in pm_persons},
        {f: b.pedigree for f, b in built.items()},
        {f: d for f, d in am_prof.items() if d},
        _missing(file, fams, built, missing_identifier),
        {f: b.order for f, b in built.items()},
    )


def _missing(
    file: str,
    fams: tuple[FamilyRecord, ...],
    built: dict[str, BuiltFamily],
    missing_identifier: str,
) -> tuple[tuple[str, str], ...]:
    try:
        pattern = re.compile(missing_identifier)
    except re.error as e:
        raise FormatError(
            f"missing_identifier is not a valid regular expression: {e}", file=file
        ) from None
    out: list[tuple[str, str]] = []
    for f in fams:
        typed = {p.name: p for p in f.persons if p.profile}
        for i in built[f.name].order:
            if not pattern.search(i):
                continue
            if i in typed:
                raise FormatError(
                    f"'{i}' has DNA data but its name marks a missing person "
                    f"(pattern '{missing_identifier}')",
                    file=file,
                    line=typed[i].line,
                    field="Name",
                )
            out.append((i, f.name))
    return tuple(out)


def _markers(
    rec: FamRecords, pm: tuple[PersonRecord, ...], fams: tuple[FamilyRecord, ...]
) -> tuple[Marker, ...]:
    """Markers anybody is typed at, in order of first appearance (PM data first)."""
    names: dict[str, None] = {}
    for x in list(pm) + [x for f in fams for x in f.persons]:
        names.update(dict.fromkeys(x.marker_order))
    markers = {loc.name: marker_from_locus(loc, rec.file) for loc in rec.loci}  # all checked
    return tuple(markers[n] for n in names)
