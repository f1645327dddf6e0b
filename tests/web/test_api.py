"""The JSON API on both databases: who may see and do what, versions and conflicts, runs equal
to the command line's, one-sentence 422 errors, tokens."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from socialinvest.store import cases as case_store
from socialinvest.store.models import ApiToken

from ..conftest import EXAMPLES
from .conftest import People, bearer

EXAMPLE = (EXAMPLES / "impact60-job-education.yaml").read_text(encoding="utf-8")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _cli(args: list[str], cwd: Path) -> Ran:
    """``socialinvest ARGS`` run in ``cwd`` (in this process, through the same typer app)."""
    from typer.testing import CliRunner

    from socialinvest.cli import app

    before = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(before)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def test_other_organisations_case_is_404_and_roles_limit_changes(
    client: Any, db: Session, people: People
) -> None:
    case = case_store.create_case(db, people.analyst, "Aalborg", EXAMPLE)
    outsider, viewer = bearer(db, people.outsider), bearer(db, people.viewer)
    analyst_read = bearer(db, people.analyst, "read")
    analyst, reviewer, admin = (
        bearer(db, people.analyst),
        bearer(db, people.reviewer),
        bearer(db, people.admin),
    )
    url = f"/api/v1/cases/{case.id}"
    save = {"text": EXAMPLE + "# edit\n", "base": 1}

    # another organisation: 404 for everything, and the list leaves it out
    for method, path, body in [
        ("GET", url, None),
        ("GET", f"{url}/versions", None),
        ("GET", f"{url}/versions/1", None),
        ("GET", f"{url}/versions/1/file", None),
        ("POST", f"{url}/versions", save),
        ("POST", f"{url}/runs", {}),
        ("GET", f"{url}/diff?from=1&to=1", None),
    ]:
        answer = client.request(method, path, json=body, headers=outsider)
        assert answer.status_code == 404, (method, path, answer.text)
        assert "Aalborg" not in answer.text
    assert client.get("/api/v1/cases", headers=outsider).json() == []
    assert client.get("/api/v1/cases/999999", headers=analyst).status_code == 404

    # own organisation: a viewer reads but cannot save; a read-scoped token cannot save
    assert client.get(url, headers=viewer).json()["name"] == "Aalborg"
    assert client.post(f"{url}/versions", json=save, headers=viewer).status_code == 403
    assert client.post(f"{url}/versions", json=save, headers=analyst_read).status_code == 403
    assert client.post(f"{url}/versions/1/approve", headers=analyst).status_code == 403
    saved = client.post(f"{url}/versions", json=save, headers=analyst)
    assert saved.status_code == 201 and saved.json()["number"] == 2
    # four eyes: the author (even as admin) cannot approve; a reviewer can
    assert client.post(f"{url}/versions/2/approve", headers=reviewer).json()["approved"]
    assert client.get(url, headers=viewer).json()["status"] == "approved"
    # anyone without a login: 401
    assert client.get(url).status_code == 401

    # shared read-only with the investor: readable, runnable, not writable
    assert (
        client.post(
            f"{url}/shares", json={"organisation": "Investor A/S"}, headers=analyst
        ).status_code
        == 403
    )
    shared = client.post(f"{url}/shares", json={"organisation": "Investor A/S"}, headers=admin)
    assert shared.json()["shared_with"] == ["Investor A/S"]
    assert client.get(url, headers=outsider).json()["editable"] is False
    assert (
        client.post(f"{url}/versions", json={**save, "base": 2}, headers=outsider).status_code
        == 403
    )
    assert client.post(f"{url}/runs", json={}, headers=outsider).status_code == 200
    assert client.get(f"{url}/audit", headers=outsider).status_code == 403
    actions = [e["action"] for e in client.get(f"{url}/audit", headers=admin).json()]
    assert actions == ["case.share", "case.approve", "case.save", "case.create"]
    trail = client.get("/api/v1/audit", headers=admin).json()
    assert [e["action"] for e in trail][:3] == ["case.share", "case.approve", "case.save"]
    assert {e["user"] for e in trail} >= {"admin", "rita", "anna"}
    assert client.get("/api/v1/audit", headers=analyst).status_code == 403
    assert "otto" not in {e["user"] for e in trail}  # the investor's own events are theirs
    names = [o["name"] for o in client.get("/api/v1/organisations", headers=viewer).json()]
    assert names == ["Aalborg Kommune", "Investor A/S"]


def test_conflict_answers_409_and_keeps_both_versions(
    client: Any, db: Session, people: People
) -> None:
    case = case_store.create_case(db, people.analyst, "Aalborg", EXAMPLE)
    url = f"/api/v1/cases/{case.id}/versions"
    first = client.post(
        url, json={"text": EXAMPLE + "# anna\n", "base": 1}, headers=bearer(db, people.analyst)
    )
    second = client.post(
        url, json={"text": EXAMPLE + "# bo\n", "base": 1}, headers=bearer(db, people.analyst2)
    )
    assert first.status_code == 201 and second.status_code == 409
    assert second.json() == {
        "detail": (
            "anna saved the case as version 2 while you edited version 1. Your text is kept as "
            "version 3, but it is not the current version: compare the two and restore the one "
            "that should apply."
        ),
        "mine": 3,
        "theirs": 2,
    }
    versions = client.get(url, headers=bearer(db, people.viewer)).json()
    assert [(v["number"], v["current"], v["conflict"]) for v in versions] == [
        (3, False, True),
        (2, True, False),
        (1, False, False),
    ]
    kept = client.get(f"{url}/3", headers=bearer(db, people.viewer)).json()
    assert kept["text"].endswith("# bo\n")


def test_invalid_case_gives_the_command_lines_sentence(
    client: Any, db: Session, people: People, tmp_path: Path
) -> None:
    bad = EXAMPLE.replace("rate_with: 0.50", "rate_with: 1.5")
    assert bad != EXAMPLE
    answer = client.post(
        "/api/v1/cases",
        json={"text": bad, "file_name": "bad.yaml"},
        headers=bearer(db, people.analyst),
    )
    assert answer.status_code == 422
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    cli = _cli(["validate", "bad.yaml", "--lang", "en"], tmp_path)
    assert cli.returncode == 2
    assert cli.stderr.strip() == f"error: {answer.json()['detail']}"
    # in Danish when the request asks for it, as the command line's default
    danish = client.post(
        "/api/v1/cases",
        json={"text": bad, "file_name": "bad.yaml"},
        headers={**bearer(db, people.analyst), "Accept-Language": "da-DK,da;q=0.9"},
    )
    assert danish.status_code == 422
    cli = _cli(["validate", "bad.yaml"], tmp_path)
    assert cli.stderr.strip() == f"fejl: {danish.json()['detail']}"
    assert answer.json()["field"] == "success.rate_with"
    assert isinstance(answer.json()["line"], int)
    # nothing was stored
    assert client.get("/api/v1/cases", headers=bearer(db, people.analyst)).json() == []
    # a request that is not even the right shape: one sentence naming the field
    shape = client.post(
        "/api/v1/cases/1/runs", json={"draws": 0}, headers=bearer(db, people.analyst)
    )
    assert shape.status_code == 422
    assert shape.json()["field"] == "draws"
    assert shape.json()["detail"] == ("Field 'draws' has 0; expected greater than or equal to 1.")


def test_run_equals_the_command_line_for_the_downloaded_file(
    client: Any, db: Session, people: People, tmp_path: Path
) -> None:
    headers = bearer(db, people.analyst)
    created = client.post(
        "/api/v1/cases", json={"text": EXAMPLE, "tags": ["job"]}, headers=headers
    ).json()
    url = f"/api/v1/cases/{created['id']}"
    run = client.post(f"{url}/runs", json={}, headers=headers)
    assert run.status_code == 200 and run.json()["status"] == "done"
    download = client.get(f"{url}/versions/1/file", headers=headers)
    name = download.headers["content-disposition"].split('filename="')[1].rstrip('"')
    (tmp_path / name).write_bytes(download.content)
    cli = _cli(["run", name, "--format", "json"], tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert run.json()["result"] == json.loads(cli.stdout)
    # the same request again is answered from the cache, identically
    again = client.post(f"{url}/runs", json={"version": 1}, headers=headers)
    assert again.json() == run.json()


def test_tokens_are_hashed_scoped_and_revocable(client: Any, db: Session, people: People) -> None:
    writer = bearer(db, people.analyst)
    made = client.post("/api/v1/tokens", json={"name": "script", "scope": "read"}, headers=writer)
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("si_") and len(token) > 40
    stored = db.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)
    dump = " ".join(str(row) for row in db.execute(text("SELECT * FROM api_tokens")).all())
    assert token not in dump
    mine = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=mine).json()["username"] == "anna"
    assert client.post("/api/v1/tokens", json={"name": "x"}, headers=mine).status_code == 403
    listed = client.get("/api/v1/tokens", headers=mine).json()
    assert [t["name"] for t in listed] == ["test write", "script"]
    assert "token" not in listed[1]
    assert client.delete(f"/api/v1/tokens/{made.json()['id']}", headers=writer).status_code == 204
    assert client.get("/api/v1/me", headers=mine).status_code == 401
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer si_forged"}).status_code == 401
    )
    other = bearer(db, people.outsider)
    assert client.delete(f"/api/v1/tokens/{made.json()['id']}", headers=other).status_code == 404


def test_knowledge_base_search_and_entry(client: Any, db: Session, people: People) -> None:
    headers = bearer(db, people.viewer, "read")
    found = client.get("/api/v1/knowledge?q=kontanthjælp", headers=headers).json()
    assert found and "kontanthjælp" in found[0]["label"]["da"].lower()
    assert "benefits/cash-benefit/30-plus-with-children" in [e["id"] for e in found]
    first = found[0]["id"]
    entry = client.get(f"/api/v1/knowledge/{first}", headers=headers).json()
    assert entry["id"] == first and entry["values"]
    unknown = client.get("/api/v1/knowledge/no/such/entry", headers=headers)
    assert unknown.status_code == 422 and unknown.json()["field"] == "ID"


def test_analyses_equal_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    """Sensitivity, comparison and contract through the API give the command line's JSON for
    the downloaded files; a report is a job whose result is the file. (SQLite only: the
    analyses do not depend on the database.)"""
    from fastapi.testclient import TestClient

    from socialinvest.store.db import make_engine, session_factory

    from .conftest import make_app, make_people

    db = session_factory(make_engine(sqlite_url))()
    people = make_people(db)
    uncertain = (EXAMPLES / "impact60-uncertain.yaml").read_text(encoding="utf-8")
    aalborg = (EXAMPLES / "contracts" / "aalborg-impact60.yaml").read_text(encoding="utf-8")
    a = case_store.create_case(db, people.analyst, "Job", EXAMPLE)
    b = case_store.create_case(db, people.analyst, "Uncertain", uncertain)
    c = case_store.create_case(db, people.analyst, "Contract", aalborg)
    headers = bearer(db, people.analyst)
    with TestClient(make_app(sqlite_url, prestart_job_worker=True)) as client:

        def download(case_id: int) -> str:
            answer = client.get(f"/api/v1/cases/{case_id}/versions/1/file", headers=headers)
            name = answer.headers["content-disposition"].split('filename="')[1].rstrip('"')
            (tmp_path / name).write_bytes(answer.content)
            return name

        def cli_json(*args: str) -> Any:
            done = _cli([*args, "--format", "json"], tmp_path)
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        files = {case.id: download(case.id) for case in (a, b, c)}
        tornado = client.post(f"/api/v1/cases/{b.id}/sensitivity", json={}, headers=headers)
        assert tornado.status_code == 200
        assert tornado.json()["result"] == cli_json("sensitivity", files[b.id])
        compared = client.post(
            "/api/v1/compare",
            json={"alternatives": [{"case_id": a.id}, {"case_id": b.id}]},
            headers=headers,
        )
        assert compared.json()["result"] == cli_json("compare", files[a.id], files[b.id])
        assert (
            client.post(
                "/api/v1/compare", json={"alternatives": [{"case_id": a.id}]}, headers=headers
            ).status_code
            == 422
        )
        contract = client.post(
            f"/api/v1/cases/{c.id}/contract", json={"draws": 200, "seed": 7}, headers=headers
        )
        assert contract.status_code == 202  # a contract is always a job
        deadline = time.monotonic() + 90
        job = contract.json()["job"]
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).json()
        assert job["status"] == "done", job
        assert client.get(job["result_url"], headers=headers).json() == cli_json(
            "contract", files[c.id], "--draws", "200", "--seed", "7"
        )
        no_contract = client.post(f"/api/v1/cases/{a.id}/contract", json={}, headers=headers)
        job = no_contract.json()["job"]
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).json()
        assert job["status"] == "failed"
        assert job["message"] == (
            f"{files[a.id]}: field 'contract': expected a case with a 'contract' section "
            "(docs/contract-format.md)."
        )
        report = client.post(
            f"/api/v1/cases/{a.id}/reports", json={"format": "html"}, headers=headers
        ).json()
        while report["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            report = client.get(f"/api/v1/jobs/{report['id']}", headers=headers).json()
        html = client.get(report["result_url"], headers=headers)
        assert html.headers["content-type"].startswith("text/html")
        assert "<svg" in html.text and "Aalborg" in html.text
    db.close()


def test_two_saves_at_the_same_moment_through_the_api(
    client: Any, db: Session, people: People
) -> None:
    """Two people press save on the same version at once: one 201, one 409, three versions."""
    import threading

    case = case_store.create_case(db, people.analyst, "Aalborg", EXAMPLE)
    url = f"/api/v1/cases/{case.id}/versions"
    who = {"anna": bearer(db, people.analyst), "bo": bearer(db, people.analyst2)}
    barrier = threading.Barrier(2)
    codes: dict[str, int] = {}

    def save(name: str) -> None:
        barrier.wait()
        answer = client.post(
            url, json={"text": EXAMPLE + f"# {name}\n", "base": 1}, headers=who[name]
        )
        codes[name] = answer.status_code

    threads = [threading.Thread(target=save, args=(name,)) for name in who]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(codes.values()) == [201, 409]
    versions = client.get(url, headers=who["anna"]).json()
    assert len(versions) == 3 and sum(v["conflict"] for v in versions) == 1
    texts = {
        client.get(f"{url}/{v['number']}", headers=who["anna"]).json()["text"] for v in versions
    }
    assert texts == {EXAMPLE, EXAMPLE + "# anna\n", EXAMPLE + "# bo\n"}


def test_an_id_beyond_the_id_columns_is_one_sentence_not_a_crash(
    client: Any, db: Session, people: People
) -> None:
    """Found by schemathesis: DELETE /tokens/9223600735273353216 crashed (SQLite cannot compare
    an integer above 2**63 − 1; PostgreSQL's INTEGER ids stop at 2**31 − 1); every id in a path
    is now bounded by the columns' range."""
    headers = bearer(db, people.analyst, "write")
    largest = 2**31 - 1  # the largest INTEGER id: a valid number that names no case
    for huge in (2**31, 2**63):
        for method, path in (
            ("delete", f"/api/v1/tokens/{huge}"),
            ("get", f"/api/v1/cases/{huge}"),
        ):
            answer = getattr(client, method)(path, headers=headers)
            assert answer.status_code == 422, (path, answer.text)
    assert client.get(f"/api/v1/cases/{largest}", headers=headers).status_code == 404
    answer = client.delete(f"/api/v1/tokens/{2**63}", headers=headers)
    assert answer.json()["field"] == "token_id"
