"""Familias ``.fam`` files with a DVI section, read into a :class:`~repatria.kinship.dvi.DVIProblem`.

The result is the DVI problem that dvir's ``familias2dvir(file)`` builds (pedFamilias's
``readFam(useDVI = TRUE)`` underneath): the same PM samples, reference pedigrees, genotypes,
markers, mutation models and missing persons in the same order. Where dvir would silently build
something odd from a malformed file, this reader stops with a :class:`FormatError` naming the file,
the line and the field. It never half-reads.

The file
--------
A header, a database and the ``[DVI]`` section::

    "Output from Familias, version 3.3"       header; then the non-DVI persons and pedigrees of
    ...                                       the file (read to be skipped: dvir ignores them)
    #FALSE# (#Databases: 1 ;Theta/Kinship/Fst: 0 )
    15                                        number of loci, then for each locus:
    "D8S1179"                                 name
    0.001 / 0.001                             female / male mutation rate
    0 / 0                                     female / male model code (below)
    11                                        number of alleles (with a silent allele)
    0.1 / 0.1                                 female / male range (stepwise)
    0.0 / 0.0                                 female / male rate2 (stepwise)
    #FALSE# / 0                               silent allele? / its frequency
    11<TAB>(DatabaseSize = ...)               number of alleles
    "8" / 0.00963 ...                         allele label / frequency, one line each
    [DVI]
    [[Unidentified persons]]                  the PM samples: Name=, Gender=, [[[[DNA data]]]]
    [[Reference Families]]                    per family: Name=, [[[[Persons]]]] (with DNA data)
                                              and [[[[Pedigrees]]]] of Parent= / Child= pairs

Model codes: 0 equal, 1 proportional, 2 stepwise (unstationary), 3 stepwise made stationary
(Simonsson & Mostad's "PM" stabilisation, as pedmut's ``stabilize``), 4 extended stepwise
(stepwise with ``rate2`` and ``range``). A model whose matrix has a diagonal of ones (a rate of 0)
is no mutation model at all, as in pedFamilias. A stepwise model on alleles that are not numbers
(e.g. ``Rest allele``), below 1 or with more than one decimal falls back to ``equal`` for both
sexes with the same rates, with a warning (as pedFamilias does).

How dvir builds the DVI problem
-------------------------------
- PM samples: every unidentified person, in file order, with its DNA data.
- Each reference family gives one pedigree. A family usually holds two pedigrees, the
  ``Reference pedigree`` (the references alone) and the one placing the missing person; dvir uses
  the one that is not the ``Reference pedigree`` (or the only one there is).
- The pedigree is built from the family's persons and the Parent/Child pairs. Familias's
  placeholder ``Missing person`` (named in relations but not listed among the persons) is added.
  A parent without a recorded sex takes the sex opposite to the other parents of its children
  (female when it has no co-parent). A child with one parent gets the other as a new founder,
  ``added_1``, ``added_2``, ... (fathers numbered first). Only the connected part that holds the
  typed references is kept (e.g. a listed but unplaced ``Missing male 1`` is dropped); when the
  typed references fall in two parts, dvir joins them through dummy individuals (``dummy``, or
  ``_dummy1``-``_dummy3``), with a :class:`FamWarning`.
- Missing persons: every member whose label matches ``missing_identifier`` (a regular
  expression, by default ``^Missing``), family by family, in pedigree order.
- When a typed reference's label occurs in two families, dvir prefixes the typed labels of every
  family with the family name (``Family 1_R``).
- An individual whose sex the file leaves open (a non-parent named only in relations, such as a
  ``Missing person`` placed as a child, or a person without ``Gender=``) is coded female by
  pedFamilias. That is dvir's behaviour and the default here (``unknown_sex=Sex.FEMALE``), with a
  :class:`FamWarning` naming them; pass ``unknown_sex=Sex.UNKNOWN`` to keep them unknown (then
  every PM sample may be paired with them).

The optional relabelling (``victim_prefix``, ``ref_prefix``, ``missing_prefix``,
``family_prefix``, ``others_prefix``) is dvir's ``relabelDVI()`` as ``familias2dvir()`` applies it:
victims ``V1, V2, ...`` in PM order, typed references ``R1, ...`` family by family, missing persons
``M1, ...`` in missing order, families ``F1, ...``, other untyped members numbered across families.
Familias names the missing person of every family ``Missing person``; such a file needs
``missing_prefix`` (ids must be unique across the case).

Not supported (a :class:`FormatError` says so): silent alleles, precomputed probabilities, twins.
A non-zero theta (kinship correction) in the file is ignored with a warning, as dvir does.
Markers that nobody is typed at are left out, as in the dvir object; markers come in the order
they first appear in the PM data, then in the reference data.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from repatria.errors import FormatError, KinshipError
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.markers import Marker, MutationModel, mutation_model
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex

__all__ = ["read_fam", "FamWarning", "FAMILIAS_MODELS", "MISSING_PERSON", "REFERENCE_PEDIGREE"]

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


# --------------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FormatError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise FormatError("is a directory, not a .fam file", file=str(path)) from None
    except OSError as e:
        raise FormatError(f"cannot read: {e.strerror}", file=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Familias is a Windows program
    return text.splitlines()


class _Cursor:
    """Reads the header and database line by line (quotes removed, as pedFamilias does)."""

    def __init__(self, file: str, lines: Sequence[str], end: int, what_ends: str) -> None:
        self.file, self.lines, self.end, self.what_ends = file, lines, end, what_ends
        self.i = 0  # 0-based index of the next line

    @property
    def line(self) -> int:
        """1-based number of the line read last."""
        return self.i

    def text(self, what: str) -> str:
        if self.i >= self.end:
            raise FormatError(
                f"unexpected {self.what_ends}: expected {what}",
                file=self.file,
                line=self.i + 1,
                field=what,
            )
        s = self.lines[self.i].replace('"', "").strip()
        self.i += 1
        return s

    def int(self, what: str, lo: int = 0, hi: int | None = None) -> int:
        s = self.text(what)
        try:
            v = int(s)
        except ValueError:
            raise FormatError(
                f"expected {what} (a whole number), found '{s}'",
                file=self.file,
                line=self.i,
                field=what,
            ) from None
        if v < lo or (hi is not None and v > hi):
            rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise FormatError(
                f"{what} must be {rng}, found {v}", file=self.file, line=self.i, field=what
            )
        return v

    def float(self, what: str) -> float:
        s = self.text(what)
        try:
            v = float(s)
        except ValueError:
            raise FormatError(
                f"expected {what} (a number), found '{s}'", file=self.file, line=self.i, field=what
            ) from None
        if not np.isfinite(v) or v < 0:
            raise FormatError(
                f"{what} must be a finite number >= 0, found '{s}'",
                file=self.file,
                line=self.i,
                field=what,
            )
        return v

    def skip(self, n: int, what: str) -> None:
        for _ in range(n):
            self.text(what)


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------


@dataclass
class _Locus:
    name: str
    line: int
    marker: Marker


def _is_num(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _sorted_alleles(alleles: Sequence[str]) -> list[int]:
    """pedtools order: numerically when every label is a number, else by label."""
    idx = range(len(alleles))
    if all(_is_num(a) for a in alleles):
        return sorted(idx, key=lambda i: float(alleles[i]))
    return sorted(idx, key=lambda i: (alleles[i].casefold(), alleles[i]))


def _stabilize_pm(m: np.ndarray, p: np.ndarray) -> np.ndarray:
    """A stationary matrix close to ``m`` for frequencies ``p`` (Simonsson & Mostad 2016, "PM")."""
    n = len(p)
    diag = np.diag(m)
    total = 1 - float(np.sum(diag * p))
    x = m.T - np.eye(n)
    x[n - 1, :] = 1.0
    rhs = np.zeros(n)
    rhs[n - 1] = 1.0
    v = np.linalg.solve(x, rhs)
    d = total * v / ((1 - float(np.sum(diag * v))) * p)
    if np.any(d * (1 - diag) > 1):
        raise KinshipError("the stationary ('PM') version of this stepwise model does not exist")
    return np.diag(d) @ (m - np.eye(n)) + np.eye(n)


def _build_model(
    code: int,
    alleles: list[str],
    afreq: np.ndarray,
    rate: float,
    rate2: float,
    range_: float,
) -> MutationModel | None:
    model, fam_name = FAMILIAS_MODELS[code]
    mm = mutation_model(model, alleles, afreq, rate=rate, rate2=rate2, range_=range_)
    if np.all(np.diag(mm.matrix) == 1):
        return None  # pedFamilias: no mutation
    params = {
        "model": model,
        "rate": rate,
        "rate2": rate2,
        "range": range_,
        "familias_model": fam_name,
    }
    matrix = mm.matrix
    if code == 3:
        matrix = _stabilize_pm(matrix, afreq)
        params = {**params, "model": "custom", "stationary": True}
    return MutationModel(matrix, params)


def _read_locus(cur: _Cursor) -> _Locus:
    file = cur.file
    name = cur.text("locus name")
    line = cur.line
    if not name:
        raise FormatError("empty locus name", file=file, line=line, field="locus name")
    rate_f = cur.float(f"female mutation rate of {name}")
    rate_m = cur.float(f"male mutation rate of {name}")
    code_f = cur.int(f"female mutation model code of {name}", 0, 4)
    code_m = cur.int(f"male mutation model code of {name}", 0, 4)
    cur.int(f"number of alleles of {name} (with the silent allele)")
    range_f = cur.float(f"female mutation range of {name}")
    range_m = cur.float(f"male mutation range of {name}")
    rate2_f = cur.float(f"female rate2 of {name}")
    rate2_m = cur.float(f"male rate2 of {name}")
    silent = cur.text(f"silent-allele flag of {name}")
    if silent == "#TRUE#":
        raise FormatError(
            f"locus {name} has a silent allele; silent alleles are not supported",
            file=file,
            line=cur.line,
            field="silent allele",
        )
    cur.float(f"silent-allele frequency of {name}")
    info = cur.text(f"number of alleles of {name}")
    first = info.split("\t")[0].strip()
    try:
        n_alleles = int(first)
    except ValueError:
        raise FormatError(
            f"expected the number of alleles of {name}, found '{first}'",
            file=file,
            line=cur.line,
            field="number of alleles",
        ) from None
    if n_alleles < 1:
        raise FormatError(
            f"locus {name} has no alleles", file=file, line=cur.line, field="number of alleles"
        )
    alleles: list[str] = []
    freqs: list[float] = []
    seen: dict[str, int] = {}
    for _ in range(n_alleles):
        a = cur.text(f"an allele of {name}")
        if not a:
            raise FormatError(
                f"empty allele label in locus {name}", file=file, line=cur.line, field="allele"
            )
        if a == "0":
            warnings.warn(
                f"{file} line {cur.line}: locus {name} has the illegal allele '0'; renamed 'z' as "
                f"pedFamilias does",
                FamWarning,
                stacklevel=4,
            )
            a = "z"
        if a in seen:
            raise FormatError(
                f"allele '{a}' of {name} is listed twice (first at line {seen[a]})",
                file=file,
                line=cur.line,
                field="allele",
            )
        seen[a] = cur.line
        alleles.append(a)
        freqs.append(cur.float(f"frequency of allele {a} of {name}"))

    # Stepwise models need numeric alleles with at most one decimal, >= 1 (else pedFamilias falls back).
    if code_f > 1 or code_m > 1:
        bad = next(
            (
                a
                for a in alleles
                if not _is_num(a) or float(a) < 1 or round(float(a), 1) != float(a)
            ),
            None,
        )
        if bad is not None:
            warnings.warn(
                f"{file} line {line}: locus {name}: allele '{bad}' does not fit a stepwise mutation "
                f"model; the 'equal' model is used for both sexes, as pedFamilias does",
                FamWarning,
                stacklevel=4,
            )
            code_f = code_m = 0
    order = _sorted_alleles(alleles)
    als = [alleles[i] for i in order]
    p = np.array([freqs[i] for i in order])
    try:
        female = _build_model(code_f, als, p, rate_f, rate2_f, range_f)
        male = _build_model(code_m, als, p, rate_m, rate2_m, range_m)
        if (female is None) != (
            male is None
        ):  # no mutation on one side is the identity, not a copy
            eye = MutationModel(np.eye(len(als)), {"model": "trivial", "rate": 0.0})
            female, male = female or eye, male or eye
        marker = Marker(name, tuple(als), p, female, male)
    except KinshipError as e:
        raise FormatError(str(e), file=file, line=line, field=f"locus {name}") from None
    return _Locus(name, line, marker)


def _read_database(file: str, lines: list[str], dvi_start: int) -> dict[str, _Locus]:
    cur = _Cursor(
        file,
        lines,
        dvi_start,
        "start of the [DVI] section" if dvi_start < len(lines) else "end of file",
    )
    first = cur.text("the Familias header")
    if "Familias" not in first:
        raise FormatError(
            'not a Familias file: the first line should read "Output from Familias, version ..."',
            file=file,
            line=1,
            field="header",
        )
    cur.skip(2, "the Familias header")
    # pedFamilias: the number of individuals is on line 4, or on line 5 when line 4 is empty.
    if cur.i < cur.end and lines[cur.i].replace('"', "").strip() == "":
        cur.skip(1, "the Familias header")
    n_ind = cur.int("number of individuals")
    for k in range(n_ind):
        cur.skip(5, f"individual {k + 1} of the header")
        n_geno = cur.int(f"number of genotypes of individual {k + 1}")
        for _ in range(3 * n_geno):
            cur.int(f"a genotype index of individual {k + 1}")
    if (s := cur.text("'Known relations'")) != "Known relations":
        raise FormatError(
            f"expected 'Known relations', found '{s}'",
            file=file,
            line=cur.line,
            field="Known relations",
        )
    cur.int("number of extra females")
    cur.int("number of extra males")
    cur.skip(2 * cur.int("number of known relations"), "a known relation")
    n_ped = cur.int("number of pedigrees")
    for k in range(n_ped):
        cur.skip(2, f"pedigree {k + 1} of the header")
        cur.int(f"number of extra females in pedigree {k + 1}")
        cur.int(f"number of extra males in pedigree {k + 1}")
        for _ in range(cur.int(f"number of relations in pedigree {k + 1}")):
            s = cur.text(f"a relation of pedigree {k + 1}")
            if "Direct" in s:
                raise FormatError(
                    "the file contains twins (a 'Direct' relation); twins are not supported",
                    file=file,
                    line=cur.line,
                    field="relation",
                )
            cur.text(f"a relation of pedigree {k + 1}")
    probs = cur.text("the database line ('#FALSE# (#Databases: ...')")
    if probs.startswith("#TRUE#"):
        raise FormatError(
            "the file holds precomputed probabilities; these are not supported",
            file=file,
            line=cur.line,
            field="probabilities",
        )
    m = re.search(r"Theta/Kinship/Fst:\s*([0-9.eE+-]+)", probs)
    if m and _is_num(m.group(1)) and float(m.group(1)) > 0:
        warnings.warn(
            f"{file} line {cur.line}: theta (kinship correction) = {m.group(1)} is ignored, as dvir "
            f"ignores it",
            FamWarning,
            stacklevel=3,
        )
    n_loci = cur.int("number of loci")
    if cur.text("database information flag ('#TRUE#' or '#FALSE#')") == "#TRUE#":
        cur.text("database name")
    loci: dict[str, _Locus] = {}
    for _ in range(n_loci):
        loc = _read_locus(cur)
        if loc.name in loci:
            raise FormatError(
                f"locus {loc.name} is defined twice (first at line {loci[loc.name].line})",
                file=file,
                line=loc.line,
                field="locus name",
            )
        loci[loc.name] = loc
    return loci


# --------------------------------------------------------------------------------------------
# The [DVI] section: a tree of bracketed sections holding `Key= value` lines
# --------------------------------------------------------------------------------------------


@dataclass
class _KV:
    key: str
    value: str
    line: int


@dataclass
class _Node:
    name: str
    depth: int
    line: int
    items: list[_KV | _Node] = field(default_factory=list)

    def kvs(self) -> list[_KV]:
        return [x for x in self.items if isinstance(x, _KV)]

    def children(self) -> list[_Node]:
        return [x for x in self.items if isinstance(x, _Node)]

    def child(self, name: str) -> _Node | None:
        return next((c for c in self.children() if c.name.casefold() == name.casefold()), None)

    def get(self, key: str) -> _KV | None:
        return next((kv for kv in self.kvs() if kv.key == key), None)


def _parse_sections(file: str, lines: list[str], start: int) -> list[_Node]:
    roots: list[_Node] = []
    stack: list[_Node] = []
    for i in range(start, len(lines)):
        raw = "[DVI]" if i == start else lines[i].strip()
        if not raw:
            continue
        k = i + 1
        if raw.startswith("["):
            depth = len(raw) - len(raw.lstrip("["))
            name = raw.replace("[", "").replace("]", "").strip()
            if depth > len(stack) + 1:
                raise FormatError(
                    f"section '{raw}' (depth {depth}) has no enclosing section of depth {depth - 1}",
                    file=file,
                    line=k,
                    field="section",
                )
            node = _Node(name, depth, k)
            del stack[depth - 1 :]
            (stack[-1].items if stack else roots).append(node)
            stack.append(node)
        else:
            key, eq, value = raw.partition("=")
            stack[-1].items.append(_KV(key.strip(), value.strip() if eq else "", k))
    return roots


def _count(file: str, node: _Node, key: str) -> tuple[int, int]:
    kv = node.get(key)
    if kv is None:
        raise FormatError(
            f"section '{node.name}' has no '{key}=' line", file=file, line=node.line, field=key
        )
    try:
        n = int(kv.value)
    except ValueError:
        raise FormatError(
            f"{key} must be a whole number, found '{kv.value}'", file=file, line=kv.line, field=key
        ) from None
    if n < 0:
        raise FormatError(f"{key} must be >= 0, found {n}", file=file, line=kv.line, field=key)
    return n, kv.line


def _check_count(
    file: str, what: str, declared: int, line: int, found: int, end_line: int, total: int
) -> None:
    if declared != found:
        end = "the end of the file" if end_line > total else f"line {end_line}"
        raise FormatError(
            f"{what}: {declared} declared at line {line}, but {found} found before {end} (a truncated "
            f"or edited file?)",
            file=file,
            line=line,
            field=what,
        )


def _end_line(node: _Node, total: int) -> int:
    """The line after a section's last line (for messages)."""
    last = node.line
    for x in node.items:
        last = max(last, _end_line(x, total) - 1 if isinstance(x, _Node) else x.line)
    return min(last + 1, total + 1)


