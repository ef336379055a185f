"""The case folder: ``pm.tsv``, ``am.tsv``, ``missing.txt``, ``markers.json`` and (optional)
``pairings.json`` (see the reference cases' ``FORMAT.md``).

A reader returns a complete, valid :class:`~repatria.kinship.dvi.DVIProblem` or raises a
:class:`FormatError` naming the file, the line and the field. It never half-reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repatria import field_limits as L
from repatria.errors import FormatError, KinshipError
from repatria.formats.genotypes import format_genotype, parse_genotype
from repatria.formats.markers_json import marker_to_dict, markers_from_list
from repatria.formats.text import check_field, check_no_nul, read_text
from repatria.kinship.dvi import NOBODY, DVIProblem
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Sex

__all__ = ["read_case_folder", "write_case_folder"]


def _read_text(path: Path) -> str:
    """The file's text: a byte-order mark, UTF-16 or latin-1 read, a binary file refused."""
    return read_text(path).text


def _tsv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    lines = _read_text(path).splitlines()
    rows = [
        (k, line.split("\t"))
        for k, line in enumerate(lines, start=1)
        if line.strip() and not line.startswith("#")
    ]
    if not rows:
        raise FormatError("empty file: a header row is required", file=str(path), line=1)
    header = [h.strip() for h in rows[0][1]]
    for h in header:  # the ids' columns and the markers' names
        check_field(h, L.MARKER, file=str(path), line=rows[0][0], field="header")
    for k, r in rows[1:]:
        if len(r) != len(header):
            raise FormatError(
                f"{len(r)} fields, but the header has {len(header)}", file=str(path), line=k
            )
    return header, rows[1:]


def _ref(value: str, file: Path, line: int, field: str) -> str:
    """An id the registry stores as a reference (samples, families, members)."""
    check_field(value, L.REF, file=str(file), line=line, field=field)
    return value


def _sex(cell: str, file: str, line: int) -> Sex:
    try:
        return Sex(int(cell))
    except ValueError:
        raise FormatError(
            f"sex '{cell}' must be 0 (unknown), 1 (male) or 2 (female)",
            file=file,
            line=line,
            field="sex",
        ) from None


def _genotypes(
    header: list[str],
    row: list[str],
    first: int,
    markers: Mapping[str, Marker],
    file: str,
    line: int,
    unseen: dict[str, list[str]] | None = None,
) -> dict[str, Genotype]:
    out: dict[str, Genotype] = {}
    for name, cell in zip(header[first:], row[first:], strict=False):
        g = parse_genotype(cell, file=file, line=line, field=name)
        if g is None:
            continue
        m = markers[name]
        for a in g:
            if a is not None and a not in m._index:
                if unseen is None:
                    raise FormatError(
                        f"allele '{a}' is not in the frequency table of {name}; add it to "
                        f"markers.json, or give a minimum frequency for unseen alleles",
                        file=file,
                        line=line,
                        field=name,
                    )
                unseen.setdefault(name, []).append(a)
        out[name] = g
    return out


def _marker_columns(
    header: list[str], first: int, markers: Mapping[str, Marker], file: str
) -> None:
    for name in header[first:]:
        if name not in markers:
            raise FormatError(
                f"column '{name}' is not a marker of markers.json", file=file, line=1, field=name
            )
    dup = {h for h in header if header.count(h) > 1}
    if dup:
        raise FormatError(f"column(s) {', '.join(sorted(dup))} appear twice", file=file, line=1)


