"""Screening output files: candidate pairings and fragment groups, as TSV or Parquet.

Candidates: columns ``pm``, ``family``, ``missing``, ``lr``, ``log10_lr`` (one row per pair).
Fragment groups: ``group``, ``pm``, ``size``, ``linked_to``, ``lr``, ``log10_lr`` (one row per
sample; ``linked_to`` is the member of its group it matches best). A name ending in ``.parquet``
is written as Parquet (pyarrow), anything else as TSV. Numbers are written with ``repr`` so that
they read back exactly; an infinite LR is ``inf``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from repatria.errors import FormatError

__all__ = ["CANDIDATE_COLUMNS", "FRAGMENT_COLUMNS", "write_table"]

CANDIDATE_COLUMNS = ("pm", "family", "missing", "lr", "log10_lr")
FRAGMENT_COLUMNS = ("group", "pm", "size", "linked_to", "lr", "log10_lr")


def write_table(path: str | Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write ``rows`` under ``columns`` to ``path`` (Parquet if it ends in ``.parquet``)."""
    p = Path(path)
    try:
        if p.suffix.lower() == ".parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:  # pragma: no cover - pyarrow is a dependency
                raise FormatError(
                    "Parquet output needs pyarrow; install it or write .tsv", file=str(p)
                ) from None
            cols = list(zip(*rows, strict=False)) or [()] * len(columns)
            pq.write_table(pa.table({c: list(v) for c, v in zip(columns, cols, strict=False)}), p)
            return p
        with p.open("w", encoding="utf-8") as f:
            f.write("\t".join(columns) + "\n")
            for r in rows:
                f.write("\t".join(repr(x) if isinstance(x, float) else str(x) for x in r) + "\n")
    except OSError as e:
        raise FormatError(f"cannot write: {e.strerror}", file=str(p)) from None
    return p