@dataclass
class _Person:
    name: str
    sex: Sex | None  # None: not recorded
    line: int
    profile: dict[str, Genotype]
    marker_order: list[str]


def _sex(file: str, kv: _KV | None) -> Sex | None:
    if kv is None:
        return None
    v = kv.value.casefold()
    if v == "male":
        return Sex.MALE
    if v == "female":
        return Sex.FEMALE
    raise FormatError(
        f"Gender '{kv.value}' must be Male or Female", file=file, line=kv.line, field="Gender"
    )


def _dna(
    file: str,
    node: _Node | None,
    who: str,
    loci: Mapping[str, _Locus],
    total: int,
) -> tuple[dict[str, Genotype], list[str]]:
    if node is None:
        return {}, []
    n, nline = _count(file, node, "nSystems")
    kvs = [kv for kv in node.kvs() if kv.key != "nSystems"]
    profile: dict[str, Genotype] = {}
    order: list[str] = []
    j = 0
    while j < len(kvs):
        kv = kvs[j]
        if kv.key != "SystemName":
            raise FormatError(
                f"DNA data of '{who}': expected 'SystemName=', found '{kv.key}='",
                file=file,
                line=kv.line,
                field=kv.key,
            )
        name = kv.value
        if name not in loci:
            raise FormatError(
                f"DNA data of '{who}': marker '{name}' is not in the database",
                file=file,
                line=kv.line,
                field="SystemName",
            )
        if name in profile:
            raise FormatError(
                f"DNA data of '{who}': marker '{name}' is given twice",
                file=file,
                line=kv.line,
                field="SystemName",
            )
        m = loci[name].marker
        alleles: list[str] = []
        for a_key in ("Allele1", "Allele2"):
            j += 1
            if j >= len(kvs) or kvs[j].key != a_key:
                at = kvs[j].line if j < len(kvs) else _end_line(node, total)
                raise FormatError(
                    f"DNA data of '{who}', marker {name}: '{a_key}=' is missing",
                    file=file,
                    line=at,
                    field=a_key,
                )
            a = kvs[j].value
            if not a:
                raise FormatError(
                    f"DNA data of '{who}', marker {name}: {a_key} is empty",
                    file=file,
                    line=kvs[j].line,
                    field=a_key,
                )
            if a not in m._index:
                raise FormatError(
                    f"DNA data of '{who}': allele '{a}' is not in the database for marker {name} "
                    f"(line {loci[name].line})",
                    file=file,
                    line=kvs[j].line,
                    field=a_key,
                )
            alleles.append(a)
        profile[name] = (alleles[0], alleles[1])
        order.append(name)
        j += 1
    _check_count(
        file, f"nSystems of '{who}'", n, nline, len(profile), _end_line(node, total), total
    )
    return profile, order


