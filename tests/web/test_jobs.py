"""Long work as jobs in worker processes: progress, result equal to the command line's,
reuse of identical work, cancellation, and jobs interrupted by a restart."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from socialinvest.store import cases as case_store
from socialinvest.store.db import make_engine, session_factory
from socialinvest.store.models import Job, now

from ..conftest import EXAMPLES
from .conftest import People, bearer, make_app, make_people
from .test_api import _cli

UNCERTAIN = (EXAMPLES / "impact60-uncertain.yaml").read_text(encoding="utf-8")


@pytest.fixture
def job_client(db_url: str) -> Iterator[TestClient]:
    """The app with a low threshold, so a few thousand draws make a job."""
    with TestClient(make_app(db_url, job_draws_threshold=1000, prestart_job_worker=True)) as client:
        yield client


def _wait(client: TestClient, job_id: int, headers: dict[str, str], *states: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        found: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if found["status"] in states:
            return found
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}: {found}")


def test_job_result_equals_the_command_line_and_is_reused(
    job_client: TestClient, db: Session, people: People, tmp_path: Path
) -> None:
    case = case_store.create_case(db, people.analyst, "Uncertain", UNCERTAIN)
    headers = bearer(db, people.analyst)
    url = f"/api/v1/cases/{case.id}/runs"
    started = job_client.post(url, json={"draws": 4000, "seed": 7}, headers=headers)
    assert started.status_code == 202 and started.json()["status"] == "job"
    job_id = started.json()["job"]["id"]
    # the identical request while it runs is the same job
    again = job_client.post(url, json={"draws": 4000, "seed": 7}, headers=headers)
    assert again.status_code == 202 and again.json()["job"]["id"] == job_id
    done = _wait(job_client, job_id, headers, "done", "failed")
    assert done["status"] == "done" and done["progress"] == 1.0, done
    result = job_client.get(done["result_url"], headers=headers).json()
    download = job_client.get(f"/api/v1/cases/{case.id}/versions/1/file", headers=headers)
    name = download.headers["content-disposition"].split('filename="')[1].rstrip('"')
    (tmp_path / name).write_bytes(download.content)
    cli = _cli(["run", name, "--draws", "4000", "--seed", "7", "--format", "json"], tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert result == json.loads(cli.stdout)
    # afterwards the same request is answered at once from the cache
    cached = job_client.post(url, json={"draws": 4000, "seed": 7}, headers=headers)
    assert cached.status_code == 200 and cached.json()["result"] == result
    # another organisation cannot see the job
    other = bearer(db, people.outsider)
    assert job_client.get(f"/api/v1/jobs/{job_id}", headers=other).status_code == 404
    assert job_client.get(done["result_url"], headers=other).status_code == 404


def test_cancel_a_running_job(sqlite_url: str) -> None:
    """(Process behaviour, the same on both databases: SQLite only, to keep the tests quick.)"""
    db = session_factory(make_engine(sqlite_url))()
    people = make_people(db)
    job_client = TestClient(
        make_app(sqlite_url, job_draws_threshold=1000, prestart_job_worker=True)
    )
    job_client.__enter__()
    case = case_store.create_case(db, people.analyst, "Uncertain", UNCERTAIN)
    headers = bearer(db, people.analyst)
    started = job_client.post(
        f"/api/v1/cases/{case.id}/runs", json={"draws": 1_000_000, "seed": 1}, headers=headers
    ).json()
    job_id = started["job"]["id"]
    running = _wait(job_client, job_id, headers, "running")
    assert 0 <= running["progress"] < 1
    job_client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers)
    stopped = _wait(job_client, job_id, headers, "cancelled", "done")
    assert stopped["status"] == "cancelled" and stopped["result_url"] is None
    assert job_client.get(f"/api/v1/jobs/{job_id}/result", headers=headers).status_code == 409
    job_client.__exit__(None, None, None)
    db.close()


def test_job_of_a_stopped_server_shows_interrupted_and_can_be_retried(sqlite_url: str) -> None:
    db_url = sqlite_url
    db = session_factory(make_engine(sqlite_url))()
    people = make_people(db)
    case = case_store.create_case(db, people.analyst, "Uncertain", UNCERTAIN)
    # a job a previous server was running when it stopped
    job = Job(
        user_id=people.analyst.id,
        organisation_id=people.kommune.id,
        case_id=case.id,
        version_number=1,
        kind="run",
        params={"draws": 3000, "seed": 3, "versions": [[case.id, 1, None]]},
        cache_key="x" * 64,
        status="running",
        progress=0.4,
        heartbeat_at=now(),
        started_at=now(),
        runner="a-server-that-stopped",
    )
    db.add(job)
    db.commit()
    headers = bearer(db, people.analyst)
    with TestClient(make_app(db_url, job_draws_threshold=1000, prestart_job_worker=True)) as client:
        seen = client.get(f"/api/v1/jobs/{job.id}", headers=headers).json()
        assert seen["status"] == "interrupted"
        retried = client.post(f"/api/v1/jobs/{job.id}/retry", headers=headers)
        assert retried.status_code == 202
        done = _wait(client, retried.json()["id"], headers, "done", "failed")
        assert done["status"] == "done"
        result = client.get(done["result_url"], headers=headers).json()
        assert result["draws"] == 3000
        assert client.post(f"/api/v1/jobs/{done['id']}/retry", headers=headers).status_code == 409


def test_with_several_server_processes_only_silent_jobs_are_interrupted(sqlite_url: str) -> None:
    """serve --workers N: another process's job whose heartbeat is fresh keeps running; one
    whose heartbeat stopped longer ago than the limit is interrupted."""
    from datetime import timedelta

    from socialinvest.store import jobs as job_store
    from socialinvest.web.jobs import STALE_SECONDS

    db = session_factory(make_engine(sqlite_url))()
    people = make_people(db)
    case = case_store.create_case(db, people.analyst, "Uncertain", UNCERTAIN)
    made = {}
    for name, age in (("alive", 1.0), ("silent", STALE_SECONDS + 5)):
        made[name] = Job(
            user_id=people.analyst.id,
            organisation_id=people.kommune.id,
            case_id=case.id,
            version_number=1,
            kind="run",
            params={},
            cache_key=name * 10,
            status="running",
            heartbeat_at=now() - timedelta(seconds=age),
            runner="another process",
        )
        db.add(made[name])
    db.commit()
    assert (
        job_store.mark_stale_interrupted(db, runner="this process", stale_after=STALE_SECONDS) == 1
    )
    db.expire_all()
    assert (made["alive"].status, made["silent"].status) == ("running", "interrupted")
    db.close()


def test_with_a_scheduler_jobs_run_their_chunks_on_dask(sqlite_url: str, tmp_path: Path) -> None:
    """serve --scheduler tcp://…: the job's chunks run on the cluster, with the same result as
    the command line on this machine."""
    from distributed import LocalCluster

    draws = 5_000
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        db = session_factory(make_engine(sqlite_url))()
        people = make_people(db)
        case = case_store.create_case(db, people.analyst, "Uncertain", UNCERTAIN)
        headers = bearer(db, people.analyst)
        before = cluster.scheduler.transition_counter
        app = make_app(sqlite_url, job_draws_threshold=1000, scheduler=cluster.scheduler_address)
        with TestClient(app) as client:
            started = client.post(
                f"/api/v1/cases/{case.id}/runs", json={"draws": draws, "seed": 11}, headers=headers
            ).json()
            done = _wait(client, started["job"]["id"], headers, "done", "failed")
            assert done["status"] == "done", done
            result = client.get(done["result_url"], headers=headers).json()
            download = client.get(f"/api/v1/cases/{case.id}/versions/1/file", headers=headers)
        assert cluster.scheduler.transition_counter > before  # tasks went through the scheduler
        db.close()
    name = download.headers["content-disposition"].split('filename="')[1].rstrip('"')
    (tmp_path / name).write_bytes(download.content)
    cli = _cli(["run", name, "--draws", str(draws), "--seed", "11", "--format", "json"], tmp_path)
    assert result == json.loads(cli.stdout)


def test_a_server_stopped_with_sigterm_leaves_no_leaked_semaphores(tmp_path):
    """systemd and docker stop a server with SIGTERM; uvicorn then raises the signal again after
    its shutdown, before Python's exit handlers run: the job pool's queues must be let go of by
    then, or the resource tracker writes a warning about leaked semaphores on every stop."""
    from .ui_helpers import running_server

    with running_server(tmp_path) as server:
        assert server.url.startswith("http://127.0.0.1:")
    log = (tmp_path / "server.log").read_text()
    assert "Application startup complete" in log and "Finished server process" in log
    assert "leaked semaphore" not in log
    assert "Traceback" not in log
