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


# ---- the local cluster's shared board: chunks taken by the workers, figures in shared memory


def _on_mapping(values: np.ndarray) -> bool:
    """Whether the array's memory is a mapped file (the board), through its chain of bases."""
    import mmap

    base = values
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base, mmap.mmap)


def _npv_of(result: Result) -> np.ndarray:
    return np.asarray(result.summary.npv)


def test_a_local_cluster_writes_the_figures_on_the_board_without_a_copy(cluster, local_result):
    remote = appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=cluster)
    assert np.array_equal(remote.summary.npv, local_result.summary.npv)
    # the per-draw figures are the board's memory itself (combine took them without a copy)
    assert _on_mapping(remote.summary.npv) and _on_mapping(remote.summary.break_even)
    assert not _on_mapping(local_result.summary.npv)


def test_a_kept_result_is_not_overwritten_by_the_next_run_and_a_dropped_one_frees_the_board(
    cluster,
):
    import gc

    case = load_case(UNCERTAIN)
    first = appraise(case, draws=DRAWS, seed=11, map_chunks=cluster)
    kept = first.summary.npv.copy()
    board = cluster._board
    second = appraise(case, draws=DRAWS, seed=12, map_chunks=cluster)
    # the first result still uses its board: the second run had a new one
    assert cluster._board is not board
    assert np.array_equal(first.summary.npv, kept)
    assert np.array_equal(second.summary.npv, appraise(case, draws=DRAWS, seed=12).summary.npv)
    del first, second
    gc.collect()
    board = cluster._board
    third = appraise(case, draws=DRAWS, seed=11, map_chunks=cluster)
    assert cluster._board is board  # nothing used it any more: the same memory again
    assert np.array_equal(third.summary.npv, kept)


class _Stop(Exception):
    pass


def test_a_run_stopped_early_leaves_the_board_ready_for_the_next(cluster, local_result):
    def stop(done: int, total: int) -> None:
        raise _Stop

    with pytest.raises(_Stop):
        appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=cluster, progress=stop)
    again = appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=cluster)
    assert again.to_dict() == local_result.to_dict()


def _break_chunks(broken: bool) -> None:
    from socialinvest import runner

    if broken:

        def fail(prepared: object, n: int, seed: object) -> object:
            raise ValueError("chunk failed on purpose")

        scale.run_any_chunk = fail  # type: ignore[assignment]
    else:
        scale.run_any_chunk = runner.run_any_chunk


def test_an_error_in_a_chunk_on_the_board_reaches_the_caller_and_the_board_recovers(
    cluster, local_result
):
    cluster.client.run(_break_chunks, True)
    try:
        with pytest.raises(ValueError, match="chunk failed on purpose"):
            appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=cluster)
    finally:
        cluster.client.run(_break_chunks, False)
    import gc

    gc.collect()  # the error's traceback held the failed run's views of the board
    board = cluster._board
    again = appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=cluster)
    assert cluster._board is board  # no task counts as working on it any more
    assert again.to_dict() == local_result.to_dict()


def _board_unreachable(unreachable: bool) -> None:
    if unreachable:
        scale._usual_mapped = scale._mapped  # type: ignore[attr-defined]
        scale._mapped = lambda board: None  # type: ignore[assignment]
    else:
        scale._mapped = scale._usual_mapped  # type: ignore[attr-defined]


def test_workers_that_cannot_open_the_board_get_the_chunks_the_usual_way(cluster, local_result):
    cluster.client.run(_board_unreachable, True)
    try:
        remote = appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=cluster)
    finally:
        cluster.client.run(_board_unreachable, False)
    assert not _on_mapping(remote.summary.npv)
    assert remote.to_dict() == local_result.to_dict()


def test_a_task_ignores_a_board_that_is_not_its_own():
    import os

    read, write = os.pipe()
    try:
        stranger = scale.Board(os.getpid(), read, -1, 1, (10,), (0,), (), ())
        assert scale.run_on_board(None, stranger) is None  # another file at that number
        closed = scale.Board(os.getpid(), 10_000, -1, 1, (10,), (0,), (), ())
        assert scale.run_on_board(None, closed) is None  # no file at that number
    finally:
        os.close(read)
        os.close(write)


def _header(cluster: scale.DaskChunks) -> np.ndarray:
    """The board's header words (run, next chunk, stop flag, tasks working)."""
    assert cluster._board is not None
    return np.frombuffer(cluster._board[1], np.int64, count=scale._DONE)


