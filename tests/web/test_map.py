"""The map: outlines decoded from the bundled TopoJSON, points placed, filters, no network."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pages import login

from repatria.web.map_svg import MapPoint, View, countries, decode_arcs, draw_map, fit_view


def _inside(ring, lon: float, lat: float) -> bool:  # noqa: ANN001
    """Ray casting: the textbook oracle for a point in a polygon ring."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _country(name: str):  # noqa: ANN202
    return next(c for c in countries() if c.name == name)


@pytest.mark.parametrize(
    ("country", "city", "lon", "lat"),
    [
        ("Ukraine", "Kyiv", 30.52, 50.45),
        ("Russia", "Kursk", 36.19, 51.73),
        ("South Korea", "Seoul", 126.98, 37.57),
        ("North Korea", "Pyongyang", 125.76, 39.03),
    ],
)
def test_decoded_outlines_hold_their_capitals_and_cities(country, city, lon, lat) -> None:  # noqa: ANN001
    c = _country(country)
    assert any(_inside(list(r), lon, lat) for r in c.rings), city
    others = [o for o in countries() if o.name != country]
    assert not any(any(_inside(list(r), lon, lat) for r in o.rings) for o in others), city


def test_arcs_are_delta_decoded_with_the_transform() -> None:
    topology = {
        "transform": {"scale": [0.5, 0.25], "translate": [10.0, -5.0]},
        "arcs": [[[0, 0], [2, 4], [-1, 0]]],
    }
    assert decode_arcs(topology) == [[(10.0, -5.0), (11.0, -4.0), (10.5, -4.0)]]


@settings(deadline=None, max_examples=25)
@given(
    st.lists(st.tuples(st.floats(20, 60), st.floats(35, 65)), min_size=1, max_size=20, unique=True)
)
def test_every_point_falls_inside_the_drawn_view(coords: list[tuple[float, float]]) -> None:
    points = [MapPoint(lon, lat, "site", "x") for lon, lat in coords]
    view = fit_view(points)
    assert view.lon0 < min(c[0] for c in coords) <= max(c[0] for c in coords) < view.lon1
    assert view.lat0 < min(c[1] for c in coords) <= max(c[1] for c in coords) < view.lat1
    svg = draw_map(points, width=600)
    assert svg.width == 600 and svg.height == pytest.approx(400, rel=1e-6)
    for _p, x, y in svg.points:
        assert 0 < x < svg.width and 0 < y < svg.height


def test_projection_keeps_east_right_and_north_up() -> None:
    v = View(30.0, 50.0, 40.0, 55.0)
    x1, y1 = v.project(31.0, 54.0, 800)
    x2, y2 = v.project(39.0, 51.0, 800)
    assert x1 < x2 and y1 < y2


def test_map_page_shows_sites_over_outlines_with_no_outside_reference(
    app_client: TestClient,
) -> None:
    login(app_client, "lia")  # every role may see where remains were found
    r = app_client.get("/map")
    assert r.status_code == 200
    assert (
        r.text.count("<circle") == 2
        and "and 1 more here" in r.text
        and "Ukraine" in r.text
        and "Russia" in r.text
    )
    assert not re.search(r"(src|href)=['\"](https?:)?//", r.text)
    assert "style=" not in r.text  # the CSP refuses inline styles
    assert "/remains/R-0003" in r.text and "Sudzha road" in r.text


def test_map_filters_by_date_and_state(app_client: TestClient) -> None:
    login(app_client, "cas")
    r = app_client.get("/map", params={"recovered_from": "2025-02-05"})
    assert r.text.count("<circle") == 1 and "R-0003" in r.text and "R-0001" not in r.text
    r = app_client.get("/map", params={"recovered_to": "2025-02-01"})
    # the two remains of one field share its marker
    assert r.text.count("<circle") == 1 and "and 1 more here" in r.text
    r = app_client.get("/map", params={"state": "repatriated"})
    assert "<circle" not in r.text and "No recovery site or grave" in r.text
    r = app_client.get("/map", params={"show": "graves"})
    assert "<circle" not in r.text
    assert app_client.get("/map", params={"recovered_from": "1 Feb"}).status_code == 422


def test_remains_at_one_place_share_a_marker_that_says_how_many() -> None:
    from repatria.web.map_svg import MapPoint, draw_map

    here = [MapPoint(35.0, 50.0, "site", f"R-{k}: Site 1", f"/remains/R-{k}") for k in range(5)]
    there = MapPoint(36.0, 51.0, "site", "R-9: Site 2", "/remains/R-9")
    grave = MapPoint(35.0, 50.0, "grave", "Plot B")
    svg = draw_map([*here, there, grave])
    labels = sorted(p.label for p, _, _ in svg.points)
    assert labels == ["Plot B", "R-0: Site 1 and 4 more here", "R-9: Site 2"]