def read_case_folder(
    folder: str | Path,
    unseen_allele_freq: float | None = None,
    added: dict[str, list[str]] | None = None,
    dropout: dict[str, float] | None = None,
) -> DVIProblem:
    """Read a case folder into a validated :class:`DVIProblem`.

    ``pm.tsv`` may carry a ``dropout`` column after ``sex``: a sample's allelic dropout
    probability (0 <= P < 1; empty: not given). Its values are put in ``dropout`` (PM id ->
    probability) when a dict is passed; the problem itself is read without dropout models (the
    pipeline decides them, with its default for the samples without a value).

    An allele of a profile that ``markers.json`` does not list is an error, unless
    ``unseen_allele_freq`` is given: it is then added to its marker at that frequency (the others
    scaled down to keep the sum 1, named mutation models rebuilt; see
    :meth:`repatria.kinship.markers.Marker.with_unseen_alleles`), and listed in ``added``.
    """
    unseen: dict[str, list[str]] | None = {} if unseen_allele_freq is not None else None
    d = Path(folder)
    if not d.is_dir():
        raise FormatError(
            "not a case folder (a directory with pm.tsv, am.tsv, missing.txt, markers.json)",
            file=str(d),
        )
    marker_list = _read_markers(d / "markers.json")
    markers = {m.name: m for m in marker_list}
    pm, pm_sex, pm_prof, pm_drop = _read_pm(d / "pm.tsv", markers, unseen)
    if dropout is not None:
        dropout.update(pm_drop)
    am = _read_am(d / "am.tsv", markers, unseen, set(pm_sex))
    missing, missing_family = _read_missing(d / "missing.txt", am)
    pairings = _read_pairings(d / "pairings.json", pm, missing_family)
    if unseen and unseen_allele_freq is not None:
        try:
            marker_list = [
                m.with_unseen_alleles(sorted(set(unseen.get(m.name, ()))), unseen_allele_freq)
                for m in marker_list
            ]
        except KinshipError as e:
            raise FormatError(str(e), file=str(d / "markers.json")) from None
        if added is not None:
            added.update({name: sorted(set(a)) for name, a in unseen.items()})
    try:
        return DVIProblem(
            tuple(marker_list),
            tuple(pm),
            pm_sex,
            pm_prof,
            am.families,
            am.profiles,
            tuple(missing),
            missing_family,
            pairings,
        )
    except KinshipError as e:
        raise FormatError(str(e), file=str(d)) from None


def _json(path: Path) -> Any:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as e:
        raise FormatError(f"not valid JSON: {e.msg}", file=str(path), line=e.lineno) from None
    check_no_nul(data, file=str(path))
    return data


def _read_markers(mpath: Path) -> list[Marker]:
    mdata = _json(mpath)
    items = mdata.get("markers") if isinstance(mdata, dict) else mdata
    if not isinstance(items, list):
        raise FormatError("expected a `markers` list", file=str(mpath), field="markers")
    return markers_from_list(items, str(mpath))


def _dropout(cell: str, file: str, line: int) -> float | None:
    text = cell.strip()
    if not text or text.upper() == "NA":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < 1:  # nan fails too
        raise FormatError(
            f"dropout '{text}' must be a probability, at least 0 and below 1",
            file=file,
            line=line,
            field="dropout",
        )
    return value


def _read_pm(
    ppath: Path, markers: Mapping[str, Marker], unseen: dict[str, list[str]] | None
) -> tuple[list[str], dict[str, Sex], dict[str, dict[str, Genotype]], dict[str, float]]:
    header, rows = _tsv(ppath)
    if header[:2] != ["id", "sex"]:
        raise FormatError("header must start with id, sex", file=str(ppath), line=1, field="header")
    # An optional per-sample dropout column right after sex; the markers follow.
    first = 3 if len(header) > 2 and header[2] == "dropout" else 2
    _marker_columns(header, first, markers, str(ppath))
    pm: list[str] = []
    pm_sex: dict[str, Sex] = {}
    pm_prof: dict[str, dict[str, Genotype]] = {}
    pm_drop: dict[str, float] = {}
    for k, r in rows:
        pid = _ref(r[0].strip(), ppath, k, "id")
        if not pid:
            raise FormatError("empty id", file=str(ppath), line=k, field="id")
        if pid in pm_sex:
            raise FormatError(f"PM id '{pid}' is used twice", file=str(ppath), line=k, field="id")
        pm.append(pid)
        pm_sex[pid] = _sex(r[1].strip(), str(ppath), k)
        if first == 3:
            value = _dropout(r[2], str(ppath), k)
            if value is not None:
                pm_drop[pid] = value
        pm_prof[pid] = _genotypes(header, r, first, markers, str(ppath), k, unseen)
    return pm, pm_sex, pm_prof, pm_drop