def test_a_run_that_fails_while_its_tasks_are_submitted_stops_those_already_sent(
    cluster, monkeypatch
):
    client = cluster.client
    usual = client.submit
    sent: list[object] = []

    def submit(*args: object, **kwargs: object) -> object:
        if sent:  # the second task cannot be sent (e.g. Ctrl-C, a client that closed)
            raise RuntimeError("submit failed on purpose")
        sent.append(usual(*args, **kwargs))
        return sent[-1]

    monkeypatch.setattr(client, "submit", submit)
    with pytest.raises(RuntimeError, match="submit failed on purpose"):
        appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=cluster)
    monkeypatch.undo()
    # the task already sent must not go on taking the failed run's chunks
    assert _header(cluster)[scale._STOP] == 1
    sent.clear()


def test_a_task_of_an_ended_run_takes_nothing_from_a_board_given_to_the_next_run(cluster):
    import gc
    import os

    from socialinvest.case import LoadedCase
    from socialinvest.knowledge.base import default_knowledge_base
    from socialinvest.runner import prepare_model, run_any_chunk

    case = load_case(UNCERTAIN)
    appraise(case, draws=DRAWS, seed=5, map_chunks=cluster)
    gc.collect()
    fd, buffer = cluster._board
    prepared = prepare_model(LoadedCase.of(case), default_knowledge_base())
    size, placed = scale.Board.layout(run_any_chunk(prepared, 2, None), [10])
    ended = scale.Board(
        os.getpid(),
        fd,
        os.fstat(fd).st_ino,
        cluster._board_run,
        (10,),
        (0,),
        (np.random.SeedSequence(1),),
        placed,
    )
    # the ended run as a task that was late to start would find it had its stop flag not
    # been set: chunks left to take
    header = _header(cluster)
    header[scale._STOP] = 0
    header[scale._NEXT] = 0
    # no task works on the board and no result uses it: the next run may have it ...
    assert cluster._board_file(size) == (fd, buffer)
    try:
        # ... and a task of the ended run that starts now takes none of its chunks
        assert not scale.run_on_board(prepared, ended)
        assert header[scale._ACTIVE] == 0
    finally:
        for own_fd, _ in scale._MAPPED.values():  # this process's own mapping, made above
            os.close(own_fd)
        scale._MAPPED.clear()


def test_a_run_stopped_early_and_the_cluster_closed_at_once_is_quiet(capfd):
    def stop(done: int, total: int) -> None:
        raise _Stop

    # a cluster of its own, whose workers write to this test's stderr
    with scale.dask_mapper(workers=2) as chunks, pytest.raises(_Stop):
        appraise(load_case(UNCERTAIN), draws=DRAWS, seed=5, map_chunks=chunks, progress=stop)
    # the workers were computing a chunk each when the cluster was told to close: Dask's
    # warnings about the cancelled tasks (or a worker's traceback) would reach the user
    err = capfd.readouterr().err
    assert "WARNING" not in err and "Traceback" not in err, err


def _break_first_chunk(broken: bool) -> None:
    from socialinvest import runner

    if broken:

        def fail_first(prepared: object, n: int, seed: np.random.SeedSequence) -> object:
            if seed is not None and seed.spawn_key[-1:] == (0,):
                raise ValueError("the first chunk failed on purpose")
            return runner.run_any_chunk(prepared, n, seed)  # type: ignore[arg-type]

        scale.run_any_chunk = fail_first  # type: ignore[assignment]
    else:
        scale.run_any_chunk = runner.run_any_chunk


def test_an_error_in_a_chunk_on_the_board_stops_the_run_without_waiting_for_the_rest(cluster):
    cluster.client.run(_break_first_chunk, True)
    try:
        with pytest.raises(ValueError, match="the first chunk failed on purpose"):
            # nine chunks of 33,333 draws and a short tenth: a worker computes one in ~0.1 s
            appraise(load_case(UNCERTAIN), draws=300_000, seed=5, map_chunks=cluster)
    finally:
        cluster.client.run(_break_first_chunk, False)
    # the error reached the caller when it happened, not after the other worker had taken
    # every other chunk of the run
    assert _header(cluster)[scale._NEXT] < 10


def test_runs_that_start_a_mapper_in_several_threads_at_once_start_one_cluster(monkeypatch):
    import threading

    started: list[int] = []
    start = scale.DaskChunks._start_local_cluster

    def counted(self: scale.DaskChunks) -> None:
        started.append(1)
        start(self)

    monkeypatch.setattr(scale.DaskChunks, "_start_local_cluster", counted)
    chunks = scale.dask_mapper(workers=1)
    together = threading.Barrier(3)
    clients: list[object] = []

    def first_run() -> None:  # as __call__ does for a run large enough for the cluster
        together.wait()
        clients.append(chunks.client)

    threads = [threading.Thread(target=first_run) for _ in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        chunks.close()
    # one cluster for the three (the others would run on, unclosed, beside it)
    assert len(started) == 1
    assert len(clients) == 3 and all(c is clients[0] for c in clients)
