"""The screen on a real Dask cluster (2 worker processes) gives the single-process result."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
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


@pytest.mark.timeout(180)
def test_sharded_tables_give_the_local_result_and_no_worker_holds_them_all(cluster):
    from repatria.kinship.screening import build_tables

    sim = simulate_population(standard_markers(12), 150, 90, np.random.default_rng(5))
    tables = build_tables(sim.problem)
    local = screen(sim.problem, min_lr=1.0, top=3, tables=tables)
    with distributed.Client(cluster) as client:
        sent: list[tuple[int, tuple[str, ...]]] = []
        scatter = client.scatter

        def recording(data, workers=None, broadcast=False, **kw):  # noqa: ANN001, ANN202
            assert not broadcast
            sent.append((data.logt.nbytes, tuple(workers)))
            return scatter(data, workers=workers, broadcast=broadcast, **kw)

        client.scatter = recording
        remote = screen(sim.problem, min_lr=1.0, top=3, client=client, block_size=23, tables=tables)
        client.scatter = scatter
        everyone = screen(sim.problem, min_lr=0.0, top=None, client=client, block_size=40, shards=3)
        broadcast = screen(sim.problem, min_lr=1.0, top=3, client=client, block_size=23, shards=0)
    assert "sharded" in remote.engine and "sharded" not in broadcast.engine
    for other in (remote, broadcast):
        assert np.array_equal(local.pm_index, other.pm_index)
        assert np.array_equal(local.mp_index, other.mp_index)
        assert np.array_equal(local.log_lr, other.log_lr)
        assert local.pairs_screened == other.pairs_screened
    full = screen(sim.problem, min_lr=0.0, top=None)
    assert np.array_equal(full.log_lr, everyone.log_lr)
    per_worker: dict[str, int] = {}
    for nbytes, workers in sent:
        assert len(workers) == 1
        per_worker[workers[0]] = per_worker.get(workers[0], 0) + nbytes
    assert sum(per_worker.values()) == tables.logt.nbytes and len(per_worker) == 2
    assert max(per_worker.values()) < 0.6 * tables.logt.nbytes


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=40),
    st.integers(1, 8),
)
def test_shards_are_whole_families_covering_every_column_once(sizes, n_shards) -> None:
    from types import SimpleNamespace

    from repatria.kinship.screening import shard_columns

    family = tuple(f"F{i}" for i, n in enumerate(sizes) for _ in range(n))
    cuts = shard_columns(SimpleNamespace(family=family), n_shards)
    assert 1 <= len(cuts) <= n_shards
    cols = np.sort(np.concatenate(cuts))
    assert np.array_equal(cols, np.arange(len(family)))
    owner = {family[j]: k for k, c in enumerate(cuts) for j in c}
    assert all(owner[family[j]] == k for k, c in enumerate(cuts) for j in c)
    biggest = max(sizes)
    assert max(len(c) for c in cuts) <= -(-len(family) // n_shards) + biggest
