"""The HTML pages through the application (no browser): who may see and do what, conflicts,
errors beside their fields, the language switch. SQLite only (the store's behaviour on both
databases is tested in test_store.py and test_api.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from socialinvest.store import cases as case_store
from socialinvest.store.db import make_engine, session_factory
from tests.web.conftest import PASSWORD, People, make_app, make_people

ROOT = Path(__file__).resolve().parents[2]
NAME = "Aalborgs interne sag"
EXAMPLE = (ROOT / "examples" / "impact60-job-education.yaml").read_text(encoding="utf-8")


@pytest.fixture
def site(sqlite_url: str) -> Iterator[tuple[Any, People, int]]:
    engine = make_engine(sqlite_url)
    db = session_factory(engine)()
    people = make_people(db)
    case = case_store.create_case(db, people.analyst, NAME, EXAMPLE, "first")
    case_id = case.id
    db.close()
    engine.dispose()
    yield make_app(sqlite_url), people, case_id


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def client_for(app: Any, username: str) -> TestClient:
    client = TestClient(app)
    token = csrf(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def test_the_library_and_the_case_page(site: tuple[Any, People, int]) -> None:
    app, _, case_id = site
    with client_for(app, "anna") as client:
        library = client.get("/cases")
        assert library.status_code == 200 and NAME in library.text
        page = client.get(f"/cases/{case_id}")
        assert page.status_code == 200
        # the page's NPV is the command line's on the same file (a peer, run here), shown in
        # Danish to the øre: thousands with ".", decimals with "," (formatted here by hand)
        import json

        from typer.testing import CliRunner

        from socialinvest.cli import app as cli_app

        case_file = ROOT / "examples" / "impact60-job-education.yaml"
        cli = CliRunner().invoke(cli_app, ["run", str(case_file), "--format", "json"])
        assert cli.exit_code == 0, cli.output
        npv = json.loads(cli.stdout)["npv"]["total"]
        danish = f"{npv:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        shown = re.search(r'data-value="([^"]+)">' + re.escape(danish) + r" kr\.", page.text)
        assert shown is not None, danish
        assert float(shown.group(1)) == pytest.approx(npv, abs=1e-5)
        english = client.get("/lang/en?next=/cases/1", follow_redirects=False)
        assert english.status_code == 303 and english.headers["location"] == "/cases/1"
        assert "Case library" in client.get("/cases").text
        assert (
            client.get("/lang/en?next=//evil.example", follow_redirects=False).headers["location"]
            == "/cases"
        )


def test_a_step_with_an_error_answers_422_with_the_error_beside_the_field(
    site: tuple[Any, People, int],
) -> None:
    app, _, case_id = site
    with client_for(app, "anna") as client:
        page = client.get(f"/cases/{case_id}/edit?step=success")
        draft = re.search(r'name="draft" value="([^"]*)"', page.text)
        assert draft
        import html

        answer = client.post(
            "/steps",
            data={
                "csrf_token": csrf(page.text),
                "step": "success",
                "draft": html.unescape(draft.group(1)),
                "case_id": str(case_id),
                "base": "1",
                "action": "next",
                "success.measure": "Job",
                "success.__mode": "rates",
                "success.rate_with.__kind": "value",
                "success.rate_with": "1,5",
                "success.rate_without.__kind": "value",
                "success.rate_without": "0,2",
            },
        )
        assert answer.status_code == 422
        assert (
            '<p class="field-error" id="f-success-rate-with-err">Du skrev 1,5; feltet skal være '
            "en andel mellem 0 og 1 (fx 0,4 for 40 %).</p>"
        ) in answer.text
        assert 'name="success.rate_without" value="0,2"' in answer.text


def test_a_viewer_cannot_edit(site: tuple[Any, People, int]) -> None:
    app, _, case_id = site
    with client_for(app, "vera") as client:
        page = client.get(f"/cases/{case_id}")
        assert page.status_code == 200 and f"/cases/{case_id}/edit" not in page.text
        assert client.get(f"/cases/{case_id}/edit").status_code == 403
        assert client.get("/cases/new").status_code == 403
        token = csrf(page.text)
        for path, data in [
            ("/steps", {"step": "result", "draft": EXAMPLE, "action": "save"}),
            ("/yaml", {"text": EXAMPLE, "action": "save"}),
            (f"/cases/{case_id}/restore", {"number": "1"}),
            (f"/cases/{case_id}/tags", {"tags": "x"}),
        ]:
            answer = client.post(path, data={**data, "csrf_token": token})
            assert answer.status_code == 403, path


def test_another_organisation_gets_404(site: tuple[Any, People, int]) -> None:
    app, _, case_id = site
    with client_for(app, "otto") as client:
        token = csrf(client.get("/cases").text)
        for path in (
            f"/cases/{case_id}",
            f"/cases/{case_id}/history",
            f"/cases/{case_id}/diff?a=1&b=1",
            f"/cases/{case_id}/download/yaml",
            f"/cases/{case_id}/uncertainty?draws=100&seed=1",
            f"/compare?v={case_id}:1&v={case_id}:1",
            f"/compare?v={case_id}:1&v=999:1",
        ):
            answer = client.get(path)
            assert answer.status_code in (404, 422), path
            assert NAME not in answer.text
        assert client.get(f"/cases/{case_id}/edit").status_code == 404
        answer = client.post(f"/cases/{case_id}/approve", data={"number": "1", "csrf_token": token})
        assert answer.status_code in (403, 404)
        assert NAME not in client.get("/cases").text


def test_two_saves_from_one_version_give_one_conflict(site: tuple[Any, People, int]) -> None:
    app, _, case_id = site
    with client_for(app, "anna") as anna, client_for(app, "bo") as bo:
        pages = {name: c.get(f"/cases/{case_id}/yaml") for name, c in (("anna", anna), ("bo", bo))}
        first = anna.post(
            "/yaml",
            data={
                "csrf_token": csrf(pages["anna"].text),
                "case_id": str(case_id),
                "base": "1",
                "text": EXAMPLE.replace("rate_with: 0.50", "rate_with: 0.46"),
                "action": "save",
            },
            follow_redirects=False,
        )
        assert first.status_code == 303
        second = bo.post(
            "/yaml",
            data={
                "csrf_token": csrf(pages["bo"].text),
                "case_id": str(case_id),
                "base": "1",
                "text": EXAMPLE.replace("rate_with: 0.50", "rate_with: 0.55"),
                "action": "save",
            },
        )
        assert second.status_code == 409
        assert "anna gemte sagen som version 2, mens du redigerede version 1" in second.text
        history = anna.get(f"/cases/{case_id}/history").text
        assert "v3" in history and "gemt ved konflikt" in history  # bo's text is kept


def test_the_author_cannot_approve_but_another_reviewer_can(
    site: tuple[Any, People, int],
) -> None:
    app, _, case_id = site
    with client_for(app, "rita") as rita:
        token = csrf(rita.get(f"/cases/{case_id}/history").text)
        answer = rita.post(
            f"/cases/{case_id}/approve",
            data={"number": "1", "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert "godkendt af rita" in rita.get(f"/cases/{case_id}/history").text
        again = rita.post(f"/cases/{case_id}/approve", data={"number": "1", "csrf_token": token})
        assert again.status_code == 409 and "Versionen er allerede godkendt." in again.text


def test_a_yaml_error_is_shown_with_its_line(site: tuple[Any, People, int]) -> None:
    app, _, case_id = site
    with client_for(app, "anna") as client:
        page = client.get(f"/cases/{case_id}/yaml")
        answer = client.post(
            "/yaml",
            data={
                "csrf_token": csrf(page.text),
                "case_id": str(case_id),
                "base": "1",
                "text": EXAMPLE.replace("rate_with: 0.50", "rate_with: 1.5"),
                "action": "check",
            },
        )
        assert answer.status_code == 422
        line = (
            EXAMPLE.splitlines().index(
                next(x for x in EXAMPLE.splitlines() if x.strip().startswith("rate_with:"))
            )
            + 1
        )
        assert f"Linje {line}." in answer.text
        assert "Du skrev 1,5; feltet skal være en andel mellem 0 og 1" in answer.text


def test_only_plain_drawings_are_inlined() -> None:
    from socialinvest.web.charts import comparison_spec, safe_svg

    drawing = '<svg xmlns="http://www.w3.org/2000/svg"><g><text>A &lt;b&gt;</text></g></svg>'
    assert str(safe_svg(drawing)) == drawing
    for hostile in (
        "<svg><script>alert(1)</script></svg>",
        '<svg><g onload="alert(1)"></g></svg>',
        '<svg><a href="javascript:alert(1)"><text>x</text></a></svg>',
        "<svg><foreignObject><div>x</div></foreignObject></svg>",
    ):
        assert "alert" not in str(safe_svg(hostile))
    spec = comparison_spec(
        [
            {
                "label": "A",
                "npv": {"total": 3e6, "by_actor": {"kommune": 1e6, "region": 0.5e6, "stat": 1.5e6}},
            }
        ],
        "da",
    )
    values = {(v["alternative"], v["who"]): v["value"] for v in spec["data"]["values"]}
    assert values == {
        ("A", "Kommune"): 1.0,
        ("A", "Region"): 0.5,
        ("A", "Stat"): 1.5,
        ("A", "I alt"): 3.0,
    }


def test_examples_of_each_kind_have_a_case_page(site: tuple[Any, People, int]) -> None:
    """Examples of each kind (a state-transition model, a contract, areas outside every
    committee) show their page, with the NPV the service gives for the file."""
    from socialinvest import service

    app, _, _ = site
    with client_for(app, "anna") as client:
        token = csrf(client.get("/cases").text)
        for name in (
            "housing-first-young-homeless.yaml",  # areas outside every committee
            "impact60-state-transition.yaml",  # a state-transition model
            "contracts/peterborough-threshold.yaml",  # an outcome contract
        ):
            path = ROOT / "examples" / name
            answer = client.post(
                "/cases/import",
                files={"file": (path.name, path.read_bytes(), "application/yaml")},
                data={"csrf_token": token},
                follow_redirects=True,
            )
            assert answer.status_code == 200, (path, answer.text[-500:])
            npv = service.appraise(service.load(path)).to_dict()["npv"]["total"]
            assert f'id="npv-total"><span class="num" data-value="{npv!r}"' in answer.text, path


def test_uncertainty_with_chosen_draws_and_seed(site: tuple[Any, People, int]) -> None:
    from socialinvest import service
    from socialinvest.output.numbers import money, percent

    app, _, _ = site
    path = ROOT / "examples" / "impact60-uncertain.yaml"
    with client_for(app, "anna") as client:
        token = csrf(client.get("/cases").text)
        page = client.post(
            "/cases/import",
            files={"file": (path.name, path.read_bytes(), "application/yaml")},
            data={"csrf_token": token},
        )
        case_id = int(str(page.url).rsplit("/", 1)[1])
        wrong = client.get(f"/cases/{case_id}/uncertainty?draws=abc&seed=-1")
        assert wrong.status_code == 422
        assert "skal være et helt antal trækninger fra 2 til 1.000.000" in wrong.text
        assert "skal være et helt tal på 0 eller derover" in wrong.text
        answer = client.get(f"/cases/{case_id}/uncertainty?draws=2000&seed=7")
        assert answer.status_code == 200
    expected = service.appraise(service.load(path), draws=2000, seed=7).to_dict()["uncertainty"]
    total = expected["total"]
    row = re.search(r'<tr><th scope="row">I alt</th>(.*?)</tr>', answer.text, re.S)
    assert row is not None
    assert percent(total["prob_positive"], "da") in row.group(1)
    assert money(total["p05"], "da", 0) in row.group(1)
    assert money(total["p95"], "da", 0) in row.group(1)


def test_sharing_lets_another_organisation_read_only(site: tuple[Any, People, int]) -> None:
    app, _, case_id = site
    with client_for(app, "admin") as anna, client_for(app, "otto") as otto:
        assert otto.get(f"/cases/{case_id}").status_code == 404
        token = csrf(anna.get(f"/cases/{case_id}/history").text)
        shared = anna.post(
            f"/cases/{case_id}/share",
            data={"organisation": "Investor A/S", "csrf_token": token},
            follow_redirects=False,
        )
        assert shared.status_code == 303
        page = otto.get(f"/cases/{case_id}")
        assert page.status_code == 200 and "delt af Aalborg Kommune (kun læse)" in page.text
        assert f"/cases/{case_id}/edit" not in page.text
        assert otto.get(f"/cases/{case_id}/edit").status_code == 403
        assert otto.get(f"/cases/{case_id}/download/yaml").text == EXAMPLE
        anna.post(
            f"/cases/{case_id}/share",
            data={"organisation": "Investor A/S", "action": "unshare", "csrf_token": token},
        )
        assert otto.get(f"/cases/{case_id}").status_code == 404
        archived = anna.post(f"/cases/{case_id}/archive", data={"csrf_token": token})
        assert archived.status_code == 200 and "Tag sagen frem fra arkivet" in archived.text
        assert NAME in anna.get("/cases?status=archived").text
        assert NAME not in anna.get("/cases?status=draft").text


def test_charts_are_images_of_the_version_for_its_readers_only(
    site: tuple[Any, People, int],
) -> None:
    app, _, case_id = site
    with client_for(app, "anna") as anna, client_for(app, "otto") as otto:
        page = anna.get(f"/cases/{case_id}").text
        sources = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page)
        assert (
            f"/cases/{case_id}/v1/charts/cumulative?lang=da",
            "Akkumuleret tilbagediskonteret nettoresultat",
        ) in sources
        for src, _ in sources:
            image = anna.get(src)
            assert image.status_code == 200, src
            assert image.headers["content-type"] == "image/svg+xml"
            assert image.text.startswith("<svg") and "<script" not in image.text
            assert otto.get(src).status_code == 404
        assert anna.get(f"/cases/{case_id}/v1/charts/nothing").status_code == 404


def test_a_long_run_becomes_a_job_followed_by_its_page(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    db = session_factory(engine)()
    people = make_people(db)
    text = (ROOT / "examples" / "impact60-uncertain.yaml").read_text(encoding="utf-8")
    case_id = case_store.create_case(db, people.analyst, NAME, text, "first").id
    db.close()
    engine.dispose()
    app = make_app(sqlite_url, job_draws_threshold=100, prestart_job_worker=True)
    with client_for(app, "anna") as anna, client_for(app, "otto") as otto:
        answer = anna.get(f"/cases/{case_id}/uncertainty?draws=3000&seed=5", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/jobs/")
        job_url = answer.headers["location"]
        job_id = int(job_url.rsplit("/", 1)[1])
        assert otto.get(job_url).status_code == 404
        app.state.jobs.wait(job_id)
        done = anna.get(job_url, follow_redirects=False)
        assert done.status_code == 303  # a finished run shows its results on the case page
        page = anna.get(done.headers["location"])
        assert page.status_code == 200 and 'id="mc-table"' in page.text
        assert "Resultat af 3.000 trækninger (frø 5)" in page.text
