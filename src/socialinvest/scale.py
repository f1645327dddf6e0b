"""Scale-out: run a Monte Carlo run's chunks on a Dask distributed cluster.

The runner splits a run into chunks, each with its own seed spawned from the run's seed, and hands
them to a chunk mapper (``appraise(..., map_chunks=...)``). :func:`dask_mapper` is such a mapper:
it sends the prepared case to every worker once and gives the chunk summaries back in chunk
order. On a local cluster it started itself, a success-rate case's chunks go through a shared
board (:class:`Board`: one task per worker thread takes the next chunk until none is left and
writes the figures into memory this process maps); otherwise the chunks go in a few tasks per
worker thread, each a batch of consecutive chunks whose summaries are sent back. Chunk sizes
and seeds never depend on where the chunks run, so a run gives the same result (bit for bit)
on a cluster as in this process.

Dask is an optional extra (``pip install 'socialinvest[dask]'``) and is imported only here, only
when a mapper is made.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from types import TracebackType
from typing import Any

import numpy as np

from socialinvest.engine.summary import PER_DRAW, Summary
from socialinvest.errors import InputError, Msg, msg
from socialinvest.runner import Prepared, local_chunks, run_any_chunk

#: Seconds to wait for a scheduler before giving up with an error.
CONNECT_TIMEOUT = 10.0
#: How many tasks may wait on the cluster, per worker thread, beyond those being computed.
#: Submitting a bounded number keeps finished summaries from piling up on the workers.
QUEUED_PER_THREAD = 2
#: A run's chunks go to the cluster as about this many tasks per worker thread, each task a batch
#: of consecutive chunks (never more than ``MAX_CHUNKS_PER_TASK``). Every task costs the calling
#: process, which hosts a local cluster's scheduler and nannies, a few milliseconds of CPU
#: (scheduling, messages, the result's transfer): with one task per chunk (31 for a million
#: draws of a typical case) that CPU is taken from the workers on a machine with as many cores as
#: workers. Batches of nearly equal size in a multiple of the thread count keep the workers
#: evenly loaded; the cap keeps progress reports and the results waiting on a worker small.
TASKS_PER_THREAD = 3
MAX_CHUNKS_PER_TASK = 8
#: glibc's allocator in the workers of a local cluster: as the command line sets it for itself
#: (socialinvest.process.keep_freed_memory), through the environment glibc reads at start-up.
#: A worker runs its chunks in a thread, whose glibc arena maps every array above the mmap
#: threshold afresh; with these the arrays of a chunk come from freed memory, as in one process.
WORKER_MALLOC: dict[str, int] = {
    "MALLOC_MMAP_THRESHOLD_": 64 << 20,
    "MALLOC_TRIM_THRESHOLD_": 256 << 20,
}

#: A local cluster is started only for runs of at least this many chunks per worker: below it,
#: starting the cluster (about a second, plus the workers' imports) costs more than the second
#: core saves, so the chunks run in this process (with the same result: chunking and seeds do
#: not depend on where chunks run). A cluster that is already running is always used.
LOCAL_BELOW_CHUNKS_PER_WORKER = 2

#: Each worker is a single-threaded process: its BLAS and OpenMP pools are pinned to one thread,
#: so that workers do not compete for the cores with threads of their own. (Dask's nanny sets
#: these too; they are set here so that a changed Dask configuration cannot undo it.)
PINNED_THREADS = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}

#: Dask settings for a local cluster (its scheduler and nannies run in the calling process, its
#: workers beside it on the same cores): the background work that serves Dask's dashboard and
#: diagnostics, which a local cluster started here does not show, is turned off or slowed down.
#: The workers' statistical profiler samples the computing thread's stack every 10 ms; the
#: system monitors (and their GIL monitor) and the event loops' health ticks run several times a
#: second in every process. Measured with two idle workers: the calling process used 0.025–0.037
#: CPU seconds a second with Dask's defaults, 0.006–0.008 with these.
QUIET_LOCAL_CLUSTER: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "500ms",
}


@dataclass(frozen=True)
class Packed:
    """A chunk's summary as it travels back from a worker: the same numbers in fewer bytes.

    Year indices (break-even) travel in the smallest integer type that holds them, and the NPV
    per draw is left out when it equals discounted gains minus discounted costs bit for bit (it
    is recomputed here, with the same subtraction). Nothing is rounded: :meth:`unpack` gives
    back arrays equal to the worker's, so a run's result does not change.
    """

    summary: Summary
    npv_dropped: bool

    @classmethod
    def of(cls, summary: Summary) -> Packed:
        npv = summary.npv
        drop = np.array_equal(npv, summary.discounted_gains - summary.discounted_costs)
        return cls(
            replace(
                summary,
                npv=npv[:0] if drop else npv,
                break_even=_narrow(summary.break_even),
                break_even_total=_narrow(summary.break_even_total),
            ),
            drop,
        )

    def unpack(self) -> Summary:
        s = self.summary
        return replace(
            s,
            npv=s.discounted_gains - s.discounted_costs if self.npv_dropped else s.npv,
            break_even=s.break_even.astype(np.int64),
            break_even_total=s.break_even_total.astype(np.int64),
        )


def _narrow(values: np.ndarray) -> np.ndarray:
    """Integers in the smallest type that holds every one of them exactly."""
    if values.size == 0:
        return values
    for kind in (np.int8, np.int16, np.int32):
        info = np.iinfo(kind)
        if info.min <= values.min() and values.max() <= info.max:
            return values.astype(kind)
    return values


def run_packed_chunk(prepared: Any, n: int, seed: np.random.SeedSequence) -> Any:
    """One chunk, computed on a worker, packed for the way back (a state-transition chunk's
    per-arm outcomes travel beside its packed summary)."""
    result = run_any_chunk(prepared, n, seed)
    if isinstance(result, tuple):
        summary, outcomes = result
        return Packed.of(summary), outcomes
    return Packed.of(result)


def run_packed_chunks(prepared: Any, batch: list[tuple[int, np.random.SeedSequence]]) -> list[Any]:
    """A task on a worker: consecutive chunks (size, seed), each computed and packed as by
    :func:`run_packed_chunk`, in order."""
    return [run_packed_chunk(prepared, n, seed) for n, seed in batch]


def _unpacked(packed: Any) -> Any:
    if isinstance(packed, tuple):
        return packed[0].unpack(), packed[1]
    return packed.unpack()


def batches(sizes: list[int], threads: int) -> list[int]:
    """How many consecutive chunks each task runs: ``TASKS_PER_THREAD`` tasks per worker
    thread (or one task per chunk when there are fewer chunks), at most ``MAX_CHUNKS_PER_TASK``
    chunks each, the number of tasks a multiple of ``threads`` where the chunks allow it and the
    batches as equal as they can be (the longer ones first)."""
    n = len(sizes)
    if n == 0:
        return []
    tasks = max(threads * TASKS_PER_THREAD, -(-n // MAX_CHUNKS_PER_TASK))
    tasks = min(n, -(-tasks // threads) * threads)
    small, extra = divmod(n, tasks)
    return [small + 1] * extra + [small] * (tasks - extra)


# --------------------------------------------------------------- a local cluster's shared board

#: How often (seconds) the calling process looks on the board for chunks finished by the workers.
BOARD_POLL_SECONDS = 0.005
#: How long (seconds) closing the mapper waits for the tasks of a run stopped early to end after
#: the chunk they are computing: a worker closed in the middle of a task writes Dask's warnings
#: (and a traceback) to the user's terminal.
BOARD_CLOSE_SECONDS = 10.0
#: The board's header, in int64 words: the run it serves, the next chunk to take, a stop flag,
#: how many tasks are working on it, then a done flag per chunk.
_RUN, _NEXT, _STOP, _ACTIVE, _DONE = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Board:
    """A run's chunks and where their figures lie in a memory file that the calling process
    shares with the workers of a local cluster (what each worker's task receives).

    The file (``memfd``) is the calling process's open descriptor ``fd``; a worker opens it
    through ``/proc/<pid>/fd/<fd>`` (checking its inode) and keeps it mapped for the next runs.
    Each field lies at ``offset`` with ``dtype`` and ``shape``: the per-draw figures [draws, ...]
    in one array each (a chunk's draws at its rows), the Summary's other arrays per chunk
    [chunks, ...].
    """

    pid: int
    fd: int
    inode: int
    run: int
    sizes: tuple[int, ...]
    starts: tuple[int, ...]
    seeds: tuple[np.random.SeedSequence, ...]
    fields: tuple[tuple[str, int, str, tuple[int, ...]], ...]

    @staticmethod
    def layout(
        probe: Summary, sizes: list[int]
    ) -> tuple[int, tuple[tuple[str, int, str, tuple[int, ...]], ...]]:
        """(bytes, fields) of a board for chunks ``sizes`` of summaries shaped as ``probe``."""
        draws, chunks = sum(sizes), len(sizes)
        offset = 8 * (_DONE + chunks)
        placed = []
        for f in fields(Summary):
            value = getattr(probe, f.name)
            if not isinstance(value, np.ndarray):
                continue
            shape = (draws, *value.shape[1:]) if f.name in PER_DRAW else (chunks, *value.shape)
            offset = -(-offset // 64) * 64  # each field from a cache line of its own
            placed.append((f.name, offset, value.dtype.str, shape))
            offset += int(np.prod(shape, dtype=np.int64)) * value.dtype.itemsize
        return offset, tuple(placed)

    def views(self, buffer: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The header and every field, as arrays on ``buffer`` (the mapped file)."""
        header = np.ndarray((_DONE + len(self.sizes),), np.int64, buffer=buffer)
        arrays = {
            name: np.ndarray(shape, np.dtype(dtype), buffer=buffer, offset=offset)
            for name, offset, dtype, shape in self.fields
        }
        return header, arrays


def _board_possible() -> bool:
    """Whether workers on this machine can share a memory file with this process."""
    return sys.platform.startswith("linux") and hasattr(os, "memfd_create")


#: A worker's mapping of the board it last worked on: (pid, inode, size) -> (fd, mapping).
_MAPPED: dict[tuple[int, int, int], tuple[int, mmap.mmap]] = {}


def _mapped(board: Board) -> tuple[int, mmap.mmap] | None:
    """The board's file, open and mapped in this worker (kept for the next runs, so that its
    pages are not mapped afresh), or None when it cannot be opened here."""
    try:
        fd = os.open(f"/proc/{board.pid}/fd/{board.fd}", os.O_RDWR)
    except OSError:
        return None
    stat = os.fstat(fd)
    key = (board.pid, stat.st_ino, stat.st_size)
    if stat.st_ino != board.inode:  # not the board (the run ended, the number was reused)
        os.close(fd)
        return None
    if key in _MAPPED:
        os.close(fd)
        return _MAPPED[key]
    for old_fd, _ in _MAPPED.values():  # a board replaced by a larger one
        os.close(old_fd)
    _MAPPED.clear()
    _MAPPED[key] = (fd, mmap.mmap(fd, stat.st_size))
    return _MAPPED[key]


def run_on_board(prepared: Any, board: Board) -> int | None:
    """A worker's task: take the board's chunks one at a time (whichever is next, until none
    is left or the run stops), compute each and write its figures on the board. Returns how
    many chunks it computed, or None when it cannot open the board (the calling process then
    sends the chunks the usual way)."""
    import fcntl

    opened = _mapped(board)
    if opened is None:
        return None
    fd, buffer = opened
    header, arrays = board.views(buffer)

    def claim(first: bool) -> int | None:
        """The next chunk to compute, or None (this task then no longer counts as working)."""
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if first:
                if header[_RUN] != board.run:
                    return None  # a run that has ended: the board may serve another one now
                header[_ACTIVE] += 1
            index = int(header[_NEXT])
            if header[_STOP] or index >= len(board.sizes):
                header[_ACTIVE] -= 1
                return None
            header[_NEXT] = index + 1
            return index
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    done = 0
    index = claim(first=True)
    while index is not None:
        try:
            n, start = board.sizes[index], board.starts[index]
            summary = run_any_chunk(prepared, n, board.seeds[index])
            for name, target in arrays.items():
                value = getattr(summary, name)
                rows = target[start : start + n] if name in PER_DRAW else target[index]
                if value.dtype != rows.dtype or value.shape != rows.shape:
                    raise TypeError(f"chunk {index}: {name} {value.dtype}{value.shape}")
                rows[...] = value
        except BaseException:
            fcntl.flock(fd, fcntl.LOCK_EX)
            header[_ACTIVE] -= 1
            fcntl.flock(fd, fcntl.LOCK_UN)
            raise
        fcntl.flock(fd, fcntl.LOCK_EX)  # the flag after the figures (and a barrier)
        header[_DONE + index] = 1
        fcntl.flock(fd, fcntl.LOCK_UN)
        done += 1
        index = claim(first=False)
    return done


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(
            "",
            statement=msg("d_extra"),
        ) from None
    return distributed


class DaskChunks:
    """A chunk mapper that runs chunks on a Dask cluster; close it (or use ``with``) when done.

    ``scheduler`` is the address of a running scheduler (``tcp://HOST:PORT``); without it a local
    cluster of ``workers`` processes (one thread each, BLAS pinned to one thread) is started on
    127.0.0.1 with the first run of at least ``LOCAL_BELOW_CHUNKS_PER_WORKER`` chunks per worker
    (smaller runs stay in this process) and shut down by :meth:`close`.
    """

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        if scheduler is not None and workers is not None:
            raise InputError("", statement=msg("c_scheduler_or_workers"), field="--workers")
        if workers is not None and workers < 1:
            raise InputError(msg("e_workers", limit=64), field="--workers", value=workers)
        distributed = _import_distributed()
        self._cluster: Any = None
        self._client: Any = None
        self._workers = workers or 1
        self._wait = CONNECT_TIMEOUT if timeout is None else timeout
        # a local cluster starts when a run is large enough to gain from it (see __call__)
        self._local = scheduler is None
        # the local cluster's board (_on_board): its file and mapping, runs, the last run's views
        self._board: tuple[int, mmap.mmap] | None = None
        self._board_run = 0
        self._board_views: list[weakref.ref[np.ndarray]] = []
        self._board_tasks: list[Any] = []  # a stopped run's tasks that had not ended
        self._board_lock = threading.Lock()
        self._start_lock = threading.Lock()  # one local cluster for runs in several threads
        if scheduler is not None:
            try:
                self._client = distributed.Client(scheduler, timeout=self._wait)
            except (OSError, ValueError, TypeError) as exc:
                raise InputError(
                    msg("d_scheduler", reason=_reason(exc, self._wait)),
                    field="--scheduler",
                    value=scheduler,
                ) from None

    def _start_local_cluster(self) -> None:
        import dask

        distributed = _import_distributed()
        # Dask sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which turns off glibc's adaptive
        # mmap threshold: every large temporary array of a chunk is then mapped and unmapped
        # again, and chunks run about a third slower than in this process. The workers get the
        # command line's own allocator settings instead (WORKER_MALLOC).
        prefix = "distributed.nanny.pre-spawn-environ."
        environ = {prefix + k: v for k, v in {**PINNED_THREADS, **WORKER_MALLOC}.items()}
        with dask.config.set({**QUIET_LOCAL_CLUSTER, **environ}):
            self._cluster = distributed.LocalCluster(
                n_workers=self._workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # no dashboard; the scheduler's small HTTP server on any free loopback port
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            )
        try:
            # the summaries come straight from the workers, not relayed by the scheduler
            self._client = distributed.Client(
                self._cluster, timeout=self._wait, direct_to_workers=True
            )
        except BaseException:
            self._cluster.close()
            self._cluster = None
            raise

    @property
    def started(self) -> bool:
        """Whether the cluster runs (a local cluster starts with the first large enough run)."""
        return self._client is not None

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` the chunks are submitted through (a local cluster is
        started if it is not running yet)."""
        if self._client is None and self._local:
            with self._start_lock:
                if self._client is None:
                    self._start_local_cluster()
        return self._client

    def threads(self) -> int:
        """Worker threads in the cluster now (at least 1)."""
        nthreads: dict[str, int] = self.client.nthreads()
        return max(1, sum(nthreads.values()))

    def __call__(
        self, prepared: Any, sizes: list[int], seeds: list[np.random.SeedSequence]
    ) -> Iterator[Any]:
        """Run the chunks on the cluster; yield their results in chunk order. A local cluster
        that is not running yet is not started for fewer than
        ``LOCAL_BELOW_CHUNKS_PER_WORKER`` chunks per worker: those run here."""
        if self._client is None and len(sizes) < LOCAL_BELOW_CHUNKS_PER_WORKER * self._workers:
            yield from local_chunks(prepared, sizes, seeds)
            return
        client = self.client
        # One copy of the prepared case per worker, sent once, instead of one per task.
        shared = client.scatter(prepared, broadcast=True, hash=False)
        try:
            if self._cluster is not None and isinstance(prepared, Prepared) and _board_possible():
                probe = run_any_chunk(prepared, 2, None)
                yield from self._on_board(client, shared, probe, sizes, seeds)
            else:
                yield from self._submitted(client, shared, sizes, seeds)
        finally:
            shared.release()

    def _submitted(
        self, client: Any, shared: Any, sizes: list[int], seeds: list[np.random.SeedSequence]
    ) -> Iterator[Any]:
        """The chunks as batches in tasks, their summaries sent back (any cluster)."""
        threads = self.threads()
        window = threads * (1 + QUEUED_PER_THREAD)
        jobs = list(zip(sizes, seeds, strict=True))
        tasks: list[list[tuple[int, np.random.SeedSequence]]] = []
        for count in batches(sizes, threads):
            tasks.append(jobs[:count])
            jobs = jobs[count:]
        pending: list[Any] = []
        submitted = 0

        def submit_next() -> None:
            nonlocal submitted
            if submitted < len(tasks):
                batch = tasks[submitted]
                pending.append(client.submit(run_packed_chunks, shared, batch, pure=False))
                submitted += 1

        try:
            for _ in range(window):
                submit_next()
            while pending:
                future = pending.pop(0)
                results = future.result()
                future.release()
                submit_next()
                for packed in results:
                    yield _unpacked(packed)
        finally:
            for future in pending:
                future.cancel()

    def _on_board(
        self,
        client: Any,
        shared: Any,
        probe: Summary,
        sizes: list[int],
        seeds: list[np.random.SeedSequence],
    ) -> Iterator[Summary]:
        """The chunks on a local cluster through a shared board: one task per worker thread,
        each taking the next chunk until none is left and writing its figures into memory that
        this process maps. Nothing travels back but a count; the per-draw figures of all chunks
        end up in one array each, which ``combine`` takes without a copy. A run that cannot
        have the board (another run on this mapper has it) sends its chunks the usual way."""
        import fcntl

        if not self._board_lock.acquire(blocking=False):
            yield from self._submitted(client, shared, sizes, seeds)
            return
        futures: list[Any] = []
        try:
            size, placed = Board.layout(probe, sizes)
            fd, buffer = self._board_file(size)
            self._board_run += 1
            starts = tuple(int(x) for x in np.cumsum([0, *sizes[:-1]]))
            board = Board(
                os.getpid(),
                fd,
                os.fstat(fd).st_ino,
                self._board_run,
                tuple(sizes),
                starts,
                tuple(seeds),
                placed,
            )
            header, arrays = board.views(buffer)
            self._board_views = [weakref.ref(a) for a in (header, *arrays.values())]
            fcntl.flock(fd, fcntl.LOCK_EX)
            header[:] = 0
            header[_RUN] = board.run
            fcntl.flock(fd, fcntl.LOCK_UN)

            def flags() -> np.ndarray:
                fcntl.flock(fd, fcntl.LOCK_EX)  # a barrier: the figures before the flags
                try:
                    return header[_DONE:].copy()
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)

            def part(index: int) -> Summary:
                rows = slice(starts[index], starts[index] + sizes[index])
                values = {
                    name: array[rows] if name in PER_DRAW else array[index].copy()
                    for name, array in arrays.items()
                }
                return Summary(draws=sizes[index], **values)

            # one at a time: if a submission fails, those already sent are stopped (finally)
            for address, threads in client.nthreads().items():
                for _ in range(threads):
                    futures.append(
                        client.submit(
                            run_on_board,
                            shared,
                            board,
                            pure=False,
                            workers=[address],
                            allow_other_workers=True,
                        )
                    )
            index = 0
            while index < len(sizes):
                done = flags()
                if done[index]:
                    while index < len(sizes) and done[index]:
                        yield part(index)
                        index += 1
                    continue
                failed = next((f for f in futures if f.status == "error"), None)
                if failed is not None:
                    # a chunk's error is raised when it happens (as on the other path), not
                    # after the other tasks have computed every chunk left; they stop (finally)
                    failed.result()
                if all(future.done() for future in futures):
                    for future in futures:
                        future.result()  # a chunk's error is raised here, as on the other path
                    # Chunks left over: a worker could not open the board, or was lost with a
                    # chunk it had taken. They run the usual way.
                    done = flags()
                    missing = [j for j in range(index, len(sizes)) if not done[j]]
                    rest = self._submitted(
                        client, shared, [sizes[j] for j in missing], [seeds[j] for j in missing]
                    )
                    for j in range(index, len(sizes)):
                        yield part(j) if done[j] else next(rest)
                    return
                time.sleep(BOARD_POLL_SECONDS)
        finally:
            try:
                if futures:
                    # a run stopped early: the tasks stop after the chunk they are computing
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    header[_STOP] = 1
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    # those still running are kept, for close to let them end
                    running = []
                    for future in (*self._board_tasks, *futures):
                        if future.done():
                            future.release()
                        else:
                            running.append(future)
                    self._board_tasks = running
            finally:
                self._board_lock.release()

    def _board_file(self, size: int) -> tuple[int, mmap.mmap]:
        """The board's memory file and this process's mapping of it: the last run's again when
        it is large enough, no task works on it any more and no result still uses its figures
        (the workers keep it mapped, so its pages are not mapped afresh); else a new one (the
        old one lives on as long as a result's arrays use it)."""
        import fcntl

        if self._board is not None:
            fd, buffer = self._board
            unused = len(buffer) >= size and all(r() is None for r in self._board_views)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                header = np.frombuffer(buffer, np.int64, count=_DONE)
                if unused and header[_ACTIVE] == 0:
                    # taken from the last run in the same hold of the lock that found no task
                    # on it: a task of that run that starts later finds another run number
                    header[_RUN] = 0
                    return fd, buffer
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            self._board = None
        fd = os.memfd_create("socialinvest-board", os.MFD_CLOEXEC)
        try:
            os.ftruncate(fd, size)
            self._board = (fd, mmap.mmap(fd, size))
        except BaseException:
            os.close(fd)
            raise
        return self._board

    def close(self) -> None:
        """Disconnect; shut the local cluster down if this mapper started one (after the
        tasks of a run stopped early have ended their chunk, at most BOARD_CLOSE_SECONDS)."""
        tasks, self._board_tasks = self._board_tasks, []
        try:
            if tasks and self._client is not None:
                with contextlib.suppress(TimeoutError):  # closed regardless
                    _import_distributed().wait(tasks, timeout=BOARD_CLOSE_SECONDS)
        finally:
            for future in tasks:
                future.release()
            self._close()

    def _close(self) -> None:
        if self._board is not None:
            os.close(self._board[0])
            self._board = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskChunks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _reason(exc: BaseException, timeout: float) -> str | Msg:
    if isinstance(exc, OSError) and "Timed out" in str(exc):
        return msg("d_timeout", seconds=f"{timeout:g}")
    text = str(exc).rstrip(".") or type(exc).__name__
    return text[:80]


def dask_mapper(
    scheduler: str | None = None, workers: int | None = None, *, timeout: float | None = None
) -> DaskChunks:
    """A chunk mapper on a Dask cluster: the scheduler at ``scheduler``, or a local cluster of
    ``workers`` processes. Use it as a context manager (or call ``close()``)::

        with dask_mapper(workers=2) as chunks:
            result = appraise(case, draws=1_000_000, seed=1, map_chunks=chunks)
    """
    return DaskChunks(scheduler, workers, timeout=timeout)