@dataclass
class _AM:
    families: dict[str, Pedigree]
    profiles: dict[str, dict[str, dict[str, Genotype]]]
    typed_line: dict[str, int]  # line of each typed reference in am.tsv


def _read_am(
    apath: Path,
    markers: Mapping[str, Marker],
    unseen: dict[str, list[str]] | None,
    pm_ids: set[str],
) -> _AM:
    header, rows = _tsv(apath)
    if header[:5] != ["famid", "id", "fid", "mid", "sex"]:
        raise FormatError(
            "header must start with famid, id, fid, mid, sex",
            file=str(apath),
            line=1,
            field="header",
        )
    _marker_columns(header, 5, markers, str(apath))
    fam_rows: dict[str, list[tuple[int, Individual]]] = {}
    am = _AM({}, {}, {})
    for k, r in rows:
        famid, pid, fid, mid = (
            _ref(x.strip(), apath, k, name)
            for x, name in zip(r[:4], ("famid", "id", "fid", "mid"), strict=False)
        )
        for name, val in (("famid", famid), ("id", pid)):
            if not val:
                raise FormatError(f"empty {name}", file=str(apath), line=k, field=name)
        if any(ind.id == pid for _, ind in fam_rows.get(famid, [])):
            raise FormatError(
                f"id '{pid}' is used twice in family '{famid}'", file=str(apath), line=k, field="id"
            )
        sex = _sex(r[4].strip(), str(apath), k)
        par = [None if x in ("0", "", "NA") else x for x in (fid, mid)]
        fam_rows.setdefault(famid, []).append((k, Individual(pid, par[0], par[1], sex)))
        g = _genotypes(header, r, 5, markers, str(apath), k, unseen)
        if g:
            if pid in am.typed_line or pid in pm_ids:
                raise FormatError(
                    f"typed reference id '{pid}' is not unique in the case",
                    file=str(apath),
                    line=k,
                    field="id",
                )
            am.typed_line[pid] = k
            am.profiles.setdefault(famid, {})[pid] = g
    for famid, inds in fam_rows.items():
        am.families[famid] = _family(apath, famid, inds)
    return am


def _family(apath: Path, famid: str, inds: list[tuple[int, Individual]]) -> Pedigree:
    ids = {ind.id for _, ind in inds}
    for k, ind in inds:
        for role, p in (("fid", ind.father), ("mid", ind.mother)):
            if p is not None and p not in ids:
                raise FormatError(
                    f"parent '{p}' of '{ind.id}' is not in family '{famid}'",
                    file=str(apath),
                    line=k,
                    field=role,
                )
    try:
        return Pedigree([ind for _, ind in inds], name=famid)
    except KinshipError as e:
        raise FormatError(str(e), file=str(apath), line=inds[0][0], field="famid") from None


