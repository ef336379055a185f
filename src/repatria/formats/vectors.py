"""The likelihood-vectors file: small pedigree likelihood and LR cases, with expected values.

Schema (inside the file): each entry of ``vectors`` has ``index``, ``id``, ``kind`` (``likelihood``,
``kinshipLR`` or ``missingPersonLR``), ``theta``, ``markers`` (as in ``markers.json``) and, by kind,
``pedigree`` | ``hypotheses {H1, H2}`` | ``reference, missing, poi``; individuals are
``{id, fid, mid, sex, genotypes {marker: "a/b" | ""}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repatria.errors import FormatError, KinshipError
from repatria.formats.genotypes import parse_genotype
from repatria.formats.markers_json import markers_from_list
from repatria.formats.text import read_text
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Pedigree, Sex, pedigree_from_rows

__all__ = ["VectorCase", "read_vectors", "KINDS"]

KINDS = ("likelihood", "kinshipLR", "missingPersonLR")


@dataclass(frozen=True, eq=False)
class VectorCase:
    """One entry of a likelihood-vectors file, parsed into kinship objects."""

    index: int
    id: str
    kind: str
    description: str
    theta: float
    markers: list[Marker]
    pedigrees: dict[str, Pedigree]  # "pedigree" | "H1","H2" | "reference"
    profiles: dict[str, dict[str, Genotype]]
    missing: str | None = None
    poi: str | None = None
    poi_sex: Sex | None = None
    expected: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _individuals(
    items: list[dict[str, Any]],
    file: str,
    where: str,
    profiles: dict[str, dict[str, Genotype]],
    name: str,
) -> Pedigree:
    rows = []
    for k, ind in enumerate(items):
        w = f"{where}[{k}]"
        try:
            pid = str(ind["id"])
            rows.append(
                (pid, str(ind.get("fid", "0")), str(ind.get("mid", "0")), int(ind.get("sex", 0)))
            )
            for marker, cell in (ind.get("genotypes") or {}).items():
                g = parse_genotype(str(cell), file=file, field=f"{w}.genotypes.{marker}")
                if g is not None:
                    profiles.setdefault(pid, {})[marker] = g
        except KeyError as e:
            raise FormatError(f"missing key {e}", file=file, field=w) from None
        except ValueError as e:
            raise FormatError(str(e), file=file, field=w) from None
    try:
        return pedigree_from_rows(rows, name=name)
    except KinshipError as e:
        raise FormatError(str(e), file=file, field=where) from None


def _case(v: dict[str, Any], file: str) -> VectorCase:
    where = f"vectors[{v.get('index', '?')}]"
    kind = v.get("kind")
    if kind not in KINDS:
        raise FormatError(
            f"kind '{kind}' is not one of {', '.join(KINDS)}", file=file, field=f"{where}.kind"
        )
    markers = markers_from_list(v.get("markers") or [], file, f"{where}.markers")
    profiles: dict[str, dict[str, Genotype]] = {}
    peds: dict[str, Pedigree] = {}
    missing = poi = None
    poi_sex = None
    try:
        if kind == "likelihood":
            peds["pedigree"] = _individuals(
                v["pedigree"], file, f"{where}.pedigree", profiles, "pedigree"
            )
        elif kind == "kinshipLR":
            for h in ("H1", "H2"):
                comps = v["hypotheses"][h]
                inds = [ind for comp in comps for ind in comp]
                prof_h: dict[str, dict[str, Genotype]] = {}
                peds[h] = _individuals(inds, file, f"{where}.hypotheses.{h}", prof_h, h)
                for pid, pr in prof_h.items():
                    if pid in profiles and profiles[pid] != pr:
                        raise FormatError(
                            f"'{pid}' has different genotypes in H1 and H2",
                            file=file,
                            field=f"{where}.hypotheses.{h}",
                        )
                    profiles[pid] = pr
        else:
            peds["reference"] = _individuals(
                v["reference"], file, f"{where}.reference", profiles, "reference"
            )
            missing = str(v["missing"])
            poi_d = v["poi"]
            poi = str(poi_d["id"])
            poi_sex = Sex(int(poi_d.get("sex", 0)))
            _individuals([poi_d], file, f"{where}.poi", profiles, "poi")
    except KeyError as e:
        raise FormatError(f"missing key {e}", file=file, field=where) from None
    known = {m.name for m in markers}
    for pid, pr in profiles.items():
        for mname in pr:
            if mname not in known:
                raise FormatError(
                    f"genotype for unknown marker '{mname}' (person '{pid}')",
                    file=file,
                    field=where,
                )
    return VectorCase(
        int(v.get("index", 0)),
        str(v.get("id", "")),
        kind,
        str(v.get("description", "")),
        float(v.get("theta", 0) or 0),
        markers,
        peds,
        profiles,
        missing,
        poi,
        poi_sex,
        v.get("expected"),
    )


def read_vectors(path: str | Path) -> list[VectorCase]:
    """Read every case of a likelihood-vectors file, or raise a :class:`FormatError`."""
    p = Path(path)
    try:
        data = json.loads(read_text(p, "likelihood-vectors file").text)
    except json.JSONDecodeError as e:
        raise FormatError(f"not valid JSON: {e.msg}", file=str(p), line=e.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("vectors"), list):
        raise FormatError("expected an object with a `vectors` list", file=str(p), field="vectors")
    return [_case(v, str(p)) for v in data["vectors"]]
