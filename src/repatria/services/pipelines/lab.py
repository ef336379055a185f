"""Check lab exports before import: read every file, merge the kits of each sample, list conflicts.

:func:`check_lab_files` reads GeneMapper-style tables (:mod:`repatria.formats.lab_exports`) and
CODIS CMF files (:mod:`repatria.formats.codis_cmf`, told apart by content: XML is CMF) all or
nothing (one error names the file, the line and the field), merges the typings of each sample
over kits and runs (:func:`repatria.formats.kit_merge.merge_samples`) and returns what the lab
should look at: the samples, the markers typed, the conflicts left untyped and the notes. No
registry is touched; the result's :meth:`LabCheck.to_dict` shows genotypes only when asked.

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> header = "Sample Name,Marker,Allele 1,Allele 2\\n"
>>> _ = (d / "a.csv").write_text(header + "PM-1,vWA,16,17\\n")
>>> _ = (d / "b.csv").write_text(header + "PM-1,VWA,16,18\\n")
>>> check = check_lab_files([d / "a.csv", d / "b.csv"], kits=["Identifiler", "GlobalFiler"])
>>> [(s["sample"], s["markers"], len(s["conflicts"])) for s in check.to_dict()["samples"]]
[('PM-1', [], 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repatria.errors import ServiceError
from repatria.formats.codis_cmf import parse_cmf
from repatria.formats.genotypes import format_genotype
from repatria.formats.kit_merge import MergedProfile, merge_samples
from repatria.formats.lab_exports import parse_lab_export
from repatria.formats.lab_typing import LabExport
from repatria.formats.text import read_bytes

__all__ = ["LabCheck", "read_lab_file", "check_lab_files"]


def _is_xml(data: bytes) -> bool:
    head = data[:200].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    return head.startswith(b"<")


def read_lab_file(path: str | Path, kit: str | None = None) -> LabExport:
    """One lab export, read completely: a CMF file if it is XML, else a GeneMapper-style table."""
    p = Path(path)
    data = read_bytes(p, "lab export")
    if _is_xml(data):
        return parse_cmf(data, str(p), kit=kit)
    return parse_lab_export(data, str(p), kit=kit)


@dataclass(frozen=True)
class LabCheck:
    """The files read and each sample's merged profile (conflicts and notes inside)."""

    exports: tuple[LabExport, ...]
    profiles: dict[str, MergedProfile]

    @property
    def n_conflicts(self) -> int:
        return sum(len(p.conflicts) for p in self.profiles.values())

    def to_dict(self, show_genotypes: bool = False) -> dict[str, Any]:
        """Plain data for ``--json``; genotypes (``a/b``) only with ``show_genotypes``."""
        return {
            "files": [_file_dict(e) for e in self.exports],
            "samples": [_profile_dict(p, show_genotypes) for p in self.profiles.values()],
            "n_samples": len(self.profiles),
            "n_conflicts": self.n_conflicts,
        }


def _file_dict(e: LabExport) -> dict[str, Any]:
    return {
        "file": e.file,
        "layout": e.layout,
        "sha256": e.sha256,
        "encoding": e.encoding,
        "samples": len(e.samples),
        "typings": len(e.typings),
        "kits": sorted({t.kit for t in e.typings}),
        "skipped_rows": e.skipped_rows,
        "ignored_columns": list(e.ignored_columns),
        "renamed_markers": {w: c for w, c in e.marker_names.items() if w != c},
    }


def _profile_dict(p: MergedProfile, show: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "sample": p.sample,
        "sex": p.sex.name.lower(),
        "kits": list(p.kits),
        "sources": list(p.sources),
        "markers": p.markers,
        "n_markers": len(p.markers),
        "off_ladder": list(p.off_ladder),
        "conflicts": [
            {
                "marker": c.marker,
                "kits": list(c.kits),
                "sources": list(c.sources),
                "message": c.message,
                **({"calls": [format_genotype(g) for g in c.calls]} if show else {}),
            }
            for c in p.conflicts
        ],
        "notes": [
            {
                "marker": n.marker,
                "kits": list(n.kits),
                "sources": list(n.sources),
                "message": n.message,
            }
            for n in p.notes
        ],
    }
    if show:
        d["genotypes"] = {m: format_genotype(g) for m, g in p.genotypes.items()}
        d["amelogenin"] = format_genotype(p.amelogenin)
    return d


def check_lab_files(paths: Sequence[str | Path], kits: Sequence[str] = ()) -> LabCheck:
    """Read every file (all or nothing), merge each sample's kits, and return the check.

    Parameters
    ----------
    paths : lab export files (GeneMapper-style tables or CMF files), one or more.
    kits : the kit of every file: none (each file's ``Panel`` / ``KIT``, else its name), one for
        all files, or one per file in the same order.
    """
    if not paths:
        raise ServiceError("no lab export files given")
    if len(kits) not in (0, 1, len(paths)):
        raise ServiceError(
            f"{len(kits)} kits for {len(paths)} files: give --kit once for all files, or once per "
            f"file in the same order"
        )
    per_file: list[str | None] = (
        [kits[0]] * len(paths) if len(kits) == 1 else list(kits) or [None] * len(paths)
    )
    exports: list[LabExport] = []
    seen: dict[str, str] = {}
    for path, kit in zip(paths, per_file, strict=True):
        e = read_lab_file(path, kit)
        if e.sha256 in seen:
            raise ServiceError(
                f"{e.file} holds the same bytes as {seen[e.sha256]}: a file read twice would "
                f"count its calls as concordant repeats"
            )
        seen[e.sha256] = e.file
        exports.append(e)
    typings = [t for e in exports for t in e.typings]
    return LabCheck(tuple(exports), merge_samples(typings))