def _persons(
    file: str, node: _Node, what: str, loci: Mapping[str, _Locus], total: int
) -> list[_Person]:
    n, nline = _count(file, node, "nPersons")
    out: list[_Person] = []
    seen: dict[str, int] = {}
    for pnode in node.children():
        name_kv = pnode.get("Name")
        if name_kv is None or not name_kv.value:
            raise FormatError(
                f"{what}: person '{pnode.name}' has no Name",
                file=file,
                line=pnode.line,
                field="Name",
            )
        name = name_kv.value
        if name in seen:
            raise FormatError(
                f"{what}: the name '{name}' is used twice (first at line {seen[name]})",
                file=file,
                line=name_kv.line,
                field="Name",
            )
        seen[name] = name_kv.line
        sex = _sex(file, pnode.get("Gender"))
        profile, order = _dna(file, pnode.child("DNA data"), name, loci, total)
        out.append(_Person(name, sex, name_kv.line, profile, order))
    _check_count(file, f"nPersons of {what}", n, nline, len(out), _end_line(node, total), total)
    return out


@dataclass
class _PedigreeSpec:
    name: str
    line: int
    relations: list[tuple[str, str, int]]  # (parent, child, line of Parent=)


@dataclass
class _Family:
    name: str
    line: int
    persons: list[_Person]
    pedigrees: list[_PedigreeSpec]


