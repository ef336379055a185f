"""Marker definitions in the neutral JSON of the reference cases (``markers.json``).

Each marker: ``name``, ``chrom``, ``posMb``, ``isX``, ``alleles``, ``afreq`` and ``mutmod`` (null,
or ``{sexEqual, female: {params, matrix}, male: {...}}``). The stored matrix is used as is,
exactly as the peer used it; ``params`` are kept with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from repatria.errors import FormatError, KinshipError
from repatria.field_limits import ALLELE, MARKER
from repatria.formats.text import check_field
from repatria.kinship.markers import Marker, MutationModel, mutation_matrix

__all__ = ["marker_from_dict", "markers_from_list", "marker_to_dict"]


def _model(
    d: Mapping[str, Any], alleles: list[str], afreq: list[float], file: str | None, field: str
) -> MutationModel:
    params = dict(d.get("params") or {})
    matrix = d.get("matrix")
    if matrix is None:
        model = params.get("model")
        if model is None:
            raise FormatError(
                "a mutation model needs `matrix` or `params.model`", file=file, field=field
            )
        matrix = mutation_matrix(
            model,
            alleles,
            params.get("afreq", afreq),
            rate=float(params.get("rate", 0)),
            rate2=float(params.get("rate2", 0)),
            range_=float(params.get("range", 0.1)),
        )
    return MutationModel(np.asarray(matrix, dtype=float), params)


def marker_from_dict(
    d: Mapping[str, Any], file: str | None = None, field: str = "markers"
) -> Marker:
    """A :class:`Marker` from one marker object; a :class:`FormatError` names what is wrong."""
    name = d.get("name")
    where = f"{field}[{name}]" if name else field
    try:
        alleles = [str(a) for a in d["alleles"]]
        afreq = [float(x) for x in d["afreq"]]
        mut = d.get("mutmod")
        female = male = None
        if mut:
            female = _model(mut["female"], alleles, afreq, file, f"{where}.mutmod.female")
            male = _model(
                mut.get("male") or mut["female"], alleles, afreq, file, f"{where}.mutmod.male"
            )
        is_x = bool(d.get("isX")) or str(d.get("chrom") or "").upper() in ("X", "23")
        return Marker(
            str(name),
            tuple(alleles),
            np.array(afreq),
            female,
            male,
            is_x,
            None if d.get("chrom") is None else str(d.get("chrom")),
            d.get("posMb"),
        )
    except KeyError as e:
        raise FormatError(f"missing key {e}", file=file, field=where) from None
    except (KinshipError, ValueError, TypeError) as e:
        raise FormatError(str(e), file=file, field=where) from None


def markers_from_list(
    items: list[Mapping[str, Any]], file: str | None = None, field: str = "markers"
) -> list[Marker]:
    markers = [marker_from_dict(d, file, field) for d in items]
    for i, m in enumerate(markers):
        check_field(m.name, MARKER, file=file, line=None, field=f"{field}[{i}].name")
        for a in m.alleles:
            check_field(str(a), ALLELE, file=file, line=None, field=f"{field}[{i}].alleles")
    names = [m.name for m in markers]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise FormatError(
            f"marker names used twice: {', '.join(sorted(dup))}", file=file, field=field
        )
    return markers


def marker_to_dict(m: Marker) -> dict[str, Any]:
    def model(mm: MutationModel | None) -> dict[str, Any] | None:
        return None if mm is None else {"params": dict(mm.params), "matrix": mm.matrix.tolist()}

    mut = None
    if m.female is not None or m.male is not None:
        mut = {
            "sexEqual": m.female is m.male
            or (
                m.female is not None
                and m.male is not None
                and np.array_equal(m.female.matrix, m.male.matrix)
            ),
            "female": model(m.female),
            "male": model(m.male),
        }
    return {
        "name": m.name,
        "chrom": m.chrom,
        "posMb": m.pos_mb,
        "isX": m.is_x,
        "alleles": list(m.alleles),
        "afreq": [float(x) for x in m.afreq],
        "mutmod": mut,
    }
