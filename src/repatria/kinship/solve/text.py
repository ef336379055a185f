"""The words of the DVI workflow: log sections, plurals, LRs in comments, tables.

The log follows dvir's verbose output line for line (timings aside), because analysts compare
the two; these helpers keep its spelling in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from repatria.kinship.dvi import DVIProblem
from repatria.kinship.solve.records import AMRow, PMRow

__all__ = ["section", "plural", "fmt_lr", "format_rows", "am_table", "pm_table"]


def section(title: str, width: int = 50) -> str:
    """A section title of the log, dashes padded to ``width`` as dvir's ``dashpad``."""
    y = "\n" + "-" * 6 + " " + title + " "
    return y + "-" * max(0, width - len(y)) + "\n\n"


def plural(n: int, one: str, many: str) -> str:
    """``one`` if ``n == 1``, else ``many``."""
    return one if n == 1 else many


def fmt_lr(x: float) -> str:
    """An LR in a comment, as R's ``sprintf("%.2g")`` writes it."""
    return f"{x:.2g}"


def format_rows(rows: Sequence[Mapping[str, object]], keys: Sequence[str]) -> str:
    """A plain right-aligned table of rows for the log (``NA`` for ``None``)."""
    if not rows:
        return ""
    head = [k.capitalize() if k not in ("lr", "glr") else k.upper() for k in keys]

    def cell(x: object) -> str:
        if x is None:
            return "NA"
        if isinstance(x, float):
            return f"{x:.7g}"
        return str(x)

    table = [head] + [[cell(r.get(k)) for k in keys] for r in rows]
    widths = [max(len(row[c]) for row in table) for c in range(len(keys))]
    return (
        "\n".join(" ".join(s.rjust(w) for s, w in zip(row, widths, strict=True)) for row in table)
        + "\n"
    )


def am_table(rows: Iterable[AMRow], original: DVIProblem) -> tuple[AMRow, ...]:
    """dvir's ``formatSummary`` for the AM table: rows with an MP, by family then MP."""
    fam_order = {f: i for i, f in enumerate(original.families)}
    mp_order = {m: i for i, m in enumerate(original.missing)}
    kept = [r for r in rows if r.missing is not None]
    # sorted() is stable: rows the order does not tell apart keep the order they were settled in.
    kept.sort(
        key=lambda r: (
            fam_order.get(r.family or "", len(fam_order)),
            mp_order.get(r.missing or "", 0),
        )
    )
    return tuple(kept)


def pm_table(rows: Iterable[PMRow], original: DVIProblem) -> tuple[PMRow, ...]:
    """dvir's ``formatSummary`` for the PM table: rows with a sample, in the problem's order."""
    pm_order = {v: i for i, v in enumerate(original.pm)}
    kept = [r for r in rows if r.sample is not None]
    kept.sort(key=lambda r: pm_order.get(r.sample or "", len(pm_order)))
    return tuple(kept)