def _family(file: str, node: _Node, loci: Mapping[str, _Locus], total: int) -> _Family:
    name_kv = node.get("Name")
    if name_kv is None or not name_kv.value:
        raise FormatError(
            f"reference family '{node.name}' has no Name", file=file, line=node.line, field="Name"
        )
    fname = name_kv.value
    pnode = node.child("Persons")
    if pnode is None:
        raise FormatError(
            f"reference family '{fname}' has no [[[[Persons]]]] section",
            file=file,
            line=node.line,
            field="Persons",
        )
    persons = _persons(file, pnode, f"family '{fname}'", loci, total)
    gnode = node.child("Pedigrees")
    if gnode is None:
        raise FormatError(
            f"reference family '{fname}' has no [[[[Pedigrees]]]] section",
            file=file,
            line=node.line,
            field="Pedigrees",
        )
    n_ped, ped_line = _count(file, gnode, "nPedigrees")
    peds: list[_PedigreeSpec] = []
    for pd in gnode.children():
        pn = pd.get("Name")
        if pn is None:
            raise FormatError(
                f"family '{fname}': pedigree '{pd.name}' has no Name",
                file=file,
                line=pd.line,
                field="Name",
            )
        n_rel, rel_line = _count(file, pd, "nRelations")
        kvs = [kv for kv in pd.kvs() if kv.key not in ("Name", "nRelations")]
        rels: list[tuple[str, str, int]] = []
        j = 0
        while j < len(kvs):
            kv = kvs[j]
            if kv.key != "Parent":
                raise FormatError(
                    f"family '{fname}', pedigree '{pn.value}': expected 'Parent=', found "
                    f"'{kv.key}='",
                    file=file,
                    line=kv.line,
                    field=kv.key,
                )
            if j + 1 >= len(kvs) or kvs[j + 1].key != "Child":
                at = kvs[j + 1].line if j + 1 < len(kvs) else _end_line(pd, total)
                raise FormatError(
                    f"family '{fname}', pedigree '{pn.value}': 'Parent= {kv.value}' is not followed "
                    f"by 'Child='",
                    file=file,
                    line=at,
                    field="Child",
                )
            rels.append((kv.value, kvs[j + 1].value, kv.line))
            j += 2
        _check_count(
            file,
            f"nRelations of pedigree '{pn.value}' in family '{fname}'",
            n_rel,
            rel_line,
            len(rels),
            _end_line(pd, total),
            total,
        )
        peds.append(_PedigreeSpec(pn.value, pn.line, rels))
    _check_count(
        file,
        f"nPedigrees of family '{fname}'",
        n_ped,
        ped_line,
        len(peds),
        _end_line(gnode, total),
        total,
    )
    return _Family(fname, name_kv.line, persons, peds)


