"""Scale-out on Dask: chunks run on a local cluster give exactly the result of a local run."""

from __future__ import annotations

import dataclasses
import json
import socket
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from typer.testing import CliRunner

from socialinvest import scale
from socialinvest.case import load_case
from socialinvest.cli import app
from socialinvest.errors import InputError
from socialinvest.result import Result
from socialinvest.runner import appraise

from .conftest import EXAMPLES

pytest.importorskip("distributed")

runner = CliRunner()
UNCERTAIN = EXAMPLES / "impact60-uncertain.yaml"
# Four chunks of 33,333 draws and a short fifth one (the chunk size follows from the case).
DRAWS = 140_000


@pytest.fixture(scope="module")
def cluster() -> Iterator[scale.DaskChunks]:
    """A local cluster of two worker processes on 127.0.0.1, shared by this module's tests."""
    chunks = scale.dask_mapper(workers=2)
    try:
        yield chunks
    finally:
        chunks.close()


@pytest.fixture(scope="module")
def local_result() -> Result:
    return appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5)


def test_a_cluster_run_equals_the_local_run_exactly(cluster, local_result):
    assert len(cluster.client.nthreads()) == 2
    remote = appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=cluster)
    assert local_result.run == remote.run
    assert DRAWS // remote.run["chunk_draws"] >= 4  # several chunks, spread over both workers
    for field in dataclasses.fields(local_result.summary):
        mine, theirs = (getattr(r.summary, field.name) for r in (local_result, remote))
        if isinstance(mine, np.ndarray):
            assert mine.dtype == theirs.dtype, field.name
            assert np.array_equal(mine, theirs), field.name
        else:
            assert mine == theirs, field.name
    assert remote.to_dict() == local_result.to_dict()


def test_progress_counts_every_chunk_in_order(cluster):
    seen: list[int] = []
    appraise(
        load_case(UNCERTAIN),
        draws=DRAWS,
        seed=1,
        map_chunks=cluster,
        progress=lambda done, total: seen.append(done),
    )
    assert seen == sorted(seen) and seen[-1] == DRAWS and len(seen) >= 5


def test_an_input_error_on_a_worker_reaches_the_user_unchanged(cluster, tmp_path):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(InputError) as here:
        load_case(missing)
    with pytest.raises(InputError) as there:
        cluster.client.submit(load_case, missing, pure=False).result()
    assert there.value.message == here.value.message


def test_the_command_gives_the_same_output_on_a_cluster(cluster):
    args = ["run", str(UNCERTAIN), "--draws", "100000", "--seed", "2", "--format", "json"]
    here = runner.invoke(app, args)
    assert here.exit_code == 0, here.stderr
    there = runner.invoke(app, [*args, "--scheduler", cluster.client.scheduler.address])
    assert there.exit_code == 0, there.stderr
    assert there.stdout == here.stdout
    assert json.loads(here.stdout)["draws"] == 100000


