"""Allele frequency tables: long TSV (``marker, allele, frequency``) and the bundled tables."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from repatria import field_limits as L
from repatria.errors import FormatError, KinshipError
from repatria.formats.text import check_field, read_text
from repatria.kinship.markers import Marker, mutation_model

__all__ = ["FrequencyTable", "read_frequency_table", "bundled_table", "BUNDLED_TABLES"]

BUNDLED_TABLES = {
    "norstr_east_asia_2023": "East Asia, norSTR 2023 (Oslo), min. frequency 0.001",
    "norstr_europe_2023": "Europe, norSTR 2023 (Oslo), min. frequency 0.001",
    "nist1036_us_asian": "U.S. Asian, NIST 1036 (2017), N = 97, no minimum frequency",
}


@dataclass(frozen=True)
class FrequencyTable:
    """Allele frequencies per marker, with where they come from.

    ``frequencies[marker] -> {allele: frequency}`` in file order.
    """

    id: str
    source: str
    frequencies: dict[str, dict[str, float]]

    @property
    def markers(self) -> list[str]:
        return list(self.frequencies)

    def marker(
        self,
        name: str,
        *,
        sort_alleles: bool = True,
        mutation: str | None = None,
        rate: float = 0.0,
        min_frequency: float | None = None,
    ) -> Marker:
        """A :class:`Marker` from the table, optionally with a mutation model.

        Frequencies are rescaled to sum to exactly 1 (the tables are rounded to 6 digits).
        ``min_frequency`` raises every allele below it to it before rescaling (NRC II floor).
        """
        try:
            freqs = self.frequencies[name]
        except KeyError:
            raise KinshipError(f"marker {name} is not in frequency table {self.id}") from None
        alleles = list(freqs)
        if sort_alleles:
            alleles.sort(key=_allele_key)
        p = np.array([freqs[a] for a in alleles])
        if min_frequency is not None:
            p = np.maximum(p, min_frequency)
        p = p / p.sum()
        m = Marker(name, tuple(alleles), p)
        if mutation:
            mm = mutation_model(mutation, alleles, p, rate=rate)
            m = Marker(name, m.alleles, p, mm, mm)
        return m


def _allele_key(a: str) -> tuple[int, float, str]:
    try:
        return (0, float(a), a)
    except ValueError:
        return (1, 0.0, a)


def _read(lines: Iterable[str], file: str, table_id: str, source: str) -> FrequencyTable:
    reader = csv.reader(lines, delimiter="\t")
    freqs: dict[str, dict[str, float]] = {}
    header = None
    for lineno, row in enumerate(reader, start=1):
        if not row or row[0].startswith("#"):
            continue
        if header is None:
            header = [h.strip().lower() for h in row]
            if header[:3] != ["marker", "allele", "frequency"]:
                raise FormatError(
                    "header must be marker, allele, frequency",
                    file=file,
                    line=lineno,
                    field="header",
                )
            continue
        if len(row) < 3:
            raise FormatError(f"expected 3 fields, got {len(row)}", file=file, line=lineno)
        marker, allele, f = row[0].strip(), row[1].strip(), row[2].strip()
        check_field(marker, L.MARKER, file=file, line=lineno, field="marker")
        check_field(allele, L.ALLELE, file=file, line=lineno, field="allele")
        try:
            val = float(f)
        except ValueError:
            raise FormatError(
                f"'{f}' is not a number", file=file, line=lineno, field="frequency"
            ) from None
        if not 0 < val <= 1:
            raise FormatError(
                f"frequency {val} is outside (0, 1]", file=file, line=lineno, field="frequency"
            )
        if allele in freqs.setdefault(marker, {}):
            raise FormatError(
                f"allele {allele} of {marker} is listed twice",
                file=file,
                line=lineno,
                field="allele",
            )
        freqs[marker][allele] = val
    if not freqs:
        raise FormatError("no frequencies", file=file)
    for marker, fr in freqs.items():
        total = sum(fr.values())
        if abs(total - 1) > 0.01:
            raise FormatError(
                f"frequencies of {marker} sum to {total:.6g}, not 1", file=file, field="frequency"
            )
    return FrequencyTable(table_id, source, freqs)


def read_frequency_table(
    path: str | Path, table_id: str | None = None, source: str = ""
) -> FrequencyTable:
    p = Path(path)
    text = read_text(p, "frequency table").text
    return _read(text.splitlines(), str(p), table_id or p.stem, source or str(p))


def bundled_table(table_id: str = "norstr_east_asia_2023") -> FrequencyTable:
    """One of the tables shipped with Repatria (:data:`BUNDLED_TABLES`)."""
    if table_id not in BUNDLED_TABLES:
        raise FormatError(
            f"no bundled frequency table '{table_id}'; choose one of {', '.join(BUNDLED_TABLES)}"
        )
    ref = resources.files("repatria") / "data" / "frequencies" / f"{table_id}.tsv"
    return _read(
        ref.read_text(encoding="utf-8").splitlines(),
        f"{table_id}.tsv",
        table_id,
        BUNDLED_TABLES[table_id],
    )