# --------------------------------------------------------------------------------------------
# Building a reference pedigree as pedFamilias + dvir do
# --------------------------------------------------------------------------------------------


@dataclass
class _Built:
    order: list[str]  # individuals in the dvir object's order
    inds: dict[str, Individual]
    profiles: dict[str, dict[str, Genotype]]
    undetermined: list[str]  # individuals given `unknown_sex`
    reconnected: bool = False


def _choose_pedigree(file: str, fam: _Family) -> _PedigreeSpec:
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


def _components(order: list[str], inds: Mapping[str, Individual]) -> list[list[str]]:
    """Connected components as pedtools numbers them (by founder order), members in ``order``."""
    adj: dict[str, set[str]] = {i: set() for i in order}
    for i in order:
        for p in (inds[i].father, inds[i].mother):
            if p is not None:
                adj[i].add(p)
                adj[p].add(i)
    comp: dict[str, int] = {}
    tag = 0
    for f in (i for i in order if inds[i].is_founder):
        if f in comp:
            continue
        tag += 1
        stack = [f]
        while stack:
            x = stack.pop()
            if x in comp:
                continue
            comp[x] = tag
            stack.extend(y for y in adj[x] if y not in comp)
    return [[i for i in order if comp[i] == t] for t in range(1, tag + 1)]