def test_a_small_run_does_not_start_a_local_cluster():
    # 70,000 draws are three chunks: fewer than two per worker, so they run in this process
    case = load_case(UNCERTAIN)
    with scale.dask_mapper(workers=2) as chunks:
        small = appraise(case, draws=70_000, seed=9, map_chunks=chunks)
        assert not chunks.started
    assert small.to_dict() == appraise(case, draws=70_000, seed=9).to_dict()
    assert -(-70_000 // small.run["chunk_draws"]) < scale.LOCAL_BELOW_CHUNKS_PER_WORKER * 2


def test_the_command_starts_and_stops_a_local_cluster_with_workers():
    args = ["run", str(UNCERTAIN), "--draws", "140000", "--seed", "9", "--format", "json"]
    here = runner.invoke(app, args)
    there = runner.invoke(app, [*args, "--workers", "2"])
    assert here.exit_code == 0 and there.exit_code == 0, there.stderr
    assert there.stdout == here.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_scheduler_is_one_sentence_and_exit_2(monkeypatch):
    monkeypatch.setattr(scale, "CONNECT_TIMEOUT", 0.5)
    address = f"tcp://127.0.0.1:{_free_port()}"
    args = ["run", str(UNCERTAIN), "--draws", "1000", "--scheduler", address, "--lang", "en"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert address in line and "Dask scheduler" in line and "0.5 s" in line


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--draws", "1000", "--scheduler", "not-an-address"], "'not-an-address'"),
        (["--draws", "1000", "--scheduler", "tcp://x:1", "--workers", "2"], "not both"),
        (["--workers", "2"], "--draws above 1"),
        (["--draws", "1000", "--workers", "0"], "--workers"),
    ],
)
def test_option_mistakes_are_one_sentence_and_exit_2(options, fragment):
    result = runner.invoke(app, ["run", str(UNCERTAIN), *options, "--lang", "en"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "Traceback" not in line and fragment in line, line


def test_without_the_dask_extra_the_user_is_told_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    with pytest.raises(InputError) as error:
        scale.dask_mapper(workers=2)
    assert "pip install 'socialinvest[dask]'" in error.value.message
    result = runner.invoke(app, ["run", str(UNCERTAIN), "--draws", "1000", "--workers", "2"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "socialinvest[dask]" in line


def test_a_local_run_does_not_import_dask():
    import subprocess

    code = (
        "import sys; from socialinvest.cli import main; sys.argv = ['socialinvest', 'run', "
        f"{str(UNCERTAIN)!r}, '--draws', '200', '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules, 'dask imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_state_transition_run_on_the_cluster_equals_the_local_run(cluster):
    case = load_case(EXAMPLES / "impact60-state-transition.yaml")
    local = appraise(case, draws=3000, seed=8)
    remote = appraise(case, draws=3000, seed=8, map_chunks=cluster)
    assert local.run == remote.run and local.run["chunk_draws"] < 3000  # several chunks
    assert np.array_equal(local.summary.npv, remote.summary.npv)
    for name, values in local.outcomes.items():
        assert np.array_equal(values, remote.outcomes[name]), name
    assert remote.to_dict() == local.to_dict()


def _blas_settings() -> dict[str, str | None]:
    import os

    return {name: os.environ.get(name) for name in scale.PINNED_THREADS}


def test_the_local_workers_pin_blas_to_one_thread(cluster):
    per_worker = cluster.client.run(_blas_settings)
    assert len(per_worker) == 2
    for settings in per_worker.values():
        assert settings == {name: "1" for name in scale.PINNED_THREADS}


def _dask_settings() -> dict[str, object]:
    import dask

    return {name: dask.config.get(name) for name in scale.QUIET_LOCAL_CLUSTER}


def test_the_local_workers_run_without_the_dashboards_background_work(cluster):
    # the workers' statistical profiler and GIL monitor are off (no dashboard shows them)
    for settings in cluster.client.run(_dask_settings).values():
        assert settings["distributed.worker.profile.enabled"] is False
        assert settings["distributed.admin.system-monitor.gil.enabled"] is False


@pytest.mark.parametrize(
    ("chunks", "threads", "expected"),
    [
        # a million draws of impact60-uncertain: 30 chunks of 33,333 and one of 10; two workers
        # take three tasks each, the longer batches first: 6+5+5+5+5+5 chunks
        (31, 2, [6, 5, 5, 5, 5, 5]),
        # fewer chunks than tasks: one chunk per task
        (5, 2, [1, 1, 1, 1, 1]),
        # one worker: three tasks would be 11 chunks each, above the cap of 8 -> four tasks
        (31, 1, [8, 8, 8, 7]),
        # 300 chunks on two workers: at least 38 tasks of at most 8, rounded up to 38 (even)
        (300, 2, [8] * 34 + [7] * 4),
        # 7 chunks on 4 threads: 12 tasks wanted, capped by the 7 chunks
        (7, 4, [1] * 7),
        # nothing to send
        (0, 2, []),
    ],
)
def test_chunks_go_to_the_cluster_in_batches(chunks, threads, expected):
    counts = scale.batches([100] * chunks, threads)
    assert counts == expected
    assert sum(counts) == chunks
