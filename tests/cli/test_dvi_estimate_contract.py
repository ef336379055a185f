"""``repatria dvi analyse --dropout estimate``, ``--drop-in C`` and ``joint.sensitivity``
(issue 13, deliverables 1 and 2): the contract keeps every key, the number form of ``--dropout``
is unchanged, and without the new options the answers are the same bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_dvi_dropout_contract import _analyse, _answers, _burned
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.kinship.dropout_estimate import DEFAULT_CAP

runner = CliRunner()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("case") / "c"
    r = runner.invoke(app, ["simulate", "dvi", "--victims", "6", "--families", "5", str(out)])
    assert r.exit_code == 0, r.output
    return out


def _no_sensitivity(out: dict) -> dict:
    a = _answers(out)
    a["joint"] = {k: v for k, v in a["joint"].items() if k != "sensitivity"}
    return a


def test_estimate_shows_each_samples_estimate_and_its_basis(case: Path, tmp_path: Path) -> None:
    burned = _burned(case, tmp_path)
    plain, est = _analyse(burned), _analyse(burned, "--dropout", "estimate")
    assert set(est) == set(plain) and set(est["joint"]) == set(plain["joint"])
    d = est["provenance"]["dropout"]
    assert d["default"] == "estimate" and "maximum likelihood" in d["estimate_model"]
    assert set(d["estimated"]) == set(est["pm"])
    assert all(0 <= x <= DEFAULT_CAP for x in d["estimated"].values())
    # the burned sample (a third of its markers failed) has by far the highest estimate
    assert max(d["estimated"], key=d["estimated"].get) == "V1"
    assert d["estimated"]["V1"] > 0.3
    b = d["estimate_basis"]["V1"]
    assert b["failed"] + b["single_peak"] + b["two_peaks"] == b["kit"]
    assert "warnings" not in est["provenance"]  # every sample has its dropout now


def test_a_dropout_cell_overrides_the_estimate(case: Path, tmp_path: Path) -> None:
    burned = _burned(case, tmp_path, column={"V1": "0.05"})
    d = _analyse(burned, "--dropout", "estimate")["provenance"]["dropout"]
    assert "V1" not in d["estimated"] and d["per_sample"] == 1


def test_the_estimates_are_printed(case: Path, tmp_path: Path) -> None:
    burned = _burned(case, tmp_path)
    r = runner.invoke(
        app, ["dvi", "analyse", str(burned), "--dropout", "estimate", "--prior-sensitivity"]
    )
    assert r.exit_code == 0, r.output
    assert "Dropout estimated from each sample" in r.stdout
    assert "Posterior of each identification against the prior" in r.stdout


def test_drop_in_zero_or_absent_gives_todays_answers(case: Path) -> None:
    plain = _analyse(case)
    assert _answers(_analyse(case, "--drop-in", "0")) == _answers(plain)
    d = _analyse(case, "--dropout", "0.1")
    assert _answers(_analyse(case, "--dropout", "0.1", "--drop-in", "0")) == _answers(d)


def test_drop_in_is_modelled_and_named(case: Path) -> None:
    plain, with_c = _analyse(case), _analyse(case, "--drop-in", "0.05")
    assert set(with_c) == set(plain) and set(with_c["joint"]) == set(plain["joint"])
    d = with_c["provenance"]["dropout"]
    assert d["drop_in"] == 0.05 and "drop-in 0.05" in d["model"]
    assert d["samples_modelled"] == len(with_c["pm"])
    assert with_c["pairwise"]["lr"] != plain["pairwise"]["lr"]


@pytest.mark.parametrize(
    ("option", "bad", "words"),
    [
        ("--drop-in", "1", "drop-in must be at least 0 and below 1"),
        ("--drop-in", "-0.2", "drop-in must be at least 0 and below 1"),
        ("--dropout", "guess", "dropout must be a number in [0, 1) or 'estimate'"),
        ("--dropout", "1", "dropout must be at least 0 and below 1"),
    ],
)
def test_bad_values_are_one_line(case: Path, option: str, bad: str, words: str) -> None:
    r = runner.invoke(app, ["dvi", "analyse", str(case), option, bad])
    assert r.exit_code != 0
    text = r.output.strip()
    assert words in text and "Traceback" not in text and len(text.splitlines()) == 1


def test_sensitivity_of_each_identification_against_p(case: Path) -> None:
    out = _analyse(case, "--prior-sensitivity")
    rows = out["joint"]["sensitivity"]
    assert rows, "the simulated case identifies someone"
    best = {(v, m) for v, m in out["joint"]["top"][0]["assignment"].items() if m != "*"}
    assert best <= {(r["pm"], r["mp"]) for r in rows}
    marg = out["joint"]["marginals"]
    for r in rows:
        assert list(r["posterior_by_p"]) == ["0.1", "0.25", "0.5", "0.75", "0.9", "1", "flat"]
        i, k = marg["rows"].index(r["pm"]), marg["cols"].index(r["mp"])
        assert r["posterior_by_p"]["flat"] == marg["p"][i][k]  # the analysis's own prior
    # under --match-prior the table is the same, the analysis's joint reused for its p
    open_ = _analyse(case, "--match-prior", "0.5", "--prior-sensitivity")
    same = {(r["pm"], r["mp"]): r["posterior_by_p"] for r in open_["joint"]["sensitivity"]}
    for r in rows:
        if (r["pm"], r["mp"]) in same:
            assert same[(r["pm"], r["mp"])]["0.5"] == pytest.approx(
                r["posterior_by_p"]["0.5"], rel=1e-12
            )
    assert json.dumps(out)  # plain JSON


def test_the_sensitivity_key_is_the_only_new_joint_key(case: Path) -> None:
    out = _analyse(case, "--prior-sensitivity")
    assert "sensitivity" in out["joint"]
    assert "sensitivity" not in _analyse(case)["joint"]  # asked for, not by default
    assert set(_no_sensitivity(out)["joint"]) == set(out["joint"]) - {"sensitivity"}