def _build_family(file: str, fam: _Family, unknown_sex: Sex, prefix_added: str) -> _Built:
    ped = _choose_pedigree(file, fam)
    where = f"family '{fam.name}', pedigree '{ped.name}'"
    ids = [p.name for p in fam.persons]
    sex: dict[str, int] = {p.name: int(p.sex) if p.sex is not None else 0 for p in fam.persons}
    known = set(ids)
    for parent, child, line in ped.relations:
        for role, who, at in (("Parent", parent, line), ("Child", child, line + 1)):
            if who not in known and who != MISSING_PERSON:
                raise FormatError(
                    f"{where}: {role} '{who}' is not a person of the family",
                    file=file,
                    line=at,
                    field=role,
                )
        if parent == child:
            raise FormatError(
                f"{where}: '{parent}' is their own parent", file=file, line=line, field="Parent"
            )
    # Individuals named only in relations (Familias's "Missing person"), in pedFamilias's order.
    rel_parents = [r[0] for r in ped.relations]
    rel_children = [r[1] for r in ped.relations]
    extras = [x for x in dict.fromkeys(rel_parents + rel_children) if x not in known]
    for x in extras:
        sex[x] = 0
    # Parents without a recorded sex: opposite to their co-parents (female without co-parents).
    for p in dict.fromkeys(rel_parents):
        if sex[p] != 0:
            continue
        kids = {c for q, c, _ in ped.relations if q == p}
        spouses = {q for q, c, _ in ped.relations if c in kids and q != p}
        if all(sex[s] == 1 for s in spouses):
            sex[p] = 2
        elif all(sex[s] == 2 for s in spouses):
            sex[p] = 1
        else:
            line = next(r[2] for r in ped.relations if r[0] == p)
            raise FormatError(
                f"{where}: cannot decide the sex of parent '{p}' (its co-parents "
                f"{', '.join(sorted(spouses))} do not share one sex)",
                file=file,
                line=line,
                field="Parent",
            )
    fathers: dict[str, str] = {}
    mothers: dict[str, str] = {}
    for parent, child, line in ped.relations:
        slot = fathers if sex[parent] == 1 else mothers
        if slot.get(child, parent) != parent:
            role = "father" if slot is fathers else "mother"
            raise FormatError(
                f"{where}: '{child}' has two {role}s, '{slot[child]}' and '{parent}'",
                file=file,
                line=line,
                field="Parent",
            )
        slot[child] = parent
    order = ids + extras
    # One parent only: the other is added as a founder (fathers first, then mothers).
    need_father = [c for c in order if c in mothers and c not in fathers]
    need_mother = [c for c in order if c in fathers and c not in mothers]
    added: list[str] = []
    for k, c in enumerate(need_father + need_mother, start=1):
        new = f"{prefix_added}{k}"
        if new in sex:
            raise FormatError(
                f"{where}: cannot add a parent '{new}' for '{c}': the name is taken",
                file=file,
                line=ped.line,
                field="Name",
            )
        is_father = k <= len(need_father)
        (fathers if is_father else mothers)[c] = new
        sex[new] = 1 if is_father else 2
        added.append(new)
    order += added
    undetermined = [i for i in order if sex[i] == 0]
    inds = {
        i: Individual(i, fathers.get(i), mothers.get(i), Sex(sex[i]) if sex[i] else unknown_sex)
        for i in order
    }
    profiles = {p.name: p.profile for p in fam.persons if p.profile}
    # Keep the part holding the typed references.
    comps = _components(order, inds)
    typed_comps = [k for k, c in enumerate(comps) if any(i in profiles for i in c)]
    if not typed_comps:
        raise FormatError(
            f"{where}: no person of the pedigree has DNA data; a reference family needs a typed "
            f"reference",
            file=file,
            line=ped.line,
            field="DNA data",
        )
    reconnected = False
    if len(typed_comps) == 1:
        keep = comps[typed_comps[0]]
    elif len(typed_comps) == 2:
        keep = _reconnect(file, where, ped.line, [comps[k] for k in typed_comps], inds, order)
        reconnected = True
    else:
        raise FormatError(
            f"{where}: the typed references fall in {len(typed_comps)} unconnected parts of the "
            f"pedigree",
            file=file,
            line=ped.line,
            field="Pedigree",
        )
    keep_set = set(keep)
    return _Built(
        [i for i in order if i in keep_set] + [i for i in keep if i not in set(order)],
        {i: inds[i] for i in keep},
        {i: p for i, p in profiles.items() if i in keep_set},
        [i for i in undetermined if i in keep_set],
        reconnected,
    )


