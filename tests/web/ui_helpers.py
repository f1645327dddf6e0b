"""Helpers of the browser tests: a real server on a free 127.0.0.1 port with a temporary SQLite
database, Debian's Chromium driven by Playwright, and screenshots kept as test artefacts."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    database_url: str
    data_dir: Path


def _users(database_url: str) -> None:
    """Two organisations: Aalborg Kommune with an analyst, a second analyst, a reviewer and a
    viewer; Investor A/S with an analyst."""
    from socialinvest.store import users as user_store
    from socialinvest.store.db import make_engine, session_factory, upgrade
    from socialinvest.web.security import hash_password

    upgrade(database_url)
    engine = make_engine(database_url)
    with session_factory(engine)() as db:
        kommune = user_store.organisation(db, "Aalborg Kommune", create=True)
        investor = user_store.organisation(db, "Investor A/S", create=True)
        hashed = hash_password(PASSWORD)
        for name, org, role in [
            ("anna", kommune, "analyst"),
            ("bo", kommune, "analyst"),
            ("rita", kommune, "reviewer"),
            ("vera", kommune, "viewer"),
            ("otto", investor, "analyst"),
        ]:
            user_store.create_user(db, org, name, hashed, role=role)
        db.commit()
    engine.dispose()


@contextmanager
def running_server(tmp: Path) -> Iterator[Server]:
    """``socialinvest serve`` on a free port with a new SQLite database (stopped afterwards)."""
    database_url = f"sqlite:///{tmp / 'web.db'}"
    _users(database_url)
    port = free_port()
    env = dict(os.environ)
    env.update(
        SOCIALINVEST_SECRET_KEY="b" * 64,
        XDG_DATA_HOME=str(tmp / "data"),
        PYTHONUNBUFFERED="1",
    )
    log = (tmp / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socialinvest.cli",
            "serve",
            "--port",
            str(port),
            "--database",
            database_url,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/login", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the server did not start: " + (tmp / "server.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield Server(url, database_url, tmp)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def shot(page: Any, name: str) -> None:
    """A full-page screenshot kept under test-artefacts/web/ (git-ignored)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def login(page: Any, server: Server, username: str) -> None:
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases.*"))


def cli_json(*args: str, cwd: Path | None = None) -> Any:
    """``socialinvest ARGS --format json`` run as its own process; its JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "socialinvest.cli", *args, "--format", "json"],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    )
    return json.loads(done.stdout)
