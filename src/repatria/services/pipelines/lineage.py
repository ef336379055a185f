"""Lineage matching on files: a PM haplotype against a reference relative's, weighed by a database
of haplotypes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from repatria.formats.haplotypes import parse_haplotype, read_haplotype_database
from repatria.kinship.lineage import LineageLR, lineage_lr

__all__ = ["match_lineage", "lineage_summary"]


def match_lineage(
    pm: str,
    reference: str,
    database: str | Path,
    *,
    kind: str = "Y",
    meioses: int = 1,
    mutation_rate: float | Mapping[str, float] = 0.0,
    max_mismatches: int = 2,
    confidence: float = 0.95,
) -> LineageLR:
    """``pm`` and ``reference`` as on the command line (see :mod:`repatria.formats.haplotypes`)."""
    h_pm, h_ref = (
        parse_haplotype(pm, kind, field="pm"),
        parse_haplotype(reference, kind, field="reference"),
    )
    db = read_haplotype_database(database, kind)
    return lineage_lr(
        h_pm,
        h_ref,
        db,
        meioses=meioses,
        mutation_rate=mutation_rate,
        max_mismatches=max_mismatches,
        confidence=confidence,
    )


def lineage_summary(r: LineageLR) -> dict[str, Any]:
    """The result as plain data (the ``repatria lineage match --json`` output)."""
    f = r.frequency
    return {
        "kind": r.parameters["kind"],
        "meioses": r.meioses,
        "loci_compared": len(r.comparison.compared),
        "differences": [
            {"locus": d[0], "pm": list(d[1]), "reference": list(d[2]), "steps": d[3]}
            for d in r.comparison.differences
        ],
        "excluded": r.excluded,
        "p_same_line": r.p_same_line,
        "frequency": {
            "count": f.count,
            "database_size": f.n,
            "left_out": f.left_out,
            "point": f.point,
            "augmented": f.augmented,
            "upper": f.upper,
            "kappa": f.kappa,
            "confidence": f.confidence,
        },
        "lr_conservative": r.lr_conservative,
        "lr_augmented": r.lr_augmented,
        "parameters": dict(r.parameters),
        "version": r.version,
    }