def _reconnect(
    file: str,
    where: str,
    line: int,
    parts: list[list[str]],
    inds: dict[str, Individual],
    order: list[str],
) -> list[str]:
    """dvir's repair of a reference family in two parts: [main part] + [a lone spouse]."""
    x1, x2 = parts
    if len(x1) == 1:
        x1, x2 = x2, x1
    if MISSING_PERSON not in x1 or len(x2) != 1:
        raise FormatError(
            f"{where}: the typed references fall in two unconnected parts; dvir joins them only "
            f"when one part holds '{MISSING_PERSON}' and the other is one person",
            file=file,
            line=line,
            field="Pedigree",
        )
    a, b = MISSING_PERSON, x2[0]
    sa, sb = inds[a].sex, inds[b].sex
    if Sex.UNKNOWN in (sa, sb):
        raise FormatError(
            f"{where}: cannot join the two parts of the pedigree: the sex of '{a}' or '{b}' is "
            f"unknown",
            file=file,
            line=line,
            field="Pedigree",
        )
    new: list[Individual] = []
    if sa != sb:
        fa, mo = (a, b) if sa == Sex.MALE else (b, a)
        new.append(Individual("dummy", fa, mo, Sex.UNKNOWN))
    else:
        other = Sex.FEMALE if sa == Sex.MALE else Sex.MALE
        new.append(Individual("_dummy1", None, None, other))
        for kid, p in (("_dummy2", a), ("_dummy3", b)):
            fa, mo = (p, "_dummy1") if sa == Sex.MALE else ("_dummy1", p)
            new.append(Individual(kid, fa, mo, Sex.UNKNOWN))
    for ind in new:
        if ind.id in inds:
            raise FormatError(
                f"{where}: cannot join the two parts of the pedigree: the name '{ind.id}' is taken",
                file=file,
                line=line,
                field="Pedigree",
            )
        inds[ind.id] = ind
    return x1 + x2 + [ind.id for ind in new]


# --------------------------------------------------------------------------------------------
# read_fam
# --------------------------------------------------------------------------------------------