def _read_missing(spath: Path, am: _AM) -> tuple[list[str], dict[str, str]]:
    missing: list[str] = []
    missing_family: dict[str, str] = {}
    for k, line in enumerate(_read_text(spath).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise FormatError("expected `id<TAB>famid`", file=str(spath), line=k)
        mp, famid = parts[0].strip(), parts[1].strip()
        if famid not in am.families:
            raise FormatError(
                f"family '{famid}' is not in am.tsv", file=str(spath), line=k, field="famid"
            )
        if mp not in am.families[famid]:
            raise FormatError(
                f"'{mp}' is not a member of family '{famid}'", file=str(spath), line=k, field="id"
            )
        if mp in am.profiles.get(famid, {}):
            raise FormatError(
                f"missing person '{mp}' is typed in am.tsv (line {am.typed_line[mp]}); a missing "
                f"person has no profile",
                file=str(spath),
                line=k,
                field="id",
            )
        if mp in missing_family:
            raise FormatError(
                f"missing person '{mp}' is listed twice", file=str(spath), line=k, field="id"
            )
        missing.append(mp)
        missing_family[mp] = famid
    return missing, missing_family


def _read_pairings(
    rpath: Path, pm: list[str], missing_family: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """The optional pairings.json (empty when absent: pairings are then generated by sex)."""
    pairings: dict[str, tuple[str, ...]] = {}
    if not rpath.exists():
        return pairings
    pdata = _json(rpath)
    raw = pdata.get("pairings", pdata) if isinstance(pdata, dict) else None
    if not isinstance(raw, dict):
        raise FormatError(
            "expected an object `pairings: {PM: [MP, ...]}`", file=str(rpath), field="pairings"
        )
    for v in pm:
        lst = raw.get(v)
        if lst is None:
            raise FormatError(f"no pairings for PM '{v}'", file=str(rpath), field=f"pairings.{v}")
        for x in lst:
            if x != NOBODY and x not in missing_family:
                raise FormatError(
                    f"'{x}' is not a missing person", file=str(rpath), field=f"pairings.{v}"
                )
        pairings[v] = tuple(str(x) for x in lst)
    return pairings


def _check_writable(problem: DVIProblem, folder: str | Path) -> None:
    """Refuse, before anything is written, an id the reader would not read back as written.

    The first cell of a ``pm.tsv`` row (the PM id) and of an ``am.tsv`` row (the famid) must not
    start with ``#``: the reader takes such a line for a comment. No id may hold a tab or a line
    break, which would split its row.
    """
    where = str(Path(folder))
    fields: list[tuple[str, str, bool]] = [(v, "pm.tsv id", True) for v in problem.pm]
    for famid, ped in problem.families.items():
        fields.append((famid, "am.tsv famid", True))
        fields += [(ind.id, f"am.tsv id (family {famid})", False) for ind in ped]
    for x, field, first in fields:
        if first and x.startswith("#"):
            raise FormatError(
                f"the {field} {x!r} starts with '#': the case folder reader would take its row "
                f"for a comment; rename it before writing",
                file=where,
                field=field,
            )
        if any(c in x for c in "\t\r\n"):
            raise FormatError(
                f"the {field} {x!r} holds a tab or a line break, which would split its row",
                file=where,
                field=field,
            )


def write_case_folder(
    problem: DVIProblem,
    folder: str | Path,
    extra: Mapping[str, Any] | None = None,
    pairings: bool = True,
) -> Path:
    """Write ``problem`` as a case folder (the inverse of :func:`read_case_folder`).

    ``pairings=False`` leaves ``pairings.json`` out (the reader then generates the default ones by
    sex): a population of 10^4 PMs × 10^4 MPs would otherwise write 10^8 pairings."""
    _check_writable(problem, folder)
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    names = [m.name for m in problem.markers]
    (d / "markers.json").write_text(
        json.dumps(
            {"n": len(names), "markers": [marker_to_dict(m) for m in problem.markers]}, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    lines = ["\t".join(["id", "sex", *names])]
    for v in problem.pm:
        prof = problem.pm_profiles.get(v, {})
        lines.append(
            "\t".join(
                [v, str(int(problem.pm_sex[v])), *[format_genotype(prof.get(n)) for n in names]]
            )
        )
    (d / "pm.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["\t".join(["famid", "id", "fid", "mid", "sex", *names])]
    for famid, ped in problem.families.items():
        prof_f = problem.am_profiles.get(famid, {})
        for ind in ped:
            prof = prof_f.get(ind.id, {})
            lines.append(
                "\t".join(
                    [
                        famid,
                        ind.id,
                        ind.father or "0",
                        ind.mother or "0",
                        str(int(ind.sex)),
                        *[format_genotype(prof.get(n)) for n in names],
                    ]
                )
            )
    (d / "am.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / "missing.txt").write_text(
        "".join(f"{m}\t{problem.missing_family[m]}\n" for m in problem.missing), encoding="utf-8"
    )
    if pairings:
        (d / "pairings.json").write_text(
            json.dumps({"pairings": {v: list(problem.pairings[v]) for v in problem.pm}}, indent=1)
            + "\n",
            encoding="utf-8",
        )
    for name, obj in (extra or {}).items():
        (d / name).write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")
    return d
