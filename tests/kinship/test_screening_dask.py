"""The screen on a real Dask cluster (2 worker processes) gives the single-process result."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.kinship.screening import screen
from repatria.kinship.simulate import simulate_population
from repatria.services.pipelines.simulation import standard_markers, write_population_case

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as c:
        yield c


@pytest.mark.timeout(120)
def test_dask_equals_local(cluster):
    sim = simulate_population(standard_markers(12), 120, 60, np.random.default_rng(2))
    local = screen(sim.problem, min_lr=1.0, top=3)
    with distributed.Client(cluster) as client:
        remote = screen(sim.problem, min_lr=1.0, top=3, client=client, block_size=17)
    assert remote.engine.startswith("dask:") and remote.blocks > 1
    assert np.array_equal(local.pm_index, remote.pm_index)
    assert np.array_equal(local.mp_index, remote.mp_index)
    assert np.array_equal(local.log_lr, remote.log_lr)
    assert local.pairs_screened == remote.pairs_screened


@pytest.mark.timeout(120)
def test_cli_scheduler_option(cluster, tmp_path):
    case = write_population_case(80, 30, 5, tmp_path / "case", n_markers=10)
    runner = CliRunner()
    a = runner.invoke(app, ["screen", str(case), "--json", "--out", str(tmp_path / "local.tsv")])
    b = runner.invoke(
        app,
        [
            "screen",
            str(case),
            "--json",
            "--scheduler",
            cluster.scheduler_address,
            "--out",
            str(tmp_path / "dask.tsv"),
        ],
    )
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    assert json.loads(b.stdout)["engine"].startswith("dask:")
    assert (tmp_path / "local.tsv").read_text() == (tmp_path / "dask.tsv").read_text()
