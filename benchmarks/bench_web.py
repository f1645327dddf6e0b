"""Benchmark: the web application under load, against a real server on 127.0.0.1.

Starts `socialinvest serve` (uvicorn, one process, a fresh SQLite database in a temporary data
directory), makes users and loads the demo, logs in over HTTP, and measures three things:

1. The result page of the Aalborg example (IMPACT60, impact60-job-education.yaml), run included:
   every measured request shows a version the server has not run before (each saved with a
   different comment line, so its digest differs and nothing is cached), so the time includes
   loading and validating the case, the appraisal, the page and then each of its charts (images
   fetched one after the other, as a slow browser would). Also the same page
   once its result is known (the usual case: a page opened again). Target: p95 < 300 ms.
2. 50 concurrent readers (a bounded load script: every reader logs in first, then requests the
   library, a result page and two API lists in turn, ``--requests`` times, once without a pause
   and once spending ``--think`` seconds on each page as a person does): the latency of every
   request. Target: p95 < 500 ms and no errors. Two server processes (``--workers``).
3. A 100,000-draw Monte Carlo job (impact60-uncertain.yaml) running in the server's worker
   process while a simple page (the library) is requested every 50 ms. Target: every request
   < 200 ms (max and p95 reported).

Medians and p95 are printed with the machine. Targets from issue 11.

Run:  .venv/bin/python benchmarks/bench_web.py [--readers 50] [--requests 20] [--page-runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
AALBORG = ROOT / "examples" / "impact60-job-education.yaml"
UNCERTAIN = ROOT / "examples" / "impact60-uncertain.yaml"
PASSWORD = "benchmark password 1"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(name: str, values: list[float], target: float | None = None) -> str:
    ms = [v * 1000 for v in values]
    verdict = ""
    if target is not None:
        verdict = f"  target p95 < {target:.0f} ms: {'met' if p95(ms) < target else 'NOT met'}"
    return (
        f"{name}: n={len(ms)} median {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms, "
        f"max {max(ms):.0f} ms{verdict}"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data: Path, workers: int = 1) -> None:
        self.data = data
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SOCIALINVEST_DATA_DIR": str(data)}
        self.env.pop("SOCIALINVEST_DATABASE_URL", None)
        self.env.pop("SOCIALINVEST_SECRET_KEY", None)
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [sys.executable, "-m", "socialinvest.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"socialinvest {' '.join(args)}: {done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.log = open(self.data / "server.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "socialinvest.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def login(client: httpx.Client, username: str) -> str:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF field on the login page"
    answer = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "/cases",
        },
    )
    assert answer.status_code in (200, 303), answer.text[:300]
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/cases").text)
    assert csrf, "no CSRF meta tag on the library page"
    return csrf.group(1)


def case_ids(client: httpx.Client) -> dict[str, int]:
    return {c["name"]: c["id"] for c in client.get("/api/v1/cases?limit=100").json()}


def bench_result_page(server: Server, runs: int) -> tuple[list[float], list[float]]:
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=True) as client:
        csrf = login(client, "anna")
        text = AALBORG.read_text(encoding="utf-8")
        created = client.post(
            "/api/v1/cases",
            json={"text": text, "file_name": AALBORG.name},
            headers={"X-CSRF-Token": csrf},
        ).json()
        case_id = created["id"]
        for i in range(runs):  # versions 2..runs+1, each with its own digest
            saved = client.post(
                f"/api/v1/cases/{case_id}/versions",
                json={"text": f"{text}\n# benchmark version {i}\n", "base": i + 1},
                headers={"X-CSRF-Token": csrf},
            )
            assert saved.status_code == 201, saved.text

        def page_with_charts(url: str) -> float:
            """The page and every chart it shows (the charts are images of their own)."""
            start = time.perf_counter()
            answer = client.get(url)
            assert answer.status_code == 200, answer.text[:300]
            images = re.findall(r'<img src="([^"]+)"', answer.text)
            for src in images:
                image = client.get(src.replace("&amp;", "&"))
                assert image.status_code == 200 and b"<svg" in image.content[:2000], src
            assert images or "<svg" in answer.text, "no chart on the result page"
            return time.perf_counter() - start

        page_with_charts(f"/cases/{case_id}?version=1")  # warm the server's imports
        cold = [page_with_charts(f"/cases/{case_id}?version={i + 2}") for i in range(runs)]
        warm = [page_with_charts(f"/cases/{case_id}?version=2") for _ in range(runs)]
        return cold, warm


async def log_in_async(client: httpx.AsyncClient, username: str) -> None:
    page = (await client.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF field on the login page"
    answer = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text[:300]


async def reader(
    client: httpx.AsyncClient,
    number: int,
    requests: int,
    ids: list[int],
    times: list[float],
    errors: list[str],
    think: float,
) -> None:
    import random

    chance = random.Random(number)
    case_id = ids[number % len(ids)]
    paths = ["/cases", f"/cases/{case_id}", "/api/v1/cases", f"/api/v1/cases/{case_id}/versions"]
    for i in range(requests):
        path = paths[(i + number) % len(paths)]
        start = time.perf_counter()
        try:
            answer = await client.get(path)
            if answer.status_code != 200:
                errors.append(f"{path}: {answer.status_code}")
        except httpx.HTTPError as exc:
            errors.append(f"{path}: {exc!r}")
        times.append(time.perf_counter() - start)
        if think:  # a person reads the page before the next click
            await asyncio.sleep(chance.uniform(0.5 * think, 1.5 * think))


def bench_readers(
    server: Server, readers: int, requests: int, think: float
) -> tuple[list[float], list[str]]:
    """Every reader logs in first (not measured); then all read at once."""
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=True) as client:
        login(client, "reader0")
        ids = list(case_ids(client).values())
        for case_id in ids * 4:  # every result page seen by each server process: readers
            client.get(f"/cases/{case_id}")  # read, they do not run (results are cached)
    times: list[float] = []
    errors: list[str] = []

    async def everyone() -> None:
        limits = httpx.Limits(max_connections=1)
        clients = [
            httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits)
            for _ in range(readers)
        ]
        try:
            for start in range(0, readers, 5):  # log in, five at a time
                await asyncio.gather(
                    *(
                        log_in_async(c, f"reader{n % 5}")
                        for n, c in enumerate(clients[start : start + 5], start)
                    )
                )
            await asyncio.gather(
                *(reader(c, n, requests, ids, times, errors, think) for n, c in enumerate(clients))
            )
        finally:
            for c in clients:
                await c.aclose()

    asyncio.run(everyone())
    return times, errors


def bench_page_during_job(server: Server, draws: int) -> tuple[list[float], float, str]:
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=True) as client:
        csrf = login(client, "anna")
        text = UNCERTAIN.read_text(encoding="utf-8")
        case_id = client.post(
            "/api/v1/cases", json={"text": text + "\n# job\n"}, headers={"X-CSRF-Token": csrf}
        ).json()["id"]
        client.get("/cases")
        started = time.perf_counter()
        answer = client.post(
            f"/api/v1/cases/{case_id}/runs",
            json={"draws": draws, "seed": 1},
            headers={"X-CSRF-Token": csrf},
        )
        assert answer.status_code == 202, answer.text[:300]
        job_id = answer.json()["job"]["id"]
        times = []
        status = "queued"
        while status in ("queued", "running"):
            start = time.perf_counter()
            page = client.get("/cases")
            times.append(time.perf_counter() - start)
            assert page.status_code == 200
            status = client.get(f"/api/v1/jobs/{job_id}").json()["status"]
            time.sleep(0.05)
        return times, time.perf_counter() - started, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="requests per reader")
    parser.add_argument("--page-runs", type=int, default=30)
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a reader spends on a page before the next request (0: none)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="si-bench-web-") as tmp:
        server = Server(Path(tmp), args.workers)
        server.cli(
            "users",
            "create",
            "--admin",
            "--organisation",
            "Demo kommune",
            "admin",
            stdin=PASSWORD + "\n",
        )
        server.cli(
            "users", "create", "--organisation", "Demo kommune", "anna", stdin=PASSWORD + "\n"
        )
        for n in range(5):
            server.cli(
                "users",
                "create",
                "--organisation",
                "Demo kommune",
                "--role",
                "viewer",
                f"reader{n}",
                stdin=PASSWORD + "\n",
            )
        server.cli("demo", "load")
        server.start()
        try:
            print(describe(f"SQLite, {args.workers} server process(es), one job worker each"))
            cold, warm = bench_result_page(server, args.page_runs)
            print(line("result page of the Aalborg example, run included", cold, 300))
            print(line("result page of the Aalborg example, opened again", warm, 300))
            for label, think in (("no pause", 0.0), (f"{args.think:g} s on a page", args.think)):
                times, errors = bench_readers(server, args.readers, args.requests, think)
                print(
                    line(
                        f"{args.readers} concurrent readers, {args.requests} requests each, "
                        f"{label}",
                        times,
                        500,
                    )
                    + f", errors {len(errors)}"
                )
                for error in errors[:5]:
                    print("  error:", error)
            during, took, status = bench_page_during_job(server, args.draws)
            print(
                line(
                    f"library page while a {args.draws:,}-draw job runs ({took:.1f} s, {status})",
                    during,
                    200,
                )
            )
        finally:
            server.stop()
            import shutil

            shutil.copy(
                server.data / "server.log", Path(tempfile.gettempdir()) / "bench_web_server.log"
            )


if __name__ == "__main__":
    main()
