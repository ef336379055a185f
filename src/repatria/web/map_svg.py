"""A map drawn on the server as SVG: country outlines from a bundled file, points on top.

No tile server, no script and no network: the outlines are Natural Earth's at 1:50 million
(TopoJSON, see ``repatria/data/map/SOURCES.md``), decoded here and projected with an
equirectangular projection scaled by the cosine of the view's middle latitude, which keeps
shapes true enough over the few hundred kilometres of a front. SVG presentation attributes
carry the colours, since the pages' CSP refuses inline styles.

TopoJSON in brief: ``arcs`` are polylines, quantised and delta-encoded (each position is the
sum of the deltas so far, then ``position * scale + translate``); a ring lists arc indices,
``~i`` meaning arc ``i`` reversed, and consecutive arcs share their end point.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.resources import files
from typing import Any

__all__ = [
    "Country",
    "MapPoint",
    "SvgMap",
    "View",
    "countries",
    "decode_arcs",
    "draw_map",
    "fit_view",
]

Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Country:
    name: str
    rings: tuple[Ring, ...]  # (lon, lat) rings; the first of each polygon is its outline
    bbox: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1


@dataclass(frozen=True)
class MapPoint:
    lon: float
    lat: float
    kind: str  # "site" or "grave"
    label: str
    href: str | None = None


@dataclass(frozen=True)
class View:
    """The part of the world shown: a lon/lat box and the projection's x scale."""

    lon0: float
    lat0: float
    lon1: float
    lat1: float

    @property
    def kx(self) -> float:
        return math.cos(math.radians((self.lat0 + self.lat1) / 2))

    def project(self, lon: float, lat: float, width: float) -> tuple[float, float]:
        scale = width / ((self.lon1 - self.lon0) * self.kx)
        return (lon - self.lon0) * self.kx * scale, (self.lat1 - lat) * scale

    def height(self, width: float) -> float:
        return width * (self.lat1 - self.lat0) / ((self.lon1 - self.lon0) * self.kx)


@dataclass(frozen=True)
class SvgMap:
    width: float
    height: float
    outlines: tuple[tuple[str, str], ...]  # (country name, SVG path data)
    points: tuple[tuple[MapPoint, float, float], ...]  # the point and its x, y


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc of ``topology`` as (lon, lat) positions."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        line = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            line.append((x * sx + tx, y * sy + ty))
        out.append(line)
    return out


def _ring(indices: Sequence[int], arcs: list[list[tuple[float, float]]]) -> Ring:
    points: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return tuple(points)


@lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    """The bundled country outlines, decoded once."""
    raw = (files("repatria") / "data" / "map" / "countries-50m.json").read_text(encoding="utf-8")
    topology = json.loads(raw)
    arcs = decode_arcs(topology)
    out = []
    for g in topology["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [g.get("arcs", [])], "MultiPolygon": g.get("arcs", [])}.get(
            g["type"], []
        )
        rings = tuple(_ring(r, arcs) for polygon in polygons for r in polygon)
        if not rings:
            continue
        lons = [p[0] for r in rings for p in r]
        lats = [p[1] for r in rings for p in r]
        name = str(g.get("properties", {}).get("name", ""))
        out.append(Country(name, rings, (min(lons), min(lats), max(lons), max(lats))))
    return tuple(out)


def fit_view(
    points: Sequence[MapPoint], *, margin: float = 0.25, least: float = 1.0, aspect: float = 1.5
) -> View:
    """A view around ``points``: ``margin`` of their span on each side, ``least`` degrees of
    latitude at the least, widened to ``aspect`` (width / height); Europe when there is no point."""
    if not points:
        return View(-12.0, 34.0, 45.0, 72.0)
    lons, lats = [p.lon for p in points], [p.lat for p in points]
    mid_lon, mid_lat = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    kx = math.cos(math.radians(mid_lat))
    half_lat = max((max(lats) - min(lats)) * (0.5 + margin), least / 2)
    half_lon = max((max(lons) - min(lons)) * (0.5 + margin), half_lat * aspect / kx)
    half_lat = max(half_lat, half_lon * kx / aspect)
    return View(
        max(mid_lon - half_lon, -180.0),
        max(mid_lat - half_lat, -90.0),
        min(mid_lon + half_lon, 180.0),
        min(mid_lat + half_lat, 90.0),
    )


def draw_map(points: Sequence[MapPoint], *, width: float = 960.0) -> SvgMap:
    """Outlines of the countries in view and ``points`` projected, for an SVG ``width`` wide."""
    view = fit_view(points)
    height = view.height(width)
    if not points:
        return SvgMap(round(width, 1), round(height, 1), (), ())
    return SvgMap(
        round(width, 1), round(height, 1), _outlines(view, width), _merged(points, view, width)
    )


@lru_cache(maxsize=64)
def _outlines(view: View, width: float) -> tuple[tuple[str, str], ...]:
    """The country outlines in ``view`` (the same for every request of the same places)."""
    height = view.height(width)
    pad_lon = (view.lon1 - view.lon0) * 0.1
    pad_lat = (view.lat1 - view.lat0) * 0.1
    outlines = []
    for c in countries():
        lon0, lat0, lon1, lat1 = c.bbox
        if lon1 < view.lon0 - pad_lon or lon0 > view.lon1 + pad_lon:
            continue
        if lat1 < view.lat0 - pad_lat or lat0 > view.lat1 + pad_lat:
            continue
        rings = (r for r in c.rings if _near(r, view, pad_lon, pad_lat))
        d = " ".join(_path(r, view, width, height) for r in rings)
        if d:
            outlines.append((c.name, d))
    return tuple(outlines)


def _merged(
    points: Sequence[MapPoint], view: View, width: float
) -> tuple[tuple[MapPoint, float, float], ...]:
    """One marker per kind and pixel: remains recovered at one site share a marker that says
    how many (a site of 500 bodies drew 500 circles on top of each other)."""
    groups: dict[tuple[str, int, int], list[tuple[MapPoint, float, float]]] = {}
    for p in points:
        x, y = view.project(p.lon, p.lat, width)
        groups.setdefault((p.kind, round(x), round(y)), []).append((p, x, y))
    out = []
    for same in groups.values():
        first, x, y = same[0]
        if len(same) > 1:
            first = replace(first, label=f"{first.label} and {len(same) - 1} more here")
        out.append((first, x, y))
    return tuple(out)


def _near(ring: Ring, view: View, pad_lon: float, pad_lat: float) -> bool:
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return not (
        max(lons) < view.lon0 - pad_lon
        or min(lons) > view.lon1 + pad_lon
        or max(lats) < view.lat0 - pad_lat
        or min(lats) > view.lat1 + pad_lat
    )


def _path(ring: Ring, view: View, width: float, height: float) -> str:
    """SVG path data of one ring, dropping points within a pixel of the last kept.

    Points far outside the view are moved onto a box a quarter of the view beyond its edges:
    the filled shape inside the view stays as it was, and a coast a thousand kilometres away
    collapses to a few points on that box instead of thousands.
    """
    parts: list[str] = []
    last: tuple[float, float] | None = None
    bx, by = width / 4, height / 4
    for lon, lat in ring:
        x, y = view.project(lon, lat, width)
        x, y = min(max(x, -bx), width + bx), min(max(y, -by), height + by)
        if last is not None and abs(x - last[0]) < 1 and abs(y - last[1]) < 1:
            continue
        parts.append(f"{'L' if parts else 'M'}{x:.1f},{y:.1f}")
        last = (x, y)
    return "".join(parts) + "Z" if len(parts) > 2 else ""
