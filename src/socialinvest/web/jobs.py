"""Long work as jobs: runs with many draws, contracts, comparisons and reports.

``run_or_submit`` answers at once from the result cache, computes quick work (a point run, a
sensitivity analysis) in the request, and turns the rest into a :class:`~store.models.Job` done
by a worker process (``ProcessPoolExecutor``, spawned, so requests stay fast while it runs). The
worker writes its progress and a heartbeat to the job row, checks the row's ``cancel_requested``
at every progress step (the service's ``cancel`` hook), and stores the result in the cache.

Results are cached under a key of everything that determines them: the kind of work, the case
versions' digests, draws, seed, options, and the package and knowledge-base versions (and the
knowledge base's digest). A Monte Carlo request without a seed gets one chosen here, so its
result is reproducible and cacheable.

A job left queued or running by a server that stopped shows as ``interrupted`` (at the next
start, or when its heartbeat is older than ``STALE_SECONDS``), never as running forever;
``retry`` submits it again. With ``Settings.scheduler`` (``--scheduler tcp://…``) the worker runs
the draws' chunks on that Dask cluster.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import secrets
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from socialinvest.errors import InputError
from socialinvest.store import cases as case_store
from socialinvest.store import jobs as job_store
from socialinvest.store.models import Case, CaseVersion, Job, JobStatus, User, now

if TYPE_CHECKING:
    from socialinvest.web.settings import Settings

log = logging.getLogger("socialinvest.web.jobs")

KINDS = ("run", "sensitivity", "contract", "compare", "report")
STALE_SECONDS = 20.0
HEARTBEAT_SECONDS = 3.0
JSON_TYPE = "application/json"
_WRITE_EVERY = 0.5  # seconds between progress writes


@dataclass(frozen=True)
class Answer:
    """What a request for work gets: the result now (``content``) or a job to follow."""

    job: Job | None = None
    content: bytes | None = None
    media_type: str = JSON_TYPE
    cached: bool = False
    key: str = ""
    params: dict[str, Any] | None = None

    def json(self) -> Any:
        assert self.content is not None
        return json.loads(self.content)


# --- what determines a result ----------------------------------------------------------------


def versions_of_software() -> dict[str, str]:
    """The package and knowledge-base versions (and the knowledge base's digest)."""
    from socialinvest.service import versions

    return versions()


def normalise(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with defaults filled in and a seed chosen for Monte Carlo work."""
    if kind not in KINDS:
        raise InputError("one of " + ", ".join(KINDS), field="kind", value=kind)
    out = dict(params)
    if out.get("draws") is None and kind in ("contract", "report"):
        # the service's default (socialinvest.draws): Monte Carlo whenever the case has anything
        # uncertain, so no probability is shown from one draw; the seed is chosen here so the
        # cache key and the result name it
        out["draws"] = None
        if out.get("seed") is None:
            out["seed"] = secrets.randbelow(2**31)
        return out
    out["draws"] = int(out.get("draws") or 1)
    if out["draws"] > 1 and out.get("seed") is None:
        out["seed"] = secrets.randbelow(2**31)
    if out["draws"] == 1 and kind != "report":
        out["seed"] = None
    return out


def key_for(
    kind: str, digests: list[str], params: dict[str, Any], names: list[str] | None = None
) -> str:
    """The cache key; ``names`` are the file names the results carry (their provenance)."""
    return job_store.cache_key(
        kind, digests=digests, names=names or [], params=params, **versions_of_software()
    )


# --- the work itself (runs in the request for quick work, in a worker process otherwise) ------


def compute(
    kind: str,
    texts: list[tuple[str, str, str | None]],
    params: dict[str, Any],
    *,
    progress: Any = None,
    cancel: Any = None,
    map_chunks: Any = None,
) -> tuple[bytes, str]:
    """The result of ``kind`` for case ``texts`` [(text, file name, label)] as (bytes, media
    type). Raises InputError for a case or option that is wrong, Cancelled when cancelled."""
    from socialinvest import service

    def dumped(data: Any) -> bytes:
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"

    loaded = [(service.load_text(text, name), label) for text, name, label in texts]
    given = params.get("draws")
    draws = int(given or 1)  # run and compare: one exact run unless draws are asked for
    service_draws = None if given is None else draws  # contract, report: the service's default
    seed = params.get("seed")
    if kind == "run":
        result = service.appraise(
            loaded[0][0],
            draws=draws,
            seed=seed,
            progress=progress,
            cancel=cancel,
            map_chunks=map_chunks,
        )
        return dumped(result.to_dict()), JSON_TYPE
    if kind == "sensitivity":
        inputs = dict(service.parse_range(t, "inputs") for t in params.get("inputs") or [])
        thresholds = dict(
            service.parse_range(t, "thresholds") for t in params.get("thresholds") or []
        )
        found = service.sensitivity(
            loaded[0][0], inputs=inputs or None, thresholds=thresholds or None, cancel=cancel
        )
        return dumped(found.to_dict()), JSON_TYPE
    if kind == "contract":
        contract = service.contract(
            loaded[0][0], draws=service_draws, seed=seed, progress=progress, cancel=cancel
        )
        return dumped(contract.to_dict()), JSON_TYPE
    if kind == "compare":
        comparison = service.compare(
            [(label, case) for case, label in loaded],
            name=params.get("name"),
            draws=draws,
            seed=seed,
            with_do_nothing=bool(params.get("with_do_nothing")),
            progress=progress,
            cancel=cancel,
        )
        return dumped(comparison.to_dict()), JSON_TYPE
    fmt = str(params.get("format", "html"))
    content = service.report(
        loaded[0][0],
        fmt,
        lang=params.get("lang", "da"),
        draws=service_draws,
        seed=seed,
        progress=progress,
        cancel=cancel,
    )
    return content, service.MEDIA_TYPES[service.report_format(fmt)]


def is_quick(
    kind: str, texts: list[tuple[str, str, str | None]], params: dict[str, Any], settings: Settings
) -> bool:
    """Whether the work takes well under two seconds: a point run or comparison of cases that
    are not microsimulations, or a sensitivity analysis; reports and contracts never are."""
    if kind in ("report", "contract"):
        return False
    if kind == "sensitivity":
        return True
    weight = 0
    for text, _, _ in texts:
        kind_of_model = _model_kind(text)
        if kind_of_model == "microsimulation":
            return False
        weight += 10 if kind_of_model == "state_transition" else 1
    return int(params.get("draws") or 1) * weight < settings.job_draws_threshold


def _model_kind(text: str) -> str:
    """success_rate, state_transition or microsimulation (a state-transition case run person
    by person), read from the case text without validating it."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return "success_rate"
    section = data.get("state_transition") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        return "success_rate"
    return "microsimulation" if section.get("simulation") else "state_transition"


# --- requests --------------------------------------------------------------------------------


def case_file_name(case: Case, version: CaseVersion) -> str:
    """The file name a version is known by in results (and downloaded as)."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", case.name.lower()).strip("-")[:60] or "case"
    return f"{slug}-v{version.number}.yaml"


def run_or_submit(
    db: Session,
    runner: JobRunner | None,
    user: User,
    kind: str,
    versions: list[tuple[Case, CaseVersion, str | None]],
    params: dict[str, Any],
    settings: Settings,
) -> Answer:
    """The result of ``kind`` on case ``versions`` [(case, version, label)] from the cache or
    computed now when quick, else a job (an identical job already under way is reused)."""
    params = normalise(kind, params)
    texts = [(v.text, case_file_name(c, v), label) for c, v, label in versions]
    key = key_for(
        kind,
        [v.digest for _, v, _ in versions],
        params,
        [f"{name}\0{label}" for _, name, label in texts],
    )
    hit = job_store.cached(db, key)
    if hit is not None:
        return Answer(
            content=hit.content, media_type=hit.media_type, cached=True, key=key, params=params
        )
    if runner is None or is_quick(kind, texts, params, settings):
        content, media_type = compute(kind, texts, params)
        job_store.store_result(db, key, kind, media_type, content)
        return Answer(content=content, media_type=media_type, key=key, params=params)
    existing = job_store.active_with_key(db, key)
    if existing is not None and existing.organisation_id == user.organisation_id:
        return Answer(job=existing, key=key, params=params)
    first_case, first_version, _ = versions[0]
    job = Job(
        user_id=user.id,
        organisation_id=user.organisation_id,
        case_id=first_case.id,
        version_number=first_version.number,
        kind=kind,
        params={
            **params,
            "versions": [[c.id, v.number, label] for c, v, label in versions],
        },
        cache_key=key,
        heartbeat_at=now(),
        runner=runner.instance,
    )
    db.add(job)
    db.commit()
    runner.submit(job.id)
    return Answer(job=job, key=key, params=params)


def refresh_status(db: Session, job: Job) -> Job:
    """``job`` with a stale heartbeat marked interrupted (its worker died)."""
    stale = now() - timedelta(seconds=STALE_SECONDS)
    if job.status in job_store.ACTIVE and job.heartbeat_at is not None and job.heartbeat_at < stale:
        job.status = JobStatus.interrupted.value
        job.finished_at = now()
        db.commit()
    return job


def visible_job(db: Session, user: User, job_id: int) -> Job | None:
    job = db.get(Job, job_id)
    if job is None or job.organisation_id != user.organisation_id:
        return None
    return refresh_status(db, job)


def cancel(db: Session, job: Job) -> Job:
    """Ask a job to stop (a queued one stops at once; a running one at its next step)."""
    if job.status == JobStatus.queued.value:
        job.status = JobStatus.cancelled.value
        job.finished_at = now()
    if job.status in job_store.ACTIVE:
        job.cancel_requested = True
    db.commit()
    return job


def retry(db: Session, runner: JobRunner, user: User, job: Job) -> Job:
    """A new job doing what an interrupted, failed or cancelled ``job`` did."""
    fresh = Job(
        user_id=user.id,
        organisation_id=job.organisation_id,
        case_id=job.case_id,
        version_number=job.version_number,
        kind=job.kind,
        params=dict(job.params),
        cache_key=job.cache_key,
        heartbeat_at=now(),
        runner=runner.instance,
    )
    db.add(fresh)
    db.commit()
    runner.submit(fresh.id)
    return fresh


def result_of(db: Session, job: Job) -> tuple[bytes, str] | None:
    if job.status != JobStatus.done.value:
        return None
    hit = job_store.cached(db, job.cache_key)
    return (hit.content, hit.media_type) if hit is not None else None


# --- the runner (in the server process) ------------------------------------------------------


#: How long stopping the server waits for the job pool's own thread (seconds).
STOP_SECONDS = 5.0


class JobRunner:
    """Hands jobs to worker processes and keeps their heartbeats while they wait."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.instance = uuid.uuid4().hex
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[int, Future[None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def start(self) -> None:
        with self.sessions() as db:
            # One server per database: whatever another start left behind was interrupted. With
            # several server processes, only jobs whose heartbeat stopped.
            exclusive = self.settings.exclusive_jobs
            left = job_store.mark_stale_interrupted(
                db, runner=self.instance, stale_after=0 if exclusive else STALE_SECONDS
            )
        if left:
            log.warning("%d job(s) of an earlier server start marked interrupted", left)
        self._beat = threading.Thread(target=self._heartbeat, name="job-heartbeat", daemon=True)
        self._beat.start()
        if self.settings.prestart_job_worker:
            # start a worker now, so that the first job does not wait for its imports
            self._executor().submit(warm_up)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.settings.job_workers,
                    mp_context=multiprocessing.get_context("spawn"),
                )
            return self._pool

    def submit(self, job_id: int) -> None:
        future = self._executor().submit(
            execute, self.settings.database_url, job_id, self.settings.scheduler
        )
        with self._lock:
            self._futures[job_id] = future
        future.add_done_callback(partial(self._done, job_id))

    def _done(self, job_id: int, future: Future[None]) -> None:
        with self._lock:
            self._futures.pop(job_id, None)
        error = future.exception() if not future.cancelled() else None
        if error is not None:  # the worker process died (e.g. out of memory)
            log.error("job %d: worker failed: %r", job_id, error)
            with self.sessions() as db:
                db.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status.in_(job_store.ACTIVE))
                    .values(
                        status=JobStatus.interrupted.value,
                        finished_at=now(),
                        message="the worker process stopped",
                    )
                )
                db.commit()

    def _heartbeat(self) -> None:
        """Keep the heartbeat of this server's queued jobs fresh (running ones beat themselves)."""
        while not self._stop.wait(HEARTBEAT_SECONDS):
            with self._lock:
                waiting = list(self._futures)
            if not waiting:
                continue
            try:
                with self.sessions() as db:
                    db.execute(
                        update(Job)
                        .where(Job.id.in_(waiting), Job.status == JobStatus.queued.value)
                        .values(heartbeat_at=now())
                    )
                    db.commit()
            except Exception:  # the database is away for a moment: try at the next beat
                log.exception("job heartbeat")

    def wait(self, job_id: int, timeout: float = 60.0) -> None:
        """Wait until job ``job_id`` (submitted here) has finished (for tests and benchmarks)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.exception(timeout=timeout)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:  # the done-callback may still be writing
            with self._lock:
                if job_id not in self._futures:
                    return
            time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            # a running job is interrupted (it shows so at the next start); its worker must not
            # go on computing for a server that has stopped
            workers = list(getattr(pool, "_processes", {}).values())
            manager = getattr(pool, "_executor_manager_thread", None)
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
            # Then wait for the pool's own thread (its workers terminated, it ends at once): it
            # lets go of the pool's queues and their semaphores now. uvicorn ends the process on
            # SIGTERM by raising the signal again, before Python's exit handlers would release
            # them, and the resource tracker warned of "leaked semaphore objects" on each stop.
            if manager is not None:
                manager.join(timeout=STOP_SECONDS)


# --- the worker process ----------------------------------------------------------------------

_ENGINES: dict[str, Any] = {}


def _worker_sessions(url: str) -> sessionmaker[Session]:
    from socialinvest.store.db import make_engine, session_factory

    if url not in _ENGINES:
        _ENGINES[url] = session_factory(
            make_engine(url, pool_size=2, max_overflow=2)
            if not url.startswith("sqlite")
            else make_engine(url)
        )
    return _ENGINES[url]  # type: ignore[no-any-return]


def warm_up() -> None:
    """Import what a job needs (in a new worker process)."""
    import socialinvest.service
    import socialinvest.store.db  # noqa: F401


def execute(database_url: str, job_id: int, scheduler: str | None = None) -> None:
    """Do job ``job_id`` (in a worker process): progress, cancellation, result in the cache."""
    from socialinvest.service import Cancelled

    sessions = _worker_sessions(database_url)
    with sessions() as db:
        job = db.get(Job, job_id)
        if job is None or job.status != JobStatus.queued.value:
            return
        if job.cancel_requested:
            job.status = JobStatus.cancelled.value
            job.finished_at = now()
            db.commit()
            return
        job.status = JobStatus.running.value
        job.started_at = job.heartbeat_at = now()
        db.commit()
        kind, params, key = job.kind, dict(job.params), job.cache_key
        texts = []
        for case_id, number, label in params.pop("versions"):
            case = db.get(Case, case_id)
            assert case is not None
            version = case_store.get_version(db, case, number)
            texts.append((version.text, case_file_name(case, version), label))

    last = [0.0]
    stop = [False]

    def progress(done: int, total: int) -> None:
        moment = time.monotonic()
        if moment - last[0] < _WRITE_EVERY and done < total:
            return
        last[0] = moment
        with sessions() as db:
            db.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(progress=min(1.0, done / total) if total else 0.0, heartbeat_at=now())
            )
            stop[0] = bool(db.scalar(select(Job.cancel_requested).where(Job.id == job_id)))
            db.commit()

    def cancelled() -> bool:
        if not stop[0] and time.monotonic() - last[0] >= _WRITE_EVERY:
            with sessions() as db:
                stop[0] = bool(db.scalar(select(Job.cancel_requested).where(Job.id == job_id)))
        return stop[0]

    status, message = JobStatus.done.value, ""
    mapper = None
    beating = threading.Event()

    def beat() -> None:  # a chunk may take longer than the stale limit: beat regardless
        while not beating.wait(HEARTBEAT_SECONDS):
            try:
                with sessions() as db:
                    db.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=now()))
                    db.commit()
            except Exception:  # the database is away for a moment: beat again later
                log.exception("job %d heartbeat", job_id)

    threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True).start()
    try:
        if scheduler and int(params.get("draws") or 1) > 1 and kind in ("run",):
            from socialinvest.service import dask_chunks

            mapper = dask_chunks(scheduler=scheduler)
        content, media_type = compute(
            kind, texts, params, progress=progress, cancel=cancelled, map_chunks=mapper
        )
        with sessions() as db:
            job_store.store_result(db, key, kind, media_type, content)
    except Cancelled:
        status = JobStatus.cancelled.value
    except InputError as error:
        status, message = JobStatus.failed.value, error.message
    except Exception as error:  # a defect: say so without a traceback in the page
        log.exception("job %d failed", job_id)
        status, message = (
            JobStatus.failed.value,
            f"the run stopped unexpectedly ({type(error).__name__})",
        )
    finally:
        beating.set()
        if mapper is not None:
            mapper.close()
    with sessions() as db:
        db.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=status,
                message=message,
                finished_at=now(),
                heartbeat_at=now(),
                progress=1.0 if status == JobStatus.done.value else Job.progress,
            )
        )
        db.commit()


def finished_job(
    db: Session, user: User, kind: str, case: Case, version: CaseVersion, answer: Answer
) -> Job:
    """A job row for work answered at once (so a report has a result URL like any job)."""
    assert answer.content is not None
    job = Job(
        user_id=user.id,
        organisation_id=user.organisation_id,
        case_id=case.id,
        version_number=version.number,
        kind=kind,
        params=dict(answer.params or {}),
        cache_key=answer.key,
        status=JobStatus.done.value,
        progress=1.0,
        finished_at=now(),
        heartbeat_at=now(),
    )
    job_store.store_result(db, answer.key, kind, answer.media_type, answer.content)
    db.add(job)
    db.commit()
    return job