def read_fam(
    path: str | Path,
    *,
    missing_identifier: str = r"^Missing",
    unknown_sex: Sex = Sex.FEMALE,
    victim_prefix: str | None = None,
    ref_prefix: str | None = None,
    missing_prefix: str | None = None,
    family_prefix: str | None = None,
    others_prefix: str | None = None,
    prefix_added: str = "added_",
) -> DVIProblem:
    """Read a Familias ``.fam`` file with a DVI section as dvir's ``familias2dvir()`` does.

    Parameters
    ----------
    path : the ``.fam`` file.
    missing_identifier : regular expression; reference-pedigree members whose label matches it are
        the missing persons (dvir's ``missingIdentifier``).
    unknown_sex : the sex of individuals the file gives none (see the module notes); dvir codes
        them female.
    victim_prefix, ref_prefix, missing_prefix, family_prefix, others_prefix : relabelling as
        dvir's ``relabelDVI()`` (``None``: keep the file's labels).
    prefix_added : label prefix of parents added for children with one parent.

    Returns
    -------
    DVIProblem with pairings generated by sex (as dvir's ``generatePairings()``).

    Raises
    ------
    FormatError naming the file, the line and the field of the first problem.
    """
    p = Path(path)
    file = str(p)
    lines = _read_lines(p)
    dvi_start = next(
        (i for i, s in enumerate(lines) if s.replace('"', "").strip() == "[DVI]"), len(lines)
    )
    loci = _read_database(file, lines, dvi_start)
    if dvi_start == len(lines):
        raise FormatError(
            "no [DVI] section: this reader takes files saved by the DVI module of Familias",
            file=file,
            line=len(lines) + 1,
            field="[DVI]",
        )
    total = len(lines)
    roots = _parse_sections(file, lines, dvi_start)
    dvi = roots[0]
    un = dvi.child("Unidentified persons")
    if un is None:
        raise FormatError(
            "the [DVI] section has no [[Unidentified persons]]",
            file=file,
            line=dvi.line,
            field="Unidentified persons",
        )
    pm_persons = _persons(file, un, "the unidentified persons", loci, total)
    rf = dvi.child("Reference Families")
    if rf is None:
        raise FormatError(
            "the [DVI] section has no [[Reference Families]]",
            file=file,
            line=dvi.line,
            field="Reference Families",
        )
    n_fam, fam_line = _count(file, rf, "nFamilies")
    fams = [_family(file, c, loci, total) for c in rf.children()]
    _check_count(file, "nFamilies", n_fam, fam_line, len(fams), _end_line(rf, total), total)
    seen_fam: dict[str, int] = {}
    for f in fams:
        if f.name in seen_fam:
            raise FormatError(
                f"family name '{f.name}' is used twice (first at line {seen_fam[f.name]})",
                file=file,
                line=f.line,
                field="Name",
            )
        seen_fam[f.name] = f.line

    # PM samples
    undetermined: list[str] = []
    pm = [x.name for x in pm_persons]
    pm_sex: dict[str, Sex] = {}
    for x in pm_persons:
        if x.sex is None:
            undetermined.append(x.name)
        pm_sex[x.name] = x.sex if x.sex is not None else unknown_sex
    pm_prof = {x.name: x.profile for x in pm_persons}

    # Reference families
    built: dict[str, _Built] = {}
    for f in fams:
        b = _build_family(file, f, unknown_sex, prefix_added)
        built[f.name] = b
        undetermined += [f"{i} ({f.name})" for i in b.undetermined]
        if b.reconnected:
            warnings.warn(
                f"{file} line {f.line}: family '{f.name}' was in two unconnected parts; joined through "
                f"dummy individuals as dvir does",
                FamWarning,
                stacklevel=2,
            )
    # Typed labels used in two families: dvir prefixes every family's typed labels with its name.
    typed_all = [i for b in built.values() for i in b.order if i in b.profiles]
    if len(set(typed_all)) != len(typed_all):
        dup = next(i for i in typed_all if typed_all.count(i) > 1)
        warnings.warn(
            f"{file}: the reference name '{dup}' is used in two families; typed references are "
            f"prefixed with their family name, as dvir does",
            FamWarning,
            stacklevel=2,
        )
        tset = set(typed_all)
        for fname, b in built.items():
            built[fname] = _relabel_built(b, {i: f"{fname}_{i}" for i in b.order if i in tset})
    if undetermined and unknown_sex != Sex.UNKNOWN:
        warnings.warn(
            f"{file}: no sex recorded for {', '.join(undetermined)}; coded {unknown_sex.name.lower()} "
            f"as dvir does (pass unknown_sex=Sex.UNKNOWN to keep it open)",
            FamWarning,
            stacklevel=2,
        )

    # Missing persons
    try:
        pattern = re.compile(missing_identifier)
    except re.error as e:
        raise FormatError(
            f"missing_identifier is not a valid regular expression: {e}", file=file
        ) from None
    missing: list[tuple[str, str]] = []
    for fname, b in built.items():
        for i in b.order:
            if pattern.search(i):
                if i in b.profiles:
                    line = next(
                        x.line for f in fams if f.name == fname for x in f.persons if x.name == i
                    )
                    raise FormatError(
                        f"'{i}' has DNA data but its name marks a missing person "
                        f"(pattern '{missing_identifier}')",
                        file=file,
                        line=line,
                        field="Name",
                    )
                missing.append((i, fname))

    # Relabelling (dvir's relabelDVI)
    if victim_prefix is not None:
        ren = {v: f"{victim_prefix}{k}" for k, v in enumerate(pm, start=1)}
        pm = [ren[v] for v in pm]
        pm_sex = {ren[v]: s for v, s in pm_sex.items()}
        pm_prof = {ren[v]: pr for v, pr in pm_prof.items()}
    if ref_prefix is not None:
        typed_all = [i for b in built.values() for i in b.order if i in b.profiles]
        ren = {old: f"{ref_prefix}{k}" for k, old in enumerate(typed_all, start=1)}
        built = {f: _relabel_built(b, ren) for f, b in built.items()}
    if family_prefix is not None:
        fren = {f: f"{family_prefix}{k}" for k, f in enumerate(built, start=1)}
        built = {fren[f]: b for f, b in built.items()}
        missing = [(m, fren[f]) for m, f in missing]
    if missing_prefix is not None:
        names = [m for m, _ in missing]
        labels = [i for b in built.values() for i in b.order]
        dup_labels = {i for i in labels if labels.count(i) > 1}
        if dup_labels & set(names):  # dvir: make them unique per family first ("Missing person.3")
            fidx = {f: k for k, f in enumerate(built, start=1)}
            for f, b in list(built.items()):
                mine = [m for m, g in missing if g == f]
                built[f] = _relabel_built(b, {m: f"{m}.{fidx[f]}" for m in mine})
            missing = [(f"{m}.{fidx[f]}", f) for m, f in missing]
        new = {(m, f): f"{missing_prefix}{k}" for k, (m, f) in enumerate(missing, start=1)}
        for f, b in list(built.items()):
            built[f] = _relabel_built(b, {m: new[(m, g)] for m, g in missing if g == f})
        missing = [(new[(m, f)], f) for m, f in missing]
    if others_prefix is not None:
        mset = {m for m, _ in missing}
        k = 0
        for f, b in list(built.items()):
            oth = [i for i in b.order if i not in b.profiles and i not in mset]
            built[f] = _relabel_built(
                b, {o: f"{others_prefix}{k + j}" for j, o in enumerate(oth, start=1)}
            )
            k += len(oth)

    names = [m for m, _ in missing]
    if len(set(names)) != len(names):
        dup = next(m for m in names if names.count(m) > 1)
        fams_of = [f for m, f in missing if m == dup]
        raise FormatError(
            f"the missing person '{dup}' appears in families {', '.join(fams_of)}; ids must be unique "
            f"across the case: read with missing_prefix='M' (as dvir's relabelDVI)",
            file=file,
            field="Name",
        )

    # Markers: those anybody is typed at, in order of first appearance (PM data first).
    marker_names: list[str] = []
    for x in pm_persons:
        marker_names += [n for n in x.marker_order if n not in marker_names]
    for f in fams:
        for x in f.persons:
            marker_names += [n for n in x.marker_order if n not in marker_names]
    markers = tuple(loci[n].marker for n in marker_names)

    families: dict[str, Pedigree] = {}
    am_prof: dict[str, dict[str, dict[str, Genotype]]] = {}
    for (fname, b), f in zip(built.items(), fams, strict=False):
        try:
            families[fname] = Pedigree([b.inds[i] for i in b.order], name=fname)
        except KinshipError as e:
            raise FormatError(str(e), file=file, line=f.line, field="Pedigrees") from None
        if b.profiles:
            am_prof[fname] = b.profiles
    try:
        return DVIProblem(
            markers,
            tuple(pm),
            pm_sex,
            pm_prof,
            families,
            am_prof,
            tuple(names),
            {m: f for m, f in missing},
            {},
        )
    except KinshipError as e:
        raise FormatError(str(e), file=file) from None


def _relabel_built(b: _Built, ren: Mapping[str, str]) -> _Built:
    if not ren:
        return b

    def r(x: str | None) -> str | None:
        return None if x is None else ren.get(x, x)

    inds = {
        r(i): Individual(r(i), r(ind.father), r(ind.mother), ind.sex)  # type: ignore[arg-type]
        for i, ind in b.inds.items()
    }
    return _Built(
        [r(i) for i in b.order],
        inds,
        {r(i): p for i, p in b.profiles.items()},  # type: ignore[misc]
        [r(i) for i in b.undetermined],
        b.reconnected,
    )  # type: ignore[misc]
