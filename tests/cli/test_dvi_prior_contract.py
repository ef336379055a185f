"""``repatria dvi analyse --match-prior P``: the open-population prior, and the proven interval of
every posterior pairing probability in the JSON (issues 12 and 13 command contracts)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("case") / "c"
    r = runner.invoke(app, ["simulate", "dvi", "--victims", "6", "--families", "5", str(out)])
    assert r.exit_code == 0, r.output
    return str(out)


def _analyse(case: str, *extra: str) -> dict:
    r = runner.invoke(app, ["dvi", "analyse", case, "--json", *extra])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_flat_prior_by_default_with_bounds_around_the_marginals(case: str) -> None:
    out = _analyse(case)
    j = out["joint"]
    assert j["prior"] == "flat over all assignments"
    b = j["marginal_bounds"]
    assert b["rows"] == j["marginals"]["rows"] and b["cols"] == j["marginals"]["cols"]
    p, lo, hi = (np.array(x, dtype=float) for x in (j["marginals"]["p"], b["lower"], b["upper"]))
    assert np.all(lo <= p + 1e-12) and np.all(p <= hi + 1e-12)
    assert np.all((0 <= lo) & (hi <= 1))


def test_match_prior_changes_the_prior_and_keeps_every_key(case: str) -> None:
    flat, open_ = _analyse(case), _analyse(case, "--match-prior", "0.3")
    assert set(open_) == set(flat) and set(open_["joint"]) == set(flat["joint"])
    assert open_["joint"]["prior"].startswith("open population")
    assert open_["joint"]["prior_parameters"] == {"p": 0.3}
    assert open_["pairwise"] == flat["pairwise"]  # the prior moves posteriors, never LRs
    rows = np.array(open_["joint"]["marginals"]["p"], dtype=float)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=1e-12)


def test_match_prior_out_of_range_is_one_line(case: str) -> None:
    r = runner.invoke(app, ["dvi", "analyse", case, "--match-prior", "0"])
    assert r.exit_code != 0
    text = r.output.strip()
    assert "match prior must be in (0, 1]" in text and "Traceback" not in text
