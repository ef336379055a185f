"""Marker names as labs, kits and frequency tables spell them, mapped through one table.

The same locus is written ``vWA``, ``VWA`` or ``HUMVWA``; ``Penta D``, ``PentaD`` or ``Penta_D``;
``TH01``, ``TH-01`` or ``THO1`` (a letter O). :func:`canonical_marker` compares names without
case, spaces, underscores, hyphens and dots, and maps the spellings of :data:`MARKER_ALIASES` to
one canonical name. A name it does not know is returned as written (stripped): extended and
Y-STR loci pass through unchanged, never guessed.

Short names: ``D2``, ``D3``, ... are the Identifiler-era short forms (``D2`` is ``D2S1338``,
as in Identifiler and SGM Plus exports; ``D2S441`` has no short form). ``CSF`` is ``CSF1PO``,
``FIBRA`` and ``FIB`` are ``FGA``.

Examples
--------
>>> canonical_marker("VWA"), canonical_marker("TH-01"), canonical_marker("PentaD")
('vWA', 'TH01', 'Penta D')
>>> canonical_marker("D2"), canonical_marker("d8s1179"), canonical_marker("D10S2325")
('D2S1338', 'D8S1179', 'D10S2325')
>>> is_amelogenin("Amelogenin"), is_y_marker("DYS391"), is_y_marker("Yindel")
(True, True, True)
"""

from __future__ import annotations

import re

__all__ = [
    "AMELOGENIN",
    "MARKER_ALIASES",
    "canonical_marker",
    "marker_key",
    "is_amelogenin",
    "is_y_marker",
]

#: The canonical name of the sex-typing locus (not an STR: it gives X,X or X,Y).
AMELOGENIN = "AMEL"

#: Canonical name -> other spellings seen in kits, lab software and frequency tables. Case,
#: spaces, underscores, hyphens and dots are ignored on top of these (see :func:`marker_key`).
MARKER_ALIASES: dict[str, tuple[str, ...]] = {
    AMELOGENIN: ("Amelogenin", "AM", "Amel", "AMELX"),
    "CSF1PO": ("CSF", "CSF1P0", "HUMCSF1PO"),
    "D1S1656": (),
    "D2S441": (),
    "D2S1338": ("D2",),
    "D3S1358": ("D3",),
    "D5S818": ("D5",),
    "D6S1043": (),
    "D7S820": ("D7",),
    "D8S1179": ("D8",),
    "D10S1248": (),
    "D12S391": (),
    "D13S317": ("D13",),
    "D16S539": ("D16",),
    "D18S51": ("D18",),
    "D19S433": ("D19",),
    "D21S11": ("D21",),
    "D22S1045": (),
    "FGA": ("FIBRA", "FIB", "HUMFIBRA"),
    "TH01": ("THO1", "HUMTH01", "TH1"),
    "TPOX": ("TP0X", "HUMTPOX"),
    "vWA": ("HUMVWA", "VWA31", "HUMVWA31A"),
    "SE33": ("ACTBP2", "HUMACTBP2"),
    "Penta C": (),
    "Penta D": (),
    "Penta E": (),
    "F13A01": ("F13A1", "HUMF13A01"),
    "F13B": ("HUMF13B",),
    "FESFPS": ("FES", "HUMFESFPS"),
    "LPL": ("HUMLPL",),
}

_SEPARATORS = re.compile(r"[\s_\-.]+")


def marker_key(name: str) -> str:
    """The name compared: upper case, without spaces, underscores, hyphens and dots."""
    return _SEPARATORS.sub("", name).upper()


_BY_KEY: dict[str, str] = {}
for _canonical, _aliases in MARKER_ALIASES.items():
    for _spelling in (_canonical, *_aliases):
        _BY_KEY[marker_key(_spelling)] = _canonical


def canonical_marker(name: str) -> str:
    """The canonical name of ``name`` (see the module notes); an unknown name as written."""
    return _BY_KEY.get(marker_key(name), name.strip())


def is_amelogenin(name: str) -> bool:
    """Whether ``name`` is the amelogenin (sex) locus."""
    return canonical_marker(name) == AMELOGENIN


_Y = re.compile(r"^(DYS|DYF|YGATA|YINDEL|YSNP)", re.IGNORECASE)


def is_y_marker(name: str) -> bool:
    """Whether ``name`` is a Y-chromosome marker (``DYS391``, ``Y indel``, ``Y-GATA-H4``)."""
    return bool(_Y.match(marker_key(name)))
