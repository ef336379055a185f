"""``repatria dvi analyse --merge-fragments``: fragments of one body analysed as one PM."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated case with a second, burned sample of its first PM (``V1-b``): half its
    markers failed, one copy of every other heterozygote lost (``a/-``)."""
    out = tmp_path_factory.mktemp("case") / "c"
    r = runner.invoke(app, ["simulate", "dvi", "--victims", "6", "--families", "5", str(out)])
    assert r.exit_code == 0, r.output
    burned = out.parent / "with-fragment"
    shutil.copytree(out, burned)
    (burned / "pairings.json").unlink(missing_ok=True)  # dvir's default pairings, with V1-b
    rows = [line.split("\t") for line in (burned / "pm.tsv").read_text().splitlines()]
    frag = [f"{rows[1][0]}-b", *rows[1][1:]]
    for k in range(2, len(frag)):
        a, b = frag[k].split("/")
        frag[k] = "" if k % 2 else (f"{a}/-" if a != b and k % 4 == 0 else frag[k])
    rows.insert(2, frag)
    (burned / "pm.tsv").write_text("\n".join("\t".join(r) for r in rows) + "\n")
    return burned


def _analyse(case: Path, *extra: str) -> dict:
    r = runner.invoke(app, ["dvi", "analyse", str(case), "--json", *extra])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_the_fragment_joins_its_body_and_the_body_keeps_its_lrs(case: Path) -> None:
    apart = _analyse(case)
    assert "fragments" not in apart["provenance"]
    first = apart["pm"][0]
    assert f"{first}-b" in apart["pm"]
    merged = _analyse(case, "--merge-fragments", "--fragment-lr", "100")
    frag = merged["provenance"]["fragments"]
    assert frag["merged"] == {first: [first, f"{first}-b"]}
    assert frag["kept_apart"] == [] and frag["min_lr"] == 100
    assert "weighed on one genotype" in frag["rule"]
    assert merged["pm"] == [v for v in apart["pm"] if v != f"{first}-b"]
    # The fragment only repeats what the whole sample shows: the body's LRs are the sample's.
    lr_apart, lr_merged = apart["pairwise"]["lr"][0], merged["pairwise"]["lr"][0]
    for x, y in zip(lr_apart, lr_merged, strict=True):
        assert (x is None and y is None) or y == pytest.approx(x, rel=1e-12)


def test_the_human_output_lists_the_bodies(case: Path) -> None:
    r = runner.invoke(
        app, ["dvi", "analyse", str(case), "--merge-fragments", "--fragment-lr", "100"]
    )
    assert r.exit_code == 0, r.output
    assert "Fragments of one body" in r.output and "-b" in r.output
